// Signals: what a simulation (or the trace bridge, for voltage traces recorded elsewhere) hands
// back. Times are in ms, arrays are owning HostArrays so that they can be written as `.npy`
// files as they are (`besim run` / `besim trace` do).
#pragma once

#include <becore/runtime/array.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

namespace be {

struct Signals {
    // Recorded steps: time_ms[k] = (k + 1) * dt_ms, the time at the end of step k. [T]
    // (From the trace bridge: the sample times, t0_ms + k * dt_ms, sample 0 at t0_ms = 0 by
    // default; its spikes are at the sample of the upward crossing. trace_bridge.h.)
    std::vector<double> time_ms;
    // Every spike in order of time, then neuron id: spike_times_ms[s] is the time at the end of
    // the step in which neuron spike_ids[s] crossed its threshold.
    std::vector<double> spike_times_ms;
    std::vector<int32_t> spike_ids;
    // Membrane potential (mV) of the recorded neurons, [T, recorded.size()], in the simulation's
    // dtype; empty (shape {0}) when not probed.
    HostArray v_m;
    std::vector<int32_t> recorded; // the neuron ids behind v_m's columns
    // Readouts (frontends/readouts.h), float64, empty when not probed: [T, C] and [T, C - 2].
    // Proxies, not field solutions (readouts.h, docs/readouts.md).
    HostArray lfp_proxy;
    HostArray csd_proxy;
    // The configuration, seed, runtime report and scope markers.
    nlohmann::json metadata = nlohmann::json::object();
};

} // namespace be
