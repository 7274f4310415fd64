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
    std::vector<std::string> extra_flags;             // user flags, appended last
    // Kernel-side headers pre-included after be/be.h, e.g. {"be/cuda_emu.h"} for the CUDA
    // emulation (emulation_pre_includes()); they become `-include` flags, hence part of the key.
    std::vector<std::string> pre_includes;
    // "native" or a level (cpu_target.h), resolved: it becomes -march=<cpu_target>.
    std::string cpu_target = std::string(k_cpu_native);
};

struct CompiledObject {
    std::vector<char> object;
    std::vector<std::filesystem::path> headers_read; // non-system, excluding becore's own headers
    std::string diagnostics;                         // warnings of a successful compile
    double seconds = 0;
};

// The flags a request compiles with, in order; they are part of the cache key. A `.cu` path
// compiles as C++ (`-x c++` first): the CPU backend compiles `.cu` sources only for the CUDA
// emulation.
std::vector<std::string> cpu_compile_flags(const CpuCompileRequest& request);
// Compiler and library versions that decide what a compile produces.
std::string cpu_toolchain_identity();

// Compiles in-process. A compile error is an Error whose message names the file and whose log
// holds clang's diagnostics (file:line:col: error: ...).
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
