// External voltage traces → Signals (trace_bridge.h documents the conventions).
#include <becore/frontends/trace_bridge.h>

#include <cmath>
#include <sstream>
#include <string>

namespace be {
namespace {

[[noreturn]] void fail(const std::string& message) {
    throw Exception(make_error(ErrorCode::invalid_argument, "trace_to_signals: " + message));
}

std::string number(double value) {
    std::ostringstream out;
    out.precision(17);
    out << value;
    return out.str();
}

// The trace as v[k * n + i] (time-major) in double, checking every value is finite.
template <typename T>
std::vector<double> time_major(const T* data, int64_t rows, int64_t cols, bool transposed) {
    std::vector<double> v(static_cast<size_t>(rows * cols));
    const int64_t n = transposed ? rows : cols;
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < cols; ++c) {
            const double x = static_cast<double>(data[r * cols + c]);
            if (!std::isfinite(x))
                fail("trace[" + std::to_string(r) + ", " + std::to_string(c) + "] is " + number(x) +
                     " (every value must be finite; sample " + std::to_string(transposed ? c : r) +
                     ", unit " + std::to_string(transposed ? r : c) + ")");
            const int64_t k = transposed ? c : r, i = transposed ? r : c;
            v[static_cast<size_t>(k * n + i)] = x;
        }
    }
    return v;
}

} // namespace

TraceLayout parse_trace_layout(std::string_view text) {
    if (text == "time_by_unit") return TraceLayout::time_by_unit;
    if (text == "unit_by_time") return TraceLayout::unit_by_time;
    if (text == "recording_by_time") return TraceLayout::recording_by_time;
    throw Exception(make_error(ErrorCode::invalid_argument,
                               "parse_trace_layout: unknown layout '" + std::string(text) +
                                   "' (expected time_by_unit, unit_by_time or recording_by_time)"));
}

std::string_view trace_layout_name(TraceLayout layout) {
    switch (layout) {
    case TraceLayout::time_by_unit:
        return "time_by_unit";
    case TraceLayout::unit_by_time:
        return "unit_by_time";
    case TraceLayout::recording_by_time:
        return "recording_by_time";
    }
    return "invalid";
}

Signals trace_to_signals(const HostArray& trace, const TraceSpec& spec) {
    const std::string_view layout = trace_layout_name(spec.layout);
    if (layout == "invalid")
        fail("layout " + std::to_string(static_cast<int>(spec.layout)) + " is not a TraceLayout");
    if (!std::isfinite(spec.dt_ms) || spec.dt_ms <= 0)
        fail("dt_ms must be > 0 and finite (got " + number(spec.dt_ms) + ")");
    if (!std::isfinite(spec.threshold_mv))
        fail("threshold_mv must be finite (got " + number(spec.threshold_mv) + ")");
    if (!std::isfinite(spec.t0_ms)) fail("t0_ms must be finite (got " + number(spec.t0_ms) + ")");
    if (spec.layers < 1) fail("layers must be >= 1 (got " + std::to_string(spec.layers) + ")");
    if (trace.ndim() != 2)
        fail("the trace must be 2-D (" + std::string(layout) + "), got shape " +
             shape_string(trace.shape()));
    if (trace.dtype() != DType::float32 && trace.dtype() != DType::float64)
        fail("the trace must be float32 or float64, got " + std::string(dtype_name(trace.dtype())));
    const bool transposed = spec.layout != TraceLayout::time_by_unit;
    const int64_t rows = trace.shape()[0], cols = trace.shape()[1];
    const int64_t t = transposed ? cols : rows, n = transposed ? rows : cols;
    const char* unit_word = spec.layout == TraceLayout::recording_by_time ? "recording" : "unit";
    if (t < 1)
        fail("the trace has no samples (shape " + shape_string(trace.shape()) + ", " +
             std::string(layout) + "; T >= 1 needed)");
    if (n < 1)
        fail("the trace has no " + std::string(unit_word) + "s (shape " +
             shape_string(trace.shape()) + ", " + std::string(layout) + "; N >= 1 needed)");

    const std::vector<double> v = trace.dtype() == DType::float32
                                      ? time_major(trace.data_as<float>(), rows, cols, transposed)
                                      : time_major(trace.data_as<double>(), rows, cols, transposed);
    // Built before anything else so that bad readout options are reported as such.
    LfpProxy proxy = [&] {
        try {
            return LfpProxy(layer_depths(n, spec.layers, spec.seed), spec.readouts);
        } catch (const Exception& e) {
            fail(e.error().message);
        }
    }();

    Signals s;
    s.time_ms.resize(static_cast<size_t>(t));
    for (int64_t k = 0; k < t; ++k)
        s.time_ms[k] = spec.t0_ms + static_cast<double>(k) * spec.dt_ms;

    for (int64_t k = 1; k < t; ++k) {
        const double* before = v.data() + (k - 1) * n;
        const double* now = v.data() + k * n;
        for (int64_t i = 0; i < n; ++i) {
            if (before[i] < spec.threshold_mv && spec.threshold_mv <= now[i]) {
                s.spike_times_ms.push_back(s.time_ms[k]);
                s.spike_ids.push_back(static_cast<int32_t>(i));
            }
        }
    }

    s.v_m = HostArray::create(DType::float64, {t, n}).value();
    std::copy(v.begin(), v.end(), s.v_m.data_as<double>());
    s.recorded.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        s.recorded[i] = static_cast<int32_t>(i);

    // The readout source: each unit's deviation from its own mean over the trace.
    std::vector<double> mean(static_cast<size_t>(n), 0.0);
    for (int64_t k = 0; k < t; ++k)
        for (int64_t i = 0; i < n; ++i)
            mean[i] += v[k * n + i];
    for (auto& m : mean)
        m /= static_cast<double>(t);
    std::vector<double> source(static_cast<size_t>(n));
    s.lfp_proxy = HostArray::create(DType::float64, {t, proxy.contacts()}).value();
    for (int64_t k = 0; k < t; ++k) {
        for (int64_t i = 0; i < n; ++i)
            source[i] = v[k * n + i] - mean[i];
        proxy.record(source.data(), s.lfp_proxy.data_as<double>() + k * proxy.contacts());
    }
    s.csd_proxy = csd_proxy(s.lfp_proxy);

    s.metadata = {
        {"source", "trace_bridge"},
        {"model_status", "computational_scaffold"},
        {"amplitude_status", false},
        {"source_calibration_status", "uncalibrated_voltage_proxy"},
        {"field_solver_status", "not_computed"},
        {"layout", layout},
        {"shape", trace.shape()},
        {"dtype", dtype_name(trace.dtype())},
        {"n_samples", t},
        {"n_units", n},
        {"dt_ms", spec.dt_ms},
        {"t0_ms", spec.t0_ms},
        {"time_convention", "time_ms[k] = t0_ms + k * dt_ms"},
        {"threshold_mv", spec.threshold_mv},
        {"spike_rule", "v[k-1] < threshold_mv <= v[k], k >= 1"},
        {"n_spikes", s.spike_ids.size()},
        {"contacts", proxy.contacts()},
        {"sigma", spec.readouts.sigma},
        {"layers", spec.layers},
        {"seed", spec.seed},
        {"readout_source", "voltage_minus_unit_mean"},
        {"csd_sign_convention", "-d2(lfp)/dz2: negative = sink, positive = source"},
    };
    return s;
}

} // namespace be
