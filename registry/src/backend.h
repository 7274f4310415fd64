// The small internal interface between the registry (names, publishing, dispatch: registry.cpp,
// call.cpp) and the backends that turn one source file into target implementations:
//   cpu_loader.cpp   `.cpp` → clang (plugin) → object → ORC; entry trampolines
//   cuda_loader.cpp  `.cu`  → NVRTC → CUBIN + PTX → driver module; launches per launch clause
//   emu_loader.cpp   `.cu`  → the CUDA emulation (device cuda-emu): the same source compiled by
//                    the CPU backend's clang path (host_compile.cpp) on its first use, run by
//                    be::emulate_launch
// All follow the same cache protocol (obtain below).
#pragma once

#include <becore/cache/kernel_cache.h>
#include <becore/registry/launch.h>
#include <becore/registry/registry.h>
#include <becore/runtime/cpu_backend.h>
#include <becore/runtime/cuda_backend.h>
#include <becore/runtime/cuda_emu.h>
#include <becore/runtime/log.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace be::detail {

// One device implementation of a target.
class TargetImpl {
  public:
    virtual ~TargetImpl() = default;

    Device device = Device::cpu;
    std::string backend; // "cpu", "cuda" or "cuda-emu"
    Signature signature;
    std::string content_key; // identifies the compiled content, for "same content is a no-op"
    std::optional<Error> load_error;

    // Runs the implementation as target `target`: errors start with call_prefix(target).
    // params[i] points at the i-th parameter's value, validated and converted (entry.h's
    // convention, which is also cuLaunchKernel's); `device_index` is the index of the device the
    // tensors are on.
    virtual Result<void> invoke(const std::string& target, void* const* params, int64_t stream,
                                int device_index) const = 0;

    // What BE::cuda_launch needs of a `.cu` kernel; an error for any other implementation.
    virtual Result<CudaKernelRef> cuda_kernel(const std::string& target) const {
        return make_error(ErrorCode::invalid_argument, "'" + target + "' is not a .cu kernel");
    }
    // The same for a launch on cuda-emu tensors (the CUDA emulation); compiles it if needed.
    virtual Result<EmuKernelRef> emu_kernel(const std::string& target) const {
        return make_error(ErrorCode::not_found, "'" + target + "' has no CUDA emulation");
    }

    // ready: callable now; pending: compiled on its first use (the CUDA emulation, a `.cu`
    // target loaded with cuda_compile_on_use); failed: the load, or the deferred compile, failed.
    enum class State { ready, pending, failed };
    virtual State state() const { return load_error ? State::failed : State::ready; }

    // Readies the implementation for calls (prepare and call ask before anything else): a `.cu`
    // target loaded with cuda_compile_on_use compiles now, once. Its failure (the load's, or that
    // compile's, worded as a load's), nullptr when it can be called. The CUDA emulation is not
    // compiled here: its first launch does (emu_loader.cpp).
    virtual const Error* ensure_ready() const { return load_error ? &*load_error : nullptr; }
};

// "call(<target>): ", the start of a call's messages; formatted on failure only, so that a call
// allocates nothing for its messages.
inline std::string call_prefix(std::string_view target) {
    return "call(" + std::string(target) + "): ";
}

// One source file, parsed, as a backend receives it.
struct SourceUnit {
    std::filesystem::path path; // real path, or a virtual one beside the cwd for inline sources
    std::string display;        // the path for messages ("<inline name>" for inline sources)
    std::string op;             // message prefix, e.g. "load_cuda_file(k.cu)"
    std::string source;
    std::vector<Signature> signatures;
    LoadOptions options; // prefix resolved
};

// What building a source gave: one implementation per signature, in order. A failure or a
// deferral is also recorded as each implementation's load_error.
struct SourceBuild {
    std::vector<std::shared_ptr<TargetImpl>> impls;
    bool cache_hit = false;
    std::optional<Error> failure;
    std::optional<Error> deferred;
    std::string arch;
    std::optional<CompilePhases> phases; // compiled now (clang or NVRTC)
};

// A load up to publishing its targets (Registry::stage_source): parsed, checked against what is
// loaded, built. Staging is what costs (the compiles) and may run on any thread; Registry::commit
// publishes, in the order of the loads.
struct StagedLoad {
    std::optional<Result<LoadReport>> done; // finished unpublished: an error, or unchanged
    std::vector<std::shared_ptr<TargetImpl>> impls;
    LoadReport report; // milliseconds: staging's; commit adds its own
    std::string prefix;
    bool replace = false;
    std::vector<LoggedMessage> messages; // what staging logged (Registry::load_files)
};

inline StagedLoad staged_done(Result<LoadReport> result) {
    StagedLoad staged;
    staged.done = std::move(result);
    return staged;
}

