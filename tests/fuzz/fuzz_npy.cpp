// The .npy reader (runtime/src/npy.cpp), and the writer on what it accepts: reading back what
// npy_header and the data make must give the same array, byte for byte.
#include "fuzz_check.h"

#include <becore/runtime/npy.h>

#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto array = be::parse_npy(fuzz::chars(data, size), "fuzz.npy");
    if (!array) {
        FUZZ_CHECK(fuzz::starts_with(array.error().message, "read_npy(fuzz.npy): "));
        return 0;
    }
    const BE::Tensor view = array->view();
    auto header = be::npy_header(view);
    FUZZ_CHECK(header.ok()); // everything read_npy returns can be written
    std::vector<char> written(header->begin(), header->end());
    const auto* bytes = static_cast<const char*>(view.data_ptr());
    written.insert(written.end(), bytes, bytes + view.nbytes());
    auto again = be::parse_npy(written, "again.npy");
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->dtype() == array->dtype() && again->shape() == array->shape());
    FUZZ_CHECK(view.nbytes() == 0 ||
               std::memcmp(again->view().data_ptr(), bytes, view.nbytes()) == 0);
    return 0;
}
