// Conductance-based leaky integrate-and-fire neurons with exponential conductances (the
// Vogels & Abbott 2005 neuron of the COBA benchmark, Brette et al. 2007 benchmark 1), integrated
// by forward Euler exactly as the Auryn simulator's TIFGroup does (the neuron of Auryn's
// examples/sim_coba_benchmark.cpp; src/auryn/TIFGroup.cpp, TIFGroup::evolve, Auryn at commit
// 674ef80): one time step of dt ms for n neurons, updated in place.
//
// Target names: lif_coba_step_<f32|f64> (suffix = state dtype; the bare name dispatches on v):
//   ret v[n], ret g_e[n], ret g_i[n] (state dtype: membrane potential in mV, conductances in
//   units of the leak conductance), ret refrac[n] (int32: steps of refractoriness left), ret
//   spikes[n] (bool: 1 = spiked in this step, written every step), arg in_e[n], arg in_i[n]
//   (state dtype, both >= 0: this step's conductance increments, in units of the leak),
//   attrs (float64) dt, tau_m, tau_e, tau_i (ms), e_rest, e_exc, e_inh, v_th, v_reset (mV),
//   t_ref (ms), i_bg (background drive in mV, i.e. R*I: Auryn's bg_current).
// Model: tau_m v' = (e_rest - v) - g_e (v - e_exc) - g_i (v - e_inh) + i_bg,
//        tau_e g_e' = -g_e,  tau_i g_i' = -g_i.
// One step (constants computed in double and rounded once to the state dtype; operations in the
// state dtype, left to right, in TIFGroup::evolve's order):
//   if refrac <= 0:  dv = (e_rest - v) - g_e * (v - e_exc) - g_i * (v - e_inh) + i_bg
//                    v = v + dv * T(dt / tau_m)                      (forward Euler)
//                    if v > v_th: spike, v = v_reset, refrac = round(t_ref / dt)
//   else:            refrac -= 1, v = v_reset                        (refractory: v held)
//   g_e = g_e * T(exp(-dt/tau_e)) + in_e,  g_i = g_i * T(exp(-dt/tau_i)) + in_i
// The conductances decay after the membrane update for every neuron (Auryn scales g_ampa and
// g_gaba at the end of evolve), and this step's arrivals are added after that (Auryn's
// connections transmit after the groups evolve), so an arrival acts on v from the next step on.
// Differences from TIFGroup, none of which changes a result with Auryn's parameters:
//   - Auryn has no e_exc (its excitatory reversal is 0: g_ampa * v; v - 0 is v exactly) and no
//     separate reset (it resets to and holds at e_rest): here e_exc and v_reset are attrs.
//   - Auryn's refractory count truncates t_ref/dt (unsigned short); here it is rounded, which is
//     the same for t_ref = 5 ms, dt = 0.1 ms (50 steps: a minimal ISI of 5.1 ms).
//   - Auryn works in SI units (V, s) and in float; here mV and ms, f32 or f64.
// The threshold is strict (v > v_th), as in Auryn; lif_cuba_step uses v >= v_th.
// Auryn's COBA benchmark in these units: dt = 0.1, tau_m = 20, tau_e = 5, tau_i = 10,
// e_rest = -60, e_exc = 0, e_inh = -80, v_th = -50, v_reset = -60, t_ref = 5, i_bg = 20
// (bg_current = 2e-2 V), weights 0.4 (excitatory) and 5.1 (inhibitory), in units of the leak.
// The CUDA twin is lif_coba.cu; both apply neuron_rules.h's lif_coba_update.
#include <be/builtin_includes.h>

#include "neuron_cpu.h"
#include "neuron_rules.h"

namespace {

template <typename T>
void lif_coba_step(BE::Tensor& v, BE::Tensor& g_e, BE::Tensor& g_i, BE::Tensor& refrac,
                   BE::Tensor& spikes, const BE::Tensor& in_e, const BE::Tensor& in_i, double dt,
                   double tau_m, double tau_e, double tau_i, double e_rest, double e_exc,
                   double e_inh, double v_th, double v_reset, double t_ref, double i_bg) {
    const char* invalid = be_neuron::lif_coba_invalid(v, g_e, g_i, refrac, spikes, in_e, in_i, dt,
                                                      tau_m, tau_e, tau_i, t_ref);
    BE_CHECK(invalid == nullptr, invalid);
    const auto p = be_neuron::make_lif_coba<T>(dt, tau_m, tau_e, tau_i, e_rest, e_exc, e_inh, v_th,
                                               v_reset, t_ref, i_bg);
    be_neuron::step_lif_population<T>(
        p, [](const auto& q, auto&... state) { return be_neuron::lif_coba_update(q, state...); }, v,
        g_e, g_i, refrac, spikes, in_e, in_i);
}

} // namespace

// clang-format off
// @BE lif_coba_step_f32 = lif_coba_step<float> ret:float32 ret:float32 ret:float32 ret:int32 ret:bool arg:float32 arg:float32 attr.dt:float64 attr.tau_m:float64 attr.tau_e:float64 attr.tau_i:float64 attr.e_rest:float64 attr.e_exc:float64 attr.e_inh:float64 attr.v_th:float64 attr.v_reset:float64 attr.t_ref:float64 attr.i_bg:float64
// @BE lif_coba_step_f64 = lif_coba_step<double> ret:float64 ret:float64 ret:float64 ret:int32 ret:bool arg:float64 arg:float64 attr.dt:float64 attr.tau_m:float64 attr.tau_e:float64 attr.tau_i:float64 attr.e_rest:float64 attr.e_exc:float64 attr.e_inh:float64 attr.v_th:float64 attr.v_reset:float64 attr.t_ref:float64 attr.i_bg:float64
// clang-format on
