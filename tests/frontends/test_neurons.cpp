// The neuron integrators be.izhikevich_step_*, be.lif_cuba_step_*, be.lif_coba_step_* (kernels/
// builtin/{izhikevich,lif_cuba,lif_coba}.cpp) against references written here: Izhikevich's step
// written out (bitwise), the LIF CUBA neuron against the analytic solutions of its linear ODEs
// (tolerances from the rounding bounds below), the LIF COBA neuron against a forward-Euler
// reference in TIFGroup's order (bitwise), and the refractory periods step by step. The CUDA
// twins, NVRTC and the input checks are in test_neurons_twins.cpp.
#include "neuron_test_util.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

// The references below must round like the kernels (compiled without FP contraction).
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace be::test {
namespace {

// ---- Izhikevich -------------------------------------------------------------------------------

// The step of izhikevich.cpp's comment, written out in T.
template <typename T> struct IzhikevichRef {
    T v, u;
    bool spike;
};
template <typename T>
IzhikevichRef<T> izhikevich_ref(T v, T u, T in_e, T in_i, T a, T b, T c, T d, double dt) {
    const T h = T(0.5 * dt), I = in_e + in_i;
    v = v + h * (T(0.04) * (v * v) + T(5) * v + T(140) - u + I);
    v = v + h * (T(0.04) * (v * v) + T(5) * v + T(140) - u + I);
    u = u + T(dt) * a * (b * v - u);
    if (v >= T(30)) return {c, u + d, true};
    return {v, u, false};
}

template <typename T> void izhikevich_one_step() {
    SCOPED_TRACE(dtype_name(dtype_of<T>()));
    // Neuron 0: a regular-spiking cell at rest with a current; 1: a fast-spiking cell near the
    // peak (it spikes: reset v = c, u += d); 2: inhibition only, dt = 0.25 below.
    const T v0[] = {-65, 25, -60}, u0[] = {-13, -10, -12}, e[] = {10, 20, 0}, in[] = {-3, 0, -5};
    const T a[] = {T(0.02), T(0.1), T(0.02)}, b[] = {T(0.2), T(0.2), T(0.25)},
            c[] = {-65, -65, -55}, d[] = {8, 2, T(0.05)};
    for (double dt : {1.0, 0.25}) {
        Population pop(k_izhikevich, dtype_of<T>(), 3);
        for (int i = 0; i < 3; ++i) {
            data<T>(pop.state("v"))[i] = v0[i];
            data<T>(pop.state("u"))[i] = u0[i];
            data<T>(pop.in_e())[i] = e[i];
            data<T>(pop.in_i())[i] = in[i];
            data<T>(pop.param("a"))[i] = a[i];
            data<T>(pop.param("b"))[i] = b[i];
            data<T>(pop.param("c"))[i] = c[i];
            data<T>(pop.param("d"))[i] = d[i];
        }
        pop.step({{"dt", dt}});
        for (int i = 0; i < 3; ++i) {
            const auto want =
                izhikevich_ref<T>(v0[i], u0[i], e[i], in[i], a[i], b[i], c[i], d[i], dt);
            EXPECT_EQ(data<T>(pop.state("v"))[i], want.v) << "neuron " << i << " dt " << dt;
            EXPECT_EQ(data<T>(pop.state("u"))[i], want.u) << "neuron " << i << " dt " << dt;
            EXPECT_EQ(data<bool>(pop.spikes())[i], want.spike) << "neuron " << i << " dt " << dt;
        }
        // The spiking neuron, checked without the reference: v = c, u = the integrated u + d.
        EXPECT_TRUE(data<bool>(pop.spikes())[1]);
        EXPECT_EQ(data<T>(pop.state("v"))[1], c[1]);
        EXPECT_FALSE(data<bool>(pop.spikes())[0]);
        // The spike flag is written every step: cleared in the next one.
        pop.step({{"dt", dt}});
        EXPECT_FALSE(data<bool>(pop.spikes())[1]);
    }
}

TEST(NeuronIzhikevich, OneStepMatchesTheWrittenOutStep) {
    izhikevich_one_step<double>();
    izhikevich_one_step<float>();
}

TEST(NeuronIzhikevich, TonicSpikingOverManySteps) {
    // A regular-spiking cell with I = 10 (the paper's Fig. 2 tonic spiking) for 1000 ms, dt = 1:
    // every step bitwise against the reference, and a regular train of several spikes.
    Population pop(k_izhikevich, DType::float64, 1);
    double v = -70, u = 0.2 * -70;
    data<double>(pop.state("v"))[0] = v;
    data<double>(pop.state("u"))[0] = u;
    data<double>(pop.in_e())[0] = 10;
    data<double>(pop.param("a"))[0] = 0.02;
    data<double>(pop.param("b"))[0] = 0.2;
    data<double>(pop.param("c"))[0] = -65;
    data<double>(pop.param("d"))[0] = 8;
    int spikes = 0;
    for (int s = 0; s < 1000; ++s) {
        pop.step({{"dt", 1.0}});
        const auto want = izhikevich_ref<double>(v, u, 10, 0, 0.02, 0.2, -65, 8, 1.0);
        v = want.v;
        u = want.u;
        ASSERT_EQ(data<double>(pop.state("v"))[0], v) << "step " << s;
        ASSERT_EQ(data<double>(pop.state("u"))[0], u) << "step " << s;
        ASSERT_EQ(data<bool>(pop.spikes())[0], want.spike) << "step " << s;
        spikes += want.spike;
    }
    EXPECT_GE(spikes, 5);
    EXPECT_LE(spikes, 100);
}

// ---- LIF CUBA ---------------------------------------------------------------------------------

AttrMap cuba_attrs(double tau_e, double tau_i, double i_ext, double t_ref = 2.0,
                   double v_th = -50) {
    return {{"dt", 0.1},      {"tau_m", 20.0},  {"tau_e", tau_e},
            {"tau_i", tau_i}, {"v_rest", -70},  {"v_reset", -70.0},
            {"v_th", v_th},   {"t_ref", t_ref}, {"i_ext", i_ext}};
}

// The bound on |kernel - exact| used by the CUBA tests. Each step rounds v a few times; with
// |v| <= 70 mV the error a step adds is below 2 eps * 70, and the membrane propagator damps every
// earlier error (a factor P_m per step), so the rounding errors sum to below
// 2 eps * 70 / (1 - P_m) ~= 2 eps * 70 * tau_m / dt. The propagators themselves are rounded once
// to T (relative error <= eps, after exp's < 1 ulp in double): P^k then carries k eps relative
// error, and an amplitude A decaying as P^k errs by at most A eps max_k k P^k = A eps tau/(e dt);
// four such terms (P_m, P_e, c_e of each current) bound the rest by 4 eps A_total tau_max/dt.
// f64: ~1e-11 mV; f32: ~4e-3 mV (the float ulp at 70 mV is 7.6e-6; the bound assumes every
// rounding error has the same sign, which the measured errors are far below).
template <typename T> double cuba_tolerance(double amplitude, double tau_max) {
    const double eps = std::numeric_limits<T>::epsilon(), steps_per_tau = 20.0 / 0.1;
    return 2 * eps * 70 * steps_per_tau + 4 * eps * amplitude * tau_max / 0.1;
}

template <typename T> void cuba_relaxation() {
    SCOPED_TRACE(dtype_name(dtype_of<T>()));
    // v_inf = -70 + 12 = -58 (below threshold); v0 on both sides of it.
    const double v0[] = {-70, -65, -58, -52}, v_inf = -58;
    Population pop(k_lif_cuba, dtype_of<T>(), 4);
    for (int i = 0; i < 4; ++i)
        data<T>(pop.state("v"))[i] = T(v0[i]);
    const double tol = cuba_tolerance<T>(12, 20);
    double worst = 0;
    for (int k = 1; k <= 1000; ++k) { // 100 ms = 5 tau_m
        pop.step(cuba_attrs(5, 10, 12));
        for (int i = 0; i < 4; ++i) {
            const double want = v_inf + (v0[i] - v_inf) * std::exp(-k * 0.1 / 20.0);
            const double err = std::abs(double(data<T>(pop.state("v"))[i]) - want);
            worst = std::max(worst, err);
            ASSERT_LE(err, tol) << "neuron " << i << " step " << k;
            ASSERT_FALSE(data<bool>(pop.spikes())[i]);
        }
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.3g mV (tolerance %.3g)", worst, tol);
    ::testing::Test::RecordProperty("worst_error_" + std::string(dtype_name(dtype_of<T>())), text);
}

TEST(NeuronLifCuba, RelaxationMatchesTheAnalyticSolution) {
    cuba_relaxation<double>();
    cuba_relaxation<float>();
}

// tau_s/(tau_s - tau_m) (e^{-t/tau_s} - e^{-t/tau_m}), or (t/tau_m) e^{-t/tau_m} when equal: the
// response of v (in units of the arrival) to a current arriving at t = 0. When the two time
// constants are within 0.1 % of each other the difference of exponentials cancels, so there the
// same value is computed as e^{-t/tau_m} (t/tau_m) expm1(x)/x, x = t (tau_s - tau_m)/(tau_m tau_s)
// (multiply out: e^{-t/tau_m} expm1(x) = e^{-t/tau_s} - e^{-t/tau_m}).
double psp(double t, double tau_m, double tau_s) {
    if (tau_s == tau_m) return t / tau_m * std::exp(-t / tau_m);
    if (std::abs(tau_s - tau_m) > 1e-3 * tau_m)
        return tau_s / (tau_s - tau_m) * (std::exp(-t / tau_s) - std::exp(-t / tau_m));
    const double x = t * (tau_s - tau_m) / (tau_m * tau_s);
    return std::exp(-t / tau_m) * (t / tau_m) * (std::expm1(x) / x);
}

template <typename T> void cuba_arrivals(double tau_e, double tau_i) {
    SCOPED_TRACE(std::string(dtype_name(dtype_of<T>())) + " tau_e " + std::to_string(tau_e) +
                 " tau_i " + std::to_string(tau_i));
    const double w_e = 5, w_i = -3, v_rest = -70;
    Population pop(k_lif_cuba, dtype_of<T>(), 1);
    data<T>(pop.state("v"))[0] = T(v_rest);
    data<T>(pop.in_e())[0] = T(w_e);
    data<T>(pop.in_i())[0] = T(w_i);
    // Step 0 adds the arrivals after integrating: v does not move yet.
    pop.step(cuba_attrs(tau_e, tau_i, 0));
    EXPECT_EQ(data<T>(pop.state("v"))[0], T(v_rest));
    EXPECT_EQ(data<T>(pop.state("i_e"))[0], T(w_e));
    EXPECT_EQ(data<T>(pop.state("i_i"))[0], T(w_i));
    data<T>(pop.in_e())[0] = 0;
    data<T>(pop.in_i())[0] = 0;
    const double tol = cuba_tolerance<T>(w_e - w_i, std::max({20.0, tau_e, tau_i}));
    double peak = 0;
    for (int k = 1; k <= 1500; ++k) {
        pop.step(cuba_attrs(tau_e, tau_i, 0));
        const double t = k * 0.1; // since the arrival
        const double want = v_rest + w_e * psp(t, 20, tau_e) + w_i * psp(t, 20, tau_i);
        ASSERT_NEAR(double(data<T>(pop.state("v"))[0]), want, tol) << "step " << k;
        ASSERT_NEAR(double(data<T>(pop.state("i_e"))[0]), w_e * std::exp(-t / tau_e),
                    8 * std::numeric_limits<T>::epsilon() * w_e * tau_e / 0.1)
            << "step " << k;
        peak = std::max(peak, double(data<T>(pop.state("v"))[0]) - v_rest);
    }
    EXPECT_GT(peak, 0.1); // the response is visible, far above the tolerance
}

TEST(NeuronLifCuba, ArrivalsMatchTheDoubleExponentialResponse) {
    cuba_arrivals<double>(5, 10);
    cuba_arrivals<float>(5, 10);
}

TEST(NeuronLifCuba, EqualSynapticAndMembraneTimeConstants) {
    // tau_e == tau_m uses the limit (t/tau_m) e^{-t/tau_m}; tau_i just off tau_m (relative 1e-9)
    // must agree with the same limit within the tolerance: no cancellation in the propagator.
    cuba_arrivals<double>(20, 40);
    cuba_arrivals<float>(20, 40);
    cuba_arrivals<double>(20, 20 * (1 + 1e-9));
    cuba_arrivals<float>(20, 20 * (1 + 1e-9));
}

// Steps at which a neuron driven hard enough to cross in one step spikes: every
// round(t_ref/dt) + 1 steps. While refractory, v is held at v_reset and refrac counts down.
template <typename T> void refractory_steps(const NeuronModel& model, double t_ref, int period) {
    SCOPED_TRACE(model.name + " " + std::string(dtype_name(dtype_of<T>())) + " t_ref " +
                 std::to_string(t_ref));
    Population pop(model, dtype_of<T>(), 1);
    AttrMap attrs;
    const double v_reset = -65;
    if (&model == &k_lif_cuba) {
        attrs = cuba_attrs(5, 10, 1e5, t_ref);
        attrs["v_reset"] = v_reset;
    } else {
        attrs = {{"dt", 0.1},          {"tau_m", 20.0},  {"tau_e", 5.0},   {"tau_i", 10.0},
                 {"e_rest", -60.0},    {"e_exc", 0.0},   {"e_inh", -80.0}, {"v_th", -50.0},
                 {"v_reset", v_reset}, {"t_ref", t_ref}, {"i_bg", 1e5}};
    }
    data<T>(pop.state("v"))[0] = T(v_reset);
    int last = -1;
    for (int k = 0; k < 200; ++k) {
        pop.step(attrs);
        const bool spike = data<bool>(pop.spikes())[0];
        const int32_t refrac = data<int32_t>(pop.refrac())[0];
        const T v = data<T>(pop.state("v"))[0];
        // The first step integrates from v_reset and crosses; then one spike per period.
        ASSERT_EQ(spike, k % period == 0) << "step " << k;
        if (spike && last >= 0) EXPECT_EQ(k - last, period);
        if (spike) last = k;
        EXPECT_EQ(refrac, period - 1 - k % period) << "step " << k;
        EXPECT_EQ(v, T(v_reset)) << "step " << k; // reset or held
    }
}

TEST(NeuronLifCuba, RefractoryPeriodLastsRoundTrefOverDtSteps) {
    for (auto [t_ref, steps] : {std::pair{2.0, 20}, {0.0, 0}, {0.26, 3}, {0.24, 2}, {0.1, 1}}) {
        refractory_steps<double>(k_lif_cuba, t_ref, steps + 1);
        refractory_steps<float>(k_lif_cuba, t_ref, steps + 1);
    }
}

TEST(NeuronLifCuba, CurrentsDecayDuringRefractoriness) {
    // A neuron that just spiked (refrac = 5) receives an arrival: v stays at v_reset for 5 steps
    // while i_e decays by P_e per step, then integrates the current.
    Population pop(k_lif_cuba, DType::float64, 1);
    data<double>(pop.state("v"))[0] = -70;
    data<int32_t>(pop.refrac())[0] = 5;
    data<double>(pop.state("i_e"))[0] = 4;
    const double p_e = std::exp(-0.1 / 5);
    double i_e = 4;
    for (int k = 0; k < 5; ++k) {
        pop.step(cuba_attrs(5, 10, 0));
        i_e = i_e * p_e;
        EXPECT_EQ(data<double>(pop.state("v"))[0], -70);
        EXPECT_EQ(data<double>(pop.state("i_e"))[0], i_e);
        EXPECT_EQ(data<int32_t>(pop.refrac())[0], 4 - k);
    }
    pop.step(cuba_attrs(5, 10, 0));
    EXPECT_GT(data<double>(pop.state("v"))[0], -70);
}

// ---- LIF COBA ---------------------------------------------------------------------------------

// Auryn's COBA benchmark parameters in mV and ms (lif_coba.cpp).
AttrMap coba_attrs() {
    return {{"dt", 0.1},        {"tau_m", 20.0}, {"tau_e", 5.0},   {"tau_i", 10.0},
            {"e_rest", -60.0},  {"e_exc", 0.0},  {"e_inh", -80.0}, {"v_th", -50.0},
            {"v_reset", -60.0}, {"t_ref", 5.0},  {"i_bg", 20.0}};
}

// TIFGroup::evolve (Auryn, src/auryn/TIFGroup.cpp) for one neuron, written out in T with
// Auryn's expression (e_exc = 0: g_ampa * v), then the arrivals.
template <typename T> struct CobaRef {
    T v = -60, g_e = 0, g_i = 0;
    int ref = 0;
    bool step(T in_e, T in_i) {
        const T scale_mem = T(0.1 / 20.0), scale_ampa = T(std::exp(-0.1 / 5.0)),
                scale_gaba = T(std::exp(-0.1 / 10.0));
        const T e_rest = -60, e_rev_gaba = -80, thr = -50, bg = 20;
        bool spike = false;
        if (ref == 0) {
            const T dg_mem = ((e_rest - v) - g_e * (v)-g_i * (v - e_rev_gaba) + bg);
            v += dg_mem * scale_mem;
            if (v > thr) {
                spike = true;
                v = e_rest;
                ref += 50;
            }
        } else {
            ref--;
            v = e_rest;
        }
        g_e = g_e * scale_ampa;
        g_i = g_i * scale_gaba;
        g_e = g_e + in_e;
        g_i = g_i + in_i;
        return spike;
    }
};

template <typename T> void coba_vs_reference() {
    SCOPED_TRACE(dtype_name(dtype_of<T>()));
    const int n = 8;
    Population pop(k_lif_coba, dtype_of<T>(), n);
    std::vector<CobaRef<T>> ref(n);
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> u(0, 1);
    for (int i = 0; i < n; ++i) {
        ref[i].v = T(-60 + 10 * u(rng));
        data<T>(pop.state("v"))[i] = ref[i].v;
    }
    int spikes = 0, held = 0;
    for (int k = 0; k < 3000; ++k) {
        for (int i = 0; i < n; ++i) {
            // Sparse arrivals of Auryn's weights: 0.4 (excitatory) and 5.1 (inhibitory) g_leak,
            // several per step at times.
            data<T>(pop.in_e())[i] = T(0.4 * std::floor(u(rng) * 4 * (i % 2 ? 0.6 : 1.0)));
            data<T>(pop.in_i())[i] = T(u(rng) < 0.05 ? 5.1 : 0);
        }
        pop.step(coba_attrs());
        for (int i = 0; i < n; ++i) {
            const bool spike = ref[i].step(data<T>(pop.in_e())[i], data<T>(pop.in_i())[i]);
            ASSERT_EQ(data<T>(pop.state("v"))[i], ref[i].v) << "neuron " << i << " step " << k;
            ASSERT_EQ(data<T>(pop.state("g_e"))[i], ref[i].g_e) << "neuron " << i << " step " << k;
            ASSERT_EQ(data<T>(pop.state("g_i"))[i], ref[i].g_i) << "neuron " << i << " step " << k;
            ASSERT_EQ(data<int32_t>(pop.refrac())[i], ref[i].ref)
                << "neuron " << i << " step " << k;
            ASSERT_EQ(data<bool>(pop.spikes())[i], spike) << "neuron " << i << " step " << k;
            spikes += spike;
            held += ref[i].ref > 0;
        }
    }
    // Both branches and both kinds of input were exercised.
    EXPECT_GT(spikes, 20);
    EXPECT_GT(held, 500);
}

TEST(NeuronLifCoba, MatchesAurynsForwardEulerBitwise) {
    coba_vs_reference<double>();
    coba_vs_reference<float>();
}

TEST(NeuronLifCoba, RefractoryPeriodLastsRoundTrefOverDtSteps) {
    for (auto [t_ref, steps] : {std::pair{5.0, 50}, {0.0, 0}, {0.26, 3}}) {
        refractory_steps<double>(k_lif_coba, t_ref, steps + 1);
        refractory_steps<float>(k_lif_coba, t_ref, steps + 1);
    }
}

TEST(NeuronLifCoba, ThresholdIsStrictAndArrivalsActFromTheNextStep) {
    // v exactly at threshold after a step does not spike (Auryn: v > thr); a conductance
    // arriving in step 0 leaves v of step 0 alone.
    Population pop(k_lif_coba, DType::float64, 1);
    AttrMap attrs = coba_attrs();
    attrs["i_bg"] = 0.0;
    attrs["e_rest"] = -50.0; // v relaxes onto -50 = v_th exactly and stays there
    data<double>(pop.state("v"))[0] = -50;
    data<double>(pop.in_e())[0] = 0.4;
    pop.step(attrs);
    EXPECT_FALSE(data<bool>(pop.spikes())[0]);
    EXPECT_EQ(data<double>(pop.state("v"))[0], -50);
    EXPECT_EQ(data<double>(pop.state("g_e"))[0], 0.4);
    data<double>(pop.in_e())[0] = 0;
    pop.step(attrs); // now g_e pulls v towards e_exc = 0: above threshold
    EXPECT_TRUE(data<bool>(pop.spikes())[0]);
    EXPECT_EQ(data<double>(pop.state("v"))[0], -60);
}

} // namespace
} // namespace be::test