class SourceLoader {
  public:
    virtual ~SourceLoader() = default;
    // The devices the implementations serve (one implementation per signature and device).
    virtual std::vector<Device> devices() const = 0;
    virtual std::string backend() const = 0;
    // Identifies what would be compiled; computed without compiling.
    virtual const std::string& content_key() const = 0;
    virtual SourceBuild build() = 0;
    // Whether build() compiles (or finds) the binary, rather than leaving it to the first use: a
    // load that compiles does not count implementations still pending as already loaded.
    virtual bool compiles_at_load() const { return true; }
};

// `.cpp` sources; `devices` is {cpu}, or {cuda, cuda-emu} for host orchestration of CUDA kernels
// (calls_cuda_launch): the same host code launches on either (BE::cuda_launch dispatches on the
// tensors' device).
std::unique_ptr<SourceLoader> make_cpu_loader(KernelCache& cache, const SourceUnit& unit,
                                              std::vector<Device> devices);
// With LoadOptions::cuda_compile_on_use the implementations hold the cache (they compile after
// the load, and may outlive the registry).
std::unique_ptr<SourceLoader> make_cuda_loader(std::shared_ptr<KernelCache> cache,
                                               const SourceUnit& unit);
// The CUDA emulation of a `.cu` source (device cuda-emu). Lazy: build() compiles nothing and the
// first use compiles (the implementations hold the cache, so they may outlive the registry).
// Eager: build() compiles, as for the other backends.
std::unique_ptr<SourceLoader> make_emu_loader(std::shared_ptr<KernelCache> cache,
                                              const SourceUnit& unit, bool eager);

// ---- Shared by the backends --------------------------------------------------------------------

// XXH3-128 over the prefix, the source text and the flags, as 32 hex digits.
std::string source_content_key(const CacheKeyInputs& inputs, const std::string& prefix);
// The cache entry's metadata: the target names "<prefix>.<name>", comma separated (what
// `kernelctl ls` shows and `kernelctl export --prefix` selects by). An entry serves every prefix
// its content is loaded under; it names the prefix of the load that compiled it.
std::string metadata_for(const std::string& prefix, const std::vector<Signature>& signatures);
// Marks every implementation with `error` (a failed or deferred build).
void fail_all(SourceBuild& build, const Error& error);
// A failed build: records `error` as its failure and every implementation's load error.
void fail_build(SourceBuild& build, Error error);

// Appends the implementation of one signature on one device, with the source's content key; the
// caller sets what its backend adds.
template <typename Impl>
std::shared_ptr<Impl> add_impl(SourceBuild& build, Device device, const char* backend,
                               const Signature& signature, const std::string& content_key) {
    auto impl = std::make_shared<Impl>();
    impl->device = device;
    impl->backend = backend;
    impl->signature = signature;
    impl->content_key = content_key;
    build.impls.push_back(impl);
    return impl;
}

// The geometry of a call to a `.cu` target (cuda and cuda-emu alike) from its launch clause and
// the call's marshalled params; the error starts with call_prefix(target).
inline Result<LaunchGeometry> call_geometry(std::string_view target, const Signature& signature,
                                            void* const* params) {
    if (!signature.launch)
        return make_error(ErrorCode::invalid_argument,
                          call_prefix(target) + "'" + signature.name +
                              "' has no launch clause; launch it with BE::cuda_launch from a .cpp "
                              "entry, or annotate it with launch(...)");
    auto geometry = evaluate_launch(*signature.launch, signature.params, params);
    if (!geometry)
        return make_error(geometry.error().code(), call_prefix(target) + geometry.error().message);
    return *geometry;
}

// Per parameter of a `.cu` target: -1 for a tensor, else the attr's DType code
// (CudaKernelRef::param_codes, EmuKernelRef::param_codes).
inline std::vector<int> launch_param_codes(const Signature& signature) {
    std::vector<int> codes;
    for (const auto& p : signature.params)
        codes.push_back(p.kind == ParamKind::attr ? static_cast<int>(*p.dtype) : -1);
    return codes;
}

// How long a load waits for another process compiling the same key before compiling itself.
constexpr std::chrono::seconds k_compile_lock_timeout{120};

struct CompiledBlob {
    std::vector<char> blob;
    std::vector<std::filesystem::path> headers_read; // for the cache's manifest
    double seconds = 0;
    std::optional<CompilePhases> phases; // clang's or NVRTC's; `store` is obtain()'s
};

template <typename Loaded> struct Obtained {
    Loaded value;
    bool cache_hit = false;
    std::optional<CompilePhases> phases; // compiled now (CompiledBlob::phases)
};

