// CUDA twin of jitc.cpp (read it for the targets, attrs and semantics), bitwise equal to it in
// emulation and, with NVRTC --fmad=false, on a GPU: the rows come from the same header
// (be/jitc.h: Philox4x32-10, geometric skips with log_fixed), and each output is summed in the
// CPU twin's order (ascending input index) by one thread, so no atomics.
//   products: one thread per output element (launch threads = out.numel()). The gather
//     (transpose) generates its row and sums the active columns; the scatter's thread j walks
//     every active row (ascending) up to column j, so it regenerates each active row once per
//     output: written for the guarantee, not for speed (a fast GPU scatter would generate each
//     active row once per warp and add with a deterministic segmented reduction; not done).
//   todense: one thread per generated row (launch threads = rows) zeroes and writes its line.
//   row: one thread (launch blocks=1, block=1).
#include "be/jitc.h"
#include "event_device.h"

using namespace be_event_dev;
using be_jitc::NormalW;
using be_jitc::ScalarW;
using be_jitc::UniformW;

template <typename T, typename Kind, typename Enc>
__global__ void jitc_product(const BE::Tensor spikes, BE::Tensor out, bool transpose, int64_t seed,
                             int64_t rows, int64_t cols, double p, double w0, double w1) {
    const int64_t o = global_thread();
    const int64_t n_in = transpose ? cols : rows, n_out = transpose ? rows : cols;
    if (o >= n_out) return;
    BE_CHECK(spikes.numel() == Enc::words(n_in), "spikes has the wrong length");
    const be_jitc::Params prm(static_cast<uint64_t>(seed), cols, p, w0, w1);
    const auto* s = spikes.data_ptr<typename Enc::Elem>();
    T acc = T(0);
    if (transpose) {
        be_jitc::RowGen<Kind> g(prm, o);
        while (g.next())
            if (Enc::active(s, g.col))
                acc = accumulate<Enc, T>(acc, s, g.col, static_cast<T>(g.weight));
    } else {
        for (int64_t i = 0; i < rows; ++i) {
            if (!Enc::active(s, i)) continue;
            be_jitc::RowGen<Kind> g(prm, i);
            while (g.next() && g.col <= o)
                if (g.col == o) acc = accumulate<Enc, T>(acc, s, i, static_cast<T>(g.weight));
        }
    }
    out.data_ptr<T>()[o] = acc;
}

template <typename T, typename Kind>
__global__ void jitc_todense(BE::Tensor out, bool transpose, int64_t seed, int64_t rows,
                             int64_t cols, double p, double w0, double w1) {
    const int64_t i = global_thread();
    if (i >= rows) return;
    T* y = out.data_ptr<T>();
    for (int64_t j = 0; j < cols; ++j)
        (transpose ? y[j * rows + i] : y[i * cols + j]) = T(0);
    const be_jitc::Params prm(static_cast<uint64_t>(seed), cols, p, w0, w1);
    be_jitc::RowGen<Kind> g(prm, i);
    while (g.next())
        (transpose ? y[g.col * rows + i] : y[i * cols + g.col]) = static_cast<T>(g.weight);
}

template <typename T, typename Kind>
__global__ void jitc_row(BE::Tensor out, int64_t row, int64_t seed, int64_t rows, int64_t cols,
                         double p, double w0, double w1) {
    if (global_thread() != 0) return;
    BE_CHECK(row >= 0 && row < rows, "row is out of range");
    T* y = out.data_ptr<T>();
    for (int64_t j = 0; j < cols; ++j)
        y[j] = T(0);
    const be_jitc::Params prm(static_cast<uint64_t>(seed), cols, p, w0, w1);
    be_jitc::RowGen<Kind> g(prm, row);
    while (g.next())
        y[g.col] = static_cast<T>(g.weight);
}

// clang-format off
// @BE jitc_scalar_event_matvec_bool_f32 = jitc_product<float, ScalarW, SpikeBool> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_event_matvec_bool_f64 = jitc_product<double, ScalarW, SpikeBool> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_event_matvec_float_f32 = jitc_product<float, ScalarW, SpikeFloat<float>> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_event_matvec_float_f64 = jitc_product<double, ScalarW, SpikeFloat<double>> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_event_matvec_bits_f32 = jitc_product<float, ScalarW, SpikeBits> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_event_matvec_bits_f64 = jitc_product<double, ScalarW, SpikeBits> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_matvec_f32 = jitc_product<float, ScalarW, Values<float>> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_matvec_f64 = jitc_product<double, ScalarW, Values<double>> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_todense_f32 = jitc_todense<float, ScalarW> ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=rows)
// @BE jitc_scalar_todense_f64 = jitc_todense<double, ScalarW> ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=rows)
// @BE jitc_scalar_row_f32 = jitc_row<float, ScalarW> ret:float32 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(blocks=1, block=1)
// @BE jitc_scalar_row_f64 = jitc_row<double, ScalarW> ret:float64 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(blocks=1, block=1)
// @BE jitc_normal_event_matvec_bool_f32 = jitc_product<float, NormalW, SpikeBool> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_event_matvec_bool_f64 = jitc_product<double, NormalW, SpikeBool> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_event_matvec_float_f32 = jitc_product<float, NormalW, SpikeFloat<float>> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_event_matvec_float_f64 = jitc_product<double, NormalW, SpikeFloat<double>> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_event_matvec_bits_f32 = jitc_product<float, NormalW, SpikeBits> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_event_matvec_bits_f64 = jitc_product<double, NormalW, SpikeBits> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_matvec_f32 = jitc_product<float, NormalW, Values<float>> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_matvec_f64 = jitc_product<double, NormalW, Values<double>> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_todense_f32 = jitc_todense<float, NormalW> ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=rows)
// @BE jitc_normal_todense_f64 = jitc_todense<double, NormalW> ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=rows)
// @BE jitc_normal_row_f32 = jitc_row<float, NormalW> ret:float32 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(blocks=1, block=1)
// @BE jitc_normal_row_f64 = jitc_row<double, NormalW> ret:float64 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(blocks=1, block=1)
// @BE jitc_uniform_event_matvec_bool_f32 = jitc_product<float, UniformW, SpikeBool> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_event_matvec_bool_f64 = jitc_product<double, UniformW, SpikeBool> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_event_matvec_float_f32 = jitc_product<float, UniformW, SpikeFloat<float>> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_event_matvec_float_f64 = jitc_product<double, UniformW, SpikeFloat<double>> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_event_matvec_bits_f32 = jitc_product<float, UniformW, SpikeBits> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_event_matvec_bits_f64 = jitc_product<double, UniformW, SpikeBits> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_matvec_f32 = jitc_product<float, UniformW, Values<float>> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_matvec_f64 = jitc_product<double, UniformW, Values<double>> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_todense_f32 = jitc_todense<float, UniformW> ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=rows)
// @BE jitc_uniform_todense_f64 = jitc_todense<double, UniformW> ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=rows)
// @BE jitc_uniform_row_f32 = jitc_row<float, UniformW> ret:float32 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(blocks=1, block=1)
// @BE jitc_uniform_row_f64 = jitc_row<double, UniformW> ret:float64 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(blocks=1, block=1)
// clang-format on
