// bench_jitc: the JITC operators (be::JitcScalar / JitcNormal, frontends/include/becore/
// frontends/jitc.h) through the frontends API, output allocation included, the built-ins' load
// excluded. Row orientation (R), float32:
//   - N = 10k and 100k, p = 0.01, 1 % and 10 % of the inputs active (bool spikes), 1 and 2 worker
//     threads (tbb::global_control: BECORE_THREADS is read once per process);
//   - event_matvec spikes @ M (the scatter: each active row generated once) and M @ spikes
//     (transpose: the gather regenerates every row);
//   - one run at 1M x 1M, p = 0.001 (1e9 synapses, never stored), 1 % active, reporting peak RSS.
// events = expected generated connections of the active rows (active * N * p) for the scatter,
// all N² p for the gather. Times are medians.
// Usage: bench_jitc [--quick] [--format jitc_scalar|jitc_normal] [--json FILE]
#include "bench_support.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/event_ops.h>
#include <becore/frontends/jitc.h>

#include <CLI/CLI.hpp>
#include <oneapi/tbb/global_control.h>

#include <cstdio>
#include <random>

using be::HostArray;

int main(int argc, char** argv) {
    CLI::App app{"bench_jitc: event-driven matvec with just-in-time connectivity"};
    bool quick = false;
    std::string json_path;
    app.add_flag("--quick", quick, "N = 10k and 100k scatter only, no 1M run (under a minute)");
    app.add_option("--json", json_path, "Write the records as JSON to this file");
    std::string only;
    app.add_option("--format", only, "Run only this weight kind (jitc_scalar or jitc_normal)")
        ->check(CLI::IsMember({"jitc_scalar", "jitc_normal"}));
    CLI11_PARSE(app, argc, argv);
    try {
        be::builtin_registry();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_jitc: %s\n", e.what());
        return 1;
    }
    be::bench::Report report({"op", "format", "transpose", "n_pre", "p", "active_fraction",
                              "threads", "seconds", "events_per_s", "peak_rss_bytes"});
    std::mt19937_64 rng(42);
    auto wanted = [&](const char* format) { return only.empty() || only == format; };
    auto record = [&](const char* op, const char* format, bool transpose, int64_t n, double p,
                      double fraction, int threads, double events, double t) {
        report.add({{"op", op},
                    {"format", format},
                    {"transpose", transpose},
                    {"n_pre", n},
                    {"n_post", n},
                    {"p", p},
                    {"active_fraction", fraction},
                    {"dtype", "float32"},
                    {"threads", threads},
                    {"seconds", t},
                    {"events", events},
                    {"events_per_s", events / t},
                    {"peak_rss_bytes", be::bench::peak_rss_bytes()}});
    };
    const double budget = quick ? 0.1 : 0.5;
    for (int64_t n : {int64_t{10000}, int64_t{100000}}) {
        const double p = 0.01;
        const be::JitcScalar scalar(n, n, p, 0.5, 1);
        const be::JitcNormal normal(n, n, p, 0.5, 0.1, 1);
        for (double fraction : {0.01, 0.1}) {
            const HostArray s = be::bench::random_spikes(n, fraction, rng);
            const double scatter = fraction * n * n * p, gather = double(n) * n * p;
            for (int threads : {1, 2}) {
                tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                          static_cast<size_t>(threads));
                const int reps = quick ? 10 : 100;
                if (wanted("jitc_scalar"))
                    record("event_matvec", "jitc_scalar", false, n, p, fraction, threads, scatter,
                           be::bench::median_seconds(budget, reps,
                                                     [&] { be::event_matvec(s, scalar); }));
                if (wanted("jitc_normal"))
                    record("event_matvec", "jitc_normal", false, n, p, fraction, threads, scatter,
                           be::bench::median_seconds(budget, reps,
                                                     [&] { be::event_matvec(s, normal); }));
                if (!quick && wanted("jitc_scalar"))
                    record("event_matvec", "jitc_scalar", true, n, p, fraction, threads, gather,
                           be::bench::median_seconds(budget, 3,
                                                     [&] { be::event_matvec(s, scalar, true); }));
            }
        }
    }
    if (!quick && wanted("jitc_scalar")) {
        const int64_t n = 1000000;
        const double p = 0.001, fraction = 0.01;
        const be::JitcScalar big(n, n, p, 0.5, 1);
        const HostArray s = be::bench::random_spikes(n, fraction, rng);
        for (int threads : {1, 2}) {
            tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                      static_cast<size_t>(threads));
            record("event_matvec", "jitc_scalar", false, n, p, fraction, threads,
                   fraction * n * double(n) * p,
                   be::bench::median_seconds(1.0, 5, [&] { be::event_matvec(s, big); }));
        }
    }
    if (!report.write(json_path)) {
        std::fprintf(stderr, "bench_jitc: cannot write %s\n", json_path.c_str());
        return 1;
    }
    return 0;
}
