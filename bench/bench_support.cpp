#include "bench_support.h"

#include <becore/runtime/cpu_backend.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sys/utsname.h>
#include <thread>

namespace be::bench {

nlohmann::json machine_info() {
    std::string cpu = "unknown";
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);)
        if (line.rfind("model name", 0) == 0) {
            cpu = line.substr(line.find(':') + 2);
            break;
        }
    uint64_t memory_kb = 0;
    std::ifstream meminfo("/proc/meminfo");
    for (std::string key; meminfo >> key;) {
        if (key == "MemTotal:") {
            meminfo >> memory_kb;
            break;
        }
        meminfo.ignore(1 << 10, '\n');
    }
    utsname uts{};
    uname(&uts);
    return {{"cpu", cpu},
            {"cores", std::thread::hardware_concurrency()},
            {"memory_bytes", memory_kb * 1024},
            {"os", std::string(uts.sysname) + " " + uts.release},
            {"target", cpu_target_description()}};
}

nlohmann::json toolchain_info() {
    return {{"kernels", cpu_toolchain_identity()},
            {"host_compiler", std::string("g++ ") + __VERSION__}};
}

uint64_t peak_rss_bytes() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
    return 0;
}

double median(std::vector<double> values) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    size_t n = values.size();
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double median_seconds(double budget, int max_reps, const std::function<void()>& run) {
    run();
    std::vector<double> times;
    const auto begin = Clock::now();
    while (static_cast<int>(times.size()) < max_reps &&
           (times.size() < 3 || seconds_since(begin) < budget)) {
        const auto start = Clock::now();
        run();
        times.push_back(seconds_since(start));
    }
    return median(times);
}

double ns_per_call(const std::function<void()>& run, int batch, double budget) {
    for (int i = 0; i < batch; ++i) // warm: first-use work, caches, the branch predictor
        run();
    const double seconds = median_seconds(budget, 1000, [&] {
        for (int i = 0; i < batch; ++i)
            run();
    });
    return seconds / batch * 1e9;
}

namespace {
[[gnu::noinline]] void empty_function_impl(void*) {}
} // namespace
void (*volatile empty_function)(void*) = empty_function_impl;

PreparedCall prepare_noop(Registry& registry) {
    registry
        .load_cpp_inline("bench_support_noop", R"(
            // @BE noop
            void noop(const BE::Tensor& x, BE::Tensor& y, int64_t step) {}
        )",
                         "bench_support")
        .value();
    const DType f32[] = {DType::float32};
    return registry.prepare("bench_support.noop", Device::cpu, f32, f32, {{"step", int64_t{0}}})
        .value();
}

HostArray random_spikes(int64_t n, double fraction, std::mt19937_64& rng) {
    auto s = HostArray::create(DType::bool_, {n}).value();
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int64_t i = 0; i < n; ++i)
        s.data_as<bool>()[i] = u(rng) < fraction;
    return s;
}

void Report::add(const nlohmann::json& record) {
    if (!header_printed_) {
        for (const auto& c : columns_)
            std::printf("%-22s", c.c_str());
        std::printf("\n");
        header_printed_ = true;
    }
    for (const auto& c : columns_) {
        std::string cell = "-";
        if (record.contains(c)) {
            const auto& v = record[c];
            if (v.is_number_float()) {
                char buffer[32];
                std::snprintf(buffer, sizeof buffer, "%.4g", v.get<double>());
                cell = buffer;
            } else {
                cell = v.is_string() ? v.get<std::string>() : v.dump();
            }
        }
        std::printf("%-22s", cell.c_str());
    }
    std::printf("\n");
    std::fflush(stdout);
    records_.push_back(record);
}

bool Report::write(const std::string& path) const {
    if (path.empty()) return true;
    nlohmann::json document = {
        {"machine", machine_info()}, {"toolchain", toolchain_info()}, {"records", records_}};
    std::ofstream out(path);
    out << document.dump(2) << "\n";
    return static_cast<bool>(out);
}

} // namespace be::bench
