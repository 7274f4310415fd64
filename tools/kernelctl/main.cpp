// kernelctl: manage becore's kernel cache and try kernels from the command line.
// A thin CLI over the registry and cache; exit codes: 0 success, 1 the work failed (compile
// error, kernel error), 2 the invocation or its input is invalid (usage, missing file).
#include "kernelctl.h"

#include <becore/runtime/cpu_target.h>

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

namespace kernelctl {

using nlohmann::json;
namespace fs = std::filesystem;

[[noreturn]] void fail(int code, std::string message) {
    throw Failure{code, std::move(message)};
}

void print_json(const json& document) {
    std::cout << document.dump(2) << "\n";
}

void require_exists(const fs::path& path) {
    if (!fs::exists(path)) fail(k_exit_invalid, path.string() + ": no such file or directory");
}

std::string check_cpu_target(const std::string& option) {
    if (!option.empty())
        if (auto parsed = be::parse_cpu_target(option); !parsed)
            fail(k_exit_invalid, "--cpu-target " + option + ": " + parsed.error().message);
    if (auto target = be::resolve_cpu_target(option); !target)
        fail(k_exit_invalid, target.error().message);
    return option;
}

std::string read_source(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) fail(k_exit_invalid, "cannot read " + file.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace kernelctl

using namespace kernelctl;

int main(int argc, char** argv) {
    CLI::App app{"kernelctl: build, inspect and call becore kernels; manage the kernel cache"};
    app.require_subcommand(1);
    bool as_json = false;

    auto* path = app.add_subcommand("path", "Print the cache directory");

    std::vector<std::string> target_files;
    auto* targets = app.add_subcommand("targets", "List the targets annotated in source files");
    targets->add_option("FILE", target_files, "Annotated .cpp or .cu files")
        ->required()
        ->check(CLI::ExistingFile);
    targets->add_flag("--json", as_json, "Print JSON");

    std::vector<std::string> build_inputs;
    std::string prefix;
    auto* build =
        app.add_subcommand("build", "Compile (or find in the cache) files or directories");
    build->add_option("INPUT", build_inputs, "Files or directories")->required();
    build->add_option("--prefix", prefix, "Target prefix (default: file stem / directory name)");
    std::string arch;
    build->add_option("--arch", arch,
                      "CUDA architecture for .cu files, e.g. sm_90 (without a device; default: "
                      "BECORE_CUDA_ARCH)");
    std::string build_device;
    build->add_option("--device", build_device,
                      "cuda-emu: build the CUDA emulation of .cu files now, instead of NVRTC's "
                      "binary (default: each file for its own device; the emulation is built on "
                      "first use)");
    std::string build_cpu_target;
    build->add_option("--cpu-target", build_cpu_target, k_cpu_target_help);
    build->add_flag("--json", as_json, "Print JSON");

    CallOptions call_options;
    auto* call =
        app.add_subcommand("call", "Call a target with .npy inputs; rets start zero-filled");
    call->add_option("FILE", call_options.file, "Annotated .cpp or .cu file")->required();
    call->add_option("NAME", call_options.name, "Annotation name (the file's prefix is implied)")
        ->required();
    call->add_option("--arg", call_options.args, "Input tensor (.npy), in order");
    call->add_option("--attr", call_options.attrs, "Attribute NAME=VALUE");
    call->add_option("--ret", call_options.rets, "Output SHAPE:DTYPE, e.g. 4x8:float32")
        ->required();
    call->add_option("--out", call_options.out_dir, "Output directory (created if missing)")
        ->required();
    call->add_flag("--json", call_options.as_json, "Print JSON");
    call->add_option("--cpu-target", call_options.cpu_target, k_cpu_target_help);
    call->add_option("--device", call_options.device,
                     "cpu, cuda (gpu) or cuda-emu (default: cuda for .cu files, else cpu); "
                     "cuda-emu runs a .cu file's kernels in the CUDA emulation, on the CPU");

    auto* report = app.add_subcommand("report", "What this process can run: devices, CUDA, cache");
    report->add_flag("--json", as_json, "Print JSON");

    auto* ls = app.add_subcommand("ls", "List cache entries");
    ls->add_flag("--json", as_json, "Print JSON");

    bool dry_run = false;
    auto* clear = app.add_subcommand("clear", "Remove every cache entry");
    clear->add_flag("--dry-run", dry_run, "Only say what would be removed");

    auto cache_commands = add_cache_commands(app);
    auto transfer_commands = add_transfer_commands(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? 0 : k_exit_invalid;
    }

    try {
        // Targets are parsed without the registry: listing them compiles nothing.
        if (*targets) return cmd_targets(target_files, as_json);
        auto& registry = be::Registry::global();
        if (*path) return cmd_path(registry);
        if (*build)
            return cmd_build(registry, build_inputs, prefix, arch, build_device, build_cpu_target,
                             as_json);
        if (*call) return cmd_call(registry, call_options);
        if (*report) return cmd_report(registry, as_json);
        if (*ls) return cmd_ls(registry, as_json);
        if (*clear) return cmd_clear(registry, dry_run);
        if (auto code = run_cache_command(*cache_commands, registry)) return *code;
        if (auto code = run_transfer_command(*transfer_commands, registry)) return *code;
    } catch (const Failure& f) {
        std::cerr << "kernelctl: " << f.message << "\n";
        return f.exit_code;
    } catch (const std::exception& e) {
        std::cerr << "kernelctl: " << e.what() << "\n";
        return k_exit_failed;
    }
    return k_exit_invalid;
}
