// The simulator (frontends/simulator.h): configuration errors, bitwise reproducibility (runs,
// threads, processes, cpu vs cuda-emu), exact axonal delays, the input generators' statistics,
// the presets' rates against their published regimes, and a user's AdEx target called exactly
// like the built-ins, held against a reference integration written here.
#include "determinism_util.h"
#include "nvrtc_build.h"
#include "test_support.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/simulator.h>

#include <be/sim_rng.h>

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

namespace be {
namespace {

// A small E/I network with every kind of pathway and input, fast enough for the emulation.
Configuration small_network(uint64_t seed = 3) {
    Pathway ee{"E", "E", "jitc", 0.1, {WeightDist::Kind::constant, 0.5, 0}, 0.3, "e"};
    Pathway ei{"E", "I", "csr", 0.1, {WeightDist::Kind::uniform, 0.2, 0.6}, 0.2, "e"};
    Pathway ie{"I", "*", "fixed-pre", 0, {WeightDist::Kind::normal, 3.0, 0.5}, 0.1, "i"};
    ie.k = 10;
    ie.autapses = false;
    Pathway ii{"I", "I", "fixed-post", 0, {WeightDist::Kind::constant, 1.0, 0}, 0.2, "i"};
    ii.k = 5;
    ii.autapses = false;
    Input drive;
    drive.kind = "poisson";
    drive.rate_hz = 50;
    drive.sources = 100;
    drive.weight = 0.3;
    return Configuration::preset("coba-auryn")
        .runtime(seed, DType::float32, 20, 0.1)
        .column("column", 2, 200)
        .clear_connectivity()
        .connectivity(ee)
        .connectivity(ei)
        .connectivity(ie)
        .connectivity(ii)
        .input(drive)
        .probes({"SPK", "Vm", "LFP-proxy", "CSD-proxy"});
}

void expect_same(const Signals& a, const Signals& b) {
    EXPECT_EQ(a.spike_ids, b.spike_ids);
    EXPECT_EQ(a.spike_times_ms, b.spike_times_ms);
    EXPECT_EQ(test::digest(a.v_m), test::digest(b.v_m));
    EXPECT_EQ(test::digest(a.lfp_proxy), test::digest(b.lfp_proxy));
    EXPECT_EQ(test::digest(a.csd_proxy), test::digest(b.csd_proxy));
}

std::string construct_error(const Configuration& c) {
    return test::error_of([&] { construct(c); });
}

#define EXPECT_CONSTRUCT_ERROR(config, text)                                                       \
    do {                                                                                           \
        const std::string message = construct_error(config);                                       \
        EXPECT_NE(message.find(text), std::string::npos) << message;                               \
    } while (0)

TEST(SimConfig, EveryInvalidFieldIsNamed) {
    const Configuration ok = Configuration::preset("coba-auryn").duration(1);
    EXPECT_NO_THROW(construct(ok));
    EXPECT_CONSTRUCT_ERROR(ok.cell_types({{"E", 0.7}, {"I", 0.2}}),
                           "cell_types: the fractions sum to 0.9, not 1");
    EXPECT_CONSTRUCT_ERROR(ok.cell_types({{"E", 1.2}, {"I", -0.2}}), "cell_types.I");
    EXPECT_CONSTRUCT_ERROR(ok.column("c", 1, -5), "column.n: must be a positive number");
    EXPECT_CONSTRUCT_ERROR(ok.column("c", 0, 100), "column.layers");
    EXPECT_CONSTRUCT_ERROR(ok.column("c", std::vector<std::string>{}, 100),
                           "column.layers: must be at least 1, not 0");
    EXPECT_CONSTRUCT_ERROR(ok.column("c", {"L4", "L4"}, 100), "column.layers: 'L4' is named twice");
    EXPECT_CONSTRUCT_ERROR(ok.column("c", {"L4", ""}, 100),
                           "column.layers: '' is not a layer name");
    EXPECT_CONSTRUCT_ERROR(ok.set_emitter("hodgkin_huxley", "x"), "unknown model 'hodgkin_huxley'");
    EXPECT_CONSTRUCT_ERROR(ok.set_emitter("custom", "mylab.missing"),
                           "set_emitter(custom, mylab.missing): no such target");
    EXPECT_CONSTRUCT_ERROR(ok.probes({"SPK", "EEG"}), "probes: unknown probe 'EEG'");
    EXPECT_CONSTRUCT_ERROR(ok.runtime(1, DType::float32, 10, 0), "runtime.dt_ms");
    EXPECT_CONSTRUCT_ERROR(ok.runtime(1, DType::float32, 10, -0.1), "runtime.dt_ms");
    EXPECT_CONSTRUCT_ERROR(ok.runtime(1, DType::float32, 1.05, 0.1),
                           "runtime.duration_ms: 1.05 ms is not a whole number of steps of 0.1 ms");
    EXPECT_CONSTRUCT_ERROR(ok.runtime(1, DType::int32, 10, 0.1), "runtime: RuntimeConfig: dtype");
    EXPECT_CONSTRUCT_ERROR(ok.attr("tau_x", 3),
                           "attr.tau_x: the target be.lif_coba_step has no such attr");
    EXPECT_CONSTRUCT_ERROR(ok.record({4000}), "record: neuron 4000");
    EXPECT_CONSTRUCT_ERROR(ok.initial_state("E", "w", {}), "initial_state.E.w");
    EXPECT_CONSTRUCT_ERROR(ok.initial_state("X", "v", {}), "cell type 'X': unknown (known: E, I");
    EXPECT_CONSTRUCT_ERROR(ok.contacts(2).probes({"LFP-proxy"}),
                           "contacts: readouts need at least 3");

    Pathway bad{"E", "Z", "csr", 0.1, {}, 1, ""};
    EXPECT_CONSTRUCT_ERROR(ok.connectivity(bad), "cell type 'Z'");
    bad.target = "E";
    bad.format = "dense";
    EXPECT_CONSTRUCT_ERROR(ok.connectivity(bad),
                           "connectivity[4].format: unknown format 'dense' (known: jitc, csr, "
                           "fixed-pre, fixed-post)");
    bad.format = "jitc";
    bad.p = 1.5;
    EXPECT_CONSTRUCT_ERROR(ok.connectivity(bad), "connectivity[4].p");
    bad.p = 0.1;
    bad.autapses = false;
    EXPECT_CONSTRUCT_ERROR(ok.connectivity(bad), "connectivity[4].autapses");
    bad.format = "fixed-pre";
    bad.k = 5000;
    EXPECT_CONSTRUCT_ERROR(ok.connectivity(bad),
                           "connectivity[4].k: the in-degree must be in [1, 3199]");
    bad.format = "fixed-post";
    bad.target = "I";
    EXPECT_CONSTRUCT_ERROR(ok.connectivity(bad),
                           "connectivity[4].k: the out-degree must be in [1, 800]");
    bad.target = "E";
    bad.k = 5;
    bad.delay_ms = -1;
    EXPECT_CONSTRUCT_ERROR(ok.connectivity(bad), "connectivity[4].delay_ms");
    bad.delay_ms = 1;
    bad.weight = {WeightDist::Kind::uniform, 1, 0};
    EXPECT_CONSTRUCT_ERROR(ok.connectivity(bad),
                           "connectivity[4].weight: the uniform weights need low <= high");
    Input in;
    in.kind = "burst";
    EXPECT_CONSTRUCT_ERROR(ok.input(in), "inputs[0].kind: unknown input 'burst'");
    in.kind = "poisson";
    in.rate_hz = 1e9;
    EXPECT_CONSTRUCT_ERROR(ok.input(in), "inputs[0]: expects 100000 events per neuron and step");

    const Configuration izh = Configuration::preset("izhikevich2003").duration(1);
    EXPECT_NO_THROW(construct(izh));
    EXPECT_CONSTRUCT_ERROR(Configuration::preset("izhikevich2003").param("I", "e", {}),
                           "param.I.e: the target be.izhikevich_step has no per-neuron arg 'e'");
    try {
        Configuration::preset("nope");
        ADD_FAILURE() << "no exception";
    } catch (const Exception& e) {
        EXPECT_NE(
            std::string(e.what()).find("unknown preset 'nope' (known: coba-auryn, coba, cuba, "
                                       "brunel2000, izhikevich2003)"),
            std::string::npos)
            << e.what();
    }
}

TEST(SimConfig, MissingAttrAndAMisfitCustomTargetAreNamed) {
    Configuration c = Configuration::preset("cuba").set_emitter("lif_cuba", "mine");
    Configuration missing = Configuration{}
                                .runtime(1, DType::float32, 1, 0.1)
                                .column("c", 1, 10)
                                .cell_types({{"E", 1.0}})
                                .set_emitter("lif_cuba", "bare");
    EXPECT_CONSTRUCT_ERROR(missing, "attr.");
    EXPECT_CONSTRUCT_ERROR(missing, "the target be.lif_cuba_step needs it");
    ASSERT_TRUE(builtin_registry()
                    .load_cpp_inline("misfit", R"(
// @BE no_spikes_f32 = no_spikes<float> ret:float32 ret:float32 arg:float32 arg:float32 attr.dt:float64
template <typename T> void no_spikes(BE::Tensor& v, BE::Tensor& w, const BE::Tensor& in_e,
                                     const BE::Tensor& in_i, double dt) {}
)",
                                     "simtest_misfit")
                    .ok());
    EXPECT_CONSTRUCT_ERROR(c.set_emitter("custom", "simtest_misfit.no_spikes"),
                           "does not fit the neuron calling convention (docs/simulator.md): its "
                           "last ret must be the bool spikes [n], not float32");
}

TEST(SimReproducible, SameSeedSameSignalsAndThreadCountsAgree) {
    const Model model = construct(small_network());
    const Signals a = simulate(model);
    const Signals b = simulate(model);
    ASSERT_GT(a.spike_ids.size(), 10u) << "the test network should be active";
    expect_same(a, b);
    EXPECT_EQ(a.v_m.shape(), (std::vector<int64_t>{200, 100}));
    EXPECT_EQ(a.lfp_proxy.shape(), (std::vector<int64_t>{200, 16}));
    EXPECT_EQ(a.csd_proxy.shape(), (std::vector<int64_t>{200, 14}));
    const Signals one = simulate(construct(small_network().threads(1)));
    const Signals two = simulate(construct(small_network().threads(2)));
    expect_same(a, one);
    expect_same(one, two);
    SimulateOptions other;
    other.seed = 4;
    const Signals c = simulate(model, other);
    EXPECT_NE(a.spike_ids, c.spike_ids) << "another trial seed changes the initial state and input";
}

TEST(SimMetadata, CarriesTheConfigurationSeedAndRuntimeReport) {
    const Signals s = simulate(construct(small_network(5).duration(1)));
    const nlohmann::json& m = s.metadata;
    EXPECT_EQ(m["seed"], 5);
    EXPECT_EQ(m["configuration"], small_network(5).duration(1).to_json());
    EXPECT_EQ(m["configuration"]["runtime"]["dt_ms"], 0.1);
    EXPECT_EQ(m["steps"], 10);
    EXPECT_EQ(m["neurons"], 200);
    EXPECT_EQ(m["model_status"], "computational_scaffold");
    const nlohmann::json& report = m["runtime_report"];
    const auto devices = report["available_devices"].get<std::vector<std::string>>();
    EXPECT_EQ(devices.front(), "cpu");
    const bool cuda = std::find(devices.begin(), devices.end(), "cuda") != devices.end();
    EXPECT_EQ(report["default_device"], cuda ? "cuda" : "cpu");
    EXPECT_FALSE(report["platform"].get<std::string>().empty());
    EXPECT_FALSE(report["cpu"].get<std::string>().empty());
    EXPECT_NE(report["versions"]["kernel_toolchain"].get<std::string>().find("clang"),
              std::string::npos);
    EXPECT_FALSE(report["versions"]["becore"].get<std::string>().empty());
    EXPECT_EQ(s.time_ms.size(), 10u);
    EXPECT_DOUBLE_EQ(s.time_ms.back(), 1.0);
}

TEST(SimMetadata, NamedLayersAreTheCountedLayersWithTheirNames) {
    const Configuration counted = small_network().duration(2);
    const Configuration named = counted.column("V1", {"L2/3", "L4"}, 200);
    const Signals a = simulate(construct(counted));
    const Signals b = simulate(construct(named));
    expect_same(a, b); // the same depth bands: names change nothing but the metadata
    EXPECT_EQ(b.metadata["configuration"]["column"]["layer_names"], (nlohmann::json{"L2/3", "L4"}));
    EXPECT_EQ(b.metadata["configuration"]["column"]["layers"], 2);
    EXPECT_FALSE(a.metadata["configuration"]["column"].contains("layer_names"));
    EXPECT_TRUE(named.column("V1", 2, 200).data().layer_names.empty());
}

TEST(SimReproducible, CudaEmulationEqualsCpu) {
    const Configuration cpu = small_network().duration(5);
    const Configuration emu = cpu.runtime(cpu.data().runtime.with_device(Device::cuda_emu));
    const Signals a = simulate(construct(cpu));
    const Signals b = simulate(construct(emu));
    ASSERT_GT(a.spike_ids.size(), 0u);
    expect_same(a, b);
}

// Child of SimDeterminism.AcrossProcessesAndThreadCounts (determinism_util.h).
TEST(SimDeterminismChild, ShortCobaAuryn) {
    const Signals s =
        simulate(construct(Configuration::preset("coba-auryn").duration(30).probes({"SPK", "Vm"})));
    ASSERT_GT(s.spike_ids.size(), 0u);
    uint64_t h = test::digest(s.v_m);
    for (int32_t id : s.spike_ids)
        h = (h ^ static_cast<uint64_t>(id)) * 1099511628211ull;
    test::write_digest(h);
}

TEST(SimDeterminism, AcrossProcessesAndThreadCounts) {
    test::expect_one_digest_for_any_thread_count("SimDeterminismChild.ShortCobaAuryn");
}

// A pacemaker: fires when its step counter reaches fire_at, and shows in v the input it got.
constexpr const char* k_pacemaker = R"(
// @BE pacemaker_f32 = pacemaker<float> ret:float32 ret:int32 ret:bool arg:float32 arg:float32 arg:float32 attr.dt:float64
// @BE pacemaker_f64 = pacemaker<double> ret:float64 ret:int32 ret:bool arg:float64 arg:float64 arg:float64 attr.dt:float64
template <typename T>
void pacemaker(BE::Tensor& v, BE::Tensor& count, BE::Tensor& spikes, const BE::Tensor& in_e,
               const BE::Tensor& in_i, const BE::Tensor& fire_at, double dt) {
    for (int64_t i = 0; i < v.numel(); ++i) {
        v.data_ptr<T>()[i] = in_e.data_ptr<T>()[i] + in_i.data_ptr<T>()[i];
        spikes.data_ptr<bool>()[i] = count.data_ptr<int32_t>()[i] == int32_t(fire_at.data_ptr<T>()[i]);
        count.data_ptr<int32_t>()[i] += 1;
    }
}
)";

