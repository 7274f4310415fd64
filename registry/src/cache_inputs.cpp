// cpu_cache_inputs and emu_cache_inputs (cache_inputs.h). Both come from plan_host_compile
// (host_compile.cpp), which the CPU loader (cpu_loader.cpp) and the CUDA emulation's loader
// (emu_loader.cpp) build from too; a test (KernelctlCache.ExplainHitAfterBuild) checks that explain
// and the load agree, since an explain that disagreed with the load would send users after the
// wrong field.
#include "backend.h"

#include <becore/registry/cache_inputs.h>

namespace be {

Result<CacheKeyInputs> cpu_cache_inputs(const std::filesystem::path& file,
                                        const std::string& source, const LoadOptions& options) {
    auto plan = detail::plan_host_compile(file, source, options, detail::HostCompile::Flavor::cpp);
    if (!plan) return plan.error();
    return std::move(plan->inputs);
}

Result<std::vector<CacheKeyInputs>> cpu_cache_lookup_order(const std::filesystem::path& file,
                                                           const std::string& source,
                                                           const LoadOptions& options) {
    auto plan = detail::plan_host_compile(file, source, options, detail::HostCompile::Flavor::cpp);
    if (!plan) return plan.error();
    return detail::host_lookup_order(*plan);
}

Result<CacheKeyInputs> emu_cache_inputs(const std::filesystem::path& file,
                                        const std::string& source, const LoadOptions& options) {
    auto plan = detail::plan_host_compile(file, source, options, detail::HostCompile::Flavor::emu);
    if (!plan) return plan.error();
    return std::move(plan->inputs);
}

} // namespace be
