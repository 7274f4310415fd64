// The trace bridge: voltage traces recorded or simulated elsewhere (a Jaxley model, a NEURON run,
// an intracellular recording), as a 2-D array, turned into the Signals a becore simulation
// returns — spikes at upward threshold crossings, the trace as v_m, and the LFP/CSD proxies of
// readouts.h on top — without running a simulation.
//
// Scope, also written into the metadata: the trace is a proxy readout, not calibrated physics.
//   model_status               "computational_scaffold"  (not validated against biology)
//   amplitude_status           false                      (amplitudes are not physical claims)
//   source_calibration_status  "uncalibrated_voltage_proxy" (no mapping to ionic currents)
//   field_solver_status        "not_computed"             (no extracellular field is solved)
//
// Layouts (the array's axes; all three give the same Signals, bar metadata.layout):
//   time_by_unit       [T, N]  row k = sample k of every unit
//   unit_by_time       [N, T]  row n = the trace of unit n
//   recording_by_time  [R, T]  row r = recording r (electrodes, compartments, trials); each
//                              recording is treated as one unit
// float32 or float64, 2-D only, every value finite.
//
// Conventions (docs/readouts.md):
//   Time.    Sample k is at time_ms[k] = t0_ms + k · dt_ms: by default the first sample is at
//            t = 0, as a recorded or simulated trace usually starts with its initial state. (A
//            becore simulation labels step k with the end of the step, (k + 1) · dt_ms; set
//            t0_ms = dt_ms to match that.)
//   Spikes.  Unit n spikes at sample k >= 1 when v[k−1] < threshold <= v[k] (an upward
//            crossing), at time_ms[k], without interpolation. Sample 0 never spikes: a trace that
//            starts at or above the threshold must first fall below it. Spikes are ordered by
//            time, then unit id.
//   v_m.     The trace as [T, N] float64 (float32 values are converted exactly); recorded =
//            0 .. N − 1.
//   Readouts. Unit n gets depth layer_depths(N, layers, seed)[n]. The LFP proxy's source is the
//            deviation of each unit's voltage from its own mean over the trace, s_n(k) = v_n(k)
//            − mean_k v_n (the resting level is no field; the mean is summed in ascending k in
//            double): a conservative voltage-proxy source with no ionic-current mapping. The CSD
//            proxy is csd_proxy() of that LFP proxy.
// Errors (bad layout, rank, dtype, non-finite value, dt_ms, options) are thrown as be::Exception
// starting with "trace_to_signals: " and naming the field or the first bad index.
#pragma once

#include <becore/frontends/readouts.h>
#include <becore/frontends/signals.h>
#include <becore/runtime/array.h>

#include <cstdint>
#include <string_view>

namespace be {

enum class TraceLayout { time_by_unit, unit_by_time, recording_by_time };

// "time_by_unit", "unit_by_time" or "recording_by_time"; anything else throws be::Exception
// quoting the text and listing the three.
TraceLayout parse_trace_layout(std::string_view text);
std::string_view trace_layout_name(TraceLayout layout);

struct TraceSpec {
    double dt_ms = 0.0; // sampling interval, > 0 and finite (required: the default is rejected)
    TraceLayout layout = TraceLayout::time_by_unit;
    double threshold_mv = 0.0; // upward crossings of this value are spikes; finite
    ReadoutOptions readouts{};
    uint64_t seed = 0;  // of the units' depths (layer_depths)
    int64_t layers = 1; // depth bands the units are split into, in id order
    double t0_ms = 0.0; // time of sample 0; finite
};

Signals trace_to_signals(const HostArray& trace, const TraceSpec& spec);

} // namespace be
