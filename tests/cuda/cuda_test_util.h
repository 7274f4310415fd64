// Shared by the CUDA backend's tests, which run against the fake driver (fake/fake_cuda.cpp):
// this test binary sets BECORE_LIBCUDA_PATH to it before anything loads a driver, so the host
// side of the CUDA path (contexts, modules, launches, copies) runs without a GPU.
#pragma once

#include "test_support.h"

#include <be/tensor.h>

#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace be::test {

inline const std::filesystem::path k_examples = BECORE_EXAMPLES_DIR;
inline const std::string k_fake_cuda = BECORE_FAKE_CUDA;

// The fake driver's log for one test: FAKE_CUDA_LOG points into a temp directory for the
// object's lifetime.
class FakeLog {
  public:
    FakeLog() : env_("FAKE_CUDA_LOG", (dir_ / "fake_cuda.log").string()) {}
    // Every logged call, or those named `call` ("cuLaunchKernel", ...), in order.
    std::vector<nlohmann::json> calls(const std::string& call = "") const {
        std::vector<nlohmann::json> out;
        std::error_code ec;
        if (!std::filesystem::exists(dir_ / "fake_cuda.log", ec)) return out;
        std::istringstream lines(read_file(dir_ / "fake_cuda.log"));
        std::string line;
        while (std::getline(lines, line)) {
            auto entry = nlohmann::json::parse(line);
            if (call.empty() || entry["call"] == call) out.push_back(entry);
        }
        return out;
    }
    void clear() { std::filesystem::remove(dir_ / "fake_cuda.log"); }

  private:
    TempDir dir_;
    ScopedEnv env_;
};

inline std::string bytes_hex(const void* data, size_t size) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i) {
        out += digits[p[i] >> 4];
        out += digits[p[i] & 15];
    }
    return out;
}
template <typename T> std::string value_hex(const T& value) {
    return bytes_hex(&value, sizeof value);
}
inline std::string zero_hex(size_t bytes) {
    return std::string(2 * bytes, '0');
}

// Runs kernelctl with extra environment assignments (e.g. "BECORE_LIBCUDA_PATH=/none").
inline CommandResult kernelctl(const std::filesystem::path& cache, const std::string& env,
                               const std::string& arguments) {
    return run_command("env BECORE_CACHE_DIR=" + cache.string() + " " + env + " " +
                       (bin_dir() / "kernelctl").string() + " " + arguments);
}

// The same with stderr discarded: stdout alone (a --json document).
inline CommandResult kernelctl_stdout(const std::filesystem::path& cache, const std::string& env,
                                      const std::string& arguments) {
    return run_command("{ env BECORE_CACHE_DIR=" + cache.string() + " " + env + " " +
                       (bin_dir() / "kernelctl").string() + " " + arguments + " 2>/dev/null; }");
}

} // namespace be::test
