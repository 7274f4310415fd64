// Compiling `.cpp` kernels: the flags (which are part of the cache key, so they never carry an
// absolute path) and the dlopen of the clang plugin.
#include "compiler_plugin_api.h"

#include <becore/runtime/cpu_backend.h>
#include <becore/runtime/log.h>
#include <becore/runtime/paths.h>

// LLVM is linked statically and privately (runtime/CMakeLists.txt): its inline functions and
// template instances emitted here must not be exported either.
#pragma GCC visibility push(hidden)
#include <llvm/Config/llvm-config.h>
#pragma GCC visibility pop
#include <oneapi/tbb/version.h>

#include <atomic>
#include <chrono>
#include <dlfcn.h>
#include <mutex>

namespace be {
namespace {

using CompileFunction = void (*)(const plugin::CompileJob*, plugin::CompileOutput*);

std::atomic<bool> g_plugin_loaded{false};

Result<CompileFunction> load_plugin() {
    static std::mutex mutex;
    static CompileFunction compile = nullptr;
    static std::string failure;
    std::lock_guard lock(mutex);
    if (compile != nullptr) return compile;
    if (!failure.empty()) return make_error(failure);
    auto path = private_library_dir() / "libbecore_clang_plugin.so";
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        failure = "compile_cpp: cannot load the compiler plugin " + path.string() + ": " +
                  dlerror() + " (set BECORE_HOME to becore's install prefix)";
        return make_error(failure);
    }
    auto version = reinterpret_cast<int (*)()>(dlsym(handle, "becore_plugin_api_version"));
    auto function = reinterpret_cast<CompileFunction>(dlsym(handle, "becore_plugin_compile"));
    if (version == nullptr || function == nullptr || version() != plugin::k_api_version) {
        failure = "compile_cpp: " + path.string() + " is not a compatible becore compiler plugin";
        return make_error(failure);
    }
    g_plugin_loaded = true;
    log_debug("loaded the compiler plugin " + path.string());
    compile = function;
    return compile;
}

} // namespace

std::vector<std::string> cpu_compile_flags(const CpuCompileRequest& request) {
    // -fno-math-errno: errno from a kernel means nothing, and with it every sqrt carries a
    // compare-and-call that stops vectorisation (JITC's normal weights: 4x slower). IEEE results
    // are unchanged.
    // A level alone, without -mtune: clang 16 then tunes for the level's own processor model, which
    // LLVM defines as a generic tuning for it (for x86-64-v3 the code equals -mtune=generic's; for
    // x86-64-v4 it prefers 256-bit vectors, as for Skylake servers, where 512-bit ones lower the
    // clock).
    std::vector<std::string> flags{"-O3",
                                   "-std=c++20",
                                   "-march=" + request.cpu_target,
                                   "-fPIC",
                                   "-ffp-contract=off",
                                   "-fno-math-errno",
                                   "-include",
                                   "be/be.h"};
    // The driver would take a .cu file for CUDA; on the CPU it is host C++ (the CUDA emulation).
    if (request.path.extension() == ".cu") flags.insert(flags.begin(), {"-x", "c++"});
    for (const auto& header : request.pre_includes) {
        flags.push_back("-include");
        flags.push_back(header);
    }
    flags.push_back("-I<becore-kernels>");
    auto base = request.path.parent_path();
    for (const auto& dir : request.include_dirs)
        flags.push_back("-I" + (dir.is_absolute() ? dir.lexically_relative(base) : dir).string());
    flags.insert(flags.end(), request.extra_flags.begin(), request.extra_flags.end());
    return flags;
}

std::string cpu_toolchain_identity() {
    return "clang " LLVM_VERSION_STRING ";libstdc++ " + std::to_string(__GLIBCXX__) + ";tbb " +
           std::to_string(TBB_VERSION_MAJOR) + "." + std::to_string(TBB_VERSION_MINOR) +
           ";interface " + std::to_string(TBB_INTERFACE_VERSION);
}

bool compiler_plugin_loaded() {
    return g_plugin_loaded;
}

Result<CompiledObject> compile_cpp(const CpuCompileRequest& request) {
    auto compile = load_plugin();
    if (!compile) return compile.error();

    auto include_dir = kernel_include_dir();
    plugin::CompileJob job;
    job.path = request.path.string();
    job.source = request.source;
    // The same flags as the key, with the placeholders made concrete: becore's header directory
    // and the include directories as absolute paths.
    auto base = request.path.parent_path();
    for (const auto& flag :
         cpu_compile_flags({request.path, {}, {}, {}, request.pre_includes, request.cpu_target}))
        job.arguments.push_back(flag == "-I<becore-kernels>" ? "-I" + include_dir.string() : flag);
    for (const auto& dir : request.include_dirs)
        job.arguments.push_back("-I" + (dir.is_absolute() ? dir : base / dir).string());
    job.arguments.insert(job.arguments.end(), request.extra_flags.begin(),
                         request.extra_flags.end());
    // __FILE__ names the file alone, so a cached object never depends on where the file was.
    job.arguments.push_back("-fmacro-prefix-map=" + request.path.parent_path().string() + "/=");

    plugin::CompileOutput output;
    auto start = std::chrono::steady_clock::now();
    (*compile)(&job, &output);
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    if (!output.ok)
        return make_error("compile_cpp(" + request.path.string() + "): compilation failed",
                          output.diagnostics);

    CompiledObject result;
    result.object = std::move(output.object);
    result.diagnostics = std::move(output.diagnostics);
    result.seconds = elapsed.count();
    auto own_headers = include_dir.lexically_normal().string();
    for (const auto& header : output.headers_read) {
        auto normal = std::filesystem::path(header).lexically_normal();
        if (normal.string().rfind(own_headers, 0) != 0) result.headers_read.push_back(normal);
    }
    return result;
}

} // namespace be
