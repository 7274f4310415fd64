// The CUDA backend's loader: a `.cu` source → the kernel cache or NVRTC (CUBIN + PTX for the
// target architecture, one name expression per target) → a driver module on device 0 when a
// device is present → one launchable entry per target.
//
// Without a device the binary is still compiled and cached (kernelctl build --arch works
// offline); calling then says there is no CUDA device. Without an architecture (no device, no
// BECORE_CUDA_ARCH, no --arch) nothing is compiled: the targets are registered with a deferred
// error that calls report.
//
// When it compiles: a load compiles the whole file, one program with every target's name
// expression, so that its compile errors show at load and a file's headers (cub) are parsed
// once. With LoadOptions::cuda_compile_on_use (the built-ins, loaded by need) the load only
// looks up the whole file's entry (kernelctl build --arch makes it), and on a miss leaves each
// name expression to compile on its first use (ensure_ready: prepare, call, BE::cuda_launch),
// once per process under a mutex and once across processes under the cache's compile lock, as
// a program of its own with its own cache entry. NVVM and ptxas time is linear in the kernels
// compiled (jitc.cu: 66 kernels, 40 s at sm_80, one of them 0.5 s), while the front end, parsed
// again per kernel, is small for the built-ins.
//
// Cache key: backend "cuda", the program text NVRTC compiles (pre-include, #line, rewritten
// includes), cuda_compile_flags (the name expressions compiled: all of the file's, or one),
// target "sm_XX", toolchain "nvrtc <major>.<minor>;<hash of libnvrtc>", becore's kernel-headers
// hash, and the user headers through the manifest. Blob: pack_cuda_binary
// (runtime/src/cuda_binary.cpp).
#include "backend.h"
#include "kernel_headers.h"

#include <becore/registry/launch.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>

namespace be::detail {
namespace {

// Where a target's kernel is: the module holding it (null without a device) and its entry.
struct CudaEntry {
    std::shared_ptr<CudaModule> module;
    std::string lowered_name;
};

// A source as NVRTC compiles it, shared by the loader and by the compiles on first use (which
// may outlive the loader and the registry: it holds the cache).
struct CudaSource {
    std::shared_ptr<KernelCache> cache;
    std::string op;      // "load_cuda_file(<file>)": the messages' start
    std::string display; // the path, for the driver's messages
    std::string prefix;
    std::vector<Signature> signatures;
    CudaCompileRequest request; // every name expression of the source
    CudaProgram program;
    CacheKeyInputs inputs; // of the whole source
};

// "compile_cuda(<file>:<line>): <error>" → "load_cuda_file(<file>:<line>): compilation failed:
// <error>", so the message starts with the user's operation and points at the line.
Error retag(const std::string& op, const Error& error) {
    const std::string verb = op.substr(0, op.find('('));
    const std::string prefix = "compile_cuda(";
    const size_t close = error.message.find("): ");
    if (error.message.rfind(prefix, 0) == 0 && close != std::string::npos)
        return make_error(ErrorCode::compile_failed,
                          verb + "(" + error.message.substr(prefix.size(), close - prefix.size()) +
                              "): compilation failed: " + error.message.substr(close + 3),
                          error.log);
    return make_error(ErrorCode::compile_failed, op + ": compilation failed: " + error.message,
                      error.log);
}

// What loading one blob gives: the binary, and its module when a device is present.
struct LoadedBinary {
    std::shared_ptr<const CudaBinary> binary;
    std::shared_ptr<CudaModule> module;
};

// Unpacks a blob that must hold the `expressions`, and loads it on device 0 when one is present.
Result<LoadedBinary> load_binary(const CudaSource& source, const std::vector<char>& blob,
                                 const std::vector<std::string>& expressions) {
    auto unpacked = unpack_cuda_binary(blob);
    if (!unpacked) return unpacked.error();
    auto binary = std::make_shared<const CudaBinary>(std::move(*unpacked));
    for (const auto& expression : expressions)
        if (!binary->lowered_names.count(expression))
            return make_error(ErrorCode::not_found,
                              "the binary has no entry for '" + expression + "'");
    LoadedBinary loaded{binary, nullptr};
    if (!cuda_status().available) return loaded;
    auto module = load_cuda_module(binary, source.display, 0);
    if (!module) return module.error();
    loaded.module = *module;
    return loaded;
}

// The cache protocol (obtain) for `request`, the source's or one name expression's; errors
// start with the source's op.
Result<Obtained<LoadedBinary>> obtain_binary(const CudaSource& source,
                                             const CudaCompileRequest& request,
                                             const CacheKeyInputs& inputs,
                                             const std::string& metadata) {
    auto compile = [&]() -> Result<CompiledBlob> {
        auto compiled = compile_cuda(request, source.program);
        if (!compiled) return retag(source.op, compiled.error());
        if (!compiled->diagnostics.empty()) log_info(source.op + ": " + compiled->diagnostics);
        return CompiledBlob{pack_cuda_binary(compiled->binary), source.program.user_headers,
                            compiled->seconds, compiled->phases};
    };
    auto load = [&](const std::vector<char>& blob) {
        return load_binary(source, blob, request.name_expressions);
    };
    return obtain<LoadedBinary>(*source.cache, inputs, source.op, metadata, compile, load);
}

// One name expression compiled on its first use, for the targets that name it.
class OnUseCompile {
  public:
    OnUseCompile(std::shared_ptr<const CudaSource> source, std::string expression)
        : source_(std::move(source)), expression_(std::move(expression)) {}

