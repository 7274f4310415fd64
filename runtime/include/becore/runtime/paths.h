// Where becore finds its own files: relative to libbecore_runtime.so (BECORE_HOME overrides),
// never through a path baked in at build time. The build tree and the install prefix share one
// layout; <libdir> is CMake's CMAKE_INSTALL_LIBDIR ("lib", or "lib/x86_64-linux-gnu" on Debian's
// multiarch), <datadir> its CMAKE_INSTALL_DATADIR ("share"):
//   <home>/<libdir>/libbecore_runtime.so
//   <home>/<libdir>/becore/libbecore_clang_plugin.so, <home>/<libdir>/becore/liborc_rt.a
//   <home>/<datadir>/becore/kernels/include/be/*.h    (kernel-side headers)
//   <home>/<datadir>/becore/kernels/builtin/*.cpp|.cu (built-in kernels, prefix "be")
//   <home>/<datadir>/becore/cache                     (the install's read-only cache layer)
#pragma once

#include <filesystem>

namespace be {

std::filesystem::path becore_home();
std::filesystem::path becore_data_dir(); // <home>/<datadir>/becore
std::filesystem::path kernel_include_dir();
std::filesystem::path builtin_kernel_dir();
std::filesystem::path private_library_dir(); // <home>/<libdir>/becore

} // namespace be