TEST(SimDelay, SpikesArriveExactlyDelayStepsLater) {
    ASSERT_TRUE(builtin_registry().load_cpp_inline("pacemaker", k_pacemaker, "simtest").ok());
    for (const std::string format : {"jitc", "csr", "fixed-pre", "fixed-post"})
        for (int delay : {1, 3, 7}) {
            Pathway p{"A",         "B", format, 1.0, {WeightDist::Kind::constant, 1.5, 0},
                      0.1 * delay, "e"};
            p.k = 1;
            const Configuration c = Configuration{}
                                        .runtime(1, DType::float64, 2.0, 0.1)
                                        .column("c", 1, 2)
                                        .cell_types({{"A", 0.5}, {"B", 0.5}})
                                        .set_emitter("custom", "simtest.pacemaker")
                                        .param("A", "fire_at", {3, 0, 1})
                                        .param("B", "fire_at", {-1, 0, 1})
                                        .connectivity(p)
                                        .probes({"SPK", "Vm"});
            const Signals s = simulate(construct(c));
            ASSERT_EQ(s.spike_ids, std::vector<int32_t>{0}) << format;
            EXPECT_DOUBLE_EQ(s.spike_times_ms[0], 0.4); // step 3 ends at 0.4 ms
            ASSERT_EQ(s.v_m.shape(), (std::vector<int64_t>{20, 2}));
            for (int64_t t = 0; t < 20; ++t)
                EXPECT_EQ(s.v_m.data_as<double>()[t * 2 + 1], t == 3 + delay ? 1.5 : 0.0)
                    << format << " delay " << delay << " step " << t;
        }
}

