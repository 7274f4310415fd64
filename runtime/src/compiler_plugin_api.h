// The interface between the runtime and the clang compiler plugin (libbecore_clang_plugin.so).
//
// The plugin is the only library that links libclang-cpp; the runtime dlopens it on the first
// cache miss, so a process that finds every kernel in the cache never maps the compiler. Both
// sides are built together by the same compiler, so C++ types cross the boundary; the version
// number guards against a stale plugin from another build.
#pragma once

#include <string>
#include <vector>

namespace be::plugin {

inline constexpr int k_api_version = 1;

struct CompileJob {
    std::string path;                  // the file's real path (includes resolve beside it)
    std::string source;                // the exact text to compile (user source + trampolines)
    std::vector<std::string> arguments; // driver arguments, without the input file
};

struct CompileOutput {
    bool ok = false;
    std::vector<char> object;              // ELF relocatable object, when ok
    std::vector<std::string> headers_read; // non-system headers opened, absolute paths
    std::string diagnostics;               // everything clang printed, warnings included
};

} // namespace be::plugin

extern "C" {
int becore_plugin_api_version();
void becore_plugin_compile(const be::plugin::CompileJob* job, be::plugin::CompileOutput* output);
}
