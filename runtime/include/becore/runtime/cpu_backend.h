// The CPU backend: compiling `.cpp` kernels (through the clang plugin, dlopened on demand) and
// loading the resulting objects into the process's one LLJIT instance.
#pragma once

#include <becore/runtime/cpu_target.h>
#include <becore/runtime/error.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace be {

struct CpuCompileRequest {
    std::filesystem::path path; // real or virtual path of the source; its directory is searched
    std::string source;         // exact text to compile
    std::vector<std::filesystem::path> include_dirs; // user include directories (after becore's)
    std::vector<std::string> extra_flags;            // user flags, appended last
    // Kernel-side headers pre-included after be/be.h, e.g. {"be/cuda_emu.h"} for the CUDA
    // emulation (emulation_pre_includes()); they become `-include` flags, hence part of the key.
    std::vector<std::string> pre_includes;
    // "native" or a level (cpu_target.h), resolved: it becomes -march=<cpu_target>.
    std::string cpu_target = std::string(k_cpu_native);
    // The precompiled prelude of this request (compile_prelude of cpu_prelude_text), or null:
    // the implicit includes are then parsed as text. The object is the same either way.
    std::shared_ptr<const std::vector<char>> prelude_pch;
};

// Where a compile's time went, in seconds (`kernelctl build --json`, docs/toolchain.md).
struct CompilePhases {
    // "none" (no prelude: BECORE_PRELUDE=off), "built" (compiled now), "cached" (read from the
    // kernel cache) or "memory" (already read by this process); `prelude` is what that took.
    std::string prelude_source = "none";
    double prelude = 0;
    double frontend = 0; // clang: preprocessing, parsing, semantic analysis, IR generation
    double optimise = 0; // the LLVM optimisation pipeline
    double emit = 0;     // code generation to the object
    double store = 0;    // writing the entry to the kernel cache
};

struct CompiledObject {
    std::vector<char> object;                        // or, from compile_prelude, the prelude's PCH
    std::vector<std::filesystem::path> headers_read; // non-system, excluding becore's own headers
    std::string diagnostics;                         // warnings of a successful compile
    double seconds = 0;
    CompilePhases phases; // frontend, optimise, emit
};

// The flags a request compiles with, in order; they are part of the cache key. A `.cu` path
// compiles as C++ (`-x c++` first): the CPU backend compiles `.cu` sources only for the CUDA
// emulation.
std::vector<std::string> cpu_compile_flags(const CpuCompileRequest& request);
// Compiler and library versions that decide what a compile produces.
std::string cpu_toolchain_identity();

// The prelude of a request: the text of a header holding its implicit includes (be/be.h, then
// pre_includes, as `#include "..."`), then the `#include <...>` lines that open the source (only
// blank lines and // comments between them; anything else ends the run), then a comment naming
// the absolute include directories, since a PCH records where its headers were. Compiled once
// (compile_prelude) with the request's flags, it stands for exactly the text a compile without
// it reads first, so it never changes what a kernel means (docs/toolchain.md, "The prelude").
std::string cpu_prelude_text(const CpuCompileRequest& request);
// The flags a prelude's PCH is built with beyond the request's (part of the prelude's key).
std::vector<std::string> cpu_prelude_flags();
// The precompiled header (PCH) of cpu_prelude_text(request), in memory.
Result<CompiledObject> compile_prelude(const CpuCompileRequest& request);

// Compiles in-process. A compile error is an Error whose message names the file and whose log
// holds clang's diagnostics (file:line:col: error: ...). A prelude clang rejects (its headers
// changed size since it was built) is logged and the source compiled without it.
Result<CompiledObject> compile_cpp(const CpuCompileRequest& request);
// Whether libclang-cpp has been mapped into this process (for tests and `runtime_report`).
bool compiler_plugin_loaded();

// An object linked into its own JITDylib. Dropping the last reference runs its static
// destructors and removes its code from the process.
class JitModule {
  public:
    virtual ~JitModule() = default;
    // The address of a symbol defined by the object, or an Error naming it.
    virtual Result<void*> symbol(std::string_view name) = 0;
};

// Links an ELF object into the process (one LLJIT for the whole process, JITLink + the ELFNix
// platform so that static constructors run) and runs its initialisers.
Result<std::shared_ptr<JitModule>> load_cpu_object(const std::vector<char>& object,
                                                   const std::string& name);

} // namespace be
