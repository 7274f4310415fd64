// The interface between the runtime and the clang compiler plugin (libbecore_clang_plugin.so).
//
// The plugin is the only library that links libclang-cpp; the runtime dlopens it on the first
// cache miss, so a process that finds every kernel in the cache never maps the compiler. Both
// sides are built together by the same compiler, so C++ types cross the boundary; the version
// number guards against a stale plugin from another build.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace be::plugin {

inline constexpr int k_api_version = 3;

struct CompileJob {
    std::string path;                   // the file's real path (includes resolve beside it)
    std::string source;                 // the exact text to compile (user source + trampolines)
    std::vector<std::string> arguments; // driver arguments, without the input file and -c
    // True: `source` is a prelude's text (a header at `path`) and the output is its precompiled
    // header (PCH), not an object.
    bool generate_prelude = false;
    // When set, the compile includes this PCH (`-include-pch <prelude_path>.pch`, added by the
    // plugin) of the prelude text `prelude_source`, which clang validates at `prelude_path`.
    // Both are served from memory; `arguments` hold no -include of what the PCH covers. The plugin
    // keeps the last few preludes' in-memory files (and so their PCHs) for the next compiles.
    std::shared_ptr<const std::vector<char>> prelude_pch;
    std::string prelude_path, prelude_source;
};

struct CompileOutput {
    bool ok = false;
    std::vector<char> object;              // ELF relocatable object (or the PCH), when ok
    std::vector<std::string> headers_read; // non-system headers opened, absolute paths
    std::string diagnostics;               // everything clang printed, warnings included
    // Seconds per phase, from clang's time-trace totals: parsing, semantic analysis and IR
    // generation; the LLVM optimisation pipeline; object emission (the code generator).
    double frontend_seconds = 0, optimise_seconds = 0, emit_seconds = 0;
};

} // namespace be::plugin

extern "C" {
int becore_plugin_api_version();
void becore_plugin_compile(const be::plugin::CompileJob* job, be::plugin::CompileOutput* output);
}
