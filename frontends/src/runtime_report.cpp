#include <becore/frontends/runtime_report.h>

#include <becore/cache/kernel_cache.h>
#include <becore/registry/registry.h>
#include <becore/runtime/cpu_backend.h>
#include <becore/runtime/cpu_target.h>

#include <oneapi/tbb/version.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>

namespace be {

namespace {

std::string platform_name() {
    utsname u{};
    if (uname(&u) != 0) return "unknown";
    return std::string(u.sysname) + " " + u.release + " " + u.machine;
}

std::string cpu_name() {
    std::ifstream in("/proc/cpuinfo");
    std::string line, model = "unknown CPU";
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            model = line.substr(line.find(':') + 2);
            break;
        }
    return model + ", " + std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " cores online";
}

} // namespace

RuntimeReport runtime_report(const Registry& registry) {
    RuntimeReport report;
    report.version = BECORE_VERSION;
    report.devices.push_back("cpu");
    const CudaStatus& cuda = cuda_status();
    if (cuda.available) report.devices.push_back("cuda");
    report.devices.push_back("cuda-emu"); // the CUDA emulation needs only the CPU backend
    report.default_device = cuda.available ? "cuda" : "cpu";
    report.platform = platform_name();
    report.cpu = cpu_name();
    if (auto target = resolve_cpu_target())
        report.cpu_target = *target;
    else
        report.cpu_target_error = target.error().message;
    report.cpu_levels = host_cpu_levels();
    report.versions["becore"] = BECORE_VERSION;
    report.versions["kernel_toolchain"] = cpu_toolchain_identity();
    report.versions["tbb"] = TBB_VERSION_STRING;
    report.cuda.available = cuda.available;
    report.cuda.reason = cuda.reason;
    report.cuda.driver_library = cuda.driver_library;
    report.cuda.devices = cuda.devices;
    const NvrtcStatus nvrtc = nvrtc_status();
    report.cuda.nvrtc_available = nvrtc.available;
    report.cuda.nvrtc_version = nvrtc.version;
    report.cuda.nvrtc_library = nvrtc.library;
    report.cuda.nvrtc_reason = nvrtc.reason;
    if (nvrtc.available) report.versions["nvrtc"] = nvrtc.version;
    report.cache_directory = registry.cache().directory().string();
    report.cache_warning = registry.cache().warning();
    report.compiler_plugin_loaded = compiler_plugin_loaded();
    return report;
}

RuntimeReport runtime_report() {
    return runtime_report(Registry::global());
}

nlohmann::json to_json(const RuntimeReport& r) {
    nlohmann::json devices = nlohmann::json::array();
    for (const auto& d : r.cuda.devices)
        devices.push_back({{"index", d.index}, {"name", d.name}, {"arch", d.arch}});
    return {{"version", r.version},
            {"devices", r.devices},
            {"available_devices", r.devices},
            {"default_device", r.default_device},
            {"platform", r.platform},
            {"cpu", r.cpu},
            {"cpu_target",
             r.cpu_target.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.cpu_target)},
            {"cpu_target_error", r.cpu_target_error.empty() ? nlohmann::json(nullptr)
                                                            : nlohmann::json(r.cpu_target_error)},
            {"cpu_levels", r.cpu_levels},
            {"versions", r.versions},
            {"cuda",
             {{"available", r.cuda.available},
              {"reason", r.cuda.reason},
              {"driver_library", r.cuda.driver_library},
              {"devices", devices},
              {"nvrtc",
               {{"available", r.cuda.nvrtc_available},
                {"version", r.cuda.nvrtc_version},
                {"library", r.cuda.nvrtc_library},
                {"reason", r.cuda.nvrtc_reason}}}}},
            {"cache", {{"directory", r.cache_directory}, {"warning", r.cache_warning}}},
            {"compiler_plugin_loaded", r.compiler_plugin_loaded}};
}

} // namespace be
