// Header-only helpers for tests that run becore processes side by side: start a program with
// extra environment variables (output to a file), wait for it, kill it, and read what a
// becore_probe printed. Header-only so every suite can use it without a build change.
#pragma once

#include "test_support.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <optional>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace be::test {

// Starts `argv[0]` (a path) with the current environment plus `env` ("NAME=VALUE", overriding),
// stdout and stderr to `output`. Returns the pid, or -1.
inline pid_t spawn_process(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env,
                           const std::filesystem::path& output) {
    std::vector<std::string> environment;
    for (char** e = environ; *e != nullptr; ++e) {
        std::string entry = *e;
        bool overridden = false;
        for (const auto& mine : env)
            overridden |= entry.compare(0, mine.find('=') + 1, mine, 0, mine.find('=') + 1) == 0;
        if (!overridden) environment.push_back(entry);
    }
    environment.insert(environment.end(), env.begin(), env.end());
    std::vector<char*> argv_ptrs, env_ptrs;
    std::vector<std::string> args = argv;
    for (auto& a : args)
        argv_ptrs.push_back(a.data());
    argv_ptrs.push_back(nullptr);
    for (auto& e : environment)
        env_ptrs.push_back(e.data());
    env_ptrs.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = -1;
    int rc =
        posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv_ptrs.data(), env_ptrs.data());
    posix_spawn_file_actions_destroy(&actions);
    return rc == 0 ? pid : -1;
}

// The exit status as a shell reports it: the exit code, or 128 + the signal.
inline int wait_process(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The JSON line a becore_probe printed last, or nullopt (it crashed or was killed first).
inline std::optional<nlohmann::json> probe_result(const std::string& output) {
    auto brace = output.rfind("{\"hits\"");
    if (brace == std::string::npos) return std::nullopt;
    try {
        return nlohmann::json::parse(output.substr(brace, output.find('\n', brace) - brace));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

inline std::filesystem::path probe_binary() {
    return bin_dir() / "becore_probe";
}
inline std::filesystem::path kernelctl_binary() {
    return bin_dir() / "kernelctl";
}

// Writes `count` tiny annotated kernels (k0.cpp, k1.cpp, ...) into `dir`; each compiles in a
// few hundredths of a second, so process-level tests stay fast. `variant` changes their content.
inline std::vector<std::filesystem::path> write_tiny_kernels(const std::filesystem::path& dir,
                                                             int count, int variant = 0) {
    std::vector<std::filesystem::path> files;
    for (int i = 0; i < count; ++i) {
        auto file = dir / ("k" + std::to_string(i) + ".cpp");
        write_file(file, "// @BE k" + std::to_string(i) + "\nvoid k" + std::to_string(i) +
                             "(BE::Tensor& o) { o.data_ptr<float>()[0] = " +
                             std::to_string(i + variant) + "; }\n");
        files.push_back(file);
    }
    return files;
}

// Lines of `text` containing `needle`.
inline int count_lines_with(const std::string& text, const std::string& needle) {
    int count = 0;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        if (text.substr(start, end - start).find(needle) != std::string::npos) ++count;
        start = end + 1;
    }
    return count;
}

// True when this process may create mount namespaces (root with CAP_SYS_ADMIN, as in CI).
inline std::optional<std::string> mount_namespace_unavailable() {
    if (geteuid() != 0)
        return "not root: read-only and full directories need a private mount namespace";
    auto probe = run_command("unshare -m true");
    if (probe.exit_code != 0) return "unshare -m is not permitted here: " + probe.output;
    return std::nullopt;
}

} // namespace be::test
