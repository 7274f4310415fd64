// The device side of the event-driven built-ins (dense.cu, csr.cu, fixed_num.cu, stdp.cu): the
// spike encodings of event_common.h for CUDA (NVRTC: C++17, no standard library) and the CUDA
// emulation. The twins compute each output in one thread, in the CPU twins' order (ascending
// input index, then stored order) with the same operations, so with contraction off (the
// emulation, or NVRTC --fmad=false) they are bitwise equal to the CPU twins and need no atomics.
// They favour that guarantee over speed: a thread of the scatter (spikes @ M) tests every input
// and binary-searches the active rows for its column. A fast GPU scatter would compact the
// active indices first (a host .cpp entry orchestrating two launches); not done yet.
#pragma once

namespace be_event_dev {

struct SpikeBool {
    using Elem = bool;
    static constexpr bool weighted = false;
    __device__ static int64_t words(int64_t n) { return n; }
    __device__ static bool active(const Elem* s, int64_t i) { return s[i]; }
};
template <typename T> struct SpikeFloat {
    using Elem = T;
    static constexpr bool weighted = false;
    __device__ static int64_t words(int64_t n) { return n; }
    __device__ static bool active(const Elem* s, int64_t i) { return s[i] > T(0); }
};
struct SpikeBits {
    using Elem = uint32_t;
    static constexpr bool weighted = false;
    __device__ static int64_t words(int64_t n) { return (n + 31) / 32; }
    __device__ static bool active(const Elem* s, int64_t i) { return (s[i >> 5] >> (i & 31)) & 1u; }
};
template <typename T> struct Values {
    using Elem = T;
    static constexpr bool weighted = true;
    __device__ static int64_t words(int64_t n) { return n; }
    __device__ static bool active(const Elem*, int64_t) { return true; }
};

// acc + f * w for values, acc + w for events (the CPU twins' two forms).
template <typename Enc, typename T>
__device__ inline T accumulate(T acc, const typename Enc::Elem* s, int64_t i, T w) {
    if (Enc::weighted) return acc + static_cast<T>(s[i]) * w;
    return acc + w;
}

__device__ inline int64_t global_thread() {
    return blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
}

// First position in idx[lo, hi) whose value is >= key (idx ascending).
__device__ inline int64_t lower_bound_pos(const int32_t* idx, int64_t lo, int64_t hi, int64_t key) {
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (idx[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

} // namespace be_event_dev
