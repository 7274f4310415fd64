// kernelctl commands that inspect and manage the kernel cache.
#include "kernelctl.h"

#include <becore/cache/kernel_cache.h>

#include <cstdio>
#include <iostream>

namespace kernelctl {

using nlohmann::json;

int cmd_path(be::Registry& registry) {
    auto dir = registry.cache().directory();
    std::cout << (dir.empty() ? "(in memory)" : dir.string()) << "\n";
    return 0;
}

int cmd_ls(be::Registry& registry, bool as_json) {
    json out = json::array();
    for (const auto& e : registry.cache().list())
        out.push_back({{"key", e.key},
                       {"backend", e.backend},
                       {"source", e.source_display},
                       {"target", e.target},
                       {"toolchain", e.toolchain},
                       {"bytes", e.size_bytes},
                       {"compile_seconds", e.compile_seconds},
                       {"created", e.created},
                       {"last_used", e.last_used},
                       {"hits", e.hits},
                       {"targets", e.metadata}});
    if (as_json) {
        print_json(out);
        return 0;
    }
    for (const auto& e : out)
        std::printf(
            "%s  %-4s %9llu B  %s  [%s]\n", e["key"].get<std::string>().substr(0, 16).c_str(),
            e["backend"].get<std::string>().c_str(),
            static_cast<unsigned long long>(e["bytes"].get<uint64_t>()),
            e["source"].get<std::string>().c_str(), e["targets"].get<std::string>().c_str());
    std::printf("%zu entries\n", out.size());
    return 0;
}

int cmd_clear(be::Registry& registry, bool dry_run) {
    auto freed = registry.cache().clear(dry_run);
    if (!freed) fail(k_exit_failed, freed.error().full());
    std::printf("%s %llu bytes\n", dry_run ? "would free" : "freed",
                static_cast<unsigned long long>(*freed));
    return 0;
}

} // namespace kernelctl
