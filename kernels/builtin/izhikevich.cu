// CUDA twin of izhikevich.cpp (read it for the targets and the model): one thread per neuron
// (launch threads = v.numel()), updated by neuron_rules.h's izhikevich_update like the CPU
// kernel, so the CUDA emulation is bitwise equal to it (contraction off).
#include "neuron_rules.h"

template <typename T>
__global__ void izhikevich_step(BE::Tensor v, BE::Tensor u, BE::Tensor spikes,
                                const BE::Tensor in_e, const BE::Tensor in_i, const BE::Tensor a,
                                const BE::Tensor b, const BE::Tensor c, const BE::Tensor d,
                                double dt) {
    const char* invalid = be_neuron::izhikevich_invalid(v, u, spikes, in_e, in_i, a, b, c, d, dt);
    BE_CHECK(invalid == nullptr, invalid);
    const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    if (i >= v.numel()) return;
    const be_neuron::Izhikevich<T> p = be_neuron::make_izhikevich<T>(dt);
    T* pv = v.data_ptr<T>();
    T* pu = u.data_ptr<T>();
    spikes.data_ptr<bool>()[i] = be_neuron::izhikevich_update(
        p, pv[i], pu[i], in_e.data_ptr<T>()[i] + in_i.data_ptr<T>()[i], a.data_ptr<T>()[i],
        b.data_ptr<T>()[i], c.data_ptr<T>()[i], d.data_ptr<T>()[i]);
}

// clang-format off
// @BE izhikevich_step_f32 = izhikevich_step<float> ret:float32 ret:float32 ret:bool arg:float32 arg:float32 arg:float32 arg:float32 arg:float32 arg:float32 attr.dt:float64 launch(threads=v.numel())
// @BE izhikevich_step_f64 = izhikevich_step<double> ret:float64 ret:float64 ret:bool arg:float64 arg:float64 arg:float64 arg:float64 arg:float64 arg:float64 attr.dt:float64 launch(threads=v.numel())
// clang-format on
