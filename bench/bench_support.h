// Shared by the bench_<area> programs: the machine and toolchain description, a table printer,
// and the JSON document of docs/architecture.md:
// {"machine": {...}, "toolchain": {...}, "records": [...]}.
#pragma once

#include <becore/registry/registry.h>
#include <becore/runtime/array.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace be::bench {

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

nlohmann::json machine_info();
nlohmann::json toolchain_info();
// Peak resident set size of this process (VmHWM), in bytes.
uint64_t peak_rss_bytes();
double median(std::vector<double> values);
// Repeats `run` (after a warm-up) until `budget` seconds or `max_reps`, at least 3 times; the
// median of the times.
double median_seconds(double budget, int max_reps, const std::function<void()>& run);
// Nanoseconds per call of `run`: after a warm-up batch, the median over batches of `batch`
// back-to-back calls (median_seconds), divided by the batch size.
double ns_per_call(const std::function<void()>& run, int batch, double budget);
// The floor of any dispatch: an indirect call of an empty, non-inlined function.
extern void (*volatile empty_function)(void*);
// A no-op CPU kernel `bench_support.noop(x: arg, y: ret, step: attr int64)` loaded into
// `registry` (once) and prepared for float32 tensors on the CPU: the per-call cost of
// PreparedCall::invoke over the kernel itself (bench_call, bench_sim).
PreparedCall prepare_noop(Registry& registry);
// bool[n], each true with probability `fraction`.
HostArray random_spikes(int64_t n, double fraction, std::mt19937_64& rng);

// Collects records, prints them as a table as they arrive and writes the JSON file at the end.
class Report {
  public:
    explicit Report(std::vector<std::string> columns) : columns_(std::move(columns)) {}
    void add(const nlohmann::json& record);
    // Writes the document to `path` (nothing when empty); returns false on an I/O error.
    bool write(const std::string& path) const;

  private:
    std::vector<std::string> columns_;
    nlohmann::json records_ = nlohmann::json::array();
    bool header_printed_ = false;
};

} // namespace be::bench
