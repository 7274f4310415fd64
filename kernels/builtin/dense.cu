// CUDA twin of dense.cpp (read it for the targets, shapes and semantics): one thread per output
// element (launch threads = out.numel()), summing in the CPU twin's order (event_device.h).
#include "event_device.h"

using namespace be_event_dev;

template <typename T, typename Enc, int Rank>
__global__ void dense_product(const BE::Tensor m, const BE::Tensor spikes, BE::Tensor out,
                              bool transpose) {
    const int64_t rows = m.size(0), cols = m.size(1);
    const int64_t n_in = transpose ? cols : rows, n_out = transpose ? rows : cols;
    const int64_t in_stride = Enc::words(n_in);
    BE_CHECK(m.ndim() == 2 && spikes.ndim() == Rank && out.ndim() == Rank &&
                 spikes.size(Rank - 1) == in_stride && out.size(Rank - 1) == n_out,
             "shapes do not match (see dense.cpp)");
    const int64_t t = global_thread();
    if (t >= out.numel()) return;
    const int64_t b = t / n_out, o = t % n_out;
    const T* w = m.data_ptr<T>();
    const typename Enc::Elem* s = spikes.data_ptr<typename Enc::Elem>() + b * in_stride;
    T acc = T(0);
    for (int64_t i = 0; i < n_in; ++i)
        if (Enc::active(s, i))
            acc = accumulate<Enc, T>(acc, s, i, transpose ? w[o * cols + i] : w[i * cols + o]);
    out.data_ptr<T>()[t] = acc;
}

template <typename T>
__global__ void dense_todense(const BE::Tensor m, BE::Tensor out, bool transpose) {
    const int64_t rows = m.size(0), cols = m.size(1);
    BE_CHECK(out.numel() == rows * cols, "out must be [rows, cols] ([cols, rows] with transpose)");
    const int64_t t = global_thread();
    if (t >= out.numel()) return;
    // Element t of out: (i, j) of M, or (j, i) of Mᵀ.
    out.data_ptr<T>()[t] =
        transpose ? m.data_ptr<T>()[(t % rows) * cols + t / rows] : m.data_ptr<T>()[t];
}

// clang-format off
// @BE dense_event_matvec_bool_f32 = dense_product<float, SpikeBool, 1> arg:float32 arg:bool ret:float32 attr.transpose:bool launch(threads=out.numel())
// @BE dense_event_matvec_bool_f64 = dense_product<double, SpikeBool, 1> arg:float64 arg:bool ret:float64 attr.transpose:bool launch(threads=out.numel())
// @BE dense_event_matvec_float_f32 = dense_product<float, SpikeFloat<float>, 1> arg:float32 arg:float32 ret:float32 attr.transpose:bool launch(threads=out.numel())
// @BE dense_event_matvec_float_f64 = dense_product<double, SpikeFloat<double>, 1> arg:float64 arg:float64 ret:float64 attr.transpose:bool launch(threads=out.numel())
// @BE dense_event_matvec_bits_f32 = dense_product<float, SpikeBits, 1> arg:float32 arg:uint32 ret:float32 attr.transpose:bool launch(threads=out.numel())
// @BE dense_event_matvec_bits_f64 = dense_product<double, SpikeBits, 1> arg:float64 arg:uint32 ret:float64 attr.transpose:bool launch(threads=out.numel())
// @BE dense_event_matmat_bool_f32 = dense_product<float, SpikeBool, 2> arg:float32 arg:bool ret:float32 attr.transpose:bool launch(threads=out.numel())
// @BE dense_event_matmat_bool_f64 = dense_product<double, SpikeBool, 2> arg:float64 arg:bool ret:float64 attr.transpose:bool launch(threads=out.numel())
// @BE dense_event_matmat_float_f32 = dense_product<float, SpikeFloat<float>, 2> arg:float32 arg:float32 ret:float32 attr.transpose:bool launch(threads=out.numel())
// @BE dense_event_matmat_float_f64 = dense_product<double, SpikeFloat<double>, 2> arg:float64 arg:float64 ret:float64 attr.transpose:bool launch(threads=out.numel())
// @BE dense_event_matmat_bits_f32 = dense_product<float, SpikeBits, 2> arg:float32 arg:uint32 ret:float32 attr.transpose:bool launch(threads=out.numel())
// @BE dense_event_matmat_bits_f64 = dense_product<double, SpikeBits, 2> arg:float64 arg:uint32 ret:float64 attr.transpose:bool launch(threads=out.numel())
// @BE dense_matvec_f32 = dense_product<float, Values<float>, 1> arg:float32 arg:float32 ret:float32 attr.transpose:bool launch(threads=out.numel())
// @BE dense_matvec_f64 = dense_product<double, Values<double>, 1> arg:float64 arg:float64 ret:float64 attr.transpose:bool launch(threads=out.numel())
// @BE dense_matmat_f32 = dense_product<float, Values<float>, 2> arg:float32 arg:float32 ret:float32 attr.transpose:bool launch(threads=out.numel())
// @BE dense_matmat_f64 = dense_product<double, Values<double>, 2> arg:float64 arg:float64 ret:float64 attr.transpose:bool launch(threads=out.numel())
// @BE dense_todense_f32 = dense_todense<float> arg:float32 ret:float32 attr.transpose:bool launch(threads=out.numel())
// @BE dense_todense_f64 = dense_todense<double> arg:float64 ret:float64 attr.transpose:bool launch(threads=out.numel())
// clang-format on