TEST(SimInput, PoissonCountsFollowThePoissonDistribution) {
    // 200 000 neurons, lambda = 2.5, weight 1: the counts themselves. Chi-square over k = 0..8
    // and a tail bin (9 degrees of freedom): a correct generator exceeds 40 with p < 1e-5.
    const int64_t n = 200'000;
    const double lambda = 2.5;
    auto out = HostArray::create(DType::float64, {n}).value();
    auto step = HostArray::create(DType::int64, {1}).value();
    step.data_as<int64_t>()[0] = 17;
    BE::Tensor args[] = {step.view()}, rets[] = {out.view()};
    call_builtin("poisson_input_f64", args, rets,
                 {{"seed", int64_t{5}},
                  {"stream", int64_t{64}},
                  {"first", int64_t{0}},
                  {"lambda", lambda},
                  {"exp_minus_lambda", std::exp(-lambda)},
                  {"weight", 1.0}});
    std::vector<double> observed(10, 0);
    double sum = 0, sum2 = 0;
    for (int64_t i = 0; i < n; ++i) {
        const double k = out.data_as<double>()[i];
        ASSERT_EQ(k, std::floor(k));
        observed[static_cast<size_t>(std::min(k, 9.0))] += 1;
        sum += k;
        sum2 += k * k;
    }
    double chi2 = 0, pmf = std::exp(-lambda), cdf = 0;
    for (int k = 0; k < 10; ++k) {
        const double p = k < 9 ? pmf : 1 - cdf;
        chi2 += (observed[k] - n * p) * (observed[k] - n * p) / (n * p);
        cdf += pmf;
        pmf *= lambda / (k + 1);
    }
    EXPECT_LT(chi2, 40.0);
    const double mean = sum / n, var = sum2 / n - mean * mean;
    EXPECT_NEAR(mean, lambda, 5 * std::sqrt(lambda / n)); // 5 standard errors
    EXPECT_NEAR(var, lambda, 0.05);                       // ~5 standard errors of the variance

    // Keyed by (seed, stream, neuron, step): a slice starting at `first` draws the same values.
    auto part = HostArray::create(DType::float64, {1000}).value();
    BE::Tensor part_rets[] = {part.view()};
    call_builtin("poisson_input_f64", args, part_rets,
                 {{"seed", int64_t{5}},
                  {"stream", int64_t{64}},
                  {"first", int64_t{5000}},
                  {"lambda", lambda},
                  {"exp_minus_lambda", std::exp(-lambda)},
                  {"weight", 1.0}});
    for (int64_t i = 0; i < 1000; ++i)
        ASSERT_EQ(part.data_as<double>()[i], out.data_as<double>()[5000 + i]) << i;
}

