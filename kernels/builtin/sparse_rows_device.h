// CUDA twin of sparse_rows.h, shared by csr.cu and fixed_num.cu: one thread per output element,
// in the CPU twin's order (event_device.h). The scatter (spikes @ M) thread of column j walks the
// rows in ascending order and, for each active one, binary-searches j in it; the gather
// (M @ spikes) thread of row i walks its entries like the CPU.
#pragma once

#include "event_device.h"

namespace be_event_dev {

struct CsrRows {
    const int64_t* indptr;
    __device__ int64_t begin(int64_t i) const { return indptr[i]; }
    __device__ int64_t end(int64_t i) const { return indptr[i + 1]; }
};
struct FixedRows {
    int64_t k;
    __device__ int64_t begin(int64_t i) const { return i * k; }
    __device__ int64_t end(int64_t i) const { return (i + 1) * k; }
};

template <typename T, typename Enc, int Rank, typename RowsT>
__device__ void rows_product(const RowsT& layout, int64_t rows, int64_t cols, int64_t nnz,
                             const BE::Tensor& indices, const BE::Tensor& weights,
                             const BE::Tensor& spikes, BE::Tensor& out, bool transpose) {
    const int64_t n_in = transpose ? cols : rows, n_out = transpose ? rows : cols;
    const int64_t in_stride = Enc::words(n_in);
    BE_CHECK((weights.numel() == nnz || weights.numel() == 1) && spikes.ndim() == Rank &&
                 out.ndim() == Rank && spikes.size(Rank - 1) == in_stride &&
                 out.size(Rank - 1) == n_out,
             "shapes do not match (see sparse_rows.h)");
    const int64_t t = global_thread();
    if (t >= out.numel()) return;
    const int64_t b = t / n_out, o = t % n_out;
    const int32_t* idx = indices.data_ptr<int32_t>();
    const T* w = weights.data_ptr<T>();
    const bool homogeneous = weights.numel() == 1 && nnz != 1;
    const typename Enc::Elem* s = spikes.data_ptr<typename Enc::Elem>() + b * in_stride;
    T acc = T(0);
    if (!transpose) {
        for (int64_t i = 0; i < rows; ++i) {
            if (!Enc::active(s, i)) continue;
            const int64_t end = layout.end(i);
            for (int64_t k = lower_bound_pos(idx, layout.begin(i), end, o); k < end && idx[k] == o;
                 ++k)
                acc = accumulate<Enc, T>(acc, s, i, homogeneous ? w[0] : w[k]);
        }
    } else {
        for (int64_t k = layout.begin(o), end = layout.end(o); k < end; ++k)
            if (Enc::active(s, idx[k]))
                acc = accumulate<Enc, T>(acc, s, idx[k], homogeneous ? w[0] : w[k]);
    }
    out.data_ptr<T>()[t] = acc;
}

// Element t of out = M or Mᵀ: the sum of the stored entries at that position, in stored order.
template <typename T, typename RowsT>
__device__ void rows_todense(const RowsT& layout, int64_t rows, int64_t cols, int64_t nnz,
                             const BE::Tensor& indices, const BE::Tensor& weights, BE::Tensor& out,
                             bool transpose) {
    BE_CHECK(out.numel() == rows * cols && (weights.numel() == nnz || weights.numel() == 1),
             "out must be [rows, cols] ([cols, rows] with transpose)");
    const int64_t t = global_thread();
    if (t >= out.numel()) return;
    const int64_t i = transpose ? t % rows : t / cols, j = transpose ? t / rows : t % cols;
    const int32_t* idx = indices.data_ptr<int32_t>();
    const T* w = weights.data_ptr<T>();
    const bool homogeneous = weights.numel() == 1 && nnz != 1;
    T acc = T(0);
    for (int64_t k = lower_bound_pos(idx, layout.begin(i), layout.end(i), j);
         k < layout.end(i) && idx[k] == j; ++k)
        acc += homogeneous ? w[0] : w[k];
    out.data_ptr<T>()[t] = acc;
}

} // namespace be_event_dev
