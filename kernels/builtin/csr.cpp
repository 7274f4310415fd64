// Event-driven and float products with a CSR matrix M [rows, cols]: indptr int64 [rows + 1],
// indices int32 [nnz] (ascending within each row), weights [nnz] or [1] (homogeneous).
// CSC is the CSR of the transpose: the frontend passes the CSR of Mᵀ and flips `transpose`.
//
// Target names: csr_<op>[_<spikes>]_<f32|f64> (suffix = weight and output dtype):
//   csr_event_matvec_<bool|float|bits>  arg indptr, arg indices, arg weights, arg spikes[n_in],
//                                       ret out[n_out], attr transpose, attr cols
//   csr_event_matmat_<bool|float|bits>  the same with spikes[batch, n_in], out[batch, n_out]
//   csr_matvec / csr_matmat             float inputs (every entry, weighted by its value)
//   csr_todense                         arg indptr, arg indices, arg weights, ret out, attrs
// transpose = false: out = spikes @ M (event-driven scatter from the active rows);
// transpose = true:  out = M @ spikes (gather). Partition and summation order: sparse_rows.h.
#include <be/builtin_includes.h>

#include "sparse_rows.h"

// At global scope so that the generated trampolines see the encodings too.
using namespace be_event;

namespace {

template <typename T, typename Enc, int Rank>
void csr_product(const BE::Tensor& indptr, const BE::Tensor& indices, const BE::Tensor& weights,
                 const BE::Tensor& spikes, BE::Tensor& out, bool transpose, int64_t cols) {
    BE_CHECK(indptr.ndim() == 1 && indptr.size(0) >= 1, "indptr must be [rows + 1]");
    const int64_t rows = indptr.size(0) - 1;
    const int64_t nnz = indptr.data_ptr<int64_t>()[rows];
    BE_CHECK(indices.numel() == nnz, "indices must have indptr[rows] entries");
    rows_product<T, Enc>(CsrRows{indptr.data_ptr<int64_t>()}, Rank, rows, cols, nnz, indices,
                         weights, spikes, out, transpose);
}

template <typename T>
void csr_todense(const BE::Tensor& indptr, const BE::Tensor& indices, const BE::Tensor& weights,
                 BE::Tensor& out, bool transpose, int64_t cols) {
    BE_CHECK(indptr.ndim() == 1 && indptr.size(0) >= 1, "indptr must be [rows + 1]");
    const int64_t rows = indptr.size(0) - 1;
    const int64_t nnz = indptr.data_ptr<int64_t>()[rows];
    BE_CHECK(indices.numel() == nnz, "indices must have indptr[rows] entries");
    rows_todense<T>(CsrRows{indptr.data_ptr<int64_t>()}, rows, cols, nnz, indices, weights, out,
                    transpose);
}

} // namespace

// clang-format off
// @BE csr_event_matvec_bool_f32 = csr_product<float, SpikeBool, 1> arg:int64 arg:int32 arg:float32 arg:bool ret:float32 attr.transpose:bool attr.cols:int64
// @BE csr_event_matvec_bool_f64 = csr_product<double, SpikeBool, 1> arg:int64 arg:int32 arg:float64 arg:bool ret:float64 attr.transpose:bool attr.cols:int64
// @BE csr_event_matvec_float_f32 = csr_product<float, SpikeFloat<float>, 1> arg:int64 arg:int32 arg:float32 arg:float32 ret:float32 attr.transpose:bool attr.cols:int64
// @BE csr_event_matvec_float_f64 = csr_product<double, SpikeFloat<double>, 1> arg:int64 arg:int32 arg:float64 arg:float64 ret:float64 attr.transpose:bool attr.cols:int64
// @BE csr_event_matvec_bits_f32 = csr_product<float, SpikeBits, 1> arg:int64 arg:int32 arg:float32 arg:uint32 ret:float32 attr.transpose:bool attr.cols:int64
// @BE csr_event_matvec_bits_f64 = csr_product<double, SpikeBits, 1> arg:int64 arg:int32 arg:float64 arg:uint32 ret:float64 attr.transpose:bool attr.cols:int64
// @BE csr_event_matmat_bool_f32 = csr_product<float, SpikeBool, 2> arg:int64 arg:int32 arg:float32 arg:bool ret:float32 attr.transpose:bool attr.cols:int64
// @BE csr_event_matmat_bool_f64 = csr_product<double, SpikeBool, 2> arg:int64 arg:int32 arg:float64 arg:bool ret:float64 attr.transpose:bool attr.cols:int64
// @BE csr_event_matmat_float_f32 = csr_product<float, SpikeFloat<float>, 2> arg:int64 arg:int32 arg:float32 arg:float32 ret:float32 attr.transpose:bool attr.cols:int64
// @BE csr_event_matmat_float_f64 = csr_product<double, SpikeFloat<double>, 2> arg:int64 arg:int32 arg:float64 arg:float64 ret:float64 attr.transpose:bool attr.cols:int64
// @BE csr_event_matmat_bits_f32 = csr_product<float, SpikeBits, 2> arg:int64 arg:int32 arg:float32 arg:uint32 ret:float32 attr.transpose:bool attr.cols:int64
// @BE csr_event_matmat_bits_f64 = csr_product<double, SpikeBits, 2> arg:int64 arg:int32 arg:float64 arg:uint32 ret:float64 attr.transpose:bool attr.cols:int64
// @BE csr_matvec_f32 = csr_product<float, Values<float>, 1> arg:int64 arg:int32 arg:float32 arg:float32 ret:float32 attr.transpose:bool attr.cols:int64
// @BE csr_matvec_f64 = csr_product<double, Values<double>, 1> arg:int64 arg:int32 arg:float64 arg:float64 ret:float64 attr.transpose:bool attr.cols:int64
// @BE csr_matmat_f32 = csr_product<float, Values<float>, 2> arg:int64 arg:int32 arg:float32 arg:float32 ret:float32 attr.transpose:bool attr.cols:int64
// @BE csr_matmat_f64 = csr_product<double, Values<double>, 2> arg:int64 arg:int32 arg:float64 arg:float64 ret:float64 attr.transpose:bool attr.cols:int64
// @BE csr_todense_f32 = csr_todense<float> arg:int64 arg:int32 arg:float32 ret:float32 attr.transpose:bool attr.cols:int64
// @BE csr_todense_f64 = csr_todense<double> arg:int64 arg:int32 arg:float64 ret:float64 attr.transpose:bool attr.cols:int64
// clang-format on
