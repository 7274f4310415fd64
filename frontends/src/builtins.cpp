#include <becore/frontends/builtins.h>
#include <becore/runtime/paths.h>

#include <mutex>

namespace be {

Registry& builtin_registry() {
    static std::once_flag once;
    static std::optional<Error> failure;
    Registry& registry = Registry::global();
    std::call_once(once, [&] {
        if (auto indexed = registry.load_dir_by_need(builtin_kernel_dir(), "be"); !indexed)
            failure = indexed.error();
    });
    if (failure)
        throw Exception(
            make_error(failure->code(), "builtin_registry: " + failure->message, failure->log));
    return registry;
}

void call_builtin(std::string_view name, std::span<const BE::Tensor> args,
                  std::span<BE::Tensor> rets, const AttrMap& attrs) {
    auto result = builtin_registry().call("be." + std::string(name), args, rets, attrs);
    if (!result) throw Exception(result.error());
}

} // namespace be
