#include <becore/frontends/builtins.h>
#include <becore/runtime/paths.h>

#include <mutex>

namespace be {

Registry& builtin_registry() {
    static std::once_flag once;
    static std::optional<Error> failure;
    Registry& registry = Registry::global();
    std::call_once(once, [&] {
        auto reports = registry.load_dir(builtin_kernel_dir(), "be");
        if (!reports) {
            failure = reports.error();
            return;
        }
        for (const auto& report : *reports)
            if (report.error) {
                failure = *report.error;
                return;
            }
    });
    if (failure) throw Exception(make_error("builtin_registry: " + failure->message, failure->log));
    return registry;
}

void call_builtin(std::string_view name, std::span<const BE::Tensor> args,
                  std::span<BE::Tensor> rets, const AttrMap& attrs) {
    auto result = builtin_registry().call("be." + std::string(name), args, rets, attrs);
    if (!result) throw Exception(result.error());
}

} // namespace be
