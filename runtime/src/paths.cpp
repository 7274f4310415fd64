#include <becore/runtime/paths.h>

#include <cstdlib>
#include <dlfcn.h>

namespace be {

namespace {

// The library directory relative to the prefix (CMake's CMAKE_INSTALL_LIBDIR: "lib", or
// "lib/x86_64-linux-gnu" on Debian's multiarch), the same in the build tree, which mirrors the
// install layout; so the prefix is the library's directory minus as many levels.
const std::filesystem::path k_libdir = BECORE_INSTALL_LIBDIR;
const std::filesystem::path k_datadir = BECORE_INSTALL_DATADIR;

} // namespace

std::filesystem::path becore_home() {
    if (const char* home = std::getenv("BECORE_HOME"); home && *home) return home;
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&becore_home), &info) != 0 && info.dli_fname != nullptr) {
        std::error_code ec;
        auto library = std::filesystem::canonical(info.dli_fname, ec);
        if (!ec) {
            auto home = library.parent_path();
            for (auto level = k_libdir.begin(); level != k_libdir.end(); ++level)
                home = home.parent_path();
            return home;
        }
    }
    return std::filesystem::current_path();
}

std::filesystem::path becore_data_dir() {
    return becore_home() / k_datadir / "becore";
}

std::filesystem::path kernel_include_dir() {
    return becore_data_dir() / "kernels" / "include";
}

std::filesystem::path builtin_kernel_dir() {
    return becore_data_dir() / "kernels" / "builtin";
}

std::filesystem::path private_library_dir() {
    return becore_home() / k_libdir / "becore";
}

} // namespace be
