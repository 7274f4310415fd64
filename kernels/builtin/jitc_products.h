// The CPU JITC products (jitc_scalar.cpp, jitc_normal.cpp, jitc_uniform.cpp instantiate them,
// one weight kind each, so that the three compile in parallel): products with a just-in-time
// connectivity matrix M = R(seed, rows x cols) (kernels/include/be/jitc.h defines it),
// regenerated row by row inside the kernel: memory independent of the number of synapses. The
// column variant C(seed, m x n) = R(seed, n x m)ᵀ is the frontend's business (it passes R's
// shape and flips `transpose`).
// Target names: jitc_<scalar|normal|uniform>_<op>[_<spikes>]_<f32|f64> (suffix = output dtype):
//   ..._event_matvec_<bool|float|bits>  arg spikes[n_in], ret out[n_out]
//   ..._matvec                          arg x[n_in] (every entry, weighted by its value)
//   ..._event_matmat_<bool|float|bits>, ..._matmat  the same with [batch, n_in] -> [batch, n_out]
//                                       (one vector per row)
//   ..._todense                         ret out [rows, cols] ([cols, rows] with transpose)
//   ..._row                             ret out[cols]: row `row` of R, dense (the generator)
//   sim_jitc_<kind>_deliver_<f32|f64>   arg spikes bool[rows], ret out[col1 - col0]: columns
//                                       [col0, col1) of spikes @ R (the simulator's ranks)
// attrs: transpose (products, todense), seed, rows, cols, p, w0, w1 (the weight parameters:
// (w, 0), (mean, stddev), (low, high)), row (row target only), col0, col1 (deliver only).
// The frontend validates them.
// transpose = false: out = spikes @ R (n_in = rows, n_out = cols), a scatter of the active rows;
// transpose = true:  out = R @ spikes (n_in = cols, n_out = rows), a gather: each output row is
//   generated and its entries whose column is active are summed (O(rows * cols * p)).
//
// Determinism (any BECORE_THREADS): scalar weights with event spikes give count * w
// (be_jitc::scaled_count): exact, so the scatter splits the active rows across threads, each
// counting into its own array. Every other product sums each output from 0 in ascending input
// order (the gather walks the row's columns ascending; the scatter adds the active rows
// ascending), owned by one task of the fixed partition of event_common.h. With one worker the
// scatter generates each active row straight into the output. With more, it generates each
// active row once, not once per chunk (the geometric skips cannot seek to a chunk's first
// column): active rows go in groups sized from the problem alone (~k_group_entries expected
// entries); the rows of a group are generated in parallel into per-row buffers, then every chunk
// task adds the group's rows to its columns, finding its first column by binary search.
// Memory: one group of rows, or one count (8, 16 or 32 bits) per column and thread.
#pragma once

#include "be/jitc.h"
#include "event_common.h"

#include <oneapi/tbb/task_arena.h>

// At global scope so that the generated trampolines see the encodings and weight kinds too.
using namespace be_event;
using be_jitc::NormalW;
using be_jitc::ScalarW;
using be_jitc::UniformW;

