// bench_kuramoto: the Kuramoto built-ins through be::kuramoto at N = 256, 200 steps, dt = 0.05:
//   - forward: the RK4 trajectory of one network;
//   - gradient: rk4_vjp (its own forward sweep included) for L = Σ_j cos θ_steps,j;
//   - ensemble: 64 members with their own θ0 in one call;
// each with 1 and 2 worker threads (tbb::global_control inside this process: BECORE_THREADS is
// read once per process). A single solve is serial by design, so only the ensemble scales.
// Times are medians over repetitions after one warm-up call (the built-ins' load excluded).
// Usage: bench_kuramoto [--quick] [--json FILE]
#include "bench_support.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/kuramoto.h>

#include <CLI/CLI.hpp>
#include <oneapi/tbb/global_control.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>

namespace {

namespace ku = be::kuramoto;
using Clock = std::chrono::steady_clock;

double median_seconds(int repetitions, const std::function<void()>& run) {
    run(); // warm-up: first-touch of the arrays, instruction cache
    std::vector<double> times;
    for (int rep = 0; rep < repetitions; ++rep) {
        auto start = Clock::now();
        run();
        times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    }
    return be::bench::median(times);
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "bench_kuramoto: RK4 forward, adjoint gradient and ensembles of Kuramoto networks"};
    bool quick = false;
    std::string json_path;
    int64_t n = 256, steps = 200, members = 64;
    app.add_flag("--quick", quick, "Fewer repetitions (under a minute)");
    app.add_option("--json", json_path, "Write the records as JSON to this file");
    app.add_option("--n", n, "Oscillators (default 256)");
    app.add_option("--steps", steps, "RK4 steps (default 200)");
    app.add_option("--members", members, "Ensemble members (default 64)");
    CLI11_PARSE(app, argc, argv);
    const double dt = 0.05;
    const int reps = quick ? 5 : 21;

    try {
        be::builtin_registry(); // load (or compile) the built-ins before timing anything
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_kuramoto: %s\n", e.what());
        return 1;
    }
    auto net = ku::default_network(n, 1);
    auto theta0 = be::HostArray::create(be::DType::float64, {members, n}).value();
    for (int64_t b = 0; b < members; ++b) {
        auto row = ku::random_theta0(n, 1 + static_cast<uint64_t>(b));
        std::memcpy(theta0.data_as<double>() + b * n, row.data(),
                    static_cast<size_t>(row.nbytes()));
    }
    auto last = ku::rk4(net.theta0, net.omega, net.K, dt, steps, {.trajectory = false});
    auto gbar = be::HostArray::create(be::DType::float64, {n}).value();
    for (int64_t j = 0; j < n; ++j)
        gbar.data_as<double>()[j] = -std::sin(last.data_as<double>()[j]);

    be::bench::Report report(
        {"op", "n", "steps", "members", "threads", "seconds", "ms_per_member"});
    for (int threads : {1, 2}) {
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                  static_cast<size_t>(threads));
        struct Case {
            const char* op;
            int64_t members;
            std::function<void()> run;
        };
        const Case cases[] = {
            {"forward", 1, [&] { ku::rk4(net.theta0, net.omega, net.K, dt, steps); }},
            {"gradient", 1, [&] { ku::rk4_vjp(net.theta0, net.omega, net.K, gbar, dt, steps); }},
            {"ensemble", members, [&] { ku::ensemble(theta0, net.omega, net.K, dt, steps); }},
        };
        for (const auto& c : cases) {
            const int r = c.members > 1 ? std::max(3, reps / 4) : reps;
            const double t = median_seconds(r, c.run);
            report.add({{"op", c.op},
                        {"n", n},
                        {"steps", steps},
                        {"members", c.members},
                        {"threads", threads},
                        {"seconds", t},
                        {"ms_per_member", 1e3 * t / static_cast<double>(c.members)},
                        {"repetitions", r},
                        {"peak_rss_bytes", be::bench::peak_rss_bytes()}});
        }
    }
    if (!report.write(json_path)) {
        std::fprintf(stderr, "bench_kuramoto: cannot write %s\n", json_path.c_str());
        return 1;
    }
    return 0;
}