    // Compiles (or finds in the cache) and loads the expression's binary, once; its failure.
    const Error* ensure() {
        if (state_.load(std::memory_order_acquire) == TargetImpl::State::pending) {
            std::lock_guard lock(mutex_);
            if (state_.load(std::memory_order_relaxed) == TargetImpl::State::pending) run();
        }
        return error_ ? &*error_ : nullptr;
    }
    // After ensure() succeeded.
    const CudaEntry& entry() const { return entry_; }
    // Without waiting for a compile in progress (pending until it ends).
    TargetImpl::State state() const { return state_.load(std::memory_order_acquire); }

  private:
    void run() {
        CudaCompileRequest request = source_->request;
        request.name_expressions = {expression_};
        CacheKeyInputs inputs = source_->inputs;
        inputs.flags = cuda_compile_flags(request);
        std::vector<Signature> named;
        for (const auto& s : source_->signatures)
            if (s.function == expression_) named.push_back(s);
        auto loaded =
            obtain_binary(*source_, request, inputs, metadata_for(source_->prefix, named));
        if (loaded)
            entry_ = {loaded->value.module, loaded->value.binary->lowered_names.at(expression_)};
        else
            error_ = loaded.error();
        state_.store(error_ ? TargetImpl::State::failed : TargetImpl::State::ready,
                     std::memory_order_release);
    }

    std::shared_ptr<const CudaSource> source_;
    std::string expression_;
    std::mutex mutex_;
    std::atomic<TargetImpl::State> state_{TargetImpl::State::pending};
    // Written once under mutex_ before state_ leaves pending; read after that without it.
    std::optional<Error> error_;
    CudaEntry entry_;
};

class CudaImpl : public TargetImpl {
  public:
    CudaEntry entry;                      // loaded with the source, or
    std::shared_ptr<OnUseCompile> on_use; // compiled on first use (cuda_compile_on_use)