TEST(SimInput, GaussianNoiseHasItsMeanAndStddev) {
    const int64_t n = 200'000;
    auto out = HostArray::create(DType::float64, {n}).value();
    auto step = HostArray::create(DType::int64, {1}).value();
    BE::Tensor args[] = {step.view()}, rets[] = {out.view()};
    call_builtin("normal_input_f64", args, rets,
                 {{"seed", int64_t{9}},
                  {"stream", int64_t{65}},
                  {"first", int64_t{0}},
                  {"mean", 1.0},
                  {"stddev", 5.0}});
    double sum = 0, sum2 = 0;
    for (int64_t i = 0; i < n; ++i) {
        sum += out.data_as<double>()[i];
        sum2 += out.data_as<double>()[i] * out.data_as<double>()[i];
    }
    const double mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
    EXPECT_NEAR(mean, 1.0, 5 * 5.0 / std::sqrt(n)); // 5 standard errors
    EXPECT_NEAR(sd, 5.0, 5 * 5.0 / std::sqrt(2.0 * n));
}

TEST(SimInput, CudaTwinCompilesWithNvrtc) {
    BE_SKIP_WITHOUT_NVRTC();
    const auto result = test::build_builtin_cu({"sim_input.cu"});
    EXPECT_EQ(result.exit_code, 0) << result.output;
    for (const char* name : {"poisson_input", "normal_input"})
        for (const char* suffix : {"_f32", "_f64"})
            EXPECT_NE(result.output.find(std::string("be.") + name + suffix), std::string::npos)
                << name << suffix << "\n"
                << result.output;
}

