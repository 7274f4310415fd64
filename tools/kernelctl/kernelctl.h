// Shared by kernelctl's command files: exit codes and the error that carries one.
#pragma once

#include <becore/registry/registry.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

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
int cmd_build(be::Registry& registry, const std::vector<std::string>& inputs,
              const std::string& prefix, bool as_json);
struct CallOptions {
    std::string file, name, out_dir;
    std::vector<std::string> args, attrs, rets;
    bool as_json = false;
};
int cmd_call(be::Registry& registry, const CallOptions& options);

// Cache commands (cache_commands.cpp).
int cmd_path(be::Registry& registry);
int cmd_ls(be::Registry& registry, bool as_json);
int cmd_clear(be::Registry& registry, bool dry_run);

} // namespace kernelctl
