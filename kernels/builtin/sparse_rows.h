// The products of a row-compressed sparse matrix M [rows, cols], shared by csr.cpp (row pointers)
// and fixed_num.cpp (k entries per row). A row policy gives each row's [begin, end) into the
// column indices (int32, in [0, cols) and ascending within a row: the frontend's constructors
// validate and sort them once; the kernels trust them) and the weights (one per entry, or a
// single homogeneous weight when weights.numel() == 1).
//
// transpose = false: out = spikes @ M, a scatter from the active rows. Owner-computes: the
//   output is cut into fixed chunks (event_common.h); the task owning [c0, c1) walks the active
//   rows in ascending order, finds the row's first column >= c0 by binary search and adds the
//   entries up to c1. Every out[j] is therefore summed in ascending row order by one task, for
//   any thread count, and equals a serial scatter bit for bit. Cost: one binary search per
//   active row and chunk (chunk_count(cols): 1 up to 4096 columns, 2 per 65536 beyond; with one
//   worker, chunks of 512 KiB of output instead, 1 for 100k float32 columns), about
//   log2(row length) steps each, and each task re-reads only its slice of the active rows; no
//   atomics, no private buffers, no reduction pass. Active rows are taken in groups of ~4 MiB
//   of row data (one parallel pass per group) so that the chunk tasks find them in the L3.
// transpose = true: out = M @ spikes, a gather: each row sums its entries whose column is active,
//   in stored order. This direction tests every stored entry (O(nnz)); to make M @ s
//   event-driven, store Mᵀ (e.g. CSC of M = CSR of Mᵀ) and use transpose = false.
#pragma once

#include "event_common.h"

