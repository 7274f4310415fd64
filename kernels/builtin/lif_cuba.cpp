// Current-based leaky integrate-and-fire neurons with exponential synaptic currents, integrated
// exactly (the CUBA neuron of Brette et al. 2007, benchmark 2), one time step of dt ms for n
// neurons, updated in place.
//
// Target names: lif_cuba_step_<f32|f64> (suffix = state dtype; the bare name dispatches on v):
//   ret v[n], ret i_e[n], ret i_i[n] (state dtype: membrane potential and synaptic currents, the
//   currents in mV, i.e. R*I), ret refrac[n] (int32: steps of refractoriness left), ret
//   spikes[n] (bool: 1 = spiked in this step, written every step), arg in_e[n], arg in_i[n]
//   (state dtype: this step's summed input, added to i_e and i_i; inhibitory weights are
//   negative), attrs (float64) dt, tau_m, tau_e, tau_i, v_rest, v_reset, v_th, t_ref (ms),
//   i_ext (constant drive in mV, R*I).
// Model: tau_m v' = -(v - v_rest - i_ext) + i_e + i_i,  tau_e i_e' = -i_e,  tau_i i_i' = -i_i.
// One step, exact over dt for the state at its start (P_x = exp(-dt/tau_x), v_inf = v_rest +
// i_ext, all computed in double and rounded once to the state dtype):
//   if refrac > 0:  refrac -= 1, v = v_reset                   (refractory: v held)
//   else:           v = v_inf + (v - v_inf) P_m + i_e c_e + i_i c_i
//                   if v >= v_th: spike, v = v_reset, refrac = round(t_ref / dt)
//   i_e = i_e P_e + in_e,  i_i = i_i P_i + in_i                (currents decay in refractoriness
//                                                                too; arrivals act from the next
//                                                                step on: Brian2's/Auryn's order)
// with c_s = tau_s / (tau_s - tau_m) (P_s - P_m), the response of v to a unit current over one
// step, computed as (dt/tau_m) P_m expm1(x)/x, x = dt/tau_m - dt/tau_s: the same value, free of
// the cancellation of P_s - P_m when tau_s is close to tau_m, and exactly the limit
// (dt/tau_m) P_m when tau_s == tau_m.
// A spike at step k holds v for the round(t_ref/dt) steps k+1 ... k+round(t_ref/dt); the first
// step that can spike again is k+round(t_ref/dt)+1 (t_ref = 0: every step).
// The CUDA twin is lif_cuba.cu; both apply neuron_rules.h's lif_cuba_update.
#include <be/builtin_includes.h>

#include "neuron_cpu.h"
#include "neuron_rules.h"

namespace {

template <typename T>
void lif_cuba_step(BE::Tensor& v, BE::Tensor& i_e, BE::Tensor& i_i, BE::Tensor& refrac,
                   BE::Tensor& spikes, const BE::Tensor& in_e, const BE::Tensor& in_i, double dt,
                   double tau_m, double tau_e, double tau_i, double v_rest, double v_reset,
                   double v_th, double t_ref, double i_ext) {
    const char* invalid = be_neuron::lif_cuba_invalid(v, i_e, i_i, refrac, spikes, in_e, in_i, dt,
                                                      tau_m, tau_e, tau_i, t_ref);
    BE_CHECK(invalid == nullptr, invalid);
    const auto p =
        be_neuron::make_lif_cuba<T>(dt, tau_m, tau_e, tau_i, v_rest, v_reset, v_th, t_ref, i_ext);
    be_neuron::step_lif_population<T>(
        p, [](const auto& q, auto&... state) { return be_neuron::lif_cuba_update(q, state...); }, v,
        i_e, i_i, refrac, spikes, in_e, in_i);
}

} // namespace

// clang-format off
// @BE lif_cuba_step_f32 = lif_cuba_step<float> ret:float32 ret:float32 ret:float32 ret:int32 ret:bool arg:float32 arg:float32 attr.dt:float64 attr.tau_m:float64 attr.tau_e:float64 attr.tau_i:float64 attr.v_rest:float64 attr.v_reset:float64 attr.v_th:float64 attr.t_ref:float64 attr.i_ext:float64
// @BE lif_cuba_step_f64 = lif_cuba_step<double> ret:float64 ret:float64 ret:float64 ret:int32 ret:bool arg:float64 arg:float64 attr.dt:float64 attr.tau_m:float64 attr.tau_e:float64 attr.tau_i:float64 attr.v_rest:float64 attr.v_reset:float64 attr.v_th:float64 attr.t_ref:float64 attr.i_ext:float64
// clang-format on
