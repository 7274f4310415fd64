// CUDA twin of lif_cuba.cpp (read it for the targets and the model): one thread per neuron
// (launch threads = v.numel()), updated by neuron_rules.h's lif_cuba_update like the CPU kernel,
// so the CUDA emulation is bitwise equal to it (contraction off). Each thread computes the
// step's propagators from the attrs (a few exp calls: cheaper than a second launch).
#include "neuron_rules.h"

template <typename T>
__global__ void lif_cuba_step(BE::Tensor v, BE::Tensor i_e, BE::Tensor i_i, BE::Tensor refrac,
                              BE::Tensor spikes, const BE::Tensor in_e, const BE::Tensor in_i,
                              double dt, double tau_m, double tau_e, double tau_i, double v_rest,
                              double v_reset, double v_th, double t_ref, double i_ext) {
    const char* invalid = be_neuron::lif_cuba_invalid(v, i_e, i_i, refrac, spikes, in_e, in_i, dt,
                                                      tau_m, tau_e, tau_i, t_ref);
    BE_CHECK(invalid == nullptr, invalid);
    const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    if (i >= v.numel()) return;
    const be_neuron::LifCuba<T> p =
        be_neuron::make_lif_cuba<T>(dt, tau_m, tau_e, tau_i, v_rest, v_reset, v_th, t_ref, i_ext);
    spikes.data_ptr<bool>()[i] = be_neuron::lif_cuba_update(
        p, v.data_ptr<T>()[i], i_e.data_ptr<T>()[i], i_i.data_ptr<T>()[i],
        refrac.data_ptr<int32_t>()[i], in_e.data_ptr<T>()[i], in_i.data_ptr<T>()[i]);
}

// clang-format off
// @BE lif_cuba_step_f32 = lif_cuba_step<float> ret:float32 ret:float32 ret:float32 ret:int32 ret:bool arg:float32 arg:float32 attr.dt:float64 attr.tau_m:float64 attr.tau_e:float64 attr.tau_i:float64 attr.v_rest:float64 attr.v_reset:float64 attr.v_th:float64 attr.t_ref:float64 attr.i_ext:float64 launch(threads=v.numel())
// @BE lif_cuba_step_f64 = lif_cuba_step<double> ret:float64 ret:float64 ret:float64 ret:int32 ret:bool arg:float64 arg:float64 attr.dt:float64 attr.tau_m:float64 attr.tau_e:float64 attr.tau_i:float64 attr.v_rest:float64 attr.v_reset:float64 attr.v_th:float64 attr.t_ref:float64 attr.i_ext:float64 launch(threads=v.numel())
// clang-format on
