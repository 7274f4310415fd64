// Shared by kernelctl's command files: exit codes and the error that carries one.
#pragma once

#include <becore/registry/registry.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace kernelctl {

constexpr int k_exit_failed = 1;  // the work failed: compile error, kernel error, corruption
constexpr int k_exit_invalid = 2; // the invocation or its input is invalid

// Thrown by a command; main() prints the message and exits with the code.
struct Failure {
    int exit_code;
    std::string message;
};

[[noreturn]] void fail(int code, std::string message);
void print_json(const nlohmann::json& document);
void require_exists(const std::filesystem::path& path);
std::string read_source(const std::filesystem::path& file);

// Kernel commands (kernel_commands.cpp).
int cmd_targets(const std::vector<std::string>& files, bool as_json);
// arch: the CUDA architecture for .cu files when no device is present ("" = BECORE_CUDA_ARCH).
// device: "" (each file for its own device) or "cuda-emu" (.cu files: the CUDA emulation, now).
int cmd_build(be::Registry& registry, const std::vector<std::string>& inputs,
              const std::string& prefix, const std::string& arch, const std::string& device,
              bool as_json);
struct CallOptions {
    std::string file, name, out_dir;
    std::string device; // "" = the file's: cuda for .cu and CUDA orchestration, else cpu;
                        // "cuda-emu": host arrays marked cuda-emu (.cu: the CUDA emulation)
    std::vector<std::string> args, attrs, rets;
    bool as_json = false;
};
int cmd_call(be::Registry& registry, const CallOptions& options);
// runtime_report(): version, devices, why there is no CUDA device, NVRTC, the cache.
int cmd_report(be::Registry& registry, bool as_json);

// Cache commands (cache_commands.cpp).
int cmd_path(be::Registry& registry);
int cmd_ls(be::Registry& registry, bool as_json);
int cmd_clear(be::Registry& registry, bool dry_run);
// stats, zero-stats, show, explain, verify, trim, evict: add_cache_commands registers them on
// the app, run_cache_command runs the one given (nullopt when none of them was).
struct CacheCommands;
std::shared_ptr<CacheCommands> add_cache_commands(CLI::App& app);
std::optional<int> run_cache_command(const CacheCommands& commands, be::Registry& registry);

} // namespace kernelctl
