// CUDA twin of lif_coba.cpp (read it for the targets and the model, Auryn's TIFGroup): one thread
// per neuron (launch threads = v.numel()), updated by neuron_rules.h's lif_coba_update like the
// CPU kernel, so the CUDA emulation is bitwise equal to it (contraction off).
#include "neuron_rules.h"

template <typename T>
__global__ void lif_coba_step(BE::Tensor v, BE::Tensor g_e, BE::Tensor g_i, BE::Tensor refrac,
                              BE::Tensor spikes, const BE::Tensor in_e, const BE::Tensor in_i,
                              double dt, double tau_m, double tau_e, double tau_i, double e_rest,
                              double e_exc, double e_inh, double v_th, double v_reset, double t_ref,
                              double i_bg) {
    const char* invalid = be_neuron::lif_coba_invalid(v, g_e, g_i, refrac, spikes, in_e, in_i, dt,
                                                      tau_m, tau_e, tau_i, t_ref);
    BE_CHECK(invalid == nullptr, invalid);
    const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    if (i >= v.numel()) return;
    const be_neuron::LifCoba<T> p = be_neuron::make_lif_coba<T>(
        dt, tau_m, tau_e, tau_i, e_rest, e_exc, e_inh, v_th, v_reset, t_ref, i_bg);
    spikes.data_ptr<bool>()[i] = be_neuron::lif_coba_update(
        p, v.data_ptr<T>()[i], g_e.data_ptr<T>()[i], g_i.data_ptr<T>()[i],
        refrac.data_ptr<int32_t>()[i], in_e.data_ptr<T>()[i], in_i.data_ptr<T>()[i]);
}

// clang-format off
// @BE lif_coba_step_f32 = lif_coba_step<float> ret:float32 ret:float32 ret:float32 ret:int32 ret:bool arg:float32 arg:float32 attr.dt:float64 attr.tau_m:float64 attr.tau_e:float64 attr.tau_i:float64 attr.e_rest:float64 attr.e_exc:float64 attr.e_inh:float64 attr.v_th:float64 attr.v_reset:float64 attr.t_ref:float64 attr.i_bg:float64 launch(threads=v.numel())
// @BE lif_coba_step_f64 = lif_coba_step<double> ret:float64 ret:float64 ret:float64 ret:int32 ret:bool arg:float64 arg:float64 attr.dt:float64 attr.tau_m:float64 attr.tau_e:float64 attr.tau_i:float64 attr.e_rest:float64 attr.e_exc:float64 attr.e_inh:float64 attr.v_th:float64 attr.v_reset:float64 attr.t_ref:float64 attr.i_bg:float64 launch(threads=v.numel())
// clang-format on
