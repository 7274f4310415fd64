// bench_cache: what the cache's locks and index cost on the warm path, alone and with other
// processes using the same cache, and how long `verify` takes on a large cache.
//   - lookup_warm: KernelCache::lookup of cached files (key, index query, blob read, checksum;
//     no linking), per file, in a fresh cache object as a new process would have it;
//   - open_cache: KernelCache::open of a warm cache (trust checks, layout, index);
//   - compile_lock: lock_for_compile + release, what a miss adds before compiling;
//   - registry_warm_load: Registry::load_cpp_file of cached files (includes ORC linking);
//   - each of the above with 0 and 2 concurrent processes hammering the same cache (lookups,
//     stores, statistics flushes in a loop);
//   - verify / verify_fix / trim_half on a cache of 1000 entries (8 KiB blobs).
// Usage: bench_cache [--quick] [--json FILE]
#include "bench_support.h"

#include <becore/cache/kernel_cache.h>
#include <becore/registry/cache_inputs.h>
#include <becore/registry/registry.h>

#include <CLI/CLI.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <random>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using be::bench::Clock;
using be::bench::seconds_since;

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<fs::path> write_kernels(const fs::path& dir, int count) {
    fs::create_directories(dir);
    std::vector<fs::path> files;
    for (int i = 0; i < count; ++i) {
        auto path = dir / ("k" + std::to_string(i) + ".cpp");
        std::ofstream(path) << "// @BE k" << i << "\nvoid k" << i
                            << "(const BE::Tensor& x, BE::Tensor& y, float a) {\n"
                               "    for (int64_t j = 0; j < x.numel(); ++j)\n"
                               "        y.data_ptr<float>()[j] += a * x.data_ptr<float>()[j] + "
                            << i << ";\n}\n";
        files.push_back(path);
    }
    return files;
}

std::vector<be::CacheKeyInputs> inputs_of(const std::vector<fs::path>& files) {
    std::vector<be::CacheKeyInputs> inputs;
    for (const auto& f : files)
        inputs.push_back(be::cpu_cache_inputs(f, read_text(f)).value());
    return inputs;
}

// A child that uses the cache as a busy neighbour would: lookups of every file, a store of a
// new small entry, and (as each of its "processes" ends) a statistics flush, in a loop.
int run_hammer(const fs::path& cache_dir, const std::vector<std::string>& files) {
    std::vector<fs::path> paths(files.begin(), files.end());
    auto inputs = inputs_of(paths);
    std::mt19937_64 random(::getpid());
    for (;;) {
        auto cache = be::KernelCache::open(cache_dir);
        for (const auto& in : inputs)
            (void)cache->lookup(in);
        auto extra = inputs[0];
        extra.source_text += "// " + std::to_string(random());
        (void)cache->store(extra, {}, std::vector<char>(4096, 'h'), 0.01, "");
    }
}

pid_t spawn_hammer(const fs::path& cache_dir, const std::vector<fs::path>& files) {
    std::vector<std::string> args{"/proc/self/exe", "--hammer", cache_dir.string()};
    for (const auto& f : files)
        args.push_back(f.string());
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), environ) != 0) return -1;
    return pid;
}

