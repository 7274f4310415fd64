// besim trace: an external voltage trace (.npy) through the trace bridge
// (frontends/.../trace_bridge.h) into the Signals files of `besim run`: spikes_t_ms.npy,
// spikes_i.npy, v_m.npy, lfp_proxy.npy, csd_proxy.npy and metadata.json, written atomically
// into a new or empty --out (output_dir.h). Runs no kernel and loads no registry.
#include "besim.h"
#include "output_dir.h"

#include <becore/frontends/trace_bridge.h>
#include <becore/runtime/npy.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>

namespace besim {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

} // namespace

CLI::App* add_trace_command(CLI::App& app, TraceOptions& o) {
    auto* cmd = app.add_subcommand(
        "trace", "Turn a voltage trace (.npy, mV) into Signals: spikes at upward threshold "
                 "crossings, v_m, LFP/CSD proxies; writes spikes_t_ms.npy, spikes_i.npy, "
                 "v_m.npy, lfp_proxy.npy, csd_proxy.npy, metadata.json");
    cmd->add_option("file", o.file, "The trace: a 2-D float32/float64 .npy")->required();
    cmd->add_option("--dt-ms", o.dt_ms, "Sampling interval in ms (> 0)")->required();
    cmd->add_option("--layout", o.layout,
                    "time_by_unit [T, N], unit_by_time [N, T] or recording_by_time [R, T]")
        ->required();
    cmd->add_option("--threshold", o.threshold_mv,
                    "Spike threshold in mV: v[k-1] < MV <= v[k] is a spike at sample k")
        ->capture_default_str();
    cmd->add_option("--contacts", o.contacts, "LFP/CSD proxy contacts, linspace(0, 1, C), >= 3")
        ->capture_default_str();
    cmd->add_option("--sigma", o.sigma, "Gaussian width of the LFP proxy (depth units)")
        ->capture_default_str();
    cmd->add_option("--layers", o.layers, "Depth bands the units are split into, in id order")
        ->capture_default_str();
    cmd->add_option("--seed", o.seed, "Seed of the units' depths")->capture_default_str();
    cmd->add_option("--t0-ms", o.t0_ms, "Time of the first sample (ms); samples at t0 + k dt")
        ->capture_default_str();
    cmd->add_option("--out", o.out_dir, "Output directory: new or empty, unless --force")
        ->required();
    cmd->add_flag("--force", o.force, "Replace a non-empty --out");
    cmd->add_flag("--json", o.as_json, "Print a JSON summary (files, counts, ms) on stdout");
    return cmd;
}

int run_trace(const TraceOptions& o) {
    const auto start = Clock::now();
    be::TraceSpec spec;
    be::Signals signals;
    try {
        spec.layout = be::parse_trace_layout(o.layout);
    } catch (const be::Exception& e) {
        fail(k_exit_invalid, "trace: " + e.error().message);
    }
    spec.dt_ms = o.dt_ms;
    spec.threshold_mv = o.threshold_mv;
    spec.readouts.contacts = o.contacts;
    spec.readouts.sigma = o.sigma;
    spec.layers = o.layers;
    spec.seed = o.seed;
    spec.t0_ms = o.t0_ms;
    check_output_dir(o.out_dir, o.force); // before reading a large trace

    std::error_code ec;
    if (!fs::is_regular_file(o.file, ec))
        fail(k_exit_invalid, "trace: " + o.file + ": no such file (or not a regular file)");
    auto trace = be::read_npy(o.file);
    if (!trace) fail(k_exit_invalid, "trace: " + trace.error().message);
    try {
        signals = be::trace_to_signals(*trace, spec);
    } catch (const be::Exception& e) {
        fail(k_exit_invalid, "trace: " + o.file + ": " + e.error().message);
    }
    signals.metadata["file"] = fs::absolute(o.file).lexically_normal().string();

    std::vector<std::string> names;
    write_outputs_atomically(o.out_dir, o.force, [&](const fs::path& staging) {
        names = write_signals(staging, signals);
    });

    const double total_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    const auto& shape = signals.v_m.shape();
    std::cerr << "besim trace: " << shape[0] << " samples x " << shape[1] << " units (" << o.layout
              << "), " << signals.spike_ids.size() << " spikes at threshold " << o.threshold_mv
              << " mV; wrote " << names.size() << " files to " << o.out_dir << "\n";
    if (o.as_json) {
        nlohmann::json files = nlohmann::json::array();
        for (const auto& name : names)
            files.push_back((fs::path(o.out_dir) / name).string());
        nlohmann::json summary = {{"command", "trace"},
                                  {"file", o.file},
                                  {"out", o.out_dir},
                                  {"layout", o.layout},
                                  {"n_samples", shape[0]},
                                  {"n_units", shape[1]},
                                  {"n_spikes", signals.spike_ids.size()},
                                  {"dt_ms", o.dt_ms},
                                  {"threshold_mv", o.threshold_mv},
                                  {"contacts", o.contacts},
                                  {"files", files},
                                  {"total_ms", total_ms}};
        std::cout << summary.dump(2) << "\n";
    }
    return 0;
}

} // namespace besim
