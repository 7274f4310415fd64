// The pair-based STDP update of one pre-synaptic row (read stdp.cpp for the rule), shared by
// stdp.cpp and its CUDA twin stdp.cu so that both apply the same operations in the same order:
// the results are bitwise equal wherever contraction is off. Enc is either file's spike encoding.
#pragma once

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define BE_STDP_FN __host__ __device__ inline
#else
#define BE_STDP_FN inline
#endif

template <typename Enc, typename T>
BE_STDP_FN void stdp_update_row(int64_t i, bool pre_active, const int64_t* ptr, const int32_t* idx,
                                const typename Enc::Elem* post, const T* x_pre, const T* x_post,
                                T* w, T ap, T am, T lo, T hi) {
    const T pot = ap * x_pre[i];
    for (int64_t k = ptr[i]; k < ptr[i + 1]; ++k) {
        const int32_t j = idx[k];
        const bool post_active = Enc::active(post, j);
        if (!pre_active && !post_active) continue;
        T v = w[k];
        if (pre_active) v -= am * x_post[j];
        if (post_active) v += pot;
        w[k] = v < lo ? lo : (v > hi ? hi : v);
    }
}
