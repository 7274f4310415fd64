// Where becore finds its own files: relative to libbecore_runtime.so (BECORE_HOME overrides),
// never through a path baked in at build time.
//   <home>/lib/libbecore_runtime.so
//   <home>/lib/becore/libbecore_clang_plugin.so, <home>/lib/becore/liborc_rt.a
//   <home>/share/becore/kernels/include/be/*.h   (kernel-side headers)
//   <home>/share/becore/kernels/builtin/*.cpp|.cu (built-in kernels, prefix "be")
#pragma once

#include <filesystem>

namespace be {

std::filesystem::path becore_home();
std::filesystem::path kernel_include_dir();
std::filesystem::path builtin_kernel_dir();
std::filesystem::path private_library_dir(); // <home>/lib/becore

} // namespace be
