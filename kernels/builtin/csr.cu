// CUDA twin of csr.cpp (read it for the targets, shapes and semantics): one thread per output
// element (launch threads = out.numel()), bitwise equal to the CPU twin (sparse_rows_device.h).
#include "sparse_rows_device.h"

using namespace be_event_dev;

template <typename T, typename Enc, int Rank>
__global__ void csr_product(const BE::Tensor indptr, const BE::Tensor indices,
                            const BE::Tensor weights, const BE::Tensor spikes, BE::Tensor out,
                            bool transpose, int64_t cols) {
    const int64_t rows = indptr.size(0) - 1;
    const int64_t nnz = indptr.data_ptr<int64_t>()[rows];
    rows_product<T, Enc, Rank>(CsrRows{indptr.data_ptr<int64_t>()}, rows, cols, nnz, indices,
                               weights, spikes, out, transpose);
}

template <typename T>
__global__ void csr_todense(const BE::Tensor indptr, const BE::Tensor indices,
                            const BE::Tensor weights, BE::Tensor out, bool transpose,
                            int64_t cols) {
    const int64_t rows = indptr.size(0) - 1;
    const int64_t nnz = indptr.data_ptr<int64_t>()[rows];
    rows_todense<T>(CsrRows{indptr.data_ptr<int64_t>()}, rows, cols, nnz, indices, weights, out,
                    transpose);
}

// clang-format off
// @BE csr_event_matvec_bool_f32 = csr_product<float, SpikeBool, 1> arg:int64 arg:int32 arg:float32 arg:bool ret:float32 attr.transpose:bool attr.cols:int64 launch(threads=out.numel())
// @BE csr_event_matvec_bool_f64 = csr_product<double, SpikeBool, 1> arg:int64 arg:int32 arg:float64 arg:bool ret:float64 attr.transpose:bool attr.cols:int64 launch(threads=out.numel())
// @BE csr_event_matvec_float_f32 = csr_product<float, SpikeFloat<float>, 1> arg:int64 arg:int32 arg:float32 arg:float32 ret:float32 attr.transpose:bool attr.cols:int64 launch(threads=out.numel())
// @BE csr_event_matvec_float_f64 = csr_product<double, SpikeFloat<double>, 1> arg:int64 arg:int32 arg:float64 arg:float64 ret:float64 attr.transpose:bool attr.cols:int64 launch(threads=out.numel())
// @BE csr_event_matvec_bits_f32 = csr_product<float, SpikeBits, 1> arg:int64 arg:int32 arg:float32 arg:uint32 ret:float32 attr.transpose:bool attr.cols:int64 launch(threads=out.numel())
// @BE csr_event_matvec_bits_f64 = csr_product<double, SpikeBits, 1> arg:int64 arg:int32 arg:float64 arg:uint32 ret:float64 attr.transpose:bool attr.cols:int64 launch(threads=out.numel())
// @BE csr_event_matmat_bool_f32 = csr_product<float, SpikeBool, 2> arg:int64 arg:int32 arg:float32 arg:bool ret:float32 attr.transpose:bool attr.cols:int64 launch(threads=out.numel())
// @BE csr_event_matmat_bool_f64 = csr_product<double, SpikeBool, 2> arg:int64 arg:int32 arg:float64 arg:bool ret:float64 attr.transpose:bool attr.cols:int64 launch(threads=out.numel())
// @BE csr_event_matmat_float_f32 = csr_product<float, SpikeFloat<float>, 2> arg:int64 arg:int32 arg:float32 arg:float32 ret:float32 attr.transpose:bool attr.cols:int64 launch(threads=out.numel())
// @BE csr_event_matmat_float_f64 = csr_product<double, SpikeFloat<double>, 2> arg:int64 arg:int32 arg:float64 arg:float64 ret:float64 attr.transpose:bool attr.cols:int64 launch(threads=out.numel())
// @BE csr_event_matmat_bits_f32 = csr_product<float, SpikeBits, 2> arg:int64 arg:int32 arg:float32 arg:uint32 ret:float32 attr.transpose:bool attr.cols:int64 launch(threads=out.numel())
// @BE csr_event_matmat_bits_f64 = csr_product<double, SpikeBits, 2> arg:int64 arg:int32 arg:float64 arg:uint32 ret:float64 attr.transpose:bool attr.cols:int64 launch(threads=out.numel())
// @BE csr_matvec_f32 = csr_product<float, Values<float>, 1> arg:int64 arg:int32 arg:float32 arg:float32 ret:float32 attr.transpose:bool attr.cols:int64 launch(threads=out.numel())
// @BE csr_matvec_f64 = csr_product<double, Values<double>, 1> arg:int64 arg:int32 arg:float64 arg:float64 ret:float64 attr.transpose:bool attr.cols:int64 launch(threads=out.numel())
// @BE csr_matmat_f32 = csr_product<float, Values<float>, 2> arg:int64 arg:int32 arg:float32 arg:float32 ret:float32 attr.transpose:bool attr.cols:int64 launch(threads=out.numel())
// @BE csr_matmat_f64 = csr_product<double, Values<double>, 2> arg:int64 arg:int32 arg:float64 arg:float64 ret:float64 attr.transpose:bool attr.cols:int64 launch(threads=out.numel())
// @BE csr_todense_f32 = csr_todense<float> arg:int64 arg:int32 arg:float32 ret:float32 attr.transpose:bool attr.cols:int64 launch(threads=out.numel())
// @BE csr_todense_f64 = csr_todense<double> arg:int64 arg:int32 arg:float64 ret:float64 attr.transpose:bool attr.cols:int64 launch(threads=out.numel())
// clang-format on