struct Neighbours {
    std::vector<pid_t> pids;
    Neighbours(int count, const fs::path& cache_dir, const std::vector<fs::path>& files) {
        for (int i = 0; i < count; ++i)
            pids.push_back(spawn_hammer(cache_dir, files));
        if (count > 0) usleep(300'000); // let them get going
    }
    ~Neighbours() {
        for (pid_t pid : pids) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
    }
};

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"bench_cache: warm-path lock and index overhead, verify of a large cache"};
    bool quick = false;
    std::string json_path, hammer_dir;
    std::vector<std::string> hammer_files;
    app.add_flag("--quick", quick, "Fewer repetitions (under a minute)");
    app.add_option("--json", json_path, "Write the records as JSON to this file");
    app.add_option("--hammer", hammer_dir, "Internal: use the cache in a loop")->group("");
    app.add_option("files", hammer_files)->group("");
    CLI11_PARSE(app, argc, argv);
    if (!hammer_dir.empty()) return run_hammer(hammer_dir, hammer_files);

    char pattern[] = "/tmp/becore-bench-cache-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 1;
    const fs::path work = pattern;
    const int n_files = 20;
    const int reps = quick ? 5 : 20;
    const int verify_entries = 1000;
    const int verify_reps = quick ? 2 : 5;
    be::bench::Report report({"op", "entries", "concurrent_processes", "seconds", "ms_per_item"});

    // A warm cache with 20 distinct kernels (compiled once, here).
    const fs::path cache_dir = work / "cache";
    auto files = write_kernels(work / "src", n_files);
    auto inputs = inputs_of(files);
    {
        std::fprintf(stderr, "bench_cache: warming the cache with %d files...\n", n_files);
        be::Registry registry(be::KernelCache::open(cache_dir));
        for (const auto& f : files)
            if (auto r = registry.load_cpp_file(f); !r) {
                std::fprintf(stderr, "bench_cache: %s\n", r.error().full().c_str());
                return 1;
            }
    }

    for (int concurrent : {0, 2}) {
        Neighbours neighbours(concurrent, cache_dir, files);
        std::vector<double> open_times, lookup_times, lock_times, load_times;
        for (int rep = 0; rep < reps; ++rep) {
            auto start = Clock::now();
            auto cache = be::KernelCache::open(cache_dir);
            open_times.push_back(seconds_since(start));
            start = Clock::now();
            for (const auto& in : inputs)
                if (!cache->lookup(in)) {
                    std::fprintf(stderr, "bench_cache: a warm lookup missed\n");
                    return 1;
                }
            lookup_times.push_back(seconds_since(start) / n_files);
            start = Clock::now();
            for (const auto& in : inputs) {
                auto lock = cache->lock_for_compile(in, std::chrono::seconds(10));
                if (!lock.held()) return 1;
            }
            lock_times.push_back(seconds_since(start) / n_files);
            be::Registry registry(be::KernelCache::open(cache_dir));
            start = Clock::now();
            for (const auto& f : files)
                if (auto r = registry.load_cpp_file(f); !r || !r->cache_hit) return 1;
            load_times.push_back(seconds_since(start) / n_files);
        }
        auto add = [&](const char* op, std::vector<double>& times, int entries) {
            double t = be::bench::median(times);
            report.add({{"op", op},
                        {"entries", entries},
                        {"concurrent_processes", concurrent},
                        {"seconds", t},
                        {"ms_per_item", 1e3 * t},
                        {"repetitions", reps}});
        };
        add("open_cache", open_times, 1);
        add("lookup_warm", lookup_times, n_files);
        add("compile_lock", lock_times, n_files);
        add("registry_warm_load", load_times, n_files);
    }

    // verify of a cache with 1000 entries of 8 KiB (a small kernel's object is 5-25 KiB).
    const fs::path big = work / "big";
    {
        std::fprintf(stderr, "bench_cache: storing %d entries...\n", verify_entries);
        auto cache = be::KernelCache::open(big);
        std::vector<char> blob(8192);
        std::mt19937 random(1);
        for (int i = 0; i < verify_entries; ++i) {
            for (auto& b : blob)
                b = static_cast<char>(random());
            auto in = inputs[i % n_files];
            in.source_text += "// entry " + std::to_string(i);
            if (!cache->store(in, {}, blob, 0.2, "")) return 1;
        }
    }
    for (bool fix : {false, true}) {
        std::vector<double> times;
        for (int rep = 0; rep < verify_reps; ++rep) {
            auto cache = be::KernelCache::open(big);
            be::VerifyOptions options;
            options.fix = fix;
            auto start = Clock::now();
            auto verified = cache->verify(options);
            times.push_back(seconds_since(start));
            if (!verified || !verified->findings.empty()) {
                std::fprintf(stderr, "bench_cache: verify found something\n");
                return 1;
            }
        }
        double t = be::bench::median(times);
        report.add({{"op", fix ? "verify_fix" : "verify"},
                    {"entries", verify_entries},
                    {"concurrent_processes", 0},
                    {"seconds", t},
                    {"ms_per_item", 1e3 * t / verify_entries},
                    {"repetitions", verify_reps}});
    }
    {
        auto cache = be::KernelCache::open(big);
        auto start = Clock::now();
        auto trimmed = cache->trim(cache->stats().bytes / 2);
        double t = seconds_since(start);
        if (!trimmed) return 1;
        report.add({{"op", "trim_half"},
                    {"entries", trimmed->entries_removed},
                    {"concurrent_processes", 0},
                    {"seconds", t},
                    {"ms_per_item", 1e3 * t / std::max<uint64_t>(1, trimmed->entries_removed)}});
    }

    std::error_code ec;
    fs::remove_all(work, ec);
    if (!report.write(json_path)) {
        std::fprintf(stderr, "bench_cache: cannot write %s\n", json_path.c_str());
        return 1;
    }
    return 0;
}
