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
// A --cpu-target option (empty: BECORE_CPU_TARGET's), checked before anything loads: a bad value
// there or in the environment is an invalid invocation. Returns the option as given.
std::string check_cpu_target(const std::string& option);
inline constexpr const char* k_cpu_target_help =
    "CPU to compile .cpp kernels and the CUDA emulation for: native, portable (= x86-64-v3), "
    "x86-64-v2, x86-64-v3 or x86-64-v4 (default: BECORE_CPU_TARGET, else native). A level this "
    "CPU cannot run is compiled and cached, not loaded";

// Kernel commands (kernel_commands.cpp).
int cmd_targets(const std::vector<std::string>& files, bool as_json);
// arch: the CUDA architecture for .cu files when no device is present ("" = BECORE_CUDA_ARCH).
// device: "" (each file for its own device) or "cuda-emu" (.cu files: the CUDA emulation, now).
// cpu_target: "" (BECORE_CPU_TARGET, else native) or what --cpu-target says.
int cmd_build(be::Registry& registry, const std::vector<std::string>& inputs,
              const std::string& prefix, const std::string& arch, const std::string& device,
              const std::string& cpu_target, bool as_json);
struct CallOptions {
    std::string file, name, out_dir;
    std::string device;     // "" = the file's: cuda for .cu and CUDA orchestration, else cpu;
                            // "cuda-emu": host arrays marked cuda-emu (.cu: the CUDA emulation)
    std::string cpu_target; // "" = BECORE_CPU_TARGET, else native
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

// export, import (transfer_commands.cpp).
struct TransferCommands;
std::shared_ptr<TransferCommands> add_transfer_commands(CLI::App& app);
std::optional<int> run_transfer_command(const TransferCommands& commands, be::Registry& registry);

} // namespace kernelctl
