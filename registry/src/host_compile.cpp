// The in-process clang path (backend.h: HostCompile), shared by the two loaders that compile
// with the CPU backend: cpu_loader.cpp (`.cpp` sources, backend "cpu") and emu_loader.cpp (the
// CUDA emulation of `.cu` sources, backend "cuda-emu"), and by cache_inputs.cpp, which computes
// the same key inputs for `kernelctl explain`.
//
// Key inputs: the backend name, the exact text compiled (the source — for the emulation after
// prepare_emulation_source — plus the generated trampolines), cpu_compile_flags (for the
// emulation these carry `-x c++` and `-include be/cuda_emu.h`), the CPU target and toolchain,
// becore's kernel-headers hash (every file under the kernel include directory, the emulation
// headers included) and the include roots for the user headers of the manifest.
//
// CPU target (becore/runtime/cpu_target.h): the plan compiles for LoadOptions::cpu_target, else
// BECORE_CPU_TARGET, else native; the target field and -march carry it. With native, a load that
// misses its native key tries the same source compiled for each level this CPU runs, highest
// first (host_lookup_order), before compiling natively: entries a WARM install or an import made
// for a portable level serve any CPU that runs the level. A level this CPU cannot run is only
// compiled and cached (an install on a build machine), never loaded.
//
// The prelude (docs/toolchain.md): a compile first obtains the PCH of its prelude text
// (cpu_prelude_text) like any entry — this process's memory, the cache, or compiled under the
// prelude key's own lock and stored — backend "prelude", key inputs: the text (which names the
// absolute header directories, since a PCH records where its headers were), the kernel's flags
// followed by cpu_prelude_flags(), its target, toolchain and kernel-headers hash. The kernel's
// key holds all of these but the directories and the prelude's own flags (which change how fast
// it compiles, never what), so a moved installation keeps its kernel entries and builds a new
// prelude on its next compile. BECORE_PRELUDE=off compiles without one: the same object, more
// slowly.
#include "backend.h"
#include "kernel_headers.h"

#include <becore/registry/annotation.h>
#include <becore/registry/trampoline.h>

#include <cstdlib>
#include <map>
#include <mutex>

