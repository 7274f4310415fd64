// The ELF reader that takes libnvrtc's build-id and soname for the cache key without loading it
// (runtime/src/elf_info.cpp).
#include "fuzz_check.h"

#include <becore/runtime/elf_info.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto info = be::parse_elf_info(fuzz::chars(data, size), "fuzz.so");
    if (info) {
        FUZZ_CHECK(info->build_id.size() % 2 == 0);
        FUZZ_CHECK(info->soname.find('\0') == std::string::npos);
    } else {
        FUZZ_CHECK(fuzz::starts_with(info.error().message, "read_elf_info(fuzz.so): "));
    }
    return 0;
}
