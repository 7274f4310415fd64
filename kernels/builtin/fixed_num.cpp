// Event-driven and float products with a fixed-number matrix M [rows, cols]: every row has
// exactly k entries, indices int32 [rows, k] (ascending within each row), weights [rows, k] or
// [1] (homogeneous). FixedPostNum (k targets per pre-synaptic neuron) is M itself;
// FixedPreNum (k sources per post-synaptic neuron) stores Mᵀ, and the frontend flips
// `transpose`.
//
// Target names: fixed_<op>[_<spikes>]_<f32|f64> (suffix = weight and output dtype):
//   fixed_event_matvec_<bool|float|bits>  arg indices, arg weights, arg spikes[n_in],
//                                         ret out[n_out], attr transpose, attr cols
//   fixed_event_matmat_<bool|float|bits>  the same with spikes[batch, n_in], out[batch, n_out]
//   fixed_matvec / fixed_matmat           float inputs (every entry, weighted by its value)
//   fixed_todense                         arg indices, arg weights, ret out, attrs
// transpose = false: out = spikes @ M (event-driven scatter from the active rows);
// transpose = true:  out = M @ spikes (gather). Partition and summation order: sparse_rows.h.
#include <be/builtin_includes.h>

#include "sparse_rows.h"

// At global scope so that the generated trampolines see the encodings too.
using namespace be_event;

namespace {

template <typename T, typename Enc, int Rank>
void fixed_product(const BE::Tensor& indices, const BE::Tensor& weights, const BE::Tensor& spikes,
                   BE::Tensor& out, bool transpose, int64_t cols) {
    BE_CHECK(indices.ndim() == 2 && indices.is_contiguous(), "indices must be [rows, k]");
    const int64_t rows = indices.size(0), k = indices.size(1);
    rows_product<T, Enc>(FixedRows{k}, Rank, rows, cols, rows * k, indices, weights, spikes, out,
                         transpose);
}

template <typename T>
void fixed_todense(const BE::Tensor& indices, const BE::Tensor& weights, BE::Tensor& out,
                   bool transpose, int64_t cols) {
    BE_CHECK(indices.ndim() == 2 && indices.is_contiguous(), "indices must be [rows, k]");
    const int64_t rows = indices.size(0), k = indices.size(1);
    rows_todense<T>(FixedRows{k}, rows, cols, rows * k, indices, weights, out, transpose);
}

} // namespace

// clang-format off
// @BE fixed_event_matvec_bool_f32 = fixed_product<float, SpikeBool, 1> arg:int32 arg:float32 arg:bool ret:float32 attr.transpose:bool attr.cols:int64
// @BE fixed_event_matvec_bool_f64 = fixed_product<double, SpikeBool, 1> arg:int32 arg:float64 arg:bool ret:float64 attr.transpose:bool attr.cols:int64
// @BE fixed_event_matvec_float_f32 = fixed_product<float, SpikeFloat<float>, 1> arg:int32 arg:float32 arg:float32 ret:float32 attr.transpose:bool attr.cols:int64
// @BE fixed_event_matvec_float_f64 = fixed_product<double, SpikeFloat<double>, 1> arg:int32 arg:float64 arg:float64 ret:float64 attr.transpose:bool attr.cols:int64
// @BE fixed_event_matvec_bits_f32 = fixed_product<float, SpikeBits, 1> arg:int32 arg:float32 arg:uint32 ret:float32 attr.transpose:bool attr.cols:int64
// @BE fixed_event_matvec_bits_f64 = fixed_product<double, SpikeBits, 1> arg:int32 arg:float64 arg:uint32 ret:float64 attr.transpose:bool attr.cols:int64
// @BE fixed_event_matmat_bool_f32 = fixed_product<float, SpikeBool, 2> arg:int32 arg:float32 arg:bool ret:float32 attr.transpose:bool attr.cols:int64
// @BE fixed_event_matmat_bool_f64 = fixed_product<double, SpikeBool, 2> arg:int32 arg:float64 arg:bool ret:float64 attr.transpose:bool attr.cols:int64
// @BE fixed_event_matmat_float_f32 = fixed_product<float, SpikeFloat<float>, 2> arg:int32 arg:float32 arg:float32 ret:float32 attr.transpose:bool attr.cols:int64
// @BE fixed_event_matmat_float_f64 = fixed_product<double, SpikeFloat<double>, 2> arg:int32 arg:float64 arg:float64 ret:float64 attr.transpose:bool attr.cols:int64
// @BE fixed_event_matmat_bits_f32 = fixed_product<float, SpikeBits, 2> arg:int32 arg:float32 arg:uint32 ret:float32 attr.transpose:bool attr.cols:int64
// @BE fixed_event_matmat_bits_f64 = fixed_product<double, SpikeBits, 2> arg:int32 arg:float64 arg:uint32 ret:float64 attr.transpose:bool attr.cols:int64
// @BE fixed_matvec_f32 = fixed_product<float, Values<float>, 1> arg:int32 arg:float32 arg:float32 ret:float32 attr.transpose:bool attr.cols:int64
// @BE fixed_matvec_f64 = fixed_product<double, Values<double>, 1> arg:int32 arg:float64 arg:float64 ret:float64 attr.transpose:bool attr.cols:int64
// @BE fixed_matmat_f32 = fixed_product<float, Values<float>, 2> arg:int32 arg:float32 arg:float32 ret:float32 attr.transpose:bool attr.cols:int64
// @BE fixed_matmat_f64 = fixed_product<double, Values<double>, 2> arg:int32 arg:float64 arg:float64 ret:float64 attr.transpose:bool attr.cols:int64
// @BE fixed_todense_f32 = fixed_todense<float> arg:int32 arg:float32 ret:float32 attr.transpose:bool attr.cols:int64
// @BE fixed_todense_f64 = fixed_todense<double> arg:int32 arg:float64 ret:float64 attr.transpose:bool attr.cols:int64
// clang-format on
