// The Izhikevich (2003) neuron, "Simple model of spiking neurons" (IEEE Trans. Neural Netw.
// 14:1569), one time step of dt ms for n neurons, updated in place.
//
// Target names: izhikevich_step_<f32|f64> (suffix = state dtype; the bare name dispatches on v):
//   ret v[n], ret u[n] (state dtype), ret spikes[n] (bool: 1 = spiked in this step, written every
//   step), arg in_e[n], arg in_i[n] (state dtype: this step's summed excitatory and inhibitory
//   input), arg a[n], arg b[n], arg c[n], arg d[n] (per-neuron parameters, state dtype),
//   attr dt (float64, ms).
// One step, in the state dtype T, h = T(dt/2), with I = in_e + in_i an instantaneous current
// (inhibitory weights are negative; the input is not filtered by synapses):
//   v = v + h * (0.04 * (v * v) + 5 * v + 140 - u + I)     twice (two half steps, as the paper's
//   v = v + h * (0.04 * (v * v) + 5 * v + 140 - u + I)      code, "for numerical stability")
//   u = u + T(dt) * a * (b * v - u)                         (with the new v)
//   if v >= 30: spike, v = c, u = u + d
// (the sums left to right, each constant rounded to T). With dt = 1 this is the paper's
// MATLAB code step for step, except for when the reset happens: the paper resets at the start of
// the next step (fired = find(v >= 30); v(fired) = c; u(fired) += d), here it happens in the
// step in which v crossed, so the spike is emitted in that step. The integration that follows
// is the same, so the trajectories agree (v here is c where the paper shows the peak).
// The CUDA twin is izhikevich.cu; both apply neuron_rules.h's izhikevich_update.
#include <be/builtin_includes.h>

#include "neuron_cpu.h"
#include "neuron_rules.h"

namespace {

template <typename T>
void izhikevich_step(BE::Tensor& v, BE::Tensor& u, BE::Tensor& spikes, const BE::Tensor& in_e,
                     const BE::Tensor& in_i, const BE::Tensor& a, const BE::Tensor& b,
                     const BE::Tensor& c, const BE::Tensor& d, double dt) {
    const char* invalid = be_neuron::izhikevich_invalid(v, u, spikes, in_e, in_i, a, b, c, d, dt);
    BE_CHECK(invalid == nullptr, invalid);
    const auto p = be_neuron::make_izhikevich<T>(dt);
    T* pv = v.data_ptr<T>();
    T* pu = u.data_ptr<T>();
    bool* ps = spikes.data_ptr<bool>();
    const T *pe = in_e.data_ptr<T>(), *pi = in_i.data_ptr<T>();
    const T *pa = a.data_ptr<T>(), *pb = b.data_ptr<T>(), *pc = c.data_ptr<T>(),
            *pd = d.data_ptr<T>();
    be_neuron::for_neurons(v.numel(), [&](int64_t begin, int64_t end) {
        BE_NEURON_SIMD_LOOP
        for (int64_t i = begin; i < end; ++i) {
            T v_i = pv[i], u_i = pu[i];
            ps[i] = be_neuron::izhikevich_update(p, v_i, u_i, pe[i] + pi[i], pa[i], pb[i], pc[i],
                                                 pd[i]);
            pv[i] = v_i, pu[i] = u_i;
        }
    });
}

} // namespace

// clang-format off
// @BE izhikevich_step_f32 = izhikevich_step<float> ret:float32 ret:float32 ret:bool arg:float32 arg:float32 arg:float32 arg:float32 arg:float32 arg:float32 attr.dt:float64
// @BE izhikevich_step_f64 = izhikevich_step<double> ret:float64 ret:float64 ret:bool arg:float64 arg:float64 arg:float64 arg:float64 arg:float64 arg:float64 attr.dt:float64
// clang-format on
