// The shared fixture of kernelctl's tests: a private cache directory, a work directory, and
// kernelctl run as a user runs it (stdout only for JSON: progress goes to stderr).
#pragma once

#include "test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace be::test {

class KernelctlFixture : public ::testing::Test {
  protected:
    TempDir cache, work;

    // `env` is extra VAR=value words placed before the command.
    CommandResult run(const std::string& arguments, const std::string& env = "") {
        return run_command(command(arguments, env));
    }
    nlohmann::json run_json(const std::string& arguments, int expected_exit = 0,
                            const std::string& env = "") {
        auto r = run_command("{ " + command(arguments, env) + " 2>/dev/null; }");
        EXPECT_EQ(r.exit_code, expected_exit) << arguments << ": " << r.output;
        try {
            return nlohmann::json::parse(r.output);
        } catch (const std::exception&) {
            ADD_FAILURE() << arguments << ": not JSON: " << r.output;
            return nullptr;
        }
    }

  private:
    std::string command(const std::string& arguments, const std::string& env) const {
        return "env BECORE_CACHE_DIR=" + cache.path().string() + " " + env + " " +
               (bin_dir() / "kernelctl").string() + " " + arguments;
    }
};

} // namespace be::test
