// The CUDA emulation's loader (device cuda-emu): a `.cu` source prepared for emulation
// (prepare_emulation_source) plus its emulation trampolines → the kernel cache or the clang
// plugin, with the emulation pre-include (host_compile.cpp, the CPU backend's path) → an object
// linked by ORC → one EmuKernelBody per target, run by be::emulate_launch with the geometry of the
// launch clause (becore/runtime/cuda_emu.h describes the execution model).
//
// When it compiles: a `.cu` load registers the cuda-emu implementations without compiling them
// (lazy), so loading a `.cu` file costs one compile, NVRTC's, and a process that never emulates
// never compiles the emulation. The first use — a call on cuda-emu tensors, BE::cuda_launch of the
// kernel on them — compiles the whole source once, under a mutex, and every target of the source
// shares the result; a failure too, which every later use reports (loading the file again retries).
// LoadOptions::emulation_only makes the load itself compile it (eager), as `kernelctl build
// --device cuda-emu` and `kernelctl call --device cuda-emu` do.
//
// Cache key: backend "cuda-emu" (an entry never collides with the `.cpp` path's "cpu" entries),
// the prepared text + trampolines, cpu_compile_flags (`-x c++`, `-include be/cuda_emu.h`), the CPU
// target and toolchain, becore's kernel-headers hash (be/cuda_emu*.h are among the headers it
// covers) and the user headers through the manifest. Of the load's flags, which are NVRTC's, only
// -D/-U/-I reach clang (host_compile.cpp).
#include "backend.h"

#include <becore/registry/trampoline.h>

#include <atomic>
#include <mutex>

namespace be::detail {
namespace {

// One `.cu` source's emulation, shared by its implementations (and kept alive by them: it holds
// the cache, which the registry may no longer hold when a lazy build runs).
class EmuSource {
  public:
    EmuSource(std::shared_ptr<KernelCache> cache, const SourceUnit& unit)
        : cache_(std::move(cache)), op_(unit.op), display_(unit.display) {
        auto plan = plan_host_compile(unit.path, unit.source, unit.options,
                                      HostCompile::Flavor::emu, unit.display);
        if (!plan) {
            // A construct the emulation rejects is this backend's failure alone: the source
            // still loads for cuda. It is reported when the emulation is used.
            error_ = make_error(plan.error().code(), op_ + ": " + plan.error().message);
            plan_.inputs.backend = "cuda-emu";
            plan_.inputs.source_text = unit.source;
            plan_.inputs.flags = unit.options.flags;
            attempted_ = true;
            state_ = TargetImpl::State::failed;
        } else {
            plan_ = std::move(*plan);
        }
        plan_.inputs.source_display = unit.display;
        key_ = source_content_key(plan_.inputs, unit.options.prefix);
    }

    const std::string& key() const { return key_; }
    // After ensure(): found or compiled, and cached, for a CPU level this CPU cannot run, so not
    // loaded (what was asked, not a failure).
    bool cached_only() const { return cached_only_; }

    // Compiles (or finds in the cache) and loads the object, once. `cache_hit` tells how, and
    // `phases` where the time went when it compiled.
    Result<void> ensure(bool* cache_hit = nullptr, std::optional<CompilePhases>* phases = nullptr) {
        std::lock_guard lock(mutex_);
        if (!attempted_) {
            attempted_ = true;
            auto module = obtain_host_module(*cache_, plan_, op_, display_);
            if (module) phases_ = module->phases;
            if (!module) {
                error_ = module.error();
            } else if (plan_.not_runnable) { // cached for a level this CPU cannot run
                hit_ = module->cache_hit;
                cached_only_ = true;
                error_ = make_error(plan_.not_runnable->code(),
                                    op_ + ": " + plan_.not_runnable->message);
            } else {
                hit_ = module->cache_hit;
                for (const auto& s : plan_.signatures) {
                    auto symbol = module->value->symbol(emu_entry_symbol(s));
                    if (!symbol) {
                        error_ =
                            make_error(symbol.error().code(), op_ + ": " + symbol.error().message);
                        bodies_.clear();
                        break;
                    }
                    bodies_.push_back(reinterpret_cast<EmuKernelBody>(*symbol));
                }
                if (!error_) module_ = module->value;
            }
            state_ = error_ ? TargetImpl::State::failed : TargetImpl::State::ready;
        }
        if (cache_hit) *cache_hit = hit_;
        if (phases) *phases = phases_;
        if (error_) return *error_;
        return {};
    }

    // The body of the index-th target (annotation order), compiling first if needed.
    Result<EmuKernelBody> body(size_t index) {
        if (auto ready = ensure(); !ready) return ready.error();
        return bodies_.at(index);
    }