namespace be_event {

// Row data (indices + weights) per group of active rows in the scatter: well inside the L3.
constexpr int64_t k_group_bytes = int64_t(4) << 20;
// Output bytes per scatter chunk when one worker runs them all: half of a 1 MiB L2.
constexpr int64_t k_solo_chunk_bytes = int64_t(512) << 10;

struct CsrRows {
    const int64_t* indptr;
    int64_t begin(int64_t i) const { return indptr[i]; }
    int64_t end(int64_t i) const { return indptr[i + 1]; }
};
struct FixedRows {
    int64_t k;
    int64_t begin(int64_t i) const { return i * k; }
    int64_t end(int64_t i) const { return (i + 1) * k; }
};

// out = spikes @ M from the active rows of each batch (ascending), each row weighted by its input
// value values[b * in_stride + i] (Weighted) or by 1 (events). Once the active rows are known the
// spike encoding plays no part, so the three event encodings share this code.
template <typename T, bool Weighted, typename RowsT>
void scatter_rows(const RowsT& layout, const std::vector<std::vector<int32_t>>& active,
                  const T* values, int64_t in_stride, const int32_t* idx, const T* w,
                  bool homogeneous, T* y, int64_t n_out) {
    const int64_t batches = static_cast<int64_t>(active.size());
    // Active rows in groups of about k_group_bytes of row data, the groups one after another:
    // every chunk task of a group re-reads the group's rows from the shared L3 instead of
    // DRAM. Group boundaries depend on the rows alone, and the rows of each output are still
    // added in ascending order.
    const int64_t row_bytes = int64_t(sizeof(int32_t)) + (homogeneous ? 0 : int64_t(sizeof(T)));
    std::vector<std::vector<size_t>> groups(batches);
    size_t max_groups = 1;
    for (int64_t b = 0; b < batches; ++b) {
        groups[b].push_back(0);
        int64_t bytes = 0;
        for (size_t a = 0; a < active[b].size(); ++a) {
            const int32_t i = active[b][a];
            bytes += (layout.end(i) - layout.begin(i)) * row_bytes;
            if (bytes >= k_group_bytes && a + 1 < active[b].size()) {
                groups[b].push_back(a + 1);
                bytes = 0;
            }
        }
        groups[b].push_back(active[b].size());
        max_groups = std::max(max_groups, groups[b].size() - 1);
    }
    // Every out[j] gets its terms in ascending row order whatever the column partition, so a
    // single worker may take chunks as wide as its L2 allows: bitwise the same sums with
    // fewer binary searches and row re-reads (N = 100k, p = 1 %, 1 % active: one chunk).
    const int64_t chunks =
        worker_count() == 1
            ? std::max<int64_t>(1, (n_out * int64_t(sizeof(T)) + k_solo_chunk_bytes - 1) /
                                       k_solo_chunk_bytes)
            : chunk_count(n_out);
    auto scatter = [&](auto homo) {
        for (size_t g = 0; g < max_groups; ++g)
            for_each_chunk(batches, n_out, chunks, [&](int64_t b, int64_t c0, int64_t c1) {
                if (g + 1 >= groups[b].size()) return;
                T* yb = y + b * n_out;
                if (g == 0) std::fill(yb + c0, yb + c1, T(0));
                for (size_t a = groups[b][g]; a < groups[b][g + 1]; ++a) {
                    const int32_t i = active[b][a];
                    const int64_t end = layout.end(i);
                    const T f = Weighted ? values[b * in_stride + i] : T(1);
                    int64_t k =
                        c0 == 0 ? layout.begin(i) : lower_bound_pos(idx, layout.begin(i), end, c0);
                    auto add = [&](int64_t e) {
                        const T we = homo ? w[0] : w[e];
                        if constexpr (Weighted)
                            yb[idx[e]] += f * we;
                        else
                            yb[idx[e]] += we;
                    };
                    if (c1 == n_out) // the last chunk: the row's end is the bound
                        for (; k < end; ++k)
                            add(k);
                    else
                        for (; k < end && idx[k] < c1; ++k)
                            add(k);
                }
            });
    };
    homogeneous ? scatter(std::true_type{}) : scatter(std::false_type{});
}

// out = M @ spikes: each row sums its entries whose column is active, in stored order. Enc is
// SpikeBool or Values<T> (rows_product passes the other event encodings as SpikeBool).
template <typename T, typename Enc, typename RowsT>
void rows_gather(const RowsT& layout, const typename Enc::Elem* s, int64_t batches,
                 int64_t in_stride, const int32_t* idx, const T* w, bool homogeneous, T* y,
                 int64_t n_out) {
    auto gather = [&](auto homo) {
        for_each_chunk(batches, n_out, [&](int64_t b, int64_t r0, int64_t r1) {
            const auto* sb = s + b * in_stride;
            for (int64_t i = r0; i < r1; ++i) {
                T acc = T(0);
                for (int64_t k = layout.begin(i), end = layout.end(i); k < end; ++k) {
                    const int32_t j = idx[k];
                    if (!Enc::active(sb, j)) continue;
                    const T wk = homo ? w[0] : w[k];
                    if constexpr (Enc::weighted)
                        acc += factor<Enc, T>(sb, j) * wk;
                    else
                        acc += wk;
                }
                y[b * n_out + i] = acc;
            }
        });
    };
    homogeneous ? gather(std::true_type{}) : gather(std::false_type{});
}

// rank 1: spikes [n_in] -> out [n_out]; rank 2: spikes [batch, n_in] -> out [batch, n_out].
template <typename T, typename Enc, typename RowsT>
void rows_product(const RowsT& layout, int rank, int64_t rows, int64_t cols, int64_t nnz,
                  const BE::Tensor& indices, const BE::Tensor& weights, const BE::Tensor& spikes,
                  BE::Tensor& out, bool transpose) {
    BE_CHECK(weights.is_contiguous() && (weights.numel() == nnz || weights.numel() == 1),
             "weights must have one entry per connection, or one (homogeneous)");
    const int64_t n_in = transpose ? cols : rows, n_out = transpose ? rows : cols;
    const int64_t batches = checked_batches<Enc>(spikes, out, rank, n_in, n_out);
    const int64_t in_stride = Enc::words(n_in);
    const int32_t* idx = indices.data_ptr<int32_t>();
    const T* w = weights.data_ptr<T>();
    const bool homogeneous = weights.numel() == 1 && nnz != 1;
    const auto* s = spikes.data_ptr<typename Enc::Elem>();
    T* y = out.data_ptr<T>();

    if (!transpose) {
        std::vector<std::vector<int32_t>> active(batches);
        if (batches == 1)
            collect_active<Enc>(s, n_in, active[0]);
        else
            be_parallel::for_each(batches, [&](int64_t b) {
                collect_active<Enc>(s + b * in_stride, n_in, active[b]);
            });
        if constexpr (Enc::weighted) // Values<T>: the spikes are the rows' values
            scatter_rows<T, true>(layout, active, s, in_stride, idx, w, homogeneous, y, n_out);
        else
            scatter_rows<T, false>(layout, active, nullptr, in_stride, idx, w, homogeneous, y,
                                   n_out);
    } else if constexpr (Enc::weighted) {
        rows_gather<T, Enc>(layout, s, batches, in_stride, idx, w, homogeneous, y, n_out);
    } else {
        std::unique_ptr<bool[]> flags;
        rows_gather<T, SpikeBool>(layout, as_spike_bool<Enc>(s, batches, n_in, flags), batches,
                                  n_in, idx, w, homogeneous, y, n_out);
    }
}

// out = M ([rows, cols]) or Mᵀ ([cols, rows]); duplicates (if any) are summed in stored order.
template <typename T, typename RowsT>
void rows_todense(const RowsT& layout, int64_t rows, int64_t cols, int64_t nnz,
                  const BE::Tensor& indices, const BE::Tensor& weights, BE::Tensor& out,
                  bool transpose) {
    BE_CHECK(weights.is_contiguous() && (weights.numel() == nnz || weights.numel() == 1),
             "weights must have one entry per connection, or one (homogeneous)");
    BE_CHECK(out.ndim() == 2 && out.is_contiguous() && out.size(0) == (transpose ? cols : rows) &&
                 out.size(1) == (transpose ? rows : cols),
             "out must be [rows, cols] ([cols, rows] with transpose)");
    const int32_t* idx = indices.data_ptr<int32_t>();
    const T* w = weights.data_ptr<T>();
    const bool homogeneous = weights.numel() == 1 && nnz != 1;
    T* y = out.data_ptr<T>();
    for (int64_t e = 0; e < rows * cols; ++e)
        y[e] = T(0);
    // Serial: a transposed scatter from parallel rows would race; todense is not a hot path.
    for (int64_t i = 0; i < rows; ++i)
        for (int64_t k = layout.begin(i); k < layout.end(i); ++k) {
            const int64_t j = idx[k];
            BE_CHECK(j >= 0 && j < cols, "a column index is out of range");
            (transpose ? y[j * rows + i] : y[i * cols + j]) += homogeneous ? w[0] : w[k];
        }
}

} // namespace be_event
