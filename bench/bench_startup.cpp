// bench_startup: what a user waits for when kernels are loaded.
//   - cold compile of a small kernel and of one that uses TBB (fresh cache each repetition);
//   - a warm load in-process (a new registry over a warm cache), per file;
//   - the wall time of a fresh process that loads 0, 1 and 20 cached kernel files
//     (0 files = the process and library start-up alone, for reference);
//   - both warm measurements again over a cache warmed for a CPU level only (entries "x86-64-v3",
//     as a WARM install or an import leaves them): each native-setting load misses its native
//     key and takes the level's entry (docs/cache.md, "CPU targets").
// Usage: bench_startup [--quick] [--json FILE]
#include "bench_support.h"

#include <becore/cache/kernel_cache.h>
#include <becore/registry/registry.h>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using be::bench::Clock;
using be::bench::seconds_since;

const char* k_small_kernel = R"(
// @BE scale_f32
void scale_f32(const BE::Tensor& x, BE::Tensor& y, float alpha) {
    const float* in = x.data_ptr<float>();
    float* out = y.data_ptr<float>();
    for (int64_t i = 0; i < x.numel(); ++i) out[i] = alpha * in[i] + VARIANT;
}
)";

const char* k_tbb_kernel = R"(
#include <oneapi/tbb/parallel_for.h>
// @BE row_sum arg:float64 ret:float64
void row_sum(const BE::Tensor& m, BE::Tensor& sums) {
    const int64_t rows = m.size(0), cols = m.size(1);
    tbb::parallel_for(int64_t{0}, rows, [&](int64_t r) {
        double s = VARIANT;
        for (int64_t c = 0; c < cols; ++c) s += m.data_ptr<double>()[r * cols + c];
        sums.data_ptr<double>()[r] = s;
    });
}
)";

// Each file gets its own VARIANT so that every file is a distinct cache entry.
fs::path write_kernel(const fs::path& dir, const std::string& name, const char* text, int variant) {
    auto path = dir / (name + ".cpp");
    std::ofstream(path) << "#define VARIANT " << variant << "\n" << text;
    return path;
}

int run_child(const std::vector<std::string>& files) {
    auto& registry = be::Registry::global();
    int failed = 0;
    for (const auto& f : files)
        if (auto r = registry.load_cpp_file(f); !r) {
            std::fprintf(stderr, "%s\n", r.error().full().c_str());
            ++failed;
        }
    return failed == 0 ? 0 : 1;
}

double spawn_and_wait(const std::vector<std::string>& files) {
    std::vector<std::string> argv_text{"/proc/self/exe", "--child"};
    argv_text.insert(argv_text.end(), files.begin(), files.end());
    std::vector<char*> argv;
    for (auto& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    auto start = Clock::now();
    pid_t pid = 0;
    if (posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), environ) != 0) return -1;
    int status = 0;
    waitpid(pid, &status, 0);
    double elapsed = seconds_since(start);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? elapsed : -1;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"bench_startup: cold compile, warm load and fresh-process start-up times"};
    bool quick = false;
    std::string json_path;
    std::vector<std::string> child_files;
    bool child = false;
    app.add_flag("--quick", quick, "Fewer repetitions (under a minute)");
    app.add_option("--json", json_path, "Write the records as JSON to this file");
    app.add_flag("--child", child, "Internal: load the given files and exit")->group("");
    app.add_option("files", child_files)->group("");
    CLI11_PARSE(app, argc, argv);
    if (child) return run_child(child_files);

    char pattern[] = "/tmp/becore-bench-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 1;
    const fs::path work = pattern;
    const fs::path sources = work / "src";
    fs::create_directories(sources);
    const int cold_reps = quick ? 2 : 5;
    const int process_reps = quick ? 5 : 20;

    be::bench::Report report({"op", "kernel", "entries", "files", "seconds", "ms_per_file"});

    for (const auto& [label, text] : {std::pair{"small", k_small_kernel}, std::pair{"tbb", k_tbb_kernel}}) {
        std::vector<double> times;
        for (int rep = 0; rep < cold_reps; ++rep) {
            auto cache_dir = work / ("cold-" + std::string(label) + std::to_string(rep));
            be::Registry registry(be::KernelCache::open(cache_dir));
            auto file = write_kernel(sources, std::string("cold_") + label, text, rep);
            auto start = Clock::now();
            auto loaded = registry.load_cpp_file(file);
            if (!loaded || loaded->cache_hit) {
                std::fprintf(stderr, "bench_startup: cold compile of %s failed\n", label);
                return 1;
            }
            times.push_back(seconds_since(start));
        }
        double t = be::bench::median(times);
        report.add({{"op", "cold_compile"}, {"kernel", label}, {"files", 1}, {"seconds", t},
                    {"ms_per_file", 1e3 * t}, {"repetitions", cold_reps}});
    }

    // Warm caches with 20 distinct files: entries for this CPU (native), and entries for a level.
    std::vector<std::string> files;
    for (int i = 0; i < 20; ++i)
        files.push_back(write_kernel(sources, "k" + std::to_string(i),
                                     i % 2 ? k_tbb_kernel : k_small_kernel, i));
    unsetenv("BECORE_CPU_TARGET"); // the measured loads use the native setting
    double empty_process = 0;
    for (const char* entries : {"native", "x86-64-v3"}) {
        const fs::path cache_dir = work / ("warm-cache-" + std::string(entries));
        setenv("BECORE_CACHE_DIR", cache_dir.c_str(), 1);
        std::fprintf(stderr, "bench_startup: warming a cache with %zu files for %s...\n",
                     files.size(), entries);
        setenv("BECORE_CPU_TARGET", entries, 1);
        if (spawn_and_wait(files) < 0) return 1;
        unsetenv("BECORE_CPU_TARGET");

        std::vector<double> times;
        for (int rep = 0; rep < process_reps; ++rep) {
            be::Registry registry(be::KernelCache::open(cache_dir));
            auto start = Clock::now();
            for (const auto& f : files)
                if (auto r = registry.load_cpp_file(f); !r || !r->cache_hit) return 1;
            times.push_back(seconds_since(start));
        }
        double t = be::bench::median(times);
        report.add({{"op", "warm_load_in_process"},
                    {"kernel", "mixed"},
                    {"entries", entries},
                    {"files", 20},
                    {"seconds", t},
                    {"ms_per_file", 1e3 * t / 20},
                    {"repetitions", process_reps}});

        for (size_t count : {size_t{0}, size_t{1}, size_t{20}}) {
            if (count == 0 && empty_process > 0) continue; // start-up alone: measured once
            std::vector<std::string> subset(files.begin(),
                                            files.begin() + static_cast<long>(count));
            std::vector<double> times;
            for (int rep = 0; rep < process_reps; ++rep) {
                double t = spawn_and_wait(subset);
                if (t < 0) return 1;
                times.push_back(t);
            }
            double t = be::bench::median(times);
            if (count == 0) empty_process = t;
            nlohmann::json record = {{"op", "fresh_process_warm"},
                                     {"kernel", "mixed"},
                                     {"entries", entries},
                                     {"files", count},
                                     {"seconds", t},
                                     {"repetitions", process_reps}};
            if (count > 0)
                record["ms_per_file"] = 1e3 * (t - empty_process) / static_cast<double>(count);
            report.add(record);
        }
    }

    std::error_code ec;
    fs::remove_all(work, ec);
    if (!report.write(json_path)) {
        std::fprintf(stderr, "bench_startup: cannot write %s\n", json_path.c_str());
        return 1;
    }
    return 0;
}