namespace be::detail {
namespace {

using Pch = std::shared_ptr<const std::vector<char>>;

Result<bool> prelude_enabled() {
    const char* value = std::getenv("BECORE_PRELUDE");
    const std::string text = value == nullptr ? "" : value;
    if (text.empty() || text == "on" || text == "1") return true;
    if (text == "off" || text == "0") return false;
    return make_error(ErrorCode::invalid_argument,
                      "BECORE_PRELUDE=" + text + ": expected on or off");
}

CacheKeyInputs prelude_inputs(const HostCompile& plan, const std::string& text) {
    CacheKeyInputs inputs = plan.inputs;
    inputs.backend = "prelude";
    inputs.source_text = text;
    inputs.source_display = "prelude for " + plan.inputs.backend + " " + plan.request.cpu_target;
    for (auto& flag : cpu_prelude_flags())
        inputs.flags.push_back(std::move(flag));
    inputs.include_roots.assign(plan.request.include_dirs.begin(), plan.request.include_dirs.end());
    return inputs;
}

// The PCH of the plan's prelude: from this process's memory, the cache, or compiled and stored.
// Sets phases.prelude_source and phases.prelude.
Result<Pch> obtain_prelude(KernelCache& cache, const HostCompile& plan, CompilePhases& phases) {
    static std::mutex mutex;
    // By cache directory (what this process read from each cache), text, flags and target.
    static std::map<std::string, Pch> known;
    const auto start = std::chrono::steady_clock::now();
    const std::string text = cpu_prelude_text(plan.request);
    const CacheKeyInputs inputs = prelude_inputs(plan, text);
    std::string memo = cache.directory().string() + '\0' + text + '\0' + inputs.target;
    for (const auto& flag : inputs.flags)
        memo += '\0' + flag;
    auto elapsed = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    {
        std::lock_guard lock(mutex);
        if (auto found = known.find(memo); found != known.end()) {
            phases.prelude_source = "memory";
            phases.prelude = elapsed();
            return found->second;
        }
    }
    const std::string op = "prelude(" + plan.request.path.string() + ")";
    auto compile = [&]() -> Result<CompiledBlob> {
        log_info(op + ": compiling the prelude (" + std::to_string(text.size()) +
                 " bytes of text)");
        auto compiled = compile_prelude(plan.request);
        if (!compiled) return compiled.error();
        return CompiledBlob{std::move(compiled->object), std::move(compiled->headers_read),
                            compiled->seconds, std::nullopt};
    };
    auto load = [](const std::vector<char>& blob) -> Result<Pch> {
        return std::make_shared<const std::vector<char>>(blob);
    };
    auto obtained = obtain<Pch>(cache, inputs, op, "", compile, load);
    if (!obtained) return obtained.error();
    phases.prelude_source = obtained->cache_hit ? "cached" : "built";
    phases.prelude = elapsed();
    std::lock_guard lock(mutex);
    known.emplace(memo, obtained->value);
    return obtained->value;
}

// The user flags of a `.cu` load are NVRTC's (e.g. --fmad=false, --use_fast_math); the emulation
// keeps only the preprocessor's, which mean the same to clang: -D, -U and -I (value attached or
// as the next flag). Contraction is off in the emulation anyway (-ffp-contract=off).
std::vector<std::string> emulation_flags(const std::vector<std::string>& flags) {
    std::vector<std::string> kept;
    for (size_t i = 0; i < flags.size(); ++i) {
        const std::string& f = flags[i];
        const bool preprocessor =
            f.rfind("-D", 0) == 0 || f.rfind("-U", 0) == 0 || f.rfind("-I", 0) == 0;
        if (!preprocessor) continue;
        kept.push_back(f);
        if (f.size() == 2 && i + 1 < flags.size()) kept.push_back(flags[++i]);
    }
    return kept;
}

} // namespace

Result<HostCompile> plan_host_compile(const std::filesystem::path& file, const std::string& source,
                                      const LoadOptions& options, HostCompile::Flavor flavor,
                                      const std::string& display) {
    const bool emu = flavor == HostCompile::Flavor::emu;
    auto cpu_target = resolve_cpu_target(options.cpu_target);
    if (!cpu_target) return cpu_target.error();
    std::error_code ec;
    auto absolute = std::filesystem::absolute(file, ec);
    const std::filesystem::path path = ec ? file : absolute;
    HostCompile plan;
    auto signatures =
        parse_annotations(source, path.string(), emu ? SourceKind::cuda : SourceKind::cpp);
    if (!signatures) return signatures.error();
    plan.signatures = std::move(*signatures);
    plan.metadata = metadata_for(options.prefix, plan.signatures);
    std::string text = source;
    if (emu) {
        auto prepared = prepare_emulation_source(source, display.empty() ? path.string() : display);
        if (!prepared) return prepared.error();
        text = std::move(*prepared);
    }
    text += "\n" + (emu ? generate_emu_trampolines(plan.signatures)
                        : generate_cpp_trampolines(plan.signatures));
    std::vector<std::filesystem::path> include_dirs;
    for (const auto& dir : options.include_dirs)
        include_dirs.push_back(std::filesystem::absolute(dir));
    plan.request = CpuCompileRequest{path,
                                     std::move(text),
                                     include_dirs,
                                     emu ? emulation_flags(options.flags) : options.flags,
                                     emu ? emulation_pre_includes() : std::vector<std::string>{},
                                     *cpu_target};
    if (!host_runs_cpu_target(*cpu_target)) {
        std::string levels;
        for (const auto& level : host_cpu_levels())
            levels += (levels.empty() ? "" : ", ") + level;
        plan.not_runnable =
            make_error(ErrorCode::unavailable,
                       "compiled for " + *cpu_target + ", which this CPU cannot run (it runs " +
                           (levels.empty() ? std::string("no x86-64 level") : levels) +
                           "); the object is cached for machines that can, and not loaded here");
    }
    CacheKeyInputs& inputs = plan.inputs;
    inputs.backend = emu ? "cuda-emu" : "cpu";
    inputs.source_text = plan.request.source;
    inputs.source_display = path.string();
    inputs.flags = cpu_compile_flags(plan.request);
    inputs.target = cpu_target_description(*cpu_target);
    inputs.toolchain = cpu_toolchain_identity();
    inputs.kernel_headers_hash = kernel_headers_hash();
    inputs.include_roots.push_back(path.parent_path());
    for (const auto& dir : include_dirs)
        inputs.include_roots.push_back(dir);
    return plan;
}

std::vector<CacheKeyInputs> host_lookup_order(const HostCompile& plan) {
    std::vector<CacheKeyInputs> order{plan.inputs};
    if (plan.request.cpu_target != k_cpu_native) return order;
    for (const auto& level : host_cpu_levels()) {
        CpuCompileRequest request{plan.request.path,         {},
                                  plan.request.include_dirs, plan.request.extra_flags,
                                  plan.request.pre_includes, level};
        CacheKeyInputs& inputs = order.emplace_back(plan.inputs);
        inputs.flags = cpu_compile_flags(request);
        inputs.target = cpu_target_description(level);
    }
    return order;
}

Result<Obtained<std::shared_ptr<JitModule>>> obtain_host_module(KernelCache& cache,
                                                                const HostCompile& plan,
                                                                const std::string& op,
                                                                const std::string& display) {
    auto compile = [&]() -> Result<CompiledBlob> {
        auto enabled = prelude_enabled();
        if (!enabled)
            return make_error(enabled.error().code(), op + ": " + enabled.error().message);
        CompilePhases phases;
        CpuCompileRequest request = plan.request;
        if (*enabled) {
            // A prelude that does not compile leaves the kernel's own compile to report why.
            auto pch = obtain_prelude(cache, plan, phases);
            if (pch)
                request.prelude_pch = *pch;
            else
                log_info(op + ": compiling without a prelude: " + pch.error().full());
        }
        auto compiled = compile_cpp(request);
        if (!compiled)
            return make_error(compiled.error().code(), op + ": compilation failed",
                              compiled.error().log);
        if (!compiled->diagnostics.empty()) log_info(op + ": " + compiled->diagnostics);
        phases.frontend = compiled->phases.frontend;
        phases.optimise = compiled->phases.optimise;
        phases.emit = compiled->phases.emit;
        return CompiledBlob{std::move(compiled->object), std::move(compiled->headers_read),
                            compiled->seconds, phases};
    };
    auto load = [&](const std::vector<char>& object) -> Result<std::shared_ptr<JitModule>> {
        if (plan.not_runnable) return std::shared_ptr<JitModule>();
        return load_cpu_object(object, display);
    };
    // Only on a miss of the plan's own key: a warm native start pays nothing for the levels.
    auto levels = [&] {
        auto order = host_lookup_order(plan);
        order.erase(order.begin());
        return order;
    };
    return obtain<std::shared_ptr<JitModule>>(cache, plan.inputs, op, plan.metadata, compile, load,
                                              levels);
}

} // namespace be::detail
