// The trace bridge (frontends/include/becore/frontends/trace_bridge.h): the three layouts give
// the same Signals, spikes at hand-placed upward crossings and their response to the threshold,
// the readouts as the proxies of the mean-free voltage, the scope metadata, and the errors.
#include "test_support.h"

#include <becore/frontends/trace_bridge.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

namespace be {
namespace {

// A [rows, cols] float64 array from row-major values.
HostArray array(int64_t rows, int64_t cols, const std::vector<double>& values) {
    auto a = HostArray::create(DType::float64, {rows, cols}).value();
    std::memcpy(a.data(), values.data(), values.size() * sizeof(double));
    return a;
}

HostArray transposed(const HostArray& a) {
    const int64_t r = a.shape()[0], c = a.shape()[1];
    auto t = HostArray::create(DType::float64, {c, r}).value();
    for (int64_t i = 0; i < r; ++i)
        for (int64_t j = 0; j < c; ++j)
            t.data_as<double>()[j * r + i] = a.data_as<double>()[i * c + j];
    return t;
}

// T = 60 samples of 5 units oscillating around −60 mV through 0 mV, each with its own phase.
HostArray oscillating_trace() {
    const int64_t t = 60, n = 5;
    std::vector<double> v(t * n);
    for (int64_t k = 0; k < t; ++k)
        for (int64_t i = 0; i < n; ++i)
            v[k * n + i] = -60.0 + 70.0 * std::sin(0.31 * k + 1.3 * i) + 0.5 * i;
    return array(t, n, v);
}

bool same_bits(const HostArray& a, const HostArray& b) {
    return a.shape() == b.shape() && a.dtype() == b.dtype() &&
           std::memcmp(a.data(), b.data(), static_cast<size_t>(a.nbytes())) == 0;
}

// Unit 0 crosses 0 mV upwards at samples 2 and 5 (−5 < 0 <= 0: equality counts), not at 6
// (0 < 0 is false). Unit 1 starts above the threshold (no spike at sample 0) and crosses at 4
// and 6.
const std::vector<double> k_hand_trace = {
    // unit 0, unit 1
    -70, 10, //
    -10, 20, //
    5,   -5, //
    20,  -3, //
    -5,  1,  //
    0,   -2, //
    3,   4,  //
    -1,  4,  //
};

TEST(TraceBridge, SpikesAtUpwardCrossingsOrderedByTimeThenUnit) {
    auto s = trace_to_signals(array(8, 2, k_hand_trace), {.dt_ms = 0.5});
    EXPECT_EQ(s.spike_ids, (std::vector<int32_t>{0, 1, 0, 1}));
    EXPECT_EQ(s.spike_times_ms, (std::vector<double>{1.0, 2.0, 2.5, 3.0}));
    ASSERT_EQ(s.time_ms.size(), 8u);
    EXPECT_EQ(s.time_ms[0], 0.0); // sample 0 is at t0_ms = 0
    EXPECT_EQ(s.time_ms[7], 3.5);
    EXPECT_EQ(s.recorded, (std::vector<int32_t>{0, 1}));
    ASSERT_EQ(s.v_m.shape(), (std::vector<int64_t>{8, 2}));
    EXPECT_EQ(std::memcmp(s.v_m.data(), k_hand_trace.data(), 16 * sizeof(double)), 0);

    // Same sample: the lower id first. And t0_ms shifts every time.
    auto both = trace_to_signals(array(2, 3, {-1, -1, 5, 1, 1, 1}), {.dt_ms = 1, .t0_ms = 1});
    EXPECT_EQ(both.spike_ids, (std::vector<int32_t>{0, 1}));
    EXPECT_EQ(both.spike_times_ms, (std::vector<double>{2.0, 2.0}));
    EXPECT_EQ(both.time_ms, (std::vector<double>{1.0, 2.0}));
}

TEST(TraceBridge, ThresholdMovesAndRemovesSpikes) {
    auto at15 = trace_to_signals(array(8, 2, k_hand_trace), {.dt_ms = 0.5, .threshold_mv = 15});
    EXPECT_EQ(at15.spike_ids, (std::vector<int32_t>{1, 0})); // 10 < 15 <= 20; 5 < 15 <= 20
    EXPECT_EQ(at15.spike_times_ms, (std::vector<double>{0.5, 1.5}));
    auto at3 = trace_to_signals(array(8, 2, k_hand_trace), {.dt_ms = 0.5, .threshold_mv = 3});
    EXPECT_EQ(at3.spike_ids, (std::vector<int32_t>{0, 0, 1})); // samples 2, 6 (0 < 3 <= 3), 6
    EXPECT_EQ(at3.spike_times_ms, (std::vector<double>{1.0, 3.0, 3.0}));
    auto none = trace_to_signals(array(8, 2, k_hand_trace), {.dt_ms = 0.5, .threshold_mv = 100});
    EXPECT_TRUE(none.spike_ids.empty());
    EXPECT_TRUE(none.spike_times_ms.empty());
    EXPECT_EQ(none.metadata["n_spikes"], 0);
}

TEST(TraceBridge, AllThreeLayoutsGiveTheSameSignals) {
    auto by_unit = oscillating_trace();
    auto a = trace_to_signals(by_unit, {.dt_ms = 0.1, .layers = 2});
    EXPECT_FALSE(a.spike_ids.empty());
    for (auto layout : {TraceLayout::unit_by_time, TraceLayout::recording_by_time}) {
        auto b =
            trace_to_signals(transposed(by_unit), {.dt_ms = 0.1, .layout = layout, .layers = 2});
        const std::string name(trace_layout_name(layout));
        EXPECT_EQ(a.time_ms, b.time_ms) << name;
        EXPECT_EQ(a.spike_times_ms, b.spike_times_ms) << name;
        EXPECT_EQ(a.spike_ids, b.spike_ids) << name;
        EXPECT_EQ(a.recorded, b.recorded) << name;
        EXPECT_TRUE(same_bits(a.v_m, b.v_m)) << name;
        EXPECT_TRUE(same_bits(a.lfp_proxy, b.lfp_proxy)) << name;
        EXPECT_TRUE(same_bits(a.csd_proxy, b.csd_proxy)) << name;
        EXPECT_EQ(b.metadata["layout"], name);
        auto meta = b.metadata;
        meta["layout"] = "time_by_unit";
        meta["shape"] = a.metadata["shape"];
        EXPECT_EQ(meta, a.metadata) << name;
    }
}

TEST(TraceBridge, ReadoutsAreTheProxiesOfTheMeanFreeVoltage) {
    auto trace = oscillating_trace();
    const TraceSpec spec{
        .dt_ms = 0.1, .readouts = {.contacts = 7, .sigma = 0.2}, .seed = 4, .layers = 3};
    auto s = trace_to_signals(trace, spec);
    const int64_t t = 60, n = 5;
    auto deviation = HostArray::create(DType::float64, {t, n}).value();
    for (int64_t i = 0; i < n; ++i) {
        double mean = 0;
        for (int64_t k = 0; k < t; ++k)
            mean += trace.data_as<double>()[k * n + i];
        mean /= t;
        for (int64_t k = 0; k < t; ++k)
            deviation.data_as<double>()[k * n + i] = trace.data_as<double>()[k * n + i] - mean;
    }
    auto lfp = lfp_proxy(deviation, layer_depths(n, 3, 4), {.contacts = 7, .sigma = 0.2});
    EXPECT_TRUE(same_bits(s.lfp_proxy, lfp));
    EXPECT_TRUE(same_bits(s.csd_proxy, csd_proxy(lfp)));
    EXPECT_EQ(s.lfp_proxy.shape(), (std::vector<int64_t>{60, 7}));
    EXPECT_EQ(s.csd_proxy.shape(), (std::vector<int64_t>{60, 5}));
}

TEST(TraceBridge, Float32TracesAreConvertedExactly) {
    auto f32 = HostArray::create(DType::float32, {8, 2}).value();
    auto f64 = HostArray::create(DType::float64, {8, 2}).value();
    for (int i = 0; i < 16; ++i) {
        f32.data_as<float>()[i] = static_cast<float>(k_hand_trace[i]) + 0.1f;
        f64.data_as<double>()[i] = f32.data_as<float>()[i];
    }
    auto a = trace_to_signals(f32, {.dt_ms = 0.5}), b = trace_to_signals(f64, {.dt_ms = 0.5});
    EXPECT_EQ(a.v_m.dtype(), DType::float64);
    EXPECT_TRUE(same_bits(a.v_m, b.v_m));
    EXPECT_EQ(a.spike_ids, b.spike_ids);
    EXPECT_TRUE(same_bits(a.lfp_proxy, b.lfp_proxy));
    EXPECT_EQ(a.metadata["dtype"], "float32");
}

TEST(TraceBridge, MetadataMarksTheScope) {
    auto s = trace_to_signals(array(8, 2, k_hand_trace), {.dt_ms = 0.5,
                                                          .layout = TraceLayout::time_by_unit,
                                                          .threshold_mv = -20,
                                                          .readouts = {.contacts = 5}});
    const auto& m = s.metadata;
    EXPECT_EQ(m["model_status"], "computational_scaffold");
    EXPECT_EQ(m["amplitude_status"], false);
    EXPECT_EQ(m["source_calibration_status"], "uncalibrated_voltage_proxy");
    EXPECT_EQ(m["field_solver_status"], "not_computed");
    EXPECT_EQ(m["source"], "trace_bridge");
    EXPECT_EQ(m["layout"], "time_by_unit");
    EXPECT_EQ(m["dt_ms"], 0.5);
    EXPECT_EQ(m["threshold_mv"], -20.0);
    EXPECT_EQ(m["shape"], nlohmann::json::array({8, 2}));
    EXPECT_EQ(m["contacts"], 5);
    EXPECT_EQ(m["sigma"], 0.1);
    EXPECT_EQ(m["n_units"], 2);
    EXPECT_EQ(m["n_samples"], 8);
}

TEST(TraceBridge, LayoutNamesParseAndAnythingElseIsRejectedByName) {
    for (auto layout :
         {TraceLayout::time_by_unit, TraceLayout::unit_by_time, TraceLayout::recording_by_time})
        EXPECT_EQ(parse_trace_layout(trace_layout_name(layout)), layout);
    const auto e = test::error_of([] { parse_trace_layout("time-by-unit"); });
    EXPECT_NE(e.find("'time-by-unit'"), std::string::npos) << e;
    EXPECT_NE(e.find("recording_by_time"), std::string::npos) << e;
    EXPECT_NE(test::error_of([] { parse_trace_layout(""); }).find("''"), std::string::npos);
}

TEST(TraceBridge, InvalidTracesAndSpecsAreRejectedWithClearMessages) {
    auto ok = array(8, 2, k_hand_trace);
    auto one_d = HostArray::create(DType::float64, {8}).value();
    auto three_d = HostArray::create(DType::float64, {2, 2, 2}).value();
    auto ints = HostArray::create(DType::int32, {4, 2}).value();
    auto no_samples = HostArray::create(DType::float64, {0, 3}).value();
    auto no_units = HostArray::create(DType::float64, {3, 0}).value();
    std::vector<double> with_nan = k_hand_trace;
    with_nan[3 * 2 + 1] = NAN;
    auto nan = array(8, 2, with_nan);
    with_nan[3 * 2 + 1] = -INFINITY;
    auto inf = array(8, 2, with_nan);

    struct Case {
        std::string what, expected;
    } cases[] = {
        {test::error_of([&] { trace_to_signals(one_d, {.dt_ms = 1}); }), "must be 2-D"},
        {test::error_of([&] { trace_to_signals(three_d, {.dt_ms = 1}); }), "got shape 2x2x2"},
        {test::error_of([&] { trace_to_signals(ints, {.dt_ms = 1}); }), "got int32"},
        {test::error_of([&] { trace_to_signals(no_samples, {.dt_ms = 1}); }), "no samples"},
        {test::error_of([&] { trace_to_signals(no_units, {.dt_ms = 1}); }), "no units"},
        {test::error_of([&] { trace_to_signals(nan, {.dt_ms = 1}); }), "trace[3, 1] is nan"},
        {test::error_of([&] { trace_to_signals(inf, {.dt_ms = 1}); }), "trace[3, 1] is -inf"},
        // In unit_by_time the same element is sample 1 of unit 3.
        {test::error_of([&] {
             trace_to_signals(transposed(nan), {.dt_ms = 1, .layout = TraceLayout::unit_by_time});
         }),
         "trace[1, 3] is nan (every value must be finite; sample 3, unit 1)"},
        {test::error_of([&] { trace_to_signals(ok, {.dt_ms = 0}); }), "dt_ms must be > 0"},
        {test::error_of([&] { trace_to_signals(ok, {.dt_ms = -1}); }), "dt_ms must be > 0"},
        {test::error_of([&] { trace_to_signals(ok, {.dt_ms = NAN}); }), "dt_ms must be > 0"},
        {test::error_of([&] { trace_to_signals(ok, {}); }), "dt_ms must be > 0"},
        {test::error_of([&] { trace_to_signals(ok, {.dt_ms = 1, .threshold_mv = NAN}); }),
         "threshold_mv"},
        {test::error_of([&] { trace_to_signals(ok, {.dt_ms = 1, .readouts = {.contacts = 2}}); }),
         "contacts must be >= 3"},
        {test::error_of([&] { trace_to_signals(ok, {.dt_ms = 1, .layers = 0}); }), "layers"},
    };
    for (const auto& c : cases) {
        EXPECT_NE(c.what.find(c.expected), std::string::npos) << c.what;
        EXPECT_EQ(c.what.rfind("trace_to_signals: ", 0), 0u) << c.what;
    }
}

} // namespace
} // namespace be
