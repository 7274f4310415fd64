// runtime_report(): what this process can do — becore's version, the devices usable now, the
// CUDA backend's state (why there is no device, said once here rather than by every load), and
// the cache in use. `kernelctl report` prints it.
#pragma once

#include <becore/runtime/cuda_backend.h>

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace be {

class Registry;

struct RuntimeReport {
    std::string version;
    std::vector<std::string> devices; // "cpu", "cuda" when a CUDA device is present, "cuda-emu"
    std::string default_device;       // "cuda" when a device is present, else "cpu"
    std::string platform;             // kernel name, release and machine (uname)
    std::string cpu;                  // the CPU model (/proc/cpuinfo), cores online
    // What kernels compile for (BECORE_CPU_TARGET: "native" or a level), or why the setting is
    // invalid (cpu_target_error); and the x86-64 levels this CPU runs, highest first: the entries
    // a native lookup falls back to (becore/runtime/cpu_target.h).
    std::string cpu_target, cpu_target_error;
    std::vector<std::string> cpu_levels;
    // Versions of what decides results: becore, the kernel compiler toolchain (clang, libstdc++,
    // TBB), NVRTC when present.
    std::map<std::string, std::string> versions;
    struct Cuda {
        bool available = false;
        std::string reason; // why not, e.g. "cuInit failed with CUDA_ERROR_STUB_LIBRARY (34)..."
        std::string driver_library;
        std::vector<CudaDeviceInfo> devices;
        bool nvrtc_available = false;
        std::string nvrtc_version, nvrtc_library, nvrtc_reason;
    } cuda;
    std::string cache_directory; // empty when the cache is in memory
    std::string cache_warning;
    bool compiler_plugin_loaded = false; // libclang-cpp mapped into this process
};

RuntimeReport runtime_report(const Registry& registry);
RuntimeReport runtime_report(); // over Registry::global()

nlohmann::json to_json(const RuntimeReport& report);

} // namespace be
