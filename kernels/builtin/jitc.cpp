// Products with a just-in-time connectivity matrix M = R(seed, rows x cols) (kernels/include/be/
// jitc.h defines it), regenerated row by row inside the kernel: memory independent of the number
// of synapses. The column variant C(seed, m x n) = R(seed, n x m)ᵀ is the frontend's business (it
// passes R's shape and flips `transpose`).
//
// Target names: jitc_<scalar|normal|uniform>_<op>[_<spikes>]_<f32|f64> (suffix = output dtype):
//   ..._event_matvec_<bool|float|bits>  arg spikes[n_in], ret out[n_out]
//   ..._matvec                          arg x[n_in] (every entry, weighted by its value)
//   ..._event_matmat_<bool|float|bits>, ..._matmat  the same with [batch, n_in] -> [batch, n_out]
//                                       (one vector per row; CPU only, no jitc.cu twins)
//   ..._todense                         ret out [rows, cols] ([cols, rows] with transpose)
//   ..._row                             ret out[cols]: row `row` of R, dense (the generator)
// attrs: transpose (products, todense), seed, rows, cols, p, w0, w1 (the weight parameters:
// (w, 0), (mean, stddev), (low, high)), row (row target only). The frontend validates them.
// transpose = false: out = spikes @ R (n_in = rows, n_out = cols), a scatter of the active rows;
// transpose = true:  out = R @ spikes (n_in = cols, n_out = rows), a gather: each output row is
//   generated and its entries whose column is active are summed (O(rows * cols * p)).
//
// Determinism (any BECORE_THREADS): each output is owned by one task of the fixed partition of
// event_common.h and summed from 0 in ascending input order (the gather walks the row's columns
// ascending; the scatter adds the active rows ascending). The scatter generates each active row
// once, not once per chunk (the geometric skips cannot seek to a chunk's first column): active
// rows go in groups sized from the problem alone (~k_group_entries expected entries); the rows of
// a group are generated in parallel into per-row buffers, then every chunk task adds the group's
// rows to its columns, finding its first column by binary search. Memory: one group of rows.
#include "be/jitc.h"
#include "event_common.h"

// At global scope so that the generated trampolines see the encodings and weight kinds too.
using namespace be_event;
using be_jitc::NormalW;
using be_jitc::ScalarW;
using be_jitc::UniformW;

