// CUDA twin of stdp.cpp (read it for the targets and the rule): one thread per pre-synaptic
// row (launch threads = pre_trace.numel()), updated by the CPU twin's own stdp_update_row
// (stdp_rule.h), so the result is bitwise equal with contraction off.
#include "event_device.h"
#include "stdp_rule.h"

using namespace be_event_dev;

template <typename T, typename Enc>
__global__ void csr_stdp(const BE::Tensor indptr, const BE::Tensor indices,
                         const BE::Tensor pre_spikes, const BE::Tensor post_spikes,
                         const BE::Tensor pre_trace, const BE::Tensor post_trace,
                         BE::Tensor weights, double a_plus, double a_minus, double w_min,
                         double w_max, int64_t cols) {
    const int64_t rows = indptr.size(0) - 1;
    const int64_t* ptr = indptr.data_ptr<int64_t>();
    BE_CHECK(indices.numel() == ptr[rows] && weights.numel() == ptr[rows] &&
                 pre_spikes.numel() == Enc::words(rows) &&
                 post_spikes.numel() == Enc::words(cols) && pre_trace.numel() == rows &&
                 post_trace.numel() == cols && w_min <= w_max,
             "shapes do not match (see stdp.cpp)");
    const int64_t i = global_thread();
    if (i >= rows) return;
    const int32_t* idx = indices.data_ptr<int32_t>();
    const typename Enc::Elem* pre = pre_spikes.data_ptr<typename Enc::Elem>();
    const typename Enc::Elem* post = post_spikes.data_ptr<typename Enc::Elem>();
    const T* x_post = post_trace.data_ptr<T>();
    T* w = weights.data_ptr<T>();
    const T ap = T(a_plus), am = T(a_minus), lo = T(w_min), hi = T(w_max);
    stdp_update_row<Enc>(i, Enc::active(pre, i), ptr, idx, post, pre_trace.data_ptr<T>(), x_post,
                         w, ap, am, lo, hi);
}

// clang-format off
// @BE csr_stdp_bool_f32 = csr_stdp<float, SpikeBool> arg:int64 arg:int32 arg:bool arg:bool arg:float32 arg:float32 ret:float32 attr.a_plus:float64 attr.a_minus:float64 attr.w_min:float64 attr.w_max:float64 attr.cols:int64 launch(threads=pre_trace.numel())
// @BE csr_stdp_bool_f64 = csr_stdp<double, SpikeBool> arg:int64 arg:int32 arg:bool arg:bool arg:float64 arg:float64 ret:float64 attr.a_plus:float64 attr.a_minus:float64 attr.w_min:float64 attr.w_max:float64 attr.cols:int64 launch(threads=pre_trace.numel())
// @BE csr_stdp_float_f32 = csr_stdp<float, SpikeFloat<float> > arg:int64 arg:int32 arg:float32 arg:float32 arg:float32 arg:float32 ret:float32 attr.a_plus:float64 attr.a_minus:float64 attr.w_min:float64 attr.w_max:float64 attr.cols:int64 launch(threads=pre_trace.numel())
// @BE csr_stdp_float_f64 = csr_stdp<double, SpikeFloat<double> > arg:int64 arg:int32 arg:float64 arg:float64 arg:float64 arg:float64 ret:float64 attr.a_plus:float64 attr.a_minus:float64 attr.w_min:float64 attr.w_max:float64 attr.cols:int64 launch(threads=pre_trace.numel())
// @BE csr_stdp_bits_f32 = csr_stdp<float, SpikeBits> arg:int64 arg:int32 arg:uint32 arg:uint32 arg:float32 arg:float32 ret:float32 attr.a_plus:float64 attr.a_minus:float64 attr.w_min:float64 attr.w_max:float64 attr.cols:int64 launch(threads=pre_trace.numel())
// @BE csr_stdp_bits_f64 = csr_stdp<double, SpikeBits> arg:int64 arg:int32 arg:uint32 arg:uint32 arg:float64 arg:float64 ret:float64 attr.a_plus:float64 attr.a_minus:float64 attr.w_min:float64 attr.w_max:float64 attr.cols:int64 launch(threads=pre_trace.numel())
// clang-format on
