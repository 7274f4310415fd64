// Event-driven pair-based STDP on a CSR matrix W [n_pre, n_post] (indptr int64 [n_pre + 1],
// indices int32 [nnz], weights [nnz] updated in place: a ret).
//
// Target names: csr_stdp_<bool|float|bits>_<f32|f64> (suffix = weight dtype):
//   arg indptr, arg indices, arg pre_spikes[n_pre], arg post_spikes[n_post],
//   arg pre_trace[n_pre], arg post_trace[n_post] (weight dtype), ret weights[nnz],
//   attr a_plus, attr a_minus, attr w_min, attr w_max, attr cols (= n_post)
// For each synapse i -> j, with the traces as given (the caller decays and bumps them):
//   pre i spiked:   w -= a_minus * post_trace[j]   (depression: post before pre)
//   post j spiked:  w += a_plus * pre_trace[i]     (potentiation: pre before post)
// in that order, then w = min(max(w, w_min), w_max) for every synapse that changed. Synapses
// with neither spike are untouched. Each synapse is written by the one task owning its row, and
// its update is a fixed sequence of operations: bitwise the same for any thread count.
// Work: the rows of active pre neurons; when some post neuron spiked, every stored entry is
// tested (finding the synapses of a post neuron in CSR needs a column index).
#include <be/builtin_includes.h>

#include "event_common.h"
#include "stdp_rule.h"

// At global scope so that the generated trampolines see the encodings too.
using namespace be_event;

namespace {

template <typename T, typename Enc>
void csr_stdp(const BE::Tensor& indptr, const BE::Tensor& indices, const BE::Tensor& pre_spikes,
              const BE::Tensor& post_spikes, const BE::Tensor& pre_trace,
              const BE::Tensor& post_trace, BE::Tensor& weights, double a_plus, double a_minus,
              double w_min, double w_max, int64_t cols) {
    BE_CHECK(indptr.ndim() == 1 && indptr.size(0) >= 1, "indptr must be [n_pre + 1]");
    const int64_t rows = indptr.size(0) - 1;
    const int64_t* ptr = indptr.data_ptr<int64_t>();
    const int64_t nnz = ptr[rows];
    BE_CHECK(indices.numel() == nnz && weights.numel() == nnz,
             "indices and weights must have one entry per synapse");
    BE_CHECK(pre_spikes.numel() == Enc::words(rows), "pre_spikes must have n_pre entries");
    BE_CHECK(post_spikes.numel() == Enc::words(cols), "post_spikes must have n_post entries");
    BE_CHECK(pre_trace.numel() == rows && post_trace.numel() == cols,
             "pre_trace must be [n_pre] and post_trace [n_post]");
    BE_CHECK(w_min <= w_max, "w_min must not exceed w_max");
    const int32_t* idx = indices.data_ptr<int32_t>();
    const auto* pre = pre_spikes.data_ptr<typename Enc::Elem>();
    const auto* post = post_spikes.data_ptr<typename Enc::Elem>();
    const T* x_pre = pre_trace.data_ptr<T>();
    const T* x_post = post_trace.data_ptr<T>();
    T* w = weights.data_ptr<T>();
    const T ap = T(a_plus), am = T(a_minus), lo = T(w_min), hi = T(w_max);

    std::vector<int32_t> active_pre, active_post;
    collect_active<Enc>(pre, rows, active_pre);
    collect_active<Enc>(post, cols, active_post);
    auto update_row = [&](int64_t i, bool pre_active) {
        stdp_update_row<Enc>(i, pre_active, ptr, idx, post, x_pre, x_post, w, ap, am, lo, hi);
    };
    if (active_post.empty()) {
        // Only depression: the rows of the active pre neurons, nothing else.
        be_parallel::for_each(static_cast<int64_t>(active_pre.size()),
                              [&](int64_t a) { update_row(active_pre[a], true); });
        return;
    }
    be_parallel::for_each(rows, [&](int64_t i) { update_row(i, Enc::active(pre, i)); });
}

} // namespace

// clang-format off
// @BE csr_stdp_bool_f32 = csr_stdp<float, SpikeBool> arg:int64 arg:int32 arg:bool arg:bool arg:float32 arg:float32 ret:float32 attr.a_plus:float64 attr.a_minus:float64 attr.w_min:float64 attr.w_max:float64 attr.cols:int64
// @BE csr_stdp_bool_f64 = csr_stdp<double, SpikeBool> arg:int64 arg:int32 arg:bool arg:bool arg:float64 arg:float64 ret:float64 attr.a_plus:float64 attr.a_minus:float64 attr.w_min:float64 attr.w_max:float64 attr.cols:int64
// @BE csr_stdp_float_f32 = csr_stdp<float, SpikeFloat<float> > arg:int64 arg:int32 arg:float32 arg:float32 arg:float32 arg:float32 ret:float32 attr.a_plus:float64 attr.a_minus:float64 attr.w_min:float64 attr.w_max:float64 attr.cols:int64
// @BE csr_stdp_float_f64 = csr_stdp<double, SpikeFloat<double> > arg:int64 arg:int32 arg:float64 arg:float64 arg:float64 arg:float64 ret:float64 attr.a_plus:float64 attr.a_minus:float64 attr.w_min:float64 attr.w_max:float64 attr.cols:int64
// @BE csr_stdp_bits_f32 = csr_stdp<float, SpikeBits> arg:int64 arg:int32 arg:uint32 arg:uint32 arg:float32 arg:float32 ret:float32 attr.a_plus:float64 attr.a_minus:float64 attr.w_min:float64 attr.w_max:float64 attr.cols:int64
// @BE csr_stdp_bits_f64 = csr_stdp<double, SpikeBits> arg:int64 arg:int32 arg:uint32 arg:uint32 arg:float64 arg:float64 ret:float64 attr.a_plus:float64 attr.a_minus:float64 attr.w_min:float64 attr.w_max:float64 attr.cols:int64
// clang-format on
