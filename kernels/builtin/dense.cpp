// Event-driven and float products with a dense matrix M [rows, cols] (row-major, contiguous).
//
// Target names: dense_<op>[_<spikes>]_<f32|f64>, the suffix being the weight dtype (and the
// dtype of the output, the first ret, so the bare name dispatches on it):
//   dense_event_matvec_<bool|float|bits>  arg M, arg spikes[n_in], ret out[n_out], attr transpose
//   dense_event_matmat_<bool|float|bits>  arg M, arg spikes[batch, n_in], ret out[batch, n_out]
//   dense_matvec / dense_matmat           the same with float inputs x (every entry, weighted)
//   dense_todense                         arg M, ret out [rows, cols] (transpose: [cols, rows])
// transpose = false: out = spikes @ M (n_in = rows, n_out = cols);
// transpose = true:  out = M @ spikes (n_in = cols, n_out = rows).
// A matmat is the matvec of each row of the batch. Float spikes have the weight dtype; bit-packed
// spikes are uint32 words (event_common.h).
//
// Every output element is summed from 0 in ascending index order of the active inputs by the one
// task that owns its chunk (event_common.h): bitwise the same for any number of threads.
#include <be/builtin_includes.h>

#include "event_common.h"

// At global scope so that the generated trampolines see the encodings too.
using namespace be_event;

namespace {

// out[b, j] = sum over active i (ascending) of f_i * M[i, j], f_i = values[b * in_stride + i]
// (Weighted) or 1 (events): each task adds the rows of the active inputs to its own column range,
// a contiguous vectorisable sweep. The three event encodings share this code.
template <typename T, bool Weighted>
void dense_scatter(const std::vector<std::vector<int32_t>>& active, const T* values,
                   int64_t in_stride, const T* w, int64_t cols, T* y) {
    const int64_t batches = static_cast<int64_t>(active.size());
    for_each_chunk(batches, cols, [&](int64_t b, int64_t c0, int64_t c1) {
        T* yb = y + b * cols;
        for (int64_t j = c0; j < c1; ++j)
            yb[j] = T(0);
        for (int32_t i : active[b]) {
            const T* row = w + i * cols;
            const T f = Weighted ? values[b * in_stride + i] : T(1);
            if constexpr (Weighted)
                for (int64_t j = c0; j < c1; ++j)
                    yb[j] += f * row[j];
            else
                for (int64_t j = c0; j < c1; ++j)
                    yb[j] += row[j];
        }
    });
}

// out[b, i] = sum over active j (ascending) of f_j * M[i, j], f_j as in dense_scatter: a gather
// per row, over the active inputs only, so the three event encodings share it too.
template <typename T, bool Weighted>
void dense_gather(const std::vector<std::vector<int32_t>>& active, const T* values,
                  int64_t in_stride, const T* w, int64_t cols, T* y, int64_t n_out) {
    const int64_t batches = static_cast<int64_t>(active.size());
    for_each_chunk(batches, n_out, [&](int64_t b, int64_t r0, int64_t r1) {
        const auto& act = active[b];
        for (int64_t i = r0; i < r1; ++i) {
            const T* row = w + i * cols;
            T acc = T(0);
            for (int32_t j : act) {
                if constexpr (Weighted)
                    acc += values[b * in_stride + j] * row[j];
                else
                    acc += row[j];
            }
            y[b * n_out + i] = acc;
        }
    });
}

// rank 1: spikes [n_in] -> out [n_out]; rank 2: spikes [batch, n_in] -> out [batch, n_out].
template <typename T, typename Enc>
void dense_batches(const BE::Tensor& m, const BE::Tensor& spikes, BE::Tensor& out, bool transpose,
                   int rank) {
    BE_CHECK(m.ndim() == 2 && m.is_contiguous(), "M must be a contiguous 2-D matrix");
    const int64_t rows = m.size(0), cols = m.size(1);
    const int64_t n_in = transpose ? cols : rows, n_out = transpose ? rows : cols;
    const int64_t batches = checked_batches<Enc>(spikes, out, rank, n_in, n_out);
    const int64_t in_stride = Enc::words(n_in);
    const T* w = m.data_ptr<T>();
    const auto* s = spikes.data_ptr<typename Enc::Elem>();
    T* y = out.data_ptr<T>();

    std::vector<std::vector<int32_t>> active(batches);
    be_parallel::for_each(
        batches, [&](int64_t b) { collect_active<Enc>(s + b * in_stride, n_in, active[b]); });
    if (!transpose) {
        if constexpr (Enc::weighted) // Values<T>: the spikes are the rows' values
            dense_scatter<T, true>(active, s, in_stride, w, cols, y);
        else
            dense_scatter<T, false>(active, nullptr, in_stride, w, cols, y);
    } else {
        if constexpr (Enc::weighted)
            dense_gather<T, true>(active, s, in_stride, w, cols, y, n_out);
        else
            dense_gather<T, false>(active, nullptr, in_stride, w, cols, y, n_out);
    }
}

template <typename T, typename Enc, int Rank>
void dense_product(const BE::Tensor& m, const BE::Tensor& spikes, BE::Tensor& out, bool transpose) {
    dense_batches<T, Enc>(m, spikes, out, transpose, Rank);
}

template <typename T> void dense_todense(const BE::Tensor& m, BE::Tensor& out, bool transpose) {
    BE_CHECK(m.ndim() == 2 && m.is_contiguous(), "M must be a contiguous 2-D matrix");
    const int64_t rows = m.size(0), cols = m.size(1);
    BE_CHECK(out.ndim() == 2 && out.is_contiguous() && out.size(0) == (transpose ? cols : rows) &&
                 out.size(1) == (transpose ? rows : cols),
             "out must be [rows, cols] ([cols, rows] with transpose)");
    const T* w = m.data_ptr<T>();
    T* y = out.data_ptr<T>();
    if (!transpose) {
        std::memcpy(y, w, sizeof(T) * rows * cols);
        return;
    }
    be_parallel::for_each(cols, [&](int64_t j) {
        for (int64_t i = 0; i < rows; ++i)
            y[j * rows + i] = w[i * cols + j];
    });
}

} // namespace

