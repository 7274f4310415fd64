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
#include <string_view>

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
    if (!failure.empty()) return make_error(ErrorCode::unavailable, failure);
    auto path = private_library_dir() / "libbecore_clang_plugin.so";
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        failure = "compile_cpp: cannot load the compiler plugin " + path.string() + ": " +
                  dlerror() + " (set BECORE_HOME to becore's install prefix)";
        return make_error(ErrorCode::unavailable, failure);
    }
    auto version = reinterpret_cast<int (*)()>(dlsym(handle, "becore_plugin_api_version"));
    auto function = reinterpret_cast<CompileFunction>(dlsym(handle, "becore_plugin_compile"));
    if (version == nullptr || function == nullptr || version() != plugin::k_api_version) {
        failure = "compile_cpp: " + path.string() + " is not a compatible becore compiler plugin";
        return make_error(ErrorCode::unavailable, failure);
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

namespace {

// Where a prelude's text and its PCH (<path>.pch) live in the compile's in-memory file system;
// nothing real is there, and the name is what clang's messages about a rejected PCH show.
constexpr const char* k_prelude_dir = "/becore-prelude/";
constexpr const char* k_prelude_path = "/becore-prelude/prelude.h";

// The `#include <...>` lines a source opens with (cpu_prelude_text).
std::vector<std::string> leading_system_includes(std::string_view source) {
    std::vector<std::string> includes;
    while (!source.empty()) {
        auto end = source.find('\n');
        std::string_view line = source.substr(0, end);
        source = end == std::string_view::npos ? std::string_view{} : source.substr(end + 1);
        line = line.substr(std::min(line.size(), line.find_first_not_of(" \t\r")));
        if (line.empty() || line.rfind("//", 0) == 0) continue;
        if (line.rfind("#include <", 0) != 0) break;
        auto close = line.find('>');
        if (close == std::string_view::npos) break;
        auto rest = line.substr(close + 1);
        rest = rest.substr(std::min(rest.size(), rest.find_first_not_of(" \t\r")));
        if (!rest.empty() && rest.rfind("//", 0) != 0) break;
        includes.emplace_back(line.substr(0, close + 1));
    }
    return includes;
}

// The plugin job of a request: the key's flags with the placeholders made concrete (becore's
// header directory, the include directories as absolute paths). Without `implicit_includes`
// the -include flags of be/be.h and the pre-includes are left out (a prelude stands for them).
plugin::CompileJob make_job(const CpuCompileRequest& request, bool implicit_includes) {
    auto include_dir = kernel_include_dir();
    plugin::CompileJob job;
    job.path = request.path.string();
    job.source = request.source;
    auto base = request.path.parent_path();
    const auto flags =
        cpu_compile_flags({request.path, {}, {}, {}, request.pre_includes, request.cpu_target});
    for (size_t i = 0; i < flags.size(); ++i) {
        if (!implicit_includes && flags[i] == "-include") {
            ++i;
            continue;
        }
        job.arguments.push_back(flags[i] == "-I<becore-kernels>" ? "-I" + include_dir.string()
                                                                 : flags[i]);
    }
    for (const auto& dir : request.include_dirs)
        job.arguments.push_back("-I" + (dir.is_absolute() ? dir : base / dir).string());
    job.arguments.insert(job.arguments.end(), request.extra_flags.begin(),
                         request.extra_flags.end());
    return job;
}

Result<plugin::CompileOutput> run_plugin(const plugin::CompileJob& job) {
    auto compile = load_plugin();
    if (!compile) return compile.error();
    plugin::CompileOutput output;
    (*compile)(&job, &output);
    return output;
}

// The object (or PCH) of a successful compile, with its times and the headers for the cache's
// manifest: becore's own are covered by the kernel-headers hash, and the prelude's text and PCH
// are in memory only (the headers the text includes are reported).
CompiledObject compiled_object(plugin::CompileOutput& output, double seconds) {
    CompiledObject result;
    result.object = std::move(output.object);
    result.diagnostics = std::move(output.diagnostics);
    result.seconds = seconds;
    result.phases.frontend = output.frontend_seconds;
    result.phases.optimise = output.optimise_seconds;
    result.phases.emit = output.emit_seconds;
    auto own_headers = kernel_include_dir().lexically_normal().string();
    for (const auto& header : output.headers_read) {
        auto normal = std::filesystem::path(header).lexically_normal();
        if (normal.string().rfind(own_headers, 0) != 0 &&
            normal.string().rfind(k_prelude_dir, 0) != 0)
            result.headers_read.push_back(normal);
    }
    return result;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Whether a failed compile's messages are about the PCH rather than the source.
bool prelude_rejected(const std::string& diagnostics) {
    return diagnostics.find(std::string(k_prelude_path) + ".pch") != std::string::npos ||
           diagnostics.find("precompiled header") != std::string::npos ||
           diagnostics.find("PCH file") != std::string::npos;
}

} // namespace

std::string cpu_prelude_text(const CpuCompileRequest& request) {
    std::string text;
    const auto flags =
        cpu_compile_flags({request.path, {}, {}, {}, request.pre_includes, request.cpu_target});
    for (size_t i = 0; i + 1 < flags.size(); ++i)
        if (flags[i] == "-include") text += "#include \"" + flags[++i] + "\"\n";
    for (const auto& include : leading_system_includes(request.source))
        text += include + "\n";
    text += "// becore kernel headers: " + kernel_include_dir().string() + "\n";
    auto base = request.path.parent_path();
    for (const auto& dir : request.include_dirs)
        text += "// include directory: " + (dir.is_absolute() ? dir : base / dir).string() + "\n";
    return text;
}

std::vector<std::string> cpu_prelude_flags() {
    // The templates the headers use but do not instantiate themselves (std::to_wstring's
    // __to_xstring<std::wstring>, the basic_string constructors of every character type, ...)
    // are otherwise left pending in the PCH and instantiated again by every kernel that reads it
    // (82% of a small kernel's front end). Instantiated here, at the prelude's end instead of the
    // kernel's, they mean the same: the headers come first either way, and a specialisation
    // declared only after a use would be ill-formed. The objects are the same
    // (Prelude.SameObject*).
    return {"-fpch-instantiate-templates"};
}

Result<CompiledObject> compile_prelude(const CpuCompileRequest& request) {
    plugin::CompileJob job = make_job(request, /*implicit_includes=*/false);
    for (auto& flag : cpu_prelude_flags())
        job.arguments.push_back(std::move(flag));
    job.path = k_prelude_path;
    job.source = cpu_prelude_text(request);
    job.generate_prelude = true;
    auto start = std::chrono::steady_clock::now();
    auto output = run_plugin(job);
    if (!output) return output.error();
    if (!output->ok)
        return make_error(ErrorCode::compile_failed,
                          "compile_prelude(" + request.path.string() +
                              "): the prelude did not compile",
                          job.source + output->diagnostics);
    return compiled_object(*output, seconds_since(start));
}

Result<CompiledObject> compile_cpp(const CpuCompileRequest& request) {
    const bool with_prelude = request.prelude_pch != nullptr;
    plugin::CompileJob job = make_job(request, /*implicit_includes=*/!with_prelude);
    if (with_prelude) {
        job.prelude_pch = request.prelude_pch;
        job.prelude_path = k_prelude_path;
        job.prelude_source = cpu_prelude_text(request);
    }
    // __FILE__ names the file alone, so a cached object never depends on where the file was.
    job.arguments.push_back("-fmacro-prefix-map=" + request.path.parent_path().string() + "/=");

    auto start = std::chrono::steady_clock::now();
    auto output = run_plugin(job);
    if (!output) return output.error();
    if (!output->ok && with_prelude && prelude_rejected(output->diagnostics)) {
        log_warn("compile_cpp(" + request.path.string() +
                 "): clang rejected the precompiled prelude; compiling without it: " +
                 output->diagnostics.substr(0, output->diagnostics.find('\n')));
        CpuCompileRequest plain = request;
        plain.prelude_pch.reset();
        return compile_cpp(plain);
    }
    if (!output->ok)
        return make_error(ErrorCode::compile_failed,
                          "compile_cpp(" + request.path.string() + "): compilation failed",
                          output->diagnostics);
    return compiled_object(*output, seconds_since(start));
}

} // namespace be
