// The CPU backend's loader: a `.cpp` source plus its generated entry trampolines → the kernel
// cache or the clang plugin → an object linked by ORC → one entry point per target (the compile
// path is host_compile.cpp, shared with the CUDA emulation's loader).
#include "backend.h"

#include <becore/registry/trampoline.h>

#include <be/entry.h>

namespace be::detail {
namespace {

class CpuImpl : public TargetImpl {
  public:
    using Entry = int (*)(void* const*, BE::detail::ErrorSink*);
    std::shared_ptr<JitModule> module; // keeps the code alive while the target is held
    Entry entry = nullptr;

    Result<void> invoke(const std::string& target, void* const* params, int64_t /*stream*/,
                        int /*device_index*/) const override {
        char message[4096]; // written only on failure: no 4 KiB clear per call
        message[0] = '\0';
        BE::detail::ErrorSink sink{message, sizeof message};
        if (entry(params, &sink) != 0)
            return make_error(ErrorCode::kernel_failed, call_prefix(target) + message);
        return {};
    }
};

class CpuLoader : public SourceLoader {
  public:
    CpuLoader(KernelCache& cache, const SourceUnit& unit, std::vector<Device> devices)
        : cache_(cache), unit_(unit), devices_(std::move(devices)) {
        // The same inputs `kernelctl explain` computes (cache_inputs.h), by construction.
        auto plan = plan_host_compile(unit.path, unit.source, unit.options,
                                      HostCompile::Flavor::cpp);
        if (!plan) {
            setup_error_ = make_error(plan.error().code(), unit.op + ": " + plan.error().message);
            plan_.inputs.backend = "cpu";
            plan_.inputs.source_text = unit.source;
        } else {
            plan_ = std::move(*plan);
        }
        plan_.inputs.source_display = unit.display;
        key_ = source_content_key(plan_.inputs, unit.options.prefix);
    }

    std::vector<Device> devices() const override { return devices_; }
    std::string backend() const override { return "cpu"; }
    const std::string& content_key() const override { return key_; }

    SourceBuild build() override {
        // One implementation per device and signature; those of one signature share the code.
        SourceBuild build;
        for (Device device : devices_)
            for (const auto& s : unit_.signatures)
                add_impl<CpuImpl>(build, device, "cpu", s, key_);
        if (setup_error_) {
            fail_build(build, *setup_error_);
            return build;
        }
        auto module = obtain_host_module(cache_, plan_, unit_.op, unit_.display);
        if (!module) {
            fail_build(build, module.error());
            return build;
        }
        build.cache_hit = module->cache_hit;
        build.phases = module->phases;
        if (plan_.not_runnable) { // compiled for a level this CPU cannot run: cached, not loaded
            build.deferred = make_error(plan_.not_runnable->code(),
                                        unit_.op + ": " + plan_.not_runnable->message);
            fail_all(build, *build.deferred);
            return build;
        }
        for (size_t i = 0; i < build.impls.size(); ++i) {
            auto symbol = module->value->symbol(
                entry_symbol(unit_.signatures[i % unit_.signatures.size()]));
            if (!symbol) {
                fail_build(build, make_error(symbol.error().code(),
                                             unit_.op + ": " + symbol.error().message));
                return build;
            }
            auto& impl = static_cast<CpuImpl&>(*build.impls[i]);
            impl.module = module->value;
            impl.entry = reinterpret_cast<CpuImpl::Entry>(*symbol);
        }
        return build;
    }

  private:
    KernelCache& cache_;
    const SourceUnit& unit_;
    std::vector<Device> devices_;
    HostCompile plan_;
    std::string key_;
    std::optional<Error> setup_error_;
};

} // namespace

std::unique_ptr<SourceLoader> make_cpu_loader(KernelCache& cache, const SourceUnit& unit,
                                              std::vector<Device> devices) {
    return std::make_unique<CpuLoader>(cache, unit, std::move(devices));
}

} // namespace be::detail