    Result<void> invoke(const std::string& target, void* const* params, int64_t stream,
                        int device_index) const override {
        auto geometry = call_geometry(target, signature, params);
        if (!geometry) return geometry.error();
        if (const Error* failed = ensure_ready())
            return make_error(failed->code(),
                              call_prefix(target) +
                                  "the target is unavailable because its source failed to load: " +
                                  failed->message,
                              failed->log);
        const CudaEntry& kernel = ready_entry();
        if (auto ready = usable(kernel); !ready)
            return make_error(ready.error().code(), call_prefix(target) + ready.error().message);
        auto function = kernel.module->function(kernel.lowered_name, device_index);
        if (!function)
            return make_error(function.error().code(),
                              call_prefix(target) + function.error().message, function.error().log);
        // CUDA rejects an empty grid; a launch with nothing to do is skipped, after the checks
        // above so that a call on empty tensors fails exactly where a full one would.
        if (geometry->blocks == 0) return {};
        CudaLaunchConfig config;
        config.grid[0] = geometry->blocks;
        config.block[0] = geometry->block;
        config.shared_bytes = geometry->shared_bytes;
        config.stream = stream;
        config.device = device_index;
        auto launched = cuda_launch_function(*function, config, const_cast<void**>(params));
        if (!launched)
            return make_error(launched.error().code(),
                              call_prefix(target) + launched.error().message);
        return {};
    }

    Result<CudaKernelRef> cuda_kernel(const std::string& target) const override {
        CudaKernelRef ref;
        ref.target = target;
        ref.param_codes = launch_param_codes(signature);
        if (const Error* failed = ensure_ready()) {
            ref.unavailable = "unavailable because its source failed to load: " + failed->message;
            return ref;
        }
        const CudaEntry& kernel = ready_entry();
        ref.module = kernel.module;
        ref.lowered_name = kernel.lowered_name;
        if (auto ready = usable(kernel); !ready) ref.unavailable = ready.error().message;
        return ref;
    }

    State state() const override {
        if (load_error) return State::failed;
        return on_use ? on_use->state() : State::ready;
    }

    const Error* ensure_ready() const override {
        if (load_error) return &*load_error;
        return on_use ? on_use->ensure() : nullptr;
    }

  private:
    // After ensure_ready() succeeded.
    const CudaEntry& ready_entry() const { return on_use ? on_use->entry() : entry; }

    static Result<void> usable(const CudaEntry& kernel) {
        if (kernel.module) return {};
        const CudaStatus& status = cuda_status();
        return make_error(ErrorCode::unavailable, status.available
                                                      ? "the kernel's module is not loaded"
                                                      : "no CUDA device: " + status.reason);
    }
};

class CudaLoader : public SourceLoader {
  public:
    CudaLoader(std::shared_ptr<KernelCache> cache, const SourceUnit& unit)
        : unit_(unit), source_(std::make_shared<CudaSource>()) {
        source_->cache = std::move(cache);
        source_->op = unit.op;
        source_->display = unit.display;
        source_->prefix = unit.options.prefix;
        source_->signatures = unit.signatures;
        CacheKeyInputs& inputs = source_->inputs;
        inputs.backend = "cuda";
        inputs.source_text = unit.source;
        inputs.source_display = unit.display;
        auto arch = resolve_cuda_arch(unit.options.cuda_arch);
        if (!arch) {
            setup_error_ = make_error(arch.error().code(), unit.op + ": " + arch.error().message);
        } else if (!*arch) {
            // The reason there is no device is said once elsewhere (runtime_report, kernelctl).
            deferred_ = make_error(ErrorCode::unavailable,
                                   unit.op + ": no CUDA architecture: there is no CUDA device to "
                                             "take it from; set BECORE_CUDA_ARCH or pass --arch "
                                             "(e.g. kernelctl build --arch sm_90)");
        } else {
            prepare(**arch);
        }
        key_ = source_content_key(inputs, unit.options.prefix);
    }

    std::vector<Device> devices() const override { return {Device::cuda}; }
    std::string backend() const override { return "cuda"; }
    const std::string& content_key() const override { return key_; }
    bool compiles_at_load() const override { return !unit_.options.cuda_compile_on_use; }

