#include <becore/runtime/paths.h>

#include <cstdlib>
#include <dlfcn.h>

namespace be {

std::filesystem::path becore_home() {
    if (const char* home = std::getenv("BECORE_HOME"); home && *home) return home;
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&becore_home), &info) != 0 && info.dli_fname != nullptr) {
        std::error_code ec;
        auto library = std::filesystem::canonical(info.dli_fname, ec);
        if (!ec) return library.parent_path().parent_path();
    }
    return std::filesystem::current_path();
}

std::filesystem::path kernel_include_dir() {
    return becore_home() / "share" / "becore" / "kernels" / "include";
}

std::filesystem::path builtin_kernel_dir() {
    return becore_home() / "share" / "becore" / "kernels" / "builtin";
}

std::filesystem::path private_library_dir() { return becore_home() / "lib" / "becore"; }

} // namespace be
