// The cache's blob container (cache/src/blob_store.cpp: header, size, checksums), in which every
// compiled binary, CPU object or CUDA container, sits on disk. The index's checksum is taken from
// the input's header, as it is for a blob whose index row is intact.
#include "fuzz_check.h"

#include "blob_store.h"
#include "key.h"

#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    uint64_t indexed = 0;
    if (size >= be::cache_detail::k_blob_header_size) std::memcpy(&indexed, data + 16, 8);
    const auto read = be::cache_detail::parse_blob(fuzz::chars(data, size), indexed);
    if (read.status == be::cache_detail::BlobStatus::ok) {
        FUZZ_CHECK(read.payload.size() == size - be::cache_detail::k_blob_header_size);
        FUZZ_CHECK(be::cache_detail::hash64(read.payload.data(), read.payload.size()) == indexed);
    } else {
        FUZZ_CHECK(read.status == be::cache_detail::BlobStatus::corrupt && read.payload.empty() &&
                   !read.detail.empty());
    }
    return 0;
}
