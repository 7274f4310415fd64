// kernelctl commands that inspect and manage the kernel cache: path, ls, clear, and (registered
// by add_cache_commands) stats, zero-stats, show, explain, verify, trim, evict. The work is done
// by KernelCache; these functions parse, print and choose the exit code.
#include "kernelctl.h"

#include <becore/cache/kernel_cache.h>
#include <becore/cache/units.h>
#include <becore/registry/cache_inputs.h>
#include <becore/runtime/cpu_target.h>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>
#include <sstream>

namespace kernelctl {

using nlohmann::json;
namespace fs = std::filesystem;

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
    for (const auto& e : out) {
        // A CUDA entry is per architecture: show it (its key field "target" is "sm_XX").
        std::string backend = e["backend"].get<std::string>();
        if (backend == "cuda") backend += " " + e["target"].get<std::string>();
        std::printf(
            "%s  %-10s %9llu B  %s  [%s]\n", e["key"].get<std::string>().substr(0, 16).c_str(),
            backend.c_str(), static_cast<unsigned long long>(e["bytes"].get<uint64_t>()),
            e["source"].get<std::string>().c_str(), e["targets"].get<std::string>().c_str());
    }
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

namespace {

std::string local_time(int64_t unix_seconds) {
    if (unix_seconds <= 0) return "-";
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    localtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
    return text;
}

json pairs_json(const std::vector<std::pair<std::string, std::string>>& pairs) {
    json out = json::array();
    for (const auto& [name, value] : pairs)
        out.push_back({{"name", name}, {"value", value}});
    return out;
}

json headers_json(const std::string& manifest) {
    json out = json::array();
    std::istringstream lines(manifest);
    std::string line;
    while (std::getline(lines, line)) {
        auto tab1 = line.find('\t'), tab2 = line.rfind('\t');
        if (tab1 == std::string::npos || tab1 == tab2) continue;
        out.push_back({{"root", std::stoi(line.substr(0, tab1))},
                       {"path", line.substr(tab1 + 1, tab2 - tab1 - 1)},
                       {"hash", line.substr(tab2 + 1)}});
    }
    return out;
}

json evict_json(const be::EvictReport& r) {
    return {{"entries_removed", r.entries_removed}, {"bytes_freed", r.bytes_freed},
            {"orphans_removed", r.orphans_removed}, {"temp_files_removed", r.temp_files_removed},
            {"entries_busy", r.entries_busy},       {"bytes", r.bytes}};
}

int print_evict(const be::Result<be::EvictReport>& result, bool as_json) {
    if (!result) fail(k_exit_failed, result.error().full());
    const be::EvictReport* report = &result.value();
    if (as_json) {
        print_json(evict_json(*report));
        return 0;
    }
    std::printf("removed %llu entries (%s)",
                static_cast<unsigned long long>(report->entries_removed),
                be::format_size(report->bytes_freed).c_str());
    if (report->orphans_removed + report->temp_files_removed > 0)
        std::printf(", %llu orphan blobs, %llu temp files",
                    static_cast<unsigned long long>(report->orphans_removed),
                    static_cast<unsigned long long>(report->temp_files_removed));
    if (report->entries_busy > 0)
        std::printf(", skipped %llu being rebuilt",
                    static_cast<unsigned long long>(report->entries_busy));
    std::printf("; the cache now takes %s\n", be::format_size(report->bytes).c_str());
    return 0;
}

int cmd_stats(be::Registry& registry, bool as_json) {
    auto& cache = registry.cache();
    auto s = cache.stats();
    json layers = json::array();
    for (const auto& layer : cache.layers())
        layers.push_back({{"directory", layer.directory.string()},
                          {"usable", layer.usable},
                          {"reason", layer.reason},
                          {"entries", layer.entries},
                          {"bytes", layer.bytes}});
    json out = {
        {"directory", cache.persistent() ? json(cache.directory().string()) : json(nullptr)},
        {"writable", cache.writable()},
        {"entries", s.entries},
        {"bytes", s.bytes},
        {"max_size", cache.max_size()},
        {"hits", s.hits},
        {"misses", s.misses},
        {"compiles", s.compiles},
        {"corrupt_recovered", s.corrupt_recovered},
        {"compile_seconds_saved", s.compile_seconds_saved},
        {"layers", layers}};
    if (as_json) {
        print_json(out);
        return 0;
    }
    std::printf("cache directory      %s%s\n",
                cache.persistent() ? cache.directory().c_str() : "(in memory)",
                cache.persistent() && !cache.writable() ? " (read-only)" : "");
    std::printf("entries              %llu (%s of %s)\n",
                static_cast<unsigned long long>(s.entries), be::format_size(s.bytes).c_str(),
                be::format_size(cache.max_size()).c_str());
    std::printf("hits                 %llu\n", static_cast<unsigned long long>(s.hits));
    std::printf("misses               %llu\n", static_cast<unsigned long long>(s.misses));
    std::printf("compiles             %llu\n", static_cast<unsigned long long>(s.compiles));
    std::printf("corrupt recovered    %llu\n",
                static_cast<unsigned long long>(s.corrupt_recovered));
    std::printf("compile time saved   %.1f s\n", s.compile_seconds_saved);
    for (const auto& layer : layers)
        std::printf("read-only layer      %s: %s\n", layer["directory"].get<std::string>().c_str(),
                    layer["usable"].get<bool>()
                        ? (std::to_string(layer["entries"].get<uint64_t>()) + " entries, " +
                           be::format_size(layer["bytes"].get<uint64_t>()))
                              .c_str()
                        : ("not used: " + layer["reason"].get<std::string>()).c_str());
    return 0;
}

int cmd_zero_stats(be::Registry& registry) {
    if (auto ok = registry.cache().zero_stats(); !ok) fail(k_exit_failed, ok.error().full());
    std::printf("statistics zeroed\n");
    return 0;
}

int cmd_show(be::Registry& registry, const std::string& key, bool as_json) {
    auto detail = registry.cache().show(key);
    if (!detail) fail(k_exit_invalid, detail.error().full());
    const auto& e = detail->info;
    json out = {{"key", e.key},
                {"source", e.source_display},
                {"targets", e.metadata},
                {"backend", e.backend},
                {"target", e.target},
                {"toolchain", e.toolchain},
                {"bytes", e.size_bytes},
                {"checksum", detail->checksum},
                {"compile_seconds", e.compile_seconds},
                {"created", e.created},
                {"last_used", e.last_used},
                {"hits", e.hits},
                {"blob", detail->blob_path.string()},
                {"layer", detail->layer.string()},
                {"direct_key", detail->direct_key},
                {"fields", pairs_json(detail->fields)},
                {"headers", headers_json(detail->headers)}};
    if (as_json) {
        print_json(out);
        return 0;
    }
    std::printf("key            %s\n", e.key.c_str());
    std::printf("source         %s  [%s]\n", e.source_display.c_str(), e.metadata.c_str());
    std::printf("size           %s (checksum %s)\n", be::format_size(e.size_bytes).c_str(),
                detail->checksum.c_str());
    std::printf("compiled in    %.3f s\n", e.compile_seconds);
    std::printf("created        %s\n", local_time(e.created).c_str());
    std::printf("last used      %s (kept to the hour)\n", local_time(e.last_used).c_str());
    std::printf("hits           %llu\n", static_cast<unsigned long long>(e.hits));
    std::printf("blob           %s\n", detail->blob_path.c_str());
    std::printf("key fields (direct key %s):\n", detail->direct_key.c_str());
    for (const auto& [name, value] : detail->fields)
        std::printf("  %-20s %s\n", name.c_str(), value.c_str());
    const auto& headers = out["headers"];
    std::printf("headers read:%s\n", headers.empty() ? " none" : "");
    for (const auto& h : headers)
        std::printf("  %s  (root %d) %s\n", h["hash"].get<std::string>().c_str(),
                    h["root"].get<int>(), h["path"].get<std::string>().c_str());
    return 0;
}

int cmd_explain(be::Registry& registry, const std::string& file, const std::string& cpu_target,
                bool as_json) {
    require_exists(file);
    // The CUDA backend builds its keys itself (architecture, NVRTC identity); only .cpp for now.
    if (fs::path(file).extension() != ".cpp")
        fail(k_exit_invalid, "explain: " + file + ": only .cpp sources are explained");
    be::LoadOptions options;
    options.cpu_target = check_cpu_target(cpu_target);
    auto order = be::cpu_cache_lookup_order(file, read_source(file), options);
    if (!order) fail(k_exit_invalid, order.error().full());
    // As a load: the first of its keys that hits; on a miss of all, the first (what a load
    // compiles) compared with the nearest entry.
    std::optional<be::CacheExplanation> found;
    json tried = json::array();
    for (const auto& inputs : *order) {
        found = registry.cache().explain(inputs);
        tried.push_back(inputs.target);
        if (found->hit) break;
    }
    const bool hit = found->hit;
    be::CacheExplanation x = hit ? std::move(*found) : registry.cache().explain(order->front());
    json differences = json::array();
    for (const auto& d : x.differences)
        differences.push_back({{"field", d.field}, {"ours", d.ours}, {"theirs", d.theirs}});
    json out = {{"file", file},
                {"tried_targets", tried},
                {"direct_key", x.direct_key},
                {"fields", pairs_json(x.fields)},
                {"status", x.hit ? "hit" : "miss"},
                {"key", x.key.empty() ? json(nullptr) : json(x.key)},
                {"layer", x.hit ? json(x.layer.string()) : json(nullptr)},
                {"blob_problem", x.blob_problem.empty() ? json(nullptr) : json(x.blob_problem)},
                {"nearest", x.hit || x.nearest_key.empty() ? json(nullptr)
                                                           : json{{"key", x.nearest_key},
                                                                  {"source", x.nearest_source},
                                                                  {"differences", differences}}}};
    if (as_json) {
        print_json(out);
        return 0;
    }
    std::printf("%s\ndirect key %s, from:\n", file.c_str(), x.direct_key.c_str());
    for (const auto& [name, value] : x.fields)
        std::printf("  %-20s %s\n", name.c_str(), value.c_str());
    if (x.hit) {
        std::printf("hit: entry %s in %s\n", x.key.c_str(),
                    x.layer.empty() ? "memory" : x.layer.c_str());
        if (tried.size() > 1)
            std::printf("(the native key missed; this entry is for a CPU level this CPU runs)\n");
        return 0;
    }
    if (tried.size() > 1) {
        std::printf("also tried, for the CPU levels this CPU runs:\n");
        for (size_t i = 1; i < tried.size(); ++i)
            std::printf("  target %s\n", tried[i].get<std::string>().c_str());
    }
    if (!x.blob_problem.empty())
        std::printf("miss: entry %s matches but its blob is rejected (%s)\n", x.key.c_str(),
                    x.blob_problem.c_str());
    else
        std::printf("miss\n");
    if (x.nearest_key.empty()) {
        std::printf("the cache holds no entry to compare with\n");
        return 0;
    }
    std::printf("nearest entry %s (%s) differs in:\n", x.nearest_key.c_str(),
                x.nearest_source.c_str());
    for (const auto& d : x.differences)
        std::printf("  %s\n    now:   %s\n    entry: %s\n", d.field.c_str(), d.ours.c_str(),
                    d.theirs.c_str());
    return 0;
}

int cmd_verify(be::Registry& registry, bool fix, bool as_json) {
    using Clock = std::chrono::steady_clock;
    auto last = Clock::now();
    be::VerifyOptions options;
    options.fix = fix;
    options.progress = [&](uint64_t done, uint64_t total) {
        // Progress on stderr, at most twice a second and only once a run takes that long:
        // stdout stays the report (or JSON).
        if (Clock::now() - last < std::chrono::milliseconds(500)) return;
        last = Clock::now();
        std::fprintf(stderr, "kernelctl: verify: %llu of %llu items checked\n",
                     static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
    };
    auto report = registry.cache().verify(options);
    if (!report) fail(k_exit_failed, report.error().full());
    json findings = json::array();
    for (const auto& f : report->findings)
        findings.push_back({{"kind", f.kind},
                            {"key", f.key.empty() ? json(nullptr) : json(f.key)},
                            {"path", f.path.string()},
                            {"detail", f.detail},
                            {"fixed", f.fixed}});
    const bool clean = report->clean();
    if (as_json) {
        print_json({{"entries", report->entries},
                    {"blobs_ok", report->blobs_ok},
                    {"findings", findings},
                    {"clean", clean}});
    } else {
        for (const auto& f : report->findings)
            std::printf("%-16s %s%s\n  %s\n", f.kind.c_str(),
                        f.key.empty() ? f.path.c_str() : f.key.c_str(), f.fixed ? "  (fixed)" : "",
                        f.detail.c_str());
        std::printf("%llu entries, %llu blobs good, %zu findings%s\n",
                    static_cast<unsigned long long>(report->entries),
                    static_cast<unsigned long long>(report->blobs_ok), report->findings.size(),
                    report->findings.empty() ? ""
                    : clean                  ? ", all fixed"
                    : fix                    ? ", some could not be fixed"
                                             : "; run `kernelctl verify --fix` to repair");
    }
    return clean ? 0 : k_exit_failed;
}

} // namespace

struct CacheCommands {
    CLI::App *stats = nullptr, *zero_stats = nullptr, *show = nullptr, *explain = nullptr,
             *verify = nullptr, *trim = nullptr, *evict = nullptr;
    bool as_json = false, fix = false, stale = false;
    std::string key, file, max_size, older_than, cpu_target;
};

std::shared_ptr<CacheCommands> add_cache_commands(CLI::App& app) {
    auto c = std::make_shared<CacheCommands>();
    c->stats = app.add_subcommand("stats", "Cache statistics: entries, hits, misses, compiles");
    c->stats->add_flag("--json", c->as_json, "Print JSON");
    c->zero_stats = app.add_subcommand(
        "zero-stats", "Zero the counters (hits, misses, compiles, ...); entries stay");
    c->show = app.add_subcommand("show", "Everything stored about one cache entry");
    c->show->add_option("KEY", c->key, "Entry key or a unique prefix of it")->required();
    c->show->add_flag("--json", c->as_json, "Print JSON");
    c->explain = app.add_subcommand(
        "explain", "The cache key of a file's load, and on a miss what differs from the nearest "
                   "entry");
    c->explain->add_option("FILE", c->file, "Annotated .cpp file")->required();
    c->explain->add_option("--cpu-target", c->cpu_target, k_cpu_target_help);
    c->explain->add_flag("--json", c->as_json, "Print JSON");
    c->verify = app.add_subcommand(
        "verify", "Check every entry and look for leftovers; exit 1 if anything is wrong");
    c->verify->add_flag("--fix", c->fix, "Repair what is found (an unreadable blob is kept)");
    c->verify->add_flag("--json", c->as_json, "Print JSON");
    c->trim = app.add_subcommand(
        "trim", "Evict least recently used entries down to a size; remove old leftovers");
    c->trim->add_option("--max-size", c->max_size, "Size bound, e.g. 500M or 2G")->required();
    c->trim->add_flag("--json", c->as_json, "Print JSON");
    c->evict = app.add_subcommand("evict", "Remove entries unused for a while, or stale ones");
    auto* older = c->evict->add_option("--older-than", c->older_than,
                                       "Entries not used for this long, e.g. 30d or 12h");
    auto* stale = c->evict->add_flag(
        "--stale", c->stale, "Entries whose toolchain or format no longer matches this becore");
    older->excludes(stale);
    stale->excludes(older);
    c->evict->add_flag("--json", c->as_json, "Print JSON");
    return c;
}

std::optional<int> run_cache_command(const CacheCommands& c, be::Registry& registry) {
    if (*c.stats) return cmd_stats(registry, c.as_json);
    if (*c.zero_stats) return cmd_zero_stats(registry);
    if (*c.show) return cmd_show(registry, c.key, c.as_json);
    if (*c.explain) return cmd_explain(registry, c.file, c.cpu_target, c.as_json);
    if (*c.verify) return cmd_verify(registry, c.fix, c.as_json);
    if (*c.trim) {
        auto size = be::parse_size(c.max_size);
        if (!size) fail(k_exit_invalid, "--max-size: " + size.error().message);
        return print_evict(registry.cache().trim(*size), c.as_json);
    }
    if (*c.evict) {
        if (c.stale) {
            // What this build would put in a key today; an entry that differs can never hit.
            // (The CPU target is no criterion: entries of every target stay valid.)
            be::LoadOptions native;
            native.cpu_target = be::k_cpu_native;
            auto current = be::cpu_cache_inputs("stale-check.cpp", "", native);
            if (!current) fail(k_exit_failed, current.error().full());
            // Preludes (docs/toolchain.md) are keyed by the same toolchain and headers.
            return print_evict(
                registry.cache().evict_stale(
                    {{current->backend, current->toolchain, current->kernel_headers_hash},
                     {"prelude", current->toolchain, current->kernel_headers_hash}}),
                c.as_json);
        }
        if (c.older_than.empty())
            fail(k_exit_invalid, "evict: give --older-than DURATION or --stale");
        auto age = be::parse_duration(c.older_than);
        if (!age) fail(k_exit_invalid, "--older-than: " + age.error().message);
        return print_evict(registry.cache().evict_older_than(*age), c.as_json);
    }
    return std::nullopt;
}

} // namespace kernelctl