    // Without waiting for a build in progress (pending until it ends).
    TargetImpl::State state() const { return state_.load(); }

  private:
    std::shared_ptr<KernelCache> cache_;
    std::string op_, display_;
    HostCompile plan_;
    std::string key_;
    std::mutex mutex_;
    std::atomic<TargetImpl::State> state_{TargetImpl::State::pending};
    bool attempted_ = false, hit_ = false, cached_only_ = false;
    std::optional<CompilePhases> phases_;
    std::optional<Error> error_;
    std::shared_ptr<JitModule> module_; // keeps the bodies' code loaded
    std::vector<EmuKernelBody> bodies_;
};

class EmuImpl : public TargetImpl {
  public:
    std::shared_ptr<EmuSource> source;
    size_t index = 0;   // of the signature in the source
    std::string target; // full name, for emulate_launch's messages

    Result<void> invoke(const std::string& name, void* const* params, int64_t /*stream*/,
                        int /*device_index*/) const override {
        auto geometry = call_geometry(name, signature, params);
        if (!geometry) return geometry.error();
        auto body = emulation(name);
        if (!body) return body.error();
        // As on cuda, a launch with nothing to do is skipped after the checks above.
        if (geometry->blocks == 0) return {};
        EmuLaunch launch;
        launch.grid = {geometry->blocks, 1, 1};
        launch.block = {geometry->block, 1, 1};
        launch.dynamic_shared_bytes = geometry->shared_bytes;
        auto ran = emulate_launch(launch, target, *body, params);
        if (!ran) return make_error(ran.error().code(), call_prefix(name) + ran.error().message);
        return {};
    }

    Result<EmuKernelRef> emu_kernel(const std::string& name) const override {
        auto body = emulation(""); // the launch names itself
        if (!body) return body.error();
        EmuKernelRef ref;
        ref.target = name;
        ref.body = *body;
        ref.owner = source;
        ref.param_codes = launch_param_codes(signature);
        return ref;
    }

    State state() const override {
        return load_error ? State::failed : source->state();
    }

  private:
    // The body, compiling the source's emulation on first use; errors start with
    // call_prefix(name) if a name is given.
    Result<EmuKernelBody> emulation(std::string_view name) const {
        // Formatted on failure only: a prepared call's invoke allocates nothing.
        auto prefix = [name] { return name.empty() ? std::string() : call_prefix(name); };
        if (load_error)
            return make_error(load_error->code(),
                              prefix() +
                                  "the target is unavailable on cuda-emu because its source "
                                  "failed to load: " +
                                  load_error->message,
                              load_error->log);
        auto body = source->body(index);
        if (!body)
            return make_error(body.error().code(),
                              prefix() +
                                  "the target is unavailable on cuda-emu because its CUDA "
                                  "emulation failed to build: " +
                                  body.error().message,
                              body.error().log);
        return *body;
    }
};

class EmuLoader : public SourceLoader {
  public:
    EmuLoader(std::shared_ptr<KernelCache> cache, const SourceUnit& unit, bool eager)
        : unit_(unit), eager_(eager),
          source_(std::make_shared<EmuSource>(std::move(cache), unit)) {}

    std::vector<Device> devices() const override { return {Device::cuda_emu}; }
    std::string backend() const override { return "cuda-emu"; }
    const std::string& content_key() const override { return source_->key(); }
    bool compiles_at_load() const override { return eager_; }

    SourceBuild build() override {
        SourceBuild build;
        for (size_t i = 0; i < unit_.signatures.size(); ++i) {
            auto impl = add_impl<EmuImpl>(build, Device::cuda_emu, "cuda-emu", unit_.signatures[i],
                                          source_->key());
            impl->source = source_;
            impl->index = i;
            impl->target = unit_.options.prefix + "." + unit_.signatures[i].name;
        }
        if (!eager_) return build;
        auto ready = source_->ensure(&build.cache_hit, &build.phases);
        if (ready) return build;
        if (source_->cached_only()) {
            build.deferred = ready.error();
            fail_all(build, ready.error());
        } else {
            fail_build(build, ready.error());
        }
        return build;
    }

  private:
    const SourceUnit& unit_;
    bool eager_;
    std::shared_ptr<EmuSource> source_;
};

} // namespace

std::unique_ptr<SourceLoader> make_emu_loader(std::shared_ptr<KernelCache> cache,
                                              const SourceUnit& unit, bool eager) {
    return std::make_unique<EmuLoader>(std::move(cache), unit, eager);
}

} // namespace be::detail
