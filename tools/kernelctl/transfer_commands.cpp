// kernelctl export / import: move a warmed cache between machines through one file (format:
// cache/src/export_file.cpp). The cache does the work (KernelCache::export_to, read_export_file,
// import_entries); these functions parse, print and choose the exit code: 2 when the file to
// import is missing, refused or damaged (the input is invalid), 1 when the cache cannot take it.
#include "kernelctl.h"

#include <becore/cache/export_file.h>
#include <becore/cache/kernel_cache.h>
#include <becore/cache/units.h>
#include <becore/registry/cache_inputs.h>
#include <becore/runtime/cpu_target.h>
#include <becore/runtime/cuda_backend.h>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <set>

namespace kernelctl {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
using KeyFields = std::vector<std::pair<std::string, std::string>>;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Progress on stderr, at most twice a second and only once a run takes that long: stdout stays
// the report (or JSON).
std::function<void(uint64_t, uint64_t)> progress_printer(const char* command) {
    auto last = std::make_shared<Clock::time_point>(Clock::now());
    return [command, last](uint64_t done, uint64_t total) {
        if (Clock::now() - *last < std::chrono::milliseconds(500)) return;
        *last = Clock::now();
        std::fprintf(stderr, "kernelctl: %s: %llu of %llu entries\n", command,
                     static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
    };
}

std::string field_of(const KeyFields& fields, const std::string& name) {
    for (const auto& [key, value] : fields)
        if (key == name) return value;
    return {};
}

// Whether an entry with these key fields can hit in this process: the key fields this build
// would use for its backend, except the source and flags. CPU targets as a lookup tries them: the
// BECORE_CPU_TARGET level, or with native this CPU's model and then each level it runs. The CUDA
// architecture is device 0's (else BECORE_CUDA_ARCH); without NVRTC no CUDA entry is usable.
std::function<bool(const KeyFields&)> usable_here() {
    auto cpu = be::cpu_cache_inputs("probe.cpp", "", be::LoadOptions{});
    if (!cpu) fail(k_exit_invalid, cpu.error().full());
    auto fields = be::describe_key_fields(*cpu);
    std::set<std::string> cpu_targets{cpu->target};
    if (auto setting = be::resolve_cpu_target(); setting && *setting == be::k_cpu_native)
        for (const auto& level : be::host_cpu_levels())
            cpu_targets.insert(be::cpu_target_description(level));
    std::optional<std::string> nvrtc, arch;
    if (auto identity = be::cuda_toolchain_identity()) nvrtc = *identity;
    if (auto resolved = be::resolve_cuda_arch(""); resolved && resolved->has_value())
        arch = **resolved;
    return [fields, cpu_targets, nvrtc, arch](const KeyFields& entry) {
        for (const char* name : {"format", "becore_version", "kernel_headers_hash", "salt"})
            if (field_of(entry, name) != field_of(fields, name)) return false;
        if (field_of(entry, "backend") == "cuda")
            return nvrtc && arch && field_of(entry, "toolchain") == *nvrtc &&
                   field_of(entry, "target") == *arch;
        return field_of(entry, "toolchain") == field_of(fields, "toolchain") &&
               cpu_targets.count(field_of(entry, "target")) != 0;
    };
}

int cmd_export(be::Registry& registry, const std::string& file, const std::string& prefix,
               const std::string& cpu_target, bool as_json) {
    const auto start = Clock::now();
    be::ExportOptions options;
    options.prefix = prefix;
    options.all_cpu_targets = cpu_target == "all";
    options.progress = progress_printer("export");
    auto report = registry.cache().export_to(file, options);
    if (!report) fail(k_exit_failed, report.error().full());
    const double seconds = seconds_since(start);
    if (as_json) {
        print_json({{"file", file},
                    {"entries", report->entries},
                    {"payload_bytes", report->payload_bytes},
                    {"file_bytes", report->file_bytes},
                    {"skipped_native", report->skipped_native},
                    {"skipped_prefix", report->skipped_prefix},
                    {"seconds", seconds}});
        return 0;
    }
    std::printf("exported %llu entries (%s) to %s in %.2f s\n",
                static_cast<unsigned long long>(report->entries),
                be::format_size(report->file_bytes).c_str(), file.c_str(), seconds);
    if (report->skipped_native > 0)
        std::printf("left out %llu CPU entries compiled for this CPU's model, which would hit only "
                    "on the same model: rebuild them with BECORE_CPU_TARGET=portable, or export "
                    "them anyway with --cpu-target all\n",
                    static_cast<unsigned long long>(report->skipped_native));
    if (report->skipped_prefix > 0)
        std::printf("left out %llu entries of other prefixes than '%s'\n",
                    static_cast<unsigned long long>(report->skipped_prefix), prefix.c_str());
    return 0;
}

int cmd_import(be::Registry& registry, const std::string& file, bool trust, bool as_json) {
    const auto start = Clock::now();
    auto entries = be::read_export_file(file, trust);
    if (!entries) fail(k_exit_invalid, "import: " + entries.error().full() + "; nothing imported");
    be::ImportOptions options;
    options.usable_here = usable_here();
    options.progress = progress_printer("import");
    auto report = registry.cache().import_entries(*entries, options);
    if (!report) fail(k_exit_failed, report.error().full());
    const double seconds = seconds_since(start);
    if (as_json) {
        print_json({{"file", file},
                    {"entries", report->entries},
                    {"imported", report->imported},
                    {"already_present", report->already_present},
                    {"matching_this_machine", report->matching},
                    {"bytes", report->bytes},
                    {"seconds", seconds}});
        return 0;
    }
    std::printf("imported %llu of %llu entries (%s) in %.2f s; %llu were already present\n",
                static_cast<unsigned long long>(report->imported),
                static_cast<unsigned long long>(report->entries),
                be::format_size(report->bytes).c_str(), seconds,
                static_cast<unsigned long long>(report->already_present));
    std::printf("%llu of them match this machine; the others are for another CPU, GPU "
                "architecture, toolchain or becore version and stay unused here\n",
                static_cast<unsigned long long>(report->matching));
    return 0;
}

} // namespace

struct TransferCommands {
    CLI::App *export_ = nullptr, *import = nullptr;
    std::string file, prefix, cpu_target = "portable";
    bool trust = false, as_json = false;
};

std::shared_ptr<TransferCommands> add_transfer_commands(CLI::App& app) {
    auto c = std::make_shared<TransferCommands>();
    c->export_ = app.add_subcommand(
        "export", "Write cache entries and their compiled binaries to FILE, to import elsewhere");
    c->export_->add_option("FILE", c->file, "The export file (replaced atomically)")->required();
    c->export_->add_option("--prefix", c->prefix,
                           "Only entries of targets loaded under this prefix (e.g. be)");
    c->export_
        ->add_option("--cpu-target", c->cpu_target,
                     "portable (default): CPU entries only when compiled for a portable "
                     "level (BECORE_CPU_TARGET); all: also those for this CPU's model")
        ->check(CLI::IsMember({"portable", "all"}));
    c->export_->add_flag("--json", c->as_json, "Print JSON");
    c->export_->footer("The file holds compiled kernels, executable code: it is written with mode "
                       "0600; hand it only to whom you would give a program.\n");
    c->import = app.add_subcommand(
        "import", "Add the entries of an export FILE to the cache; entries for another CPU, GPU "
                  "architecture or toolchain are kept but never used here");
    c->import->add_option("FILE", c->file, "The export file")->required();
    c->import->add_flag("--trust", c->trust,
                        "Import a file not owned by you or root, or writable by others");
    c->import->add_flag("--json", c->as_json, "Print JSON");
    c->import->footer(
        "A cache holds executable code: importing a file runs its binaries in every process that "
        "loads those kernels. Import only files from a source you trust. Without --trust the file "
        "must be owned by you or root and writable by nobody else. A damaged or truncated file is "
        "an error naming what is wrong (exit 2), and nothing is imported.\n");
    return c;
}

std::optional<int> run_transfer_command(const TransferCommands& c, be::Registry& registry) {
    if (*c.export_) return cmd_export(registry, c.file, c.prefix, c.cpu_target, c.as_json);
    if (*c.import) return cmd_import(registry, c.file, c.trust, c.as_json);
    return std::nullopt;
}

} // namespace kernelctl
