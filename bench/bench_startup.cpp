// bench_startup: what a user waits for when kernels are loaded.
//   - cold compile of a small kernel and of one that uses TBB, each without a prelude
//     (BECORE_PRELUDE=off), on an empty cache (the prelude is built too) and with the prelude
//     warm (built for another kernel before), with the compile's phases; and the same small
//     kernel compiled by `g++ -O3 -march=native -shared` and `clang++-16` subprocesses, with
//     the in-process speed-up over g++ (issue 17's targets);
//   - a warm load in-process (a new registry over a warm cache), per file;
//   - indexing the built-ins for loading by need (what builtin_registry() does first);
//   - the wall time of a fresh process that loads 0, 1 and 20 cached kernel files
//     (0 files = the process and library start-up alone, for reference), and 3 cached `.cu`
//     files (NVRTC binaries for sm_80; skipped without NVRTC);
//   - the first use of one JITC built-in on CUDA (sm_80, no CUDA entry cached, loaded by need:
//     its kernel alone compiles) and, not with --quick, `kernelctl build` of the whole jitc.cu;
//   - the 20-file measurements again over a cache warmed for a CPU level only (entries
//     "x86-64-v3", as a WARM install or an import leaves them): each native-setting load misses
//     its native key and takes the level's entry (docs/cache.md, "CPU targets");
//   - `besim kuramoto --n 256 --steps 200` as a fresh process on a warm cache and, once, on an
//     empty one (it compiles the built-ins the run calls);
//   - every CPU built-in (.cpp) compiled by a fresh `kernelctl build` on an empty cache, with
//     BECORE_THREADS=1 and 2 (issue 17's target: 10 s on 2 cores); not with --quick.
// Each record of issue 14's and 17's targets carries "target_seconds" (or "target_ratio").
// Usage: bench_startup [--quick] [--json FILE]
#include "bench_support.h"

#include <becore/cache/kernel_cache.h>
#include <becore/registry/registry.h>
#include <becore/runtime/cuda_backend.h>
#include <becore/runtime/paths.h>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <functional>
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

const char* k_cuda_kernel = R"(
// @BE shift launch(threads=x.numel())
__global__ void shift(BE::Tensor x) {
    const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    if (i < x.numel()) x.data_ptr<float>()[i] += VARIANT;
}
)";

// Each file gets its own VARIANT so that every file is a distinct cache entry. It is written
// into the text, not #defined above it, so the TBB kernel still opens with its #include (what
// its prelude holds: docs/toolchain.md).
fs::path write_kernel(const fs::path& dir, const std::string& name, const char* text, int variant,
                      const char* extension = ".cpp") {
    auto path = dir / (name + extension);
    std::string source = text;
    for (auto at = source.find("VARIANT"); at != std::string::npos; at = source.find("VARIANT"))
        source.replace(at, 7, std::to_string(variant));
    std::ofstream(path) << source;
    return path;
}

int run_child(const std::vector<std::string>& files) {
    auto& registry = be::Registry::global();
    int failed = 0;
    for (const auto& f : files)
        if (auto r = registry.load_file(f); !r || r->deferred) {
            std::fprintf(stderr, "%s\n",
                         r ? r->deferred->full().c_str() : r.error().full().c_str());
            ++failed;
        }
    return failed == 0 ? 0 : 1;
}

// The wall time of `argv` run to completion, or -1 if it failed. `quiet`: its stdout and stderr
// go to /dev/null (besim's progress lines would break up the table).
double spawn_and_wait(std::vector<std::string> argv_text, bool quiet = false) {
    std::vector<char*> argv;
    for (auto& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (quiet)
        for (int fd : {1, 2})
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0);
    auto start = Clock::now();
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) return -1;
    int status = 0;
    waitpid(pid, &status, 0);
    double elapsed = seconds_since(start);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? elapsed : -1;
}

// A fresh bench_startup --child process loading `files`.
double spawn_child(const std::vector<std::string>& files) {
    std::vector<std::string> argv{"/proc/self/exe", "--child"};
    argv.insert(argv.end(), files.begin(), files.end());
    return spawn_and_wait(argv);
}