double rate(const Signals& s, const std::string& population) {
    return s.metadata["rates_hz"][population].get<double>();
}

TEST(SimPresets, CobaAurynFiresAtAurynsRate) {
    // Auryn's sim_coba_benchmark fires at ~17 Hz (the issue's measurement); within 25 %.
    const Signals s = simulate(construct(Configuration::preset("coba-auryn")));
    for (const char* pop : {"E", "I"}) {
        EXPECT_GT(rate(s, pop), 17 * 0.75) << pop;
        EXPECT_LT(rate(s, pop), 17 * 1.25) << pop;
    }
}

TEST(SimPresets, PublishedRegimes) {
    // Izhikevich (2003), Fig. 3: sparse firing with alpha/gamma rhythms, single-digit rates.
    const Signals izh = simulate(construct(Configuration::preset("izhikevich2003")));
    EXPECT_GT(rate(izh, "E"), 2);
    EXPECT_LT(rate(izh, "E"), 20);
    // Brette et al. (2007), benchmarks 1 and 2: self-sustained asynchronous activity at rates
    // of a few to a few tens of Hz.
    for (const char* name : {"coba", "cuba"}) {
        const Signals s = simulate(construct(Configuration::preset(name).duration(500)));
        EXPECT_GT(rate(s, "E"), 2) << name;
        EXPECT_LT(rate(s, "E"), 40) << name;
    }
    // Brunel (2000), Fig. 8C: the asynchronous irregular state at g = 5, nu_ext = 2 nu_thr, with
    // rates of a few tens of Hz. 100 ms: the stored network is large.
    const Signals b = simulate(construct(Configuration::preset("brunel2000").duration(100)));
    EXPECT_GT(rate(b, "E"), 10);
    EXPECT_LT(rate(b, "E"), 80);
}

