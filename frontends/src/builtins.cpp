#include <becore/frontends/builtins.h>
#include <becore/runtime/paths.h>

#include <atomic>
#include <mutex>

namespace be {

Registry& builtin_registry() {
    static std::mutex mutex;
    static std::atomic<uint64_t> indexed{0}; // the generation of the registry indexed
    static std::optional<Error> failure;
    Registry& registry = Registry::global();
    const uint64_t generation = Registry::global_generation();
    if (indexed.load(std::memory_order_acquire) != generation) {
        std::lock_guard lock(mutex);
        if (indexed.load(std::memory_order_relaxed) != generation) {
            failure.reset();
            if (auto done = registry.load_dir_by_need(builtin_kernel_dir(), "be"); !done)
                failure = done.error();
            indexed.store(generation, std::memory_order_release);
        }
    }
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