// The median of `reps` runs, or -1 if one failed.
double median_wall(int reps, const std::function<double()>& run) {
    std::vector<double> times;
    for (int rep = 0; rep < reps; ++rep) {
        double t = run();
        if (t < 0) return -1;
        times.push_back(t);
    }
    return be::bench::median(times);
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

    be::bench::Report report({"op", "kernel", "prelude", "compiler", "entries", "files", "threads",
                              "seconds", "ms_per_file", "ratio"});

    // Cold compiles: each repetition compiles a new variant. "off": no prelude; "built": an
    // empty cache, so the prelude is compiled first; "warm": the prelude was built for another
    // variant in the same cache before (this process holds it, as when it compiles several).
    double small_warm = 0;
    for (const auto& [label, text] :
         {std::pair{"small", k_small_kernel}, std::pair{"tbb", k_tbb_kernel}}) {
        for (const char* prelude : {"off", "built", "warm"}) {
            const std::string mode = prelude;
            if (mode == "off")
                setenv("BECORE_PRELUDE", "off", 1);
            else
                unsetenv("BECORE_PRELUDE");
            std::vector<double> times;
            be::CompilePhases phases;
            for (int rep = 0; rep < cold_reps; ++rep) {
                auto cache_dir = work / ("cold-" + std::string(label) + mode + std::to_string(rep));
                be::Registry registry(be::KernelCache::open(cache_dir));
                const std::string name = std::string("cold_") + label + "_" + mode;
                if (mode == "warm" && !registry.load_cpp_file(
                                          write_kernel(sources, name + "_first", text, 1000 + rep)))
                    return 1;
                auto file = write_kernel(sources, name, text, rep);
                auto start = Clock::now();
                auto loaded = registry.load_cpp_file(file);
                if (!loaded || loaded->cache_hit || !loaded->phases) {
                    std::fprintf(stderr, "bench_startup: cold compile of %s failed\n", label);
                    return 1;
                }
                times.push_back(seconds_since(start));
                phases = *loaded->phases;
            }
            double t = be::bench::median(times);
            nlohmann::json record = {{"op", "cold_compile"},
                                     {"kernel", label},
                                     {"prelude", mode},
                                     {"files", 1},
                                     {"seconds", t},
                                     {"ms_per_file", 1e3 * t},
                                     {"repetitions", cold_reps},
                                     {"last_phases_ms",
                                      {{"prelude", 1e3 * phases.prelude},
                                       {"frontend", 1e3 * phases.frontend},
                                       {"optimise", 1e3 * phases.optimise},
                                       {"emit", 1e3 * phases.emit},
                                       {"store", 1e3 * phases.store}}}};
            if (mode == "warm")
                record["target_seconds"] = std::string(label) == "small" ? 0.040 : 0.200;
            if (mode == "warm" && std::string(label) == "small") small_warm = t;
            report.add(record);
        }
    }
    unsetenv("BECORE_PRELUDE");

    // The same small kernel (be/be.h pre-included, as becore compiles it) through compiler
    // subprocesses, as a library that runs g++ or clang++ per kernel would.
    for (const char* compiler : {"g++", "clang++-16"}) {
        const auto file = write_kernel(sources, "subprocess", k_small_kernel, 0);
        const std::string out = (work / "subprocess.so").string();
        const double t = median_wall(cold_reps, [&] {
            return spawn_and_wait({"/usr/bin/env", compiler, "-O3", "-march=native", "-std=c++20",
                                   "-fPIC", "-shared", "-I" + be::kernel_include_dir().string(),
                                   "-include", "be/be.h", file.string(), "-o", out},
                                  true);
        });
        if (t < 0) {
            std::fprintf(stderr, "bench_startup: %s is not usable; no subprocess record\n",
                         compiler);
            continue;
        }
        report.add({{"op", "subprocess_compile"},
                    {"kernel", "small"},
                    {"compiler", compiler},
                    {"files", 1},
                    {"seconds", t},
                    {"ms_per_file", 1e3 * t},
                    {"repetitions", cold_reps}});
        if (std::string(compiler) == "g++" && small_warm > 0)
            report.add({{"op", "speedup_vs_gpp"},
                        {"kernel", "small"},
                        {"prelude", "warm"},
                        {"seconds", small_warm},
                        {"ratio", t / small_warm},
                        {"target_ratio", 4.5}});
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
        if (spawn_child(files) < 0) return 1;
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
            double t = median_wall(process_reps, [&] { return spawn_child(subset); });
            if (t < 0) return 1;
            if (count == 0) empty_process = t;
            nlohmann::json record = {{"op", "fresh_process_warm"},
                                     {"kernel", "mixed"},
                                     {"entries", entries},
                                     {"files", count},
                                     {"seconds", t},
                                     {"repetitions", process_reps}};
            if (count > 0)
                record["ms_per_file"] = 1e3 * (t - empty_process) / static_cast<double>(count);
            if (count == 20 && std::string(entries) == "native") record["target_seconds"] = 0.008;
            report.add(record);
        }
    }

    {
        // What builtin_registry() does on first use: parse the built-ins' annotations, no load.
        std::vector<double> times;
        for (int rep = 0; rep < process_reps; ++rep) {
            be::Registry fresh(be::KernelCache::open(work / "warm-cache-native"));
            auto start = Clock::now();
            if (!fresh.load_dir_by_need(be::builtin_kernel_dir(), "be")) return 1;
            times.push_back(seconds_since(start));
        }
        report.add({{"op", "builtin_index"},
                    {"kernel", "builtin"},
                    {"seconds", be::bench::median(times)},
                    {"repetitions", process_reps}});
    }

    // Three cached `.cu` files: compiled for sm_80 by a first process (needs NVRTC, not a GPU).
    if (be::nvrtc_status().available) {
        setenv("BECORE_CUDA_ARCH", "sm_80", 1);
        std::vector<std::string> cu_files;
        for (int i = 0; i < 3; ++i)
            cu_files.push_back(
                write_kernel(sources, "c" + std::to_string(i), k_cuda_kernel, i, ".cu"));
        if (spawn_child(cu_files) < 0) return 1;
        double t = median_wall(process_reps, [&] { return spawn_child(cu_files); });
        if (t < 0) return 1;
        report.add({{"op", "fresh_process_warm"},
                    {"kernel", "cuda"},
                    {"files", 3},
                    {"seconds", t},
                    {"ms_per_file", 1e3 * (t - empty_process) / 3},
                    {"repetitions", process_reps},
                    {"target_seconds", 0.008}});

        // The first use of one JITC target by a by-need load, no CUDA entry cached: its name
        // expression compiles alone (LoadOptions::cuda_compile_on_use); and, not with --quick,
        // what the whole of jitc.cu costs (kernelctl build --arch, 66 name expressions), which is
        // what that first use cost when a by-need load compiled the whole file.
        const char* jitc_target = "be.jitc_scalar_event_matvec_bool_f32";
        const fs::path first_use_cache = work / "jitc-first-use";
        {
            // The lookup loads the CPU twin (jitc_scalar.cpp) too: compiled here first, without
            // an architecture, so that the record is the CUDA compile alone.
            unsetenv("BECORE_CUDA_ARCH");
            be::Registry warm(be::KernelCache::open(first_use_cache));
            if (!warm.load_dir_by_need(be::builtin_kernel_dir(), "be") || !warm.find(jitc_target))
                return 1;
            setenv("BECORE_CUDA_ARCH", "sm_80", 1);
        }
        be::Registry fresh(be::KernelCache::open(first_use_cache));
        const be::DType arg_dtypes[] = {be::DType::bool_}, ret_dtypes[] = {be::DType::float32};
        const be::AttrMap attrs = {{"transpose", false},
                                   {"seed", int64_t{1}},
                                   {"rows", int64_t{64}},
                                   {"cols", int64_t{64}},
                                   {"p", 0.1},
                                   {"w0", 1.0},
                                   {"w1", 1.0}};
        auto start = Clock::now();
        if (!fresh.load_dir_by_need(be::builtin_kernel_dir(), "be")) return 1;
        auto prepared = fresh.prepare(jitc_target, be::Device::cuda, arg_dtypes, ret_dtypes, attrs);
        if (!prepared) {
            std::fprintf(stderr, "bench_startup: %s\n", prepared.error().full().c_str());
            return 1;
        }
        report.add({{"op", "builtin_cuda_first_use"},
                    {"kernel", jitc_target},
                    {"files", 1},
                    {"seconds", seconds_since(start)},
                    {"repetitions", 1}});
        if (!quick) {
            setenv("BECORE_CACHE_DIR", (work / "jitc-whole-file").c_str(), 1);
            const double whole = spawn_and_wait(
                {(fs::canonical("/proc/self/exe").parent_path() / "kernelctl").string(), "build",
                 "--prefix", "be", (be::builtin_kernel_dir() / "jitc.cu").string()},
                true);
            if (whole < 0) {
                std::fprintf(stderr, "bench_startup: kernelctl build of jitc.cu failed\n");
                return 1;
            }
            report.add({{"op", "builtin_cuda_whole_file"},
                        {"kernel", "jitc.cu"},
                        {"files", 1},
                        {"seconds", whole},
                        {"repetitions", 1}});
        }
        unsetenv("BECORE_CUDA_ARCH");
    } else {
        std::fprintf(stderr, "bench_startup: NVRTC unavailable, no .cu record\n");
    }

    const fs::path tools_dir = fs::canonical("/proc/self/exe").parent_path();
    if (!quick) {
        std::vector<std::string> build{(tools_dir / "kernelctl").string(), "build", "--prefix",
                                       "be"};
        for (const auto& entry : fs::directory_iterator(be::builtin_kernel_dir()))
            if (entry.path().extension() == ".cpp") build.push_back(entry.path().string());
        const auto cpp_files = static_cast<int>(build.size() - 4);
        for (int threads : {1, 2}) {
            setenv("BECORE_CACHE_DIR", (work / ("builtins-" + std::to_string(threads))).c_str(), 1);
            setenv("BECORE_THREADS", std::to_string(threads).c_str(), 1);
            const double t = spawn_and_wait(build, true);
            if (t < 0) {
                std::fprintf(stderr, "bench_startup: kernelctl build of the built-ins failed\n");
                return 1;
            }
            report.add({{"op", "builtins_empty_cache"},
                        {"kernel", "builtin"},
                        {"files", cpp_files},
                        {"threads", threads},
                        {"seconds", t},
                        {"repetitions", 1},
                        {"target_seconds", 10.0}});
        }
        unsetenv("BECORE_THREADS");
    }

    // besim kuramoto, beside this program, on an empty cache (once) and then warm.
    const std::string besim = (tools_dir / "besim").string();
    auto kuramoto = [&] {
        return spawn_and_wait({besim, "kuramoto", "--n", "256", "--steps", "200", "--dt", "0.01",
                               "--seed", "1", "--out", (work / "kuramoto").string()},
                              true);
    };
    setenv("BECORE_CACHE_DIR", (work / "kuramoto-cache").c_str(), 1);
    const double first = kuramoto();
    if (first < 0) {
        std::fprintf(stderr, "bench_startup: %s kuramoto failed\n", besim.c_str());
        return 1;
    }
    report.add({{"op", "besim_kuramoto_cold"},
                {"kernel", "builtin"},
                {"seconds", first},
                {"repetitions", 1},
                {"target_seconds", 2.0}});
    double warm = median_wall(process_reps, kuramoto);
    if (warm < 0) return 1;
    report.add({{"op", "besim_kuramoto_warm"},
                {"kernel", "builtin"},
                {"seconds", warm},
                {"repetitions", process_reps},
                {"target_seconds", 0.015}});

    std::error_code ec;
    fs::remove_all(work, ec);
    if (!report.write(json_path)) {
        std::fprintf(stderr, "bench_startup: cannot write %s\n", json_path.c_str());
        return 1;
    }
    return 0;
}