// clang-format off
// @BE dense_event_matvec_bool_f32 = dense_product<float, SpikeBool, 1> arg:float32 arg:bool ret:float32 attr.transpose:bool
// @BE dense_event_matvec_bool_f64 = dense_product<double, SpikeBool, 1> arg:float64 arg:bool ret:float64 attr.transpose:bool
// @BE dense_event_matvec_float_f32 = dense_product<float, SpikeFloat<float>, 1> arg:float32 arg:float32 ret:float32 attr.transpose:bool
// @BE dense_event_matvec_float_f64 = dense_product<double, SpikeFloat<double>, 1> arg:float64 arg:float64 ret:float64 attr.transpose:bool
// @BE dense_event_matvec_bits_f32 = dense_product<float, SpikeBits, 1> arg:float32 arg:uint32 ret:float32 attr.transpose:bool
// @BE dense_event_matvec_bits_f64 = dense_product<double, SpikeBits, 1> arg:float64 arg:uint32 ret:float64 attr.transpose:bool
// @BE dense_event_matmat_bool_f32 = dense_product<float, SpikeBool, 2> arg:float32 arg:bool ret:float32 attr.transpose:bool
// @BE dense_event_matmat_bool_f64 = dense_product<double, SpikeBool, 2> arg:float64 arg:bool ret:float64 attr.transpose:bool
// @BE dense_event_matmat_float_f32 = dense_product<float, SpikeFloat<float>, 2> arg:float32 arg:float32 ret:float32 attr.transpose:bool
// @BE dense_event_matmat_float_f64 = dense_product<double, SpikeFloat<double>, 2> arg:float64 arg:float64 ret:float64 attr.transpose:bool
// @BE dense_event_matmat_bits_f32 = dense_product<float, SpikeBits, 2> arg:float32 arg:uint32 ret:float32 attr.transpose:bool
// @BE dense_event_matmat_bits_f64 = dense_product<double, SpikeBits, 2> arg:float64 arg:uint32 ret:float64 attr.transpose:bool
// @BE dense_matvec_f32 = dense_product<float, Values<float>, 1> arg:float32 arg:float32 ret:float32 attr.transpose:bool
// @BE dense_matvec_f64 = dense_product<double, Values<double>, 1> arg:float64 arg:float64 ret:float64 attr.transpose:bool
// @BE dense_matmat_f32 = dense_product<float, Values<float>, 2> arg:float32 arg:float32 ret:float32 attr.transpose:bool
// @BE dense_matmat_f64 = dense_product<double, Values<double>, 2> arg:float64 arg:float64 ret:float64 attr.transpose:bool
// @BE dense_todense_f32 = dense_todense<float> arg:float32 ret:float32 attr.transpose:bool
// @BE dense_todense_f64 = dense_todense<double> arg:float64 ret:float64 attr.transpose:bool
// clang-format on