namespace {

// Expected entries generated per group of the scatter (~6 MiB of f64 row data): large enough to
// keep every thread busy generating, small enough to stay in the L3 for the chunk tasks.
constexpr double k_group_entries = 512.0 * 1024.0;
// Below this many expected entries a counted scatter runs on one thread: the per-thread count
// arrays and the merge cost more than they save (10k x 10k, p = 0.01, 100 active rows: 319 M
// entries/s on one thread against 194 M on two).
constexpr double k_parallel_entries = 32768.0;

struct Dims {
    be_jitc::Params prm;
    int64_t rows;
};

Dims dims(int64_t seed, int64_t rows, int64_t cols, double p, double w0, double w1) {
    BE_CHECK(rows > 0 && cols > 0 && cols < (int64_t(1) << 31),
             "rows and cols must be in [1, 2^31)");
    BE_CHECK(p > 0.0 && p <= 1.0 && 1.0 - p < 1.0, "p must be in (0, 1] and representable");
    return {be_jitc::Params(static_cast<uint64_t>(seed), cols, p, w0, w1), rows};
}

// y[c] += the contribution of entry (row with factor f, column c, weight w).
template <bool Weighted, typename T> inline void add_entry(T& y, T f, T w) {
    if constexpr (Weighted)
        y += f * w;
    else
        y += w;
}

// Scalar weights with event (unweighted) spikes: outputs are be_jitc::scaled_count of an integer
// count of active connections; integer counts add associatively, so rows may be split freely.
template <typename Kind, bool Weighted> constexpr bool k_counted = !Kind::drawn && !Weighted;

// out = R @ s: each output row is generated and its entries whose column is active are summed.
template <typename T, typename Kind, typename Enc>
void jitc_gather(const be_jitc::Params& prm, const typename Enc::Elem* s, T* y, int64_t rows) {
    for_each_chunk(1, rows, [&](int64_t, int64_t r0, int64_t r1) {
        for (int64_t i = r0; i < r1; ++i) {
            be_jitc::RowGen<Kind> g(prm, i);
            if constexpr (k_counted<Kind, Enc::weighted>) {
                int64_t count = 0;
                g.for_each([&](int64_t c, double) { count += Enc::active(s, c) ? 1 : 0; });
                y[i] = be_jitc::scaled_count<T>(count, prm.w0);
            } else {
                T acc = T(0);
                g.for_each([&](int64_t c, double w) {
                    if (Enc::active(s, c))
                        add_entry<Enc::weighted>(acc, factor<Enc, T>(s, c), T(w));
                });
                y[i] = acc;
            }
        }
    });
}

// The connections from the active rows per column of [col0, col1), for scalar weights and event
// spikes, which need only these counts (the output dtype enters at the scaling, scale_counts):
// parts[k][j] counts column col0 + j over the rows one worker took; the parts sum to the counts.
// With `split` the active rows are shared out across the workers in ranges, each worker
// counting into the array of its thread slot; integer counts add exactly, so how the rows are
// split never changes a result.
// Count (the array element type) is the narrowest that cannot overflow (a column's count is at
// most the number of active rows): a smaller array stays in cache (1M columns: 2 MiB of uint16
// instead of 4 MiB of int32).
template <typename Kind, typename Count>
std::vector<std::vector<Count>> count_columns(const be_jitc::Params& prm,
                                              const std::vector<int32_t>& active, int64_t col0,
                                              int64_t col1, bool split) {
    const size_t n = static_cast<size_t>(col1 - col0);
    auto count_rows = [&](Count* count, size_t a0, size_t a1) {
        for (size_t a = a0; a < a1; ++a) {
            be_jitc::RowGen<Kind> g(prm, active[a], col0, col1);
            g.for_each([&](int64_t c, double) { ++count[c - col0]; });
        }
    };
    if (!split) {
        std::vector<std::vector<Count>> parts(1, std::vector<Count>(n, 0));
        count_rows(parts[0].data(), 0, active.size());
        return parts;
    }
    // A range runs start to end on one thread (count_rows waits on nothing), so no two ranges
    // share a slot's array at the same time.
    std::vector<std::vector<Count>> parts(
        static_cast<size_t>(tbb::this_task_arena::max_concurrency()));
    be_parallel::for_ranges(static_cast<int64_t>(active.size()), 16, [&](int64_t a0, int64_t a1) {
        const int slot = tbb::this_task_arena::current_thread_index();
        BE_CHECK(slot >= 0 && static_cast<size_t>(slot) < parts.size(),
                 "a counting range ran outside the kernel's task arena");
        std::vector<Count>& part = parts[static_cast<size_t>(slot)];
        if (part.empty()) part.assign(n, 0);
        count_rows(part.data(), static_cast<size_t>(a0), static_cast<size_t>(a1));
    });
    std::erase_if(parts, [](const std::vector<Count>& part) { return part.empty(); });
    return parts;
}

// y[j] = be_jitc::scaled_count of the sum of the parts' counts of column j.
template <typename T, typename Count>
void scale_counts(const std::vector<std::vector<Count>>& parts, double w0, T* y, int64_t n) {
    if (parts.size() == 1) {
        for (int64_t j = 0; j < n; ++j)
            y[j] = be_jitc::scaled_count<T>(parts[0][j], w0);
        return;
    }
    be_parallel::for_ranges(n, 4096, [&](int64_t j0, int64_t j1) {
        for (int64_t j = j0; j < j1; ++j) {
            int64_t total = 0;
            for (const std::vector<Count>& part : parts)
                total += part[j];
            y[j] = be_jitc::scaled_count<T>(total, w0);
        }
    });
}

// out = (s @ R)[col0, col1) for scalar weights and event spikes, from the counts.
template <typename T, typename Kind, typename Count>
void jitc_scatter_counted(const be_jitc::Params& prm, const std::vector<int32_t>& active, T* y,
                          int64_t col0, int64_t col1, double p) {
    const double entries =
        static_cast<double>(active.size()) * static_cast<double>(col1 - col0) * p;
    const bool split = worker_count() > 1 && entries >= k_parallel_entries;
    scale_counts<T>(count_columns<Kind, Count>(prm, active, col0, col1, split), prm.w0, y,
                    col1 - col0);
}

// out = (s @ R)[col0, col1) from the active rows of s (ascending), each row weighted by its input
// value values[i] (Weighted) or by 1. Once the active rows are known the encoding of s plays no
// part, so the three event encodings share this code, the bulk of a JITC file's.
// Drawn weights or weighted inputs: the active rows are added in ascending order. With one worker
// each row is generated straight into y; with more, groups of rows are generated in parallel,
// then added by the output chunks (see the file comment). Both add the same terms in the same
// order, so the results are bitwise equal.
template <typename T, typename Kind, bool Weighted>
void jitc_scatter_rows(const be_jitc::Params& prm, const std::vector<int32_t>& active,
                       const T* values, T* y, int64_t col0, int64_t col1, double p) {
    if constexpr (k_counted<Kind, Weighted>) {
        if (active.size() <= UINT8_MAX)
            jitc_scatter_counted<T, Kind, uint8_t>(prm, active, y, col0, col1, p);
        else if (active.size() <= UINT16_MAX)
            jitc_scatter_counted<T, Kind, uint16_t>(prm, active, y, col0, col1, p);
        else
            jitc_scatter_counted<T, Kind, int32_t>(prm, active, y, col0, col1, p);
        return;
    }
    const int64_t cols = col1 - col0; // the outputs
    std::fill(y, y + cols, T(0));
    T* const y0 = y - col0; // indexed by the matrix's column
    if (worker_count() == 1) {
        for (const int32_t i : active) {
            const T f = Weighted ? values[i] : T(1);
            be_jitc::RowGen<Kind> g(prm, i, col0, col1);
            g.for_each([&](int64_t c, double w) { add_entry<Weighted>(y0[c], f, T(w)); });
        }
        return;
    }
    // Each row's columns and weights go to a buffer, k_batch_words columns at a time.
    constexpr bool drawn = Kind::drawn;
    const T constant = T(prm.w0);
    const double per_row = std::max(1.0, static_cast<double>(cols) * p);
    const size_t group = static_cast<size_t>(std::max(1.0, k_group_entries / per_row));
    struct RowBuffer {
        std::vector<int32_t> cols;
        std::vector<T> weights;
        int64_t size = 0;
    };
    std::vector<RowBuffer> rows_of_group(std::min(group, active.size()));
    for (size_t g0 = 0; g0 < active.size(); g0 += group) {
        const size_t g1 = std::min(active.size(), g0 + group);
        be_parallel::for_each(static_cast<int64_t>(g1 - g0), [&](int64_t r) {
            RowBuffer& row = rows_of_group[r];
            row.size = 0;
            be_jitc::RowGen<Kind> g(prm, active[g0 + r], col0, col1);
            for (;;) {
                const size_t need = static_cast<size_t>(row.size) + be_jitc::k_batch_words;
                if (row.cols.size() < need) row.cols.resize(std::max(need, 2 * row.cols.size()));
                const int n = g.next_columns(row.cols.data() + row.size);
                if (n == 0) break;
                if constexpr (drawn) {
                    if (row.weights.size() < need) row.weights.resize(row.cols.size());
                    for (int t = 0; t < n; ++t)
                        row.weights[row.size + t] = T(g.draw_weight());
                }
                row.size += n;
            }
        });
        for_each_chunk(1, cols, [&](int64_t, int64_t c0, int64_t c1) {
            const bool whole = c0 == 0 && c1 == cols;
            for (size_t a = g0; a < g1; ++a) {
                const RowBuffer& row = rows_of_group[a - g0];
                const int32_t* ci = row.cols.data();
                const T* cw = row.weights.data();
                const T f = Weighted ? values[active[a]] : T(1);
                int64_t k = whole ? 0 : lower_bound_pos(ci, 0, row.size, col0 + c0);
                for (; k < row.size && ci[k] < col0 + c1; ++k)
                    add_entry<Weighted>(y0[ci[k]], f, drawn ? cw[k] : constant);
            }
        });
    }
}

// out = (s @ R)[col0, col1).
template <typename T, typename Kind, typename Enc>
void jitc_scatter(const be_jitc::Params& prm, const typename Enc::Elem* s, T* y, int64_t rows,
                  int64_t col0, int64_t col1, double p) {
    std::vector<int32_t> active;
    collect_active<Enc>(s, rows, active);
    if constexpr (Enc::weighted) // Values<T>: s holds the rows' values
        jitc_scatter_rows<T, Kind, true>(prm, active, s, y, col0, col1, p);
    else
        jitc_scatter_rows<T, Kind, false>(prm, active, nullptr, y, col0, col1, p);
}

// Rank 1: spikes [n_in] -> out [n_out]; Rank 2 (matmat): spikes [batch, n_in] -> out
// [batch, n_out], one vector per row. Each batch row runs the scatter or the gather on its own,
// in ascending row order, so row b is bitwise equal to the Rank-1 product of that row alone. The
// gather reads the event encodings as SpikeBool (as_spike_bool).
// The rank is a run-time argument (checked_batches): the matvec and matmat targets
// (jitc_product<..., 1> and <..., 2>) share this code, kept out of line so that neither inlines
// a copy of it.
template <typename T, typename Kind, typename Enc>
[[gnu::noinline]] void jitc_batches(const BE::Tensor& spikes, BE::Tensor& out, int rank,
                                    bool transpose, int64_t seed, int64_t rows, int64_t cols,
                                    double p, double w0, double w1) {
    const Dims d = dims(seed, rows, cols, p, w0, w1);
    const int64_t n_in = transpose ? cols : rows, n_out = transpose ? rows : cols;
    const int64_t words = Enc::words(n_in);
    const int64_t batch = checked_batches<Enc>(spikes, out, rank, n_in, n_out);
    const auto* s = spikes.data_ptr<typename Enc::Elem>();
    T* y = out.data_ptr<T>();
    if (!transpose) {
        for (int64_t b = 0; b < batch; ++b)
            jitc_scatter<T, Kind, Enc>(d.prm, s + b * words, y + b * n_out, rows, 0, cols, p);
    } else if constexpr (Enc::weighted) {
        for (int64_t b = 0; b < batch; ++b)
            jitc_gather<T, Kind, Enc>(d.prm, s + b * words, y + b * n_out, rows);
    } else {
        std::unique_ptr<bool[]> storage;
        const bool* flags = as_spike_bool<Enc>(s, batch, n_in, storage);
        for (int64_t b = 0; b < batch; ++b)
            jitc_gather<T, Kind, SpikeBool>(d.prm, flags + b * n_in, y + b * n_out, rows);
    }
}

template <typename T, typename Kind, typename Enc, int Rank>
void jitc_product(const BE::Tensor& spikes, BE::Tensor& out, bool transpose, int64_t seed,
                  int64_t rows, int64_t cols, double p, double w0, double w1) {
    jitc_batches<T, Kind, Enc>(spikes, out, Rank, transpose, seed, rows, cols, p, w0, w1);
}

// The simulator's delivery into one process's targets: out [col1 - col0] = columns [col0, col1)
// of spikes @ R, spikes bool [rows]; each active row generates only the tiles that overlap the
// window (be/jitc.h), and the outputs equal those columns of the whole product bit for bit (the
// same terms in the same order).
template <typename T, typename Kind>
void sim_jitc_deliver(const BE::Tensor& spikes, BE::Tensor& out, int64_t seed, int64_t rows,
                      int64_t cols, double p, double w0, double w1, int64_t col0, int64_t col1) {
    const Dims d = dims(seed, rows, cols, p, w0, w1);
    BE_CHECK(0 <= col0 && col0 < col1 && col1 <= cols, "need 0 <= col0 < col1 <= cols");
    BE_CHECK(spikes.ndim() == 1 && spikes.is_contiguous() && spikes.size(0) == rows,
             "spikes must be [rows]");
    BE_CHECK(out.ndim() == 1 && out.is_contiguous() && out.size(0) == col1 - col0,
             "out must be [col1 - col0]");
    jitc_scatter<T, Kind, SpikeBool>(d.prm, spikes.data_ptr<bool>(), out.data_ptr<T>(), rows, col0,
                                     col1, p);
}

template <typename T, typename Kind>
void jitc_todense(BE::Tensor& out, bool transpose, int64_t seed, int64_t rows, int64_t cols,
                  double p, double w0, double w1) {
    const Dims d = dims(seed, rows, cols, p, w0, w1);
    BE_CHECK(out.ndim() == 2 && out.is_contiguous() && out.size(0) == (transpose ? cols : rows) &&
                 out.size(1) == (transpose ? rows : cols),
             "out must be [rows, cols] ([cols, rows] with transpose)");
    T* y = out.data_ptr<T>();
    std::memset(y, 0, sizeof(T) * rows * cols);
    // A row has no repeated column, so every entry is written by exactly one row: no race.
    be_parallel::for_each(rows, [&](int64_t i) {
        be_jitc::RowGen<Kind> g(d.prm, i);
        g.for_each(
            [&](int64_t c, double w) { (transpose ? y[c * rows + i] : y[i * cols + c]) = T(w); });
    });
}

template <typename T, typename Kind>
void jitc_row(BE::Tensor& out, int64_t row, int64_t seed, int64_t rows, int64_t cols, double p,
              double w0, double w1) {
    const Dims d = dims(seed, rows, cols, p, w0, w1);
    BE_CHECK(row >= 0 && row < rows, "row is out of range");
    BE_CHECK(out.ndim() == 1 && out.is_contiguous() && out.size(0) == cols, "out must be [cols]");
    T* y = out.data_ptr<T>();
    for (int64_t j = 0; j < cols; ++j)
        y[j] = T(0);
    be_jitc::RowGen<Kind> g(d.prm, row);
    g.for_each([&](int64_t c, double w) { y[c] = T(w); });
}

} // namespace