// AdEx (Brette & Gerstner 2005), written as a user would: its own target, state v and w.
constexpr const char* k_adex = R"(
// @BE adex_step_f64 = adex_step<double> ret:float64 ret:float64 ret:bool arg:float64 arg:float64 attr.dt:float64 attr.c_m:float64 attr.g_l:float64 attr.e_l:float64 attr.v_t:float64 attr.delta_t:float64 attr.tau_w:float64 attr.a:float64 attr.b:float64 attr.v_reset:float64 attr.v_peak:float64
#include <cmath>
template <typename T>
void adex_step(BE::Tensor& v, BE::Tensor& w, BE::Tensor& spikes, const BE::Tensor& in_e,
               const BE::Tensor& in_i, double dt, double c_m, double g_l, double e_l, double v_t,
               double delta_t, double tau_w, double a, double b, double v_reset, double v_peak) {
    for (int64_t i = 0; i < v.numel(); ++i) {
        T& vi = v.data_ptr<T>()[i];
        T& wi = w.data_ptr<T>()[i];
        const T current = in_e.data_ptr<T>()[i] + in_i.data_ptr<T>()[i];
        const T dv = (-g_l * (vi - e_l) + g_l * delta_t * std::exp((vi - v_t) / delta_t) - wi + current) / c_m;
        const T dw = (a * (vi - e_l) - wi) / tau_w;
        vi = vi + dt * dv;
        wi = wi + dt * dw;
        const bool spike = vi >= v_peak;
        if (spike) {
            vi = v_reset;
            wi = wi + b;
        }
        spikes.data_ptr<bool>()[i] = spike;
    }
}
)";