    SourceBuild build() override {
        SourceBuild build;
        build.arch = source_->request.arch;
        for (const auto& s : unit_.signatures)
            add_impl<CudaImpl>(build, Device::cuda, "cuda", s, key_);
        if (setup_error_) {
            fail_build(build, *setup_error_);
            return build;
        }
        if (deferred_) {
            build.deferred = deferred_;
            fail_all(build, *deferred_);
            return build;
        }
        if (unit_.options.cuda_compile_on_use) {
            if (!whole_source_cached(build)) compile_on_use(build);
            return build;
        }
        auto loaded = obtain_binary(*source_, source_->request, source_->inputs,
                                    metadata_for(unit_.options.prefix, unit_.signatures));
        if (!loaded) {
            fail_build(build, loaded.error());
            return build;
        }
        build.cache_hit = loaded->cache_hit;
        build.phases = loaded->phases;
        set_entries(build, loaded->value);
        return build;
    }

  private:
    void prepare(const std::string& arch) {
        CudaCompileRequest& request = source_->request;
        request.path = unit_.path;
        request.source = unit_.source;
        for (const auto& dir : unit_.options.include_dirs)
            request.include_dirs.push_back(std::filesystem::absolute(dir));
        request.extra_flags = unit_.options.flags;
        for (const auto& s : unit_.signatures)
            if (std::find(request.name_expressions.begin(), request.name_expressions.end(),
                          s.function) == request.name_expressions.end())
                request.name_expressions.push_back(s.function);
        request.arch = arch;
        auto program = prepare_cuda_program(request);
        if (!program) {
            setup_error_ =
                make_error(program.error().code(), unit_.op + ": " + program.error().message);
            return;
        }
        source_->program = std::move(*program);
        auto identity = cuda_toolchain_identity();
        if (!identity) {
            setup_error_ =
                make_error(identity.error().code(), unit_.op + ": " + identity.error().message);
            return;
        }
        CacheKeyInputs& inputs = source_->inputs;
        inputs.source_text = source_->program.text;
        inputs.flags = cuda_compile_flags(request);
        inputs.target = arch;
        inputs.toolchain = *identity;
        inputs.kernel_headers_hash = kernel_headers_hash();
        inputs.include_roots.push_back(unit_.path.parent_path());
        for (const auto& dir : request.include_dirs)
            inputs.include_roots.push_back(dir);
    }

    // A load that compiles on use still takes the whole source's entry when the cache has it
    // (lookup only): every target is then ready with one module. True when it did.
    bool whole_source_cached(SourceBuild& build) const {
        auto hit = source_->cache->lookup(source_->inputs, /*count_miss=*/false);
        if (!hit) return false;
        auto loaded = load_binary(*source_, hit->blob, source_->request.name_expressions);
        if (!loaded) {
            log_warn(unit_.op + ": the cached binary did not load (" + loaded.error().message +
                     "); its targets compile on first use");
            return false;
        }
        build.cache_hit = true;
        set_entries(build, *loaded);
        return true;
    }

    // One OnUseCompile per name expression, shared by the targets naming it.
    void compile_on_use(SourceBuild& build) const {
        std::map<std::string, std::shared_ptr<OnUseCompile>> by_expression;
        for (auto& impl : build.impls) {
            auto& compile = by_expression[impl->signature.function];
            if (!compile)
                compile = std::make_shared<OnUseCompile>(source_, impl->signature.function);
            static_cast<CudaImpl&>(*impl).on_use = compile;
        }
    }

    static void set_entries(SourceBuild& build, const LoadedBinary& loaded) {
        for (auto& impl : build.impls)
            static_cast<CudaImpl&>(*impl).entry = {
                loaded.module, loaded.binary->lowered_names.at(impl->signature.function)};
    }

    const SourceUnit& unit_;
    std::shared_ptr<CudaSource> source_;
    std::string key_;
    std::optional<Error> setup_error_, deferred_;
};

} // namespace

std::unique_ptr<SourceLoader> make_cuda_loader(std::shared_ptr<KernelCache> cache,
                                               const SourceUnit& unit) {
    return std::make_unique<CudaLoader>(std::move(cache), unit);
}

} // namespace be::detail
