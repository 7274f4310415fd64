// bench_sim: the simulator's presets (coba-auryn, coba, cuba, izhikevich2003, brunel2000), each
// for a span of biological time (1 s; --quick: shorter for the slow ones) on 1 and 2 threads
// (Configuration::threads), and the prepared call's overhead.
//
// Per preset: a warm-up construct and one-step simulate (every target loaded, compiled if the
// cache is cold); then per thread count: construct seconds, and simulate() run `reps` times:
//   seconds       median wall seconds of simulate() (the whole call: setup, loop, Signals)
//   loop_seconds  median of Signals.metadata["wall_s"] (the step loop alone)
//   rtf           seconds per biological second (real-time factor)
//   events_per_s  metadata["synaptic_events"] / seconds
//   spikes, rate_<population>_hz, peak_rss_bytes (this process' VmHWM so far: it only grows
//   from record to record; the first record of a preset after a smaller one shows its growth)
// invoke_overhead: PreparedCall::invoke of a no-op kernel minus an indirect call of an
// empty function, ns (bench_support's prepare_noop; bench_call has the full breakdown).
// Usage: bench_sim [--quick] [--json FILE] [--preset NAME]... [--reps N] [--duration-ms T]
#include "bench_support.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/simulator.h>

#include <CLI/CLI.hpp>

#include <cstdio>

namespace {

struct Plan {
    std::string preset;
    double duration_ms;
    int reps;
};

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"bench_sim: wall time, real-time factor and synaptic events/s of the simulator's "
                 "presets on 1 and 2 threads, and the prepared call's overhead"};
    bool quick = false;
    std::string json_path;
    std::vector<std::string> only;
    int reps = 0;
    double duration_ms = 0;
    app.add_flag("--quick", quick, "one run each, brunel2000 for 100 ms (under a minute)");
    app.add_option("--json", json_path, "Write the records as JSON to this file");
    app.add_option("--preset", only, "Only these presets (repeatable)");
    app.add_option("--reps", reps, "simulate() runs per preset and thread count (median)");
    app.add_option("--duration-ms", duration_ms, "Biological time per run (default 1000)");
    CLI11_PARSE(app, argc, argv);

    std::vector<Plan> plans = {{"coba-auryn", 1000, 5},
                               {"coba", 1000, 3},
                               {"cuba", 1000, 3},
                               {"izhikevich2003", 1000, 3},
                               {"brunel2000", 1000, 1}};
    for (Plan& p : plans) {
        if (quick) {
            p.reps = 1;
            if (p.preset == "brunel2000") p.duration_ms = 100;
        }
        if (reps > 0) p.reps = reps;
        if (duration_ms > 0) p.duration_ms = duration_ms;
    }
    be::bench::Report report({"op", "preset", "threads", "seconds", "loop_seconds", "rtf",
                              "events_per_s", "spikes", "rate_e_hz", "construct_seconds",
                              "peak_rss_bytes", "ns_per_call"});
    try {
        for (const Plan& plan : plans) {
            if (!only.empty() && std::find(only.begin(), only.end(), plan.preset) == only.end())
                continue;
            { // warm-up: loads (compiles, on a cold cache) every target the preset calls
                const be::Model warm = be::construct(be::Configuration::preset(plan.preset));
                be::SimulateOptions one_ms;
                one_ms.duration_ms = warm.configuration().data().dt_ms;
                (void)be::simulate(warm, one_ms);
            }
            for (int threads : {1, 2}) {
                const auto config = be::Configuration::preset(plan.preset)
                                        .duration(plan.duration_ms)
                                        .threads(threads);
                const auto start = be::bench::Clock::now();
                const be::Model model = be::construct(config);
                const double construct_seconds = be::bench::seconds_since(start);
                std::vector<double> walls, loops;
                be::Signals signals;
                for (int r = 0; r < plan.reps; ++r) {
                    const auto t0 = be::bench::Clock::now();
                    signals = be::simulate(model);
                    walls.push_back(be::bench::seconds_since(t0));
                    loops.push_back(signals.metadata["wall_s"].get<double>());
                }
                const double seconds = be::bench::median(walls);
                const double bio_s = plan.duration_ms * 1e-3;
                const double events = signals.metadata["synaptic_events"].get<double>();
                nlohmann::json record = {
                    {"op", "simulate"},
                    {"preset", plan.preset},
                    {"dtype", "float32"},
                    {"threads", threads},
                    {"duration_ms", plan.duration_ms},
                    {"reps", plan.reps},
                    {"seconds", seconds},
                    {"seconds_min", *std::min_element(walls.begin(), walls.end())},
                    {"seconds_max", *std::max_element(walls.begin(), walls.end())},
                    {"loop_seconds", be::bench::median(loops)},
                    {"rtf", seconds / bio_s},
                    {"synaptic_events", events},
                    {"events_per_s", events / seconds},
                    {"spikes", signals.spike_ids.size()},
                    {"neurons", model.size()},
                    {"synapses", model.synapses()},
                    {"construct_seconds", construct_seconds},
                    {"peak_rss_bytes", be::bench::peak_rss_bytes()}};
                for (const auto& [name, rate] : signals.metadata["rates_hz"].items()) {
                    std::string key = name;
                    for (char& c : key)
                        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                    record["rate_" + key + "_hz"] = rate;
                }
                report.add(record);
            }
        }

        // ---- the prepared call's overhead -----------------------------------------------------
        be::PreparedCall noop = be::bench::prepare_noop(be::builtin_registry());
        auto x = be::HostArray::create(be::DType::float32, {16}).value();
        auto y = be::HostArray::create(be::DType::float32, {16}).value();
        BE::Tensor args[] = {x.view()}, rets[] = {y.view()};
        const int batch = quick ? 1000 : 10000;
        const double budget = quick ? 0.05 : 0.5;
        const double direct =
            be::bench::ns_per_call([] { be::bench::empty_function(nullptr); }, batch, budget);
        const double invoke =
            be::bench::ns_per_call([&] { noop.invoke(args, rets).value(); }, batch, budget);
        report.add({{"op", "invoke_overhead"},
                    {"threads", 1},
                    {"ns_per_call", invoke - direct},
                    {"invoke_ns", invoke},
                    {"direct_call_ns", direct},
                    {"seconds", (invoke - direct) * 1e-9},
                    {"peak_rss_bytes", be::bench::peak_rss_bytes()}});
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_sim: %s\n", e.what());
        return 1;
    }
    if (!report.write(json_path)) {
        std::fprintf(stderr, "bench_sim: cannot write %s\n", json_path.c_str());
        return 1;
    }
    return 0;
}