// The cache protocol every backend follows: look up; then the `fallbacks` (other inputs whose
// binary serves as well, e.g. a CPU level this CPU runs), in order; on a miss take the key's
// compile lock and look up `inputs` again (a process starting at the same time may have compiled
// it meanwhile); else compile, store and load. A load counts one hit or one miss: the first
// lookups count no miss, and a fallback's hit is a hit. A cached blob that does not load (`load`
// fails: a damaged object, a CUBIN the driver rejects) is logged and skipped.
//   compile: () → Result<CompiledBlob>      load: (const std::vector<char>&) → Result<Loaded>
//   fallbacks: () → std::vector<CacheKeyInputs>, called only when `inputs` misses
template <typename Loaded, typename Compile, typename Load>
Result<Obtained<Loaded>>
obtain(KernelCache& cache, const CacheKeyInputs& inputs, const std::string& op,
       const std::string& metadata, Compile&& compile, Load&& load,
       const std::function<std::vector<CacheKeyInputs>()>& fallbacks = {}) {
    auto from_cache = [&](std::optional<CacheHit> hit) -> std::optional<Loaded> {
        if (!hit) return std::nullopt;
        auto loaded = load(hit->blob);
        if (loaded) return std::move(loaded.value());
        log_warn(op + ": the cached binary did not load (" + loaded.error().message +
                 "); recompiling");
        return std::nullopt;
    };
    auto first = cache.lookup(inputs, /*count_miss=*/false);
    const bool unusable = first.has_value(); // found, yet it did not load: compile, don't retry it
    if (auto value = from_cache(std::move(first))) return Obtained<Loaded>{std::move(*value), true};
    if (fallbacks)
        for (const auto& other : fallbacks())
            if (auto value = from_cache(cache.lookup(other, /*count_miss=*/false)))
                return Obtained<Loaded>{std::move(*value), true};
    auto lock = cache.lock_for_compile(inputs, k_compile_lock_timeout);
    if (!unusable)
        if (auto value = from_cache(cache.lookup(inputs)))
            return Obtained<Loaded>{std::move(*value), true};
    Result<CompiledBlob> compiled = compile();
    if (!compiled) return compiled.error();
    const auto store_start = std::chrono::steady_clock::now();
    auto stored =
        cache.store(inputs, compiled->headers_read, compiled->blob, compiled->seconds, metadata);
    if (!stored) log_warn(op + ": not cached: " + stored.error().message);
    if (compiled->phases)
        compiled->phases->store =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - store_start).count();
    lock.release();
    auto loaded = load(compiled->blob);
    if (!loaded)
        return make_error(loaded.error().code(), op + ": " + loaded.error().message,
                          loaded.error().log);
    return Obtained<Loaded>{std::move(loaded.value()), false, compiled->phases};
}

// ---- The in-process clang path (host_compile.cpp), shared by cpu_loader and emu_loader ----------

// What a source compiled by the CPU backend's clang is: the request, and the cache key inputs
// computed from it without compiling (also what `kernelctl explain` shows, cache_inputs.h).
struct HostCompile {
    enum class Flavor {
        cpp, // a `.cpp` source + its entry trampolines; backend "cpu"
        emu, // a `.cu` source prepared for the CUDA emulation + its emulation trampolines, with
             // the emulation pre-include; backend "cuda-emu"
    };
    CpuCompileRequest request;
    CacheKeyInputs inputs;
    std::vector<Signature> signatures; // parsed with the path as the file, as the trampolines say
    // Set when the CPU level compiled for is one this CPU cannot run: the object is compiled (or
    // found) and cached, never loaded (it could stop the process with SIGILL).
    std::optional<Error> not_runnable;
    std::string metadata; // metadata_for(options.prefix, signatures)
};
// `path` is the source's real (or, inline, virtual) path; the annotations are parsed again
// with it as the file name (the trampolines' #line directives name it). Errors: an annotation
// error; for emu, a construct the emulation rejects (prepare_emulation_source, whose message
// names `display`, default the path); a bad CPU target (LoadOptions::cpu_target,
// BECORE_CPU_TARGET).
Result<HostCompile> plan_host_compile(const std::filesystem::path& path, const std::string& source,
                                      const LoadOptions& options, HostCompile::Flavor flavor,
                                      const std::string& display = {});
// The inputs a load looks up, in order: the plan's own, then — with the native setting — the
// same source compiled for each level this CPU runs, highest first (cpu_target.h).
std::vector<CacheKeyInputs> host_lookup_order(const HostCompile& plan);
// obtain() with the clang plugin as the compiler, ORC as the loader and host_lookup_order's
// levels as fallbacks; errors start with `op`. With plan.not_runnable the module is null: the
// object was found or compiled and stored, and not loaded.
Result<Obtained<std::shared_ptr<JitModule>>> obtain_host_module(KernelCache& cache,
                                                                const HostCompile& plan,
                                                                const std::string& op,
                                                                const std::string& display);

// Read access to a target's implementations for the registry's own translation units.
struct TargetAccess {
    static const std::vector<std::shared_ptr<const TargetImpl>>& impls(const Target& t) {
        return t.impls_;
    }
    static const Registry* registry(const Target& t) { return t.registry_; }
};

// The registry whose Target::call is running on this thread (nullptr outside calls), so that
// BE::cuda_launch resolves names in the registry of the calling kernel.
const Registry*& calling_registry();

} // namespace be::detail
