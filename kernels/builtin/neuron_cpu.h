// The CPU side of the neuron integrators (izhikevich.cpp, lif_cuba.cpp, lif_coba.cpp): how the
// neurons of one step are split over threads. Every update is per neuron (neuron_rules.h), so
// the split cannot change a result; it only decides the cost. Below k_parallel_neurons the step
// runs on the calling thread: a 4000-neuron step takes a few microseconds, less than waking TBB's
// workers would cost.
#pragma once

#include "parallel.h"

#include <cstdint>

// Before a per-neuron loop whose body reads neuron i's state into locals, applies the update and
// stores the locals back: the arrays are distinct per-neuron arrays (the integrators' calling
// convention), so the loop carries no dependence and clang may vectorise it without runtime
// alias checks (there are too many array pairs for those). With the state in locals the
// update's branches become selects, and a vector lane applies exactly the scalar operations
// (no FP contraction, no reassociation), so the results are bitwise those of the scalar loop.
// (Unvectorised, lif_coba_step was the largest single cost of a coba-auryn step.)
#define BE_NEURON_SIMD_LOOP _Pragma("clang loop vectorize(assume_safety)")

namespace be_neuron {

constexpr int64_t k_parallel_neurons = 16384, k_neuron_grain = 4096;

// body(begin, end) for consecutive ranges covering [0, n).
template <typename F> void for_neurons(int64_t n, const F& body) {
    if (n < k_parallel_neurons) {
        body(int64_t{0}, n);
        return;
    }
    be_parallel::for_ranges(n, k_neuron_grain, body);
}

// One step of a population of the LIF models (lif_cuba.cpp, lif_coba.cpp): state v, two synaptic
// variables a and b, an int32 refractory count; update(p, v, a, b, refrac, in_e, in_i) is the
// model's rule from neuron_rules.h and returns whether the neuron spiked.
template <typename T, typename Params, typename Update>
void step_lif_population(const Params& p, const Update& update, BE::Tensor& v, BE::Tensor& a,
                         BE::Tensor& b, BE::Tensor& refrac, BE::Tensor& spikes,
                         const BE::Tensor& in_e, const BE::Tensor& in_i) {
    T* pv = v.data_ptr<T>();
    T* pa = a.data_ptr<T>();
    T* pb = b.data_ptr<T>();
    int32_t* pr = refrac.data_ptr<int32_t>();
    bool* ps = spikes.data_ptr<bool>();
    const T *ae = in_e.data_ptr<T>(), *ai = in_i.data_ptr<T>();
    for_neurons(v.numel(), [&](int64_t begin, int64_t end) {
        BE_NEURON_SIMD_LOOP
        for (int64_t i = begin; i < end; ++i) {
            T v_i = pv[i], a_i = pa[i], b_i = pb[i];
            int32_t r_i = pr[i];
            ps[i] = update(p, v_i, a_i, b_i, r_i, ae[i], ai[i]);
            pv[i] = v_i, pa[i] = a_i, pb[i] = b_i, pr[i] = r_i;
        }
    });
}

} // namespace be_neuron
