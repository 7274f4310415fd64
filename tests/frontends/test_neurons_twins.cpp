// The neuron integrators' CUDA twins (kernels/builtin/{izhikevich,lif_cuba,lif_coba}.cu) run in
// the CUDA emulation against the CPU kernels, bitwise, over many steps with random inputs; NVRTC
// compiling the twins to PTX and CUBIN; thread splits of large populations; the bare-name
// dispatch; and bad shapes and attrs giving errors that name the argument.
#include "neuron_test_util.h"
#include "nvrtc_build.h"

#include <becore/runtime/error.h>

#include <random>

namespace be::test {
namespace {

AttrMap izhikevich_attrs() {
    return {{"dt", 0.5}};
}
AttrMap cuba_attrs() {
    return {{"dt", 0.1},        {"tau_m", 20.0}, {"tau_e", 5.0}, {"tau_i", 10.0}, {"v_rest", -49.0},
            {"v_reset", -60.0}, {"v_th", -50.0}, {"t_ref", 2.0}, {"i_ext", 0.0}};
}
AttrMap coba_attrs() {
    return {{"dt", 0.1},        {"tau_m", 20.0}, {"tau_e", 5.0},   {"tau_i", 10.0},
            {"e_rest", -60.0},  {"e_exc", 0.0},  {"e_inh", -80.0}, {"v_th", -50.0},
            {"v_reset", -60.0}, {"t_ref", 5.0},  {"i_bg", 20.0}};
}

struct Case {
    const NeuronModel* model;
    AttrMap attrs;
};

// A population with random state and parameters in each model's working range.
template <typename T> Population random_population(const Case& c, int64_t n, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(0, 1);
    Population pop(*c.model, dtype_of<T>(), n);
    for (int64_t i = 0; i < n; ++i) {
        if (c.model == &k_izhikevich) {
            // The paper's network: excitatory (regular to chattering) and inhibitory cells.
            const double r = u(rng);
            const bool exc = i % 5 != 0;
            data<T>(pop.param("a"))[i] = T(exc ? 0.02 : 0.02 + 0.08 * r);
            data<T>(pop.param("b"))[i] = T(exc ? 0.2 : 0.25 - 0.05 * r);
            data<T>(pop.param("c"))[i] = T(exc ? -65 + 15 * r * r : -65);
            data<T>(pop.param("d"))[i] = T(exc ? 8 - 6 * r * r : 2);
            data<T>(pop.state("v"))[i] = T(-65 + 20 * u(rng));
            data<T>(pop.state("u"))[i] = T(-13 + 4 * u(rng));
        } else {
            data<T>(pop.state("v"))[i] = T(-60 + 10 * u(rng));
            data<int32_t>(pop.refrac())[i] = u(rng) < 0.1 ? int32_t(u(rng) * 20) : 0;
        }
    }
    return pop;
}

// This step's inputs: sparse, of the sign each model expects.
template <typename T> void random_inputs(const Case& c, Population& pop, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(0, 1);
    for (int64_t i = 0; i < pop.size(); ++i) {
        const bool coba = c.model == &k_lif_coba;
        // Means of about 6 (g_e) and 5 (g_i) leak conductances in COBA, +22 and -10 mV in CUBA:
        // net excitation, so that neurons spike and some are refractory at any time.
        const double e = u(rng) < 0.3 ? (coba ? 0.4 : 3 * u(rng)) : 0;
        const double in = u(rng) < (coba ? 0.01 : 0.05) ? (coba ? 5.1 : -4) * u(rng) : 0;
        data<T>(pop.in_e())[i] = T(c.model == &k_izhikevich ? 10 * e : e);
        data<T>(pop.in_i())[i] = T(in);
    }
}

void copy(Population& to, const Population& from) {
    for (size_t k = 0; k < from.rets.size(); ++k)
        std::memcpy(to.rets[k].data(), from.rets[k].data(), from.rets[k].nbytes());
    for (size_t k = 0; k < from.args.size(); ++k)
        std::memcpy(to.args[k].data(), from.args[k].data(), from.args[k].nbytes());
}

// Steps `a` on device `da` and `b` on `db` from the same random start with the same inputs,
// comparing every ret bitwise after every step; returns the number of spikes.
template <typename T>
int64_t run_both(const Case& c, int64_t n, int steps, Device da, Device db, uint64_t seed) {
    std::mt19937_64 rng(seed);
    Population a = random_population<T>(c, n, rng), b(*c.model, dtype_of<T>(), n);
    copy(b, a);
    int64_t spikes = 0;
    for (int s = 0; s < steps; ++s) {
        random_inputs<T>(c, a, rng);
        for (size_t k = 0; k < 2; ++k) // in_e, in_i; b's state is its own
            std::memcpy(b.args[k].data(), a.args[k].data(), a.args[k].nbytes());
        a.step(c.attrs, da);
        b.step(c.attrs, db);
        for (size_t k = 0; k < a.rets.size(); ++k) {
            EXPECT_TRUE(bitwise_equal(b.rets[k], a.rets[k])) << "ret " << k << " step " << s;
            if (::testing::Test::HasFailure()) return spikes;
        }
        for (int64_t i = 0; i < n; ++i)
            spikes += data<bool>(a.spikes())[i];
    }
    return spikes;
}

std::vector<Case> cases() {
    return {{&k_izhikevich, izhikevich_attrs()},
            {&k_lif_cuba, cuba_attrs()},
            {&k_lif_coba, coba_attrs()}};
}

TEST(NeuronCudaTwin, EmulationIsBitwiseEqualToTheCpuKernels) {
    BE_SKIP_WITHOUT_EMULATION("be.lif_cuba_step_f32");
    // 300 neurons: two blocks of 256 threads, the second partly idle.
    for (const Case& c : cases()) {
        SCOPED_TRACE(c.model->name);
        const int64_t f64 = run_both<double>(c, 300, 100, Device::cpu, Device::cuda_emu, 1);
        const int64_t f32 = run_both<float>(c, 300, 100, Device::cpu, Device::cuda_emu, 2);
        EXPECT_GT(f64, 100) << "too few spikes to exercise the reset";
        EXPECT_GT(f32, 100) << "too few spikes to exercise the reset";
    }
}

TEST(NeuronCpu, LargePopulationsSplitOverThreadsGiveTheSameResults) {
    // 40000 neurons run in parallel ranges (>= 16384); the first 1000 of them alone run serially.
    for (const Case& c : cases()) {
        SCOPED_TRACE(c.model->name);
        std::mt19937_64 rng(9);
        Population big = random_population<double>(c, 40000, rng);
        Population small(*c.model, DType::float64, 1000);
        for (size_t k = 0; k < big.rets.size(); ++k)
            std::memcpy(small.rets[k].data(), big.rets[k].data(), small.rets[k].nbytes());
        for (size_t k = 0; k < big.args.size(); ++k)
            std::memcpy(small.args[k].data(), big.args[k].data(), small.args[k].nbytes());
        for (int s = 0; s < 20; ++s) {
            random_inputs<double>(c, big, rng);
            for (size_t k = 0; k < 2; ++k)
                std::memcpy(small.args[k].data(), big.args[k].data(), small.args[k].nbytes());
            big.step(c.attrs);
            small.step(c.attrs);
        }
        for (size_t k = 0; k < big.rets.size(); ++k)
            EXPECT_EQ(std::memcmp(small.rets[k].data(), big.rets[k].data(), small.rets[k].nbytes()),
                      0)
                << "ret " << k;
    }
}

TEST(NeuronCpu, BareNameDispatchesOnTheStateDtype) {
    for (DType dtype : {DType::float32, DType::float64}) {
        Population pop(k_lif_cuba, dtype, 3);
        pop.step(cuba_attrs(), Device::cpu, /*bare_name=*/true);
        // v_rest = -49 > v_th = -50: every neuron spikes in its first step.
        for (int i = 0; i < 3; ++i)
            EXPECT_TRUE(data<bool>(pop.spikes())[i]) << dtype_name(dtype);
    }
}

TEST(NeuronCudaTwin, CompilesWithNvrtc) {
    BE_SKIP_WITHOUT_NVRTC();
    const auto result = build_builtin_cu({"izhikevich.cu", "lif_cuba.cu", "lif_coba.cu"});
    EXPECT_EQ(result.exit_code, 0) << result.output;
    for (const char* name : {"izhikevich_step", "lif_cuba_step", "lif_coba_step"})
        for (const char* suffix : {"_f32", "_f64"})
            EXPECT_NE(result.output.find(std::string("be.") + name + suffix), std::string::npos)
                << name << suffix << "\n"
                << result.output;
}

// The error of one step of a population of 4 after `edit` changed it or its attrs.
template <typename Edit> std::string step_error(const Case& c, Device device, Edit&& edit) {
    std::mt19937_64 rng(4);
    Population pop = random_population<double>(c, 4, rng);
    AttrMap attrs = c.attrs;
    edit(pop, attrs);
    return test::error_of([&] { pop.step(attrs, device); });
}

TEST(NeuronValidation, BadShapesAndAttrsNameTheArgument) {
    for (Device device : {Device::cpu, Device::cuda_emu}) {
        if (device == Device::cuda_emu) {
            auto found = builtin_registry().find("be.lif_coba_step_f64");
            ASSERT_NE(found, nullptr);
            const auto devices = found->devices();
            if (std::find(devices.begin(), devices.end(), Device::cuda_emu) == devices.end())
                continue;
        }
        SCOPED_TRACE(device == Device::cpu ? "cpu" : "cuda-emu");
        for (const Case& c : cases()) {
            SCOPED_TRACE(c.model->name);
            auto expect = [&](const std::string& got, const std::string& want) {
                EXPECT_NE(got.find(c.model->name + ": " + want), std::string::npos)
                    << "want '" << want << "' in: " << got;
            };
            // A valid call first.
            EXPECT_EQ(step_error(c, device, [](Population&, AttrMap&) {}), "");
            // Every per-neuron array with a wrong length.
            for (size_t k = 0; k < c.model->states.size() + 2 + c.model->params.size(); ++k) {
                const bool is_state = k < c.model->states.size();
                const std::string name =
                    is_state ? c.model->states[k]
                    : k < c.model->states.size() + 2
                        ? std::string(k == c.model->states.size() ? "in_e" : "in_i")
                        : c.model->params[k - c.model->states.size() - 2];
                expect(step_error(c, device,
                                  [&](Population& pop, AttrMap&) {
                                      HostArray& a = is_state                      ? pop.state(name)
                                                     : k == c.model->states.size() ? pop.in_e()
                                                     : k == c.model->states.size() + 1
                                                         ? pop.in_i()
                                                         : pop.param(name);
                                      // v: [2, 2] (n is v's size); the others: n + 1
                                      a = HostArray::create(DType::float64,
                                                            k == 0 ? std::vector<int64_t>{2, 2}
                                                                   : std::vector<int64_t>{5})
                                              .value();
                                  }),
                       name + " must be");
            }
            expect(step_error(c, device,
                              [](Population& pop, AttrMap&) {
                                  pop.spikes() = HostArray::create(DType::bool_, {2, 2}).value();
                              }),
                   "spikes must be [n]");
            if (c.model->refrac)
                expect(step_error(c, device,
                                  [](Population& pop, AttrMap&) {
                                      pop.refrac() = HostArray::create(DType::int32, {3}).value();
                                  }),
                       "refrac must be [n]");
            expect(step_error(c, device, [](Population&, AttrMap& a) { a["dt"] = 0.0; }),
                   "dt must be > 0");
            expect(step_error(c, device, [](Population&, AttrMap& a) { a["dt"] = -0.1; }),
                   "dt must be > 0");
            if (c.model == &k_izhikevich) continue;
            for (const char* tau : {"tau_m", "tau_e", "tau_i"})
                expect(step_error(c, device, [&](Population&, AttrMap& a) { a[tau] = 0.0; }),
                       std::string(tau) + " must be > 0");
            expect(step_error(c, device, [](Population&, AttrMap& a) { a["t_ref"] = -1.0; }),
                   "t_ref must be >= 0");
        }
    }
}

TEST(NeuronValidation, WrongDtypesAndMissingAttrsAreErrors) {
    // Checked by the registry from the annotations: refrac must be int32, spikes bool, and
    // every attr must be given.
    const Case c{&k_lif_cuba, cuba_attrs()};
    std::string e = step_error(c, Device::cpu, [](Population& pop, AttrMap&) {
        pop.refrac() = HostArray::create(DType::float64, {4}).value();
    });
    EXPECT_NE(e.find("int32"), std::string::npos) << e;
    e = step_error(c, Device::cpu, [](Population& pop, AttrMap&) {
        pop.spikes() = HostArray::create(DType::uint8, {4}).value();
    });
    EXPECT_NE(e.find("bool"), std::string::npos) << e;
    e = step_error(c, Device::cpu, [](Population&, AttrMap& a) { a.erase("tau_e"); });
    EXPECT_NE(e.find("tau_e"), std::string::npos) << e;
}

} // namespace
} // namespace be::test
