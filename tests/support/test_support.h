// Small helpers shared by every test suite: temporary directories, environment overrides,
// file I/O and running a subprocess.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <becore/runtime/error.h>

namespace be::test {

// The message of the be::Exception that f() throws; empty when it throws none.
template <typename F> std::string error_of(F&& f) {
    try {
        f();
    } catch (const Exception& e) {
        return e.what();
    }
    return "";
}

// A fresh directory under $TMPDIR (or /tmp), removed with its content on destruction.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

// Sets (or, with nullopt, unsets) an environment variable for the scope's lifetime.
class ScopedEnv {
  public:
    ScopedEnv(std::string name, std::optional<std::string> value);
    ~ScopedEnv();
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    std::string name_;
    std::optional<std::string> previous_;
};

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& content);

struct CommandResult {
    int exit_code = -1;
    std::string output; // stdout and stderr together
};
// Runs `command` with /bin/sh and captures its output.
CommandResult run_command(const std::string& command);

// The directory holding becore's executables (kernelctl, ...).
std::filesystem::path bin_dir();

} // namespace be::test
