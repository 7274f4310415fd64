// Helpers for the neuron integrator tests (test_neurons*.cpp): a population's arrays in the
// targets' calling convention (rets: float states, [refrac int32], spikes bool; args: in_e, in_i,
// [per-neuron parameters]) and one step through the built-in target on cpu or cuda-emu.
#pragma once

#include <becore/frontends/builtins.h>
#include <becore/runtime/array.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace be::test {

// One model's calling convention.
struct NeuronModel {
    std::string name;                // the target without its dtype suffix, e.g. "lif_cuba_step"
    std::vector<std::string> states; // the float state rets, in order
    bool refrac = false;             // an int32 refrac ret follows the states
    std::vector<std::string> params; // per-neuron parameter args after in_e, in_i
};

inline const NeuronModel k_izhikevich{"izhikevich_step", {"v", "u"}, false, {"a", "b", "c", "d"}};
inline const NeuronModel k_lif_cuba{"lif_cuba_step", {"v", "i_e", "i_i"}, true, {}};
inline const NeuronModel k_lif_coba{"lif_coba_step", {"v", "g_e", "g_i"}, true, {}};

template <typename T> constexpr DType dtype_of() {
    return std::is_same_v<T, float> ? DType::float32 : DType::float64;
}

// The arrays of n neurons, zero-filled; named access by the model's names.
struct Population {
    const NeuronModel* model;
    DType dtype;
    std::vector<HostArray> rets, args;

    Population(const NeuronModel& m, DType d, int64_t n) : model(&m), dtype(d) {
        for (size_t k = 0; k < m.states.size(); ++k)
            rets.push_back(HostArray::create(d, {n}).value());
        if (m.refrac) rets.push_back(HostArray::create(DType::int32, {n}).value());
        rets.push_back(HostArray::create(DType::bool_, {n}).value());
        for (size_t k = 0; k < 2 + m.params.size(); ++k)
            args.push_back(HostArray::create(d, {n}).value());
    }
    int64_t size() const { return rets[0].numel(); }

    HostArray& state(const std::string& name) {
        const auto& s = model->states;
        return rets[std::find(s.begin(), s.end(), name) - s.begin()];
    }
    HostArray& refrac() { return rets[model->states.size()]; }
    HostArray& spikes() { return rets.back(); }
    HostArray& in_e() { return args[0]; }
    HostArray& in_i() { return args[1]; }
    HostArray& param(const std::string& name) {
        const auto& p = model->params;
        return args[2 + (std::find(p.begin(), p.end(), name) - p.begin())];
    }

    // One step through be.<name>_<f32|f64> (or the bare name) on cpu or cuda-emu views.
    void step(const AttrMap& attrs, Device device = Device::cpu, bool bare_name = false) {
        auto view = [&](HostArray& a) { return device == Device::cpu ? a.view() : a.emu_view(); };
        std::vector<BE::Tensor> r, a;
        for (auto& x : rets)
            r.push_back(view(x));
        for (auto& x : args)
            a.push_back(view(x));
        const std::string name = model->name + (bare_name                 ? ""
                                                : dtype == DType::float32 ? "_f32"
                                                                          : "_f64");
        call_builtin(name, a, r, attrs);
    }
};

template <typename T> T* data(HostArray& a) {
    return a.data_as<T>();
}

inline ::testing::AssertionResult bitwise_equal(const HostArray& got, const HostArray& want) {
    if (got.dtype() != want.dtype() || got.shape() != want.shape())
        return ::testing::AssertionFailure() << "dtype or shape differ";
    const int64_t size = got.nbytes() / std::max<int64_t>(1, got.numel());
    for (int64_t i = 0; i < got.numel(); ++i)
        if (std::memcmp(static_cast<const char*>(got.data()) + i * size,
                        static_cast<const char*>(want.data()) + i * size, size) != 0)
            return ::testing::AssertionFailure() << "element " << i << " differs";
    return ::testing::AssertionSuccess();
}

// Skips the calling test unless be.<target> has a cuda-emu implementation (a macro: GTEST_SKIP
// returns from the test body).
#define BE_SKIP_WITHOUT_EMULATION(target)                                                          \
    do {                                                                                           \
        auto found = ::be::builtin_registry().find(target);                                        \
        ASSERT_NE(found, nullptr) << (target);                                                     \
        const auto devices = found->devices();                                                     \
        if (std::find(devices.begin(), devices.end(), ::be::Device::cuda_emu) == devices.end())    \
            GTEST_SKIP() << "the registry reports no cuda-emu implementation of " << (target);     \
    } while (false)

} // namespace be::test