TEST(SimCustom, AdexTargetIsCalledLikeABuiltin) {
    ASSERT_TRUE(builtin_registry().load_cpp_inline("adex", k_adex, "mylab").ok());
    // Brette & Gerstner (2005), tonic firing: C = 281 pF, g_L = 30 nS, E_L = -70.6 mV,
    // V_T = -50.4 mV, Delta_T = 2 mV, tau_w = 144 ms, a = 4 nS, b = 80.5 pA; units pF, nS, mV,
    // ms, pA. Input: Poisson drive, 40 sources at 100 Hz, 2 nA each (800 pA on average, above
    // the rheobase of ~550 pA).
    Input drive;
    drive.rate_hz = 100;
    drive.sources = 40;
    drive.weight = 2000;
    const Configuration c = Configuration{}
                                .runtime(11, DType::float64, 200, 0.1)
                                .column("c", 1, 20)
                                .cell_types({{"E", 1.0}})
                                .set_emitter("custom", "mylab.adex_step")
                                .attr("c_m", 281)
                                .attr("g_l", 30)
                                .attr("e_l", -70.6)
                                .attr("v_t", -50.4)
                                .attr("delta_t", 2)
                                .attr("tau_w", 144)
                                .attr("a", 4)
                                .attr("b", 80.5)
                                .attr("v_reset", -70.6)
                                .attr("v_peak", 20)
                                .initial_state("E", "v", {-70.6, 0, 1})
                                .input(drive)
                                .probes({"SPK", "Vm"});
    const Signals s = simulate(construct(c));
    ASSERT_GT(s.spike_ids.size(), 20u) << "the drive should make the neurons fire";

    // The reference: the same model integrated here, with the input drawn as the simulator's
    // Poisson generator does (be/sim_rng.h: stream 64 for input 0, keyed by neuron and step).
    const double lambda = 100 * 1e-3 * 0.1 * 40;
    std::vector<double> v(20, -70.6), w(20, 0.0);
    std::vector<int32_t> ids;
    std::vector<double> times;
    for (int64_t t = 0; t < 2000; ++t) {
        for (int64_t i = 0; i < 20; ++i) {
            be_jitc::KeyedDraws draws(11, be_jitc::k_stream_input, static_cast<uint64_t>(i),
                                      static_cast<uint64_t>(t));
            const double current =
                2000.0 * static_cast<double>(draws.poisson(lambda, std::exp(-lambda)));
            const double dv = (-30 * (v[i] - -70.6) + 30 * 2 * std::exp((v[i] - -50.4) / 2) - w[i] +
                               (current + 0.0)) /
                              281;
            const double dw = (4 * (v[i] - -70.6) - w[i]) / 144;
            v[i] = v[i] + 0.1 * dv;
            w[i] = w[i] + 0.1 * dw;
            if (v[i] >= 20) {
                v[i] = -70.6;
                w[i] = w[i] + 80.5;
                ids.push_back(static_cast<int32_t>(i));
                times.push_back(static_cast<double>(t + 1) * 0.1);
            }
        }
        if (t == 1999)
            for (int64_t i = 0; i < 20; ++i)
                EXPECT_NEAR(s.v_m.data_as<double>()[t * 20 + i], v[i], 1e-9 * std::abs(v[i]));
    }
    EXPECT_EQ(s.spike_ids, ids);
    EXPECT_EQ(s.spike_times_ms, times);
}

} // namespace
} // namespace be
