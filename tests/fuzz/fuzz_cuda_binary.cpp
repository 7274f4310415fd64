// The CUDA cache blob's container (runtime/src/cuda_binary.cpp: arch, CUBIN, PTX, lowered names),
// read from a blob whose checksum held; what it accepts must pack and unpack to the same binary.
#include "fuzz_check.h"

#include <becore/runtime/cuda_backend.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::vector<char> blob(data, data + size);
    auto binary = be::unpack_cuda_binary(blob);
    if (!binary) return 0;
    auto again = be::unpack_cuda_binary(be::pack_cuda_binary(*binary));
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->arch == binary->arch && again->cubin == binary->cubin &&
               again->ptx == binary->ptx && again->lowered_names == binary->lowered_names);
    return 0;
}