namespace {

// Expected entries generated per group of the scatter (~6 MiB of f64 row data): large enough to
// keep every thread busy generating, small enough to stay in the L3 for the chunk tasks.
constexpr double k_group_entries = 512.0 * 1024.0;

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

// One input vector s [Enc::words(n_in)] -> y [n_out].
template <typename T, typename Kind, typename Enc>
void jitc_vector(const be_jitc::Params& prm, const typename Enc::Elem* s, T* y, bool transpose,
                 int64_t rows, int64_t cols, double p) {
    const int64_t n_in = transpose ? cols : rows, n_out = transpose ? rows : cols;
    if (transpose) {
        for_each_chunk(1, n_out, [&](int64_t, int64_t r0, int64_t r1) {
            for (int64_t i = r0; i < r1; ++i) {
                T acc = T(0);
                be_jitc::RowGen<Kind> g(prm, i);
                while (g.next()) {
                    if (!Enc::active(s, g.col)) continue;
                    const T w = static_cast<T>(g.weight);
                    if constexpr (Enc::weighted)
                        acc += factor<Enc, T>(s, g.col) * w;
                    else
                        acc += w;
                }
                y[i] = acc;
            }
        });
        return;
    }

    std::vector<int32_t> active;
    collect_active<Enc>(s, n_in, active);
    for (int64_t j = 0; j < n_out; ++j)
        y[j] = T(0);
    const double per_row = std::max(1.0, static_cast<double>(cols) * p);
    const size_t group = static_cast<size_t>(std::max(1.0, k_group_entries / per_row));
    std::vector<std::vector<int32_t>> idx(std::min(group, active.size()));
    std::vector<std::vector<T>> wts(idx.size());
    for (size_t g0 = 0; g0 < active.size(); g0 += group) {
        const size_t g1 = std::min(active.size(), g0 + group);
        tbb::parallel_for(g0, g1, [&](size_t a) {
            auto& ci = idx[a - g0];
            auto& cw = wts[a - g0];
            ci.clear();
            cw.clear();
            be_jitc::RowGen<Kind> g(prm, active[a]);
            while (g.next()) {
                ci.push_back(static_cast<int32_t>(g.col));
                cw.push_back(static_cast<T>(g.weight));
            }
        });
        for_each_chunk(1, n_out, [&](int64_t, int64_t c0, int64_t c1) {
            const bool whole = c0 == 0 && c1 == n_out;
            for (size_t a = g0; a < g1; ++a) {
                const auto& ci = idx[a - g0];
                const auto& cw = wts[a - g0];
                const int64_t end = static_cast<int64_t>(ci.size());
                const T f = factor<Enc, T>(s, active[a]);
                int64_t k = whole ? 0 : lower_bound_pos(ci.data(), 0, end, c0);
                for (; k < end && ci[k] < c1; ++k) {
                    if constexpr (Enc::weighted)
                        y[ci[k]] += f * cw[k];
                    else
                        y[ci[k]] += cw[k];
                }
            }
        });
    }
}

// Rank 1: spikes [n_in] -> out [n_out]; Rank 2 (matmat): spikes [batch, n_in] -> out
// [batch, n_out], one vector per row. Each batch row runs jitc_vector on its own, in ascending
// row order, so row b is bitwise equal to the Rank-1 product of that row alone.
template <typename T, typename Kind, typename Enc, int Rank>
void jitc_product(const BE::Tensor& spikes, BE::Tensor& out, bool transpose, int64_t seed,
                  int64_t rows, int64_t cols, double p, double w0, double w1) {
    const Dims d = dims(seed, rows, cols, p, w0, w1);
    const int64_t n_in = transpose ? cols : rows, n_out = transpose ? rows : cols;
    const int64_t words = Enc::words(n_in);
    if constexpr (Rank == 1) {
        BE_CHECK(spikes.ndim() == 1 && spikes.is_contiguous() && spikes.size(0) == words,
                 "spikes must be a contiguous vector of the input length");
        BE_CHECK(out.ndim() == 1 && out.is_contiguous() && out.size(0) == n_out,
                 "out must be a contiguous vector of the output length");
    } else {
        BE_CHECK(spikes.ndim() == 2 && spikes.is_contiguous() && spikes.size(1) == words,
                 "spikes must be a contiguous [batch, input length] matrix");
        BE_CHECK(out.ndim() == 2 && out.is_contiguous() && out.size(0) == spikes.size(0) &&
                     out.size(1) == n_out,
                 "out must be a contiguous [batch, output length] matrix");
    }
    const int64_t batch = Rank == 1 ? 1 : spikes.size(0);
    const auto* s = spikes.data_ptr<typename Enc::Elem>();
    T* y = out.data_ptr<T>();
    for (int64_t b = 0; b < batch; ++b)
        jitc_vector<T, Kind, Enc>(d.prm, s + b * words, y + b * n_out, transpose, rows, cols, p);
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
    tbb::parallel_for(int64_t{0}, rows, [&](int64_t i) {
        be_jitc::RowGen<Kind> g(d.prm, i);
        while (g.next())
            (transpose ? y[g.col * rows + i] : y[i * cols + g.col]) = static_cast<T>(g.weight);
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
    while (g.next())
        y[g.col] = static_cast<T>(g.weight);
}

} // namespace

// clang-format off
// @BE jitc_scalar_event_matvec_bool_f32 = jitc_product<float, ScalarW, SpikeBool, 1> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matvec_bool_f64 = jitc_product<double, ScalarW, SpikeBool, 1> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matvec_float_f32 = jitc_product<float, ScalarW, SpikeFloat<float>, 1> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matvec_float_f64 = jitc_product<double, ScalarW, SpikeFloat<double>, 1> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matvec_bits_f32 = jitc_product<float, ScalarW, SpikeBits, 1> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matvec_bits_f64 = jitc_product<double, ScalarW, SpikeBits, 1> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_matvec_f32 = jitc_product<float, ScalarW, Values<float>, 1> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_matvec_f64 = jitc_product<double, ScalarW, Values<double>, 1> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_todense_f32 = jitc_todense<float, ScalarW> ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_todense_f64 = jitc_todense<double, ScalarW> ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_row_f32 = jitc_row<float, ScalarW> ret:float32 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_row_f64 = jitc_row<double, ScalarW> ret:float64 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matvec_bool_f32 = jitc_product<float, NormalW, SpikeBool, 1> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matvec_bool_f64 = jitc_product<double, NormalW, SpikeBool, 1> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matvec_float_f32 = jitc_product<float, NormalW, SpikeFloat<float>, 1> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matvec_float_f64 = jitc_product<double, NormalW, SpikeFloat<double>, 1> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matvec_bits_f32 = jitc_product<float, NormalW, SpikeBits, 1> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matvec_bits_f64 = jitc_product<double, NormalW, SpikeBits, 1> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_matvec_f32 = jitc_product<float, NormalW, Values<float>, 1> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_matvec_f64 = jitc_product<double, NormalW, Values<double>, 1> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_todense_f32 = jitc_todense<float, NormalW> ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_todense_f64 = jitc_todense<double, NormalW> ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_row_f32 = jitc_row<float, NormalW> ret:float32 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_row_f64 = jitc_row<double, NormalW> ret:float64 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matvec_bool_f32 = jitc_product<float, UniformW, SpikeBool, 1> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matvec_bool_f64 = jitc_product<double, UniformW, SpikeBool, 1> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matvec_float_f32 = jitc_product<float, UniformW, SpikeFloat<float>, 1> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matvec_float_f64 = jitc_product<double, UniformW, SpikeFloat<double>, 1> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matvec_bits_f32 = jitc_product<float, UniformW, SpikeBits, 1> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matvec_bits_f64 = jitc_product<double, UniformW, SpikeBits, 1> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_matvec_f32 = jitc_product<float, UniformW, Values<float>, 1> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_matvec_f64 = jitc_product<double, UniformW, Values<double>, 1> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_todense_f32 = jitc_todense<float, UniformW> ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_todense_f64 = jitc_todense<double, UniformW> ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_row_f32 = jitc_row<float, UniformW> ret:float32 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_row_f64 = jitc_row<double, UniformW> ret:float64 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// clang-format on

// Batched products (matmat, event_matmat): CPU only. There are deliberately no jitc.cu twins for
// these targets (EmuRegistry.EveryShippedCuTargetMatchesItsCppTwin needs a twin case for every
// .cu target); the frontend rejects cuda-emu for them.
// clang-format off
// @BE jitc_scalar_event_matmat_bool_f32 = jitc_product<float, ScalarW, SpikeBool, 2> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matmat_bool_f64 = jitc_product<double, ScalarW, SpikeBool, 2> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matmat_float_f32 = jitc_product<float, ScalarW, SpikeFloat<float>, 2> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matmat_float_f64 = jitc_product<double, ScalarW, SpikeFloat<double>, 2> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matmat_bits_f32 = jitc_product<float, ScalarW, SpikeBits, 2> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_event_matmat_bits_f64 = jitc_product<double, ScalarW, SpikeBits, 2> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_matmat_f32 = jitc_product<float, ScalarW, Values<float>, 2> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_scalar_matmat_f64 = jitc_product<double, ScalarW, Values<double>, 2> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matmat_bool_f32 = jitc_product<float, NormalW, SpikeBool, 2> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matmat_bool_f64 = jitc_product<double, NormalW, SpikeBool, 2> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matmat_float_f32 = jitc_product<float, NormalW, SpikeFloat<float>, 2> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matmat_float_f64 = jitc_product<double, NormalW, SpikeFloat<double>, 2> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matmat_bits_f32 = jitc_product<float, NormalW, SpikeBits, 2> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_event_matmat_bits_f64 = jitc_product<double, NormalW, SpikeBits, 2> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_matmat_f32 = jitc_product<float, NormalW, Values<float>, 2> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_normal_matmat_f64 = jitc_product<double, NormalW, Values<double>, 2> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matmat_bool_f32 = jitc_product<float, UniformW, SpikeBool, 2> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matmat_bool_f64 = jitc_product<double, UniformW, SpikeBool, 2> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matmat_float_f32 = jitc_product<float, UniformW, SpikeFloat<float>, 2> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matmat_float_f64 = jitc_product<double, UniformW, SpikeFloat<double>, 2> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matmat_bits_f32 = jitc_product<float, UniformW, SpikeBits, 2> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_event_matmat_bits_f64 = jitc_product<double, UniformW, SpikeBits, 2> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_matmat_f32 = jitc_product<float, UniformW, Values<float>, 2> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// @BE jitc_uniform_matmat_f64 = jitc_product<double, UniformW, Values<double>, 2> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64
// clang-format on
