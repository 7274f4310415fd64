// The manifest beside a library that ships kernel files (registry/src/kernels_beside.cpp), as
// load_kernels_beside reads it.
#include "fuzz_check.h"

#include "kernels_beside.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto manifest = be::detail::parse_kernel_manifest(std::string(fuzz::text(data, size)),
                                                      "fuzz.becore-kernels");
    if (!manifest) {
        FUZZ_CHECK(fuzz::starts_with(manifest.error().message, "fuzz.becore-kernels"));
        return 0;
    }
    FUZZ_CHECK(!manifest->library.empty() && !manifest->prefix.empty() && !manifest->dir.empty());
    FUZZ_CHECK(!manifest->dir.is_absolute() && !manifest->files.empty());
    for (const auto& file : manifest->files)
        FUZZ_CHECK(std::count(manifest->files.begin(), manifest->files.end(), file) == 1 &&
                   !std::filesystem::path(file).has_parent_path());
    return 0;
}
