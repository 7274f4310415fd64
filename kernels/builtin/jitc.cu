// CUDA twin of the CPU JITC targets (jitc_products.h: the targets, attrs and semantics). Bitwise
// equal to them in emulation; on a GPU too for rows, todense and event products (the rows come from
// the same header, be/jitc.h, whose arithmetic never fuses; scalar-weight event products are the
// same be_jitc::scaled_count; other event sums are additions only, in the CPU twin's order:
// ascending input index, one thread per output, no atomics), while matvec / matmat may differ in
// the last bit (NVRTC contracts acc + x * w to an FMA by default, event_device.h's accumulate).
//   products (vector and batched): one thread per output element (launch threads = out.numel();
//     thread o computes element o % n_out of batch row o / n_out). The gather (transpose)
//     generates its row and sums the active columns. The scatter with scalar weights and event
//     spikes counts per block (counted_scatter: each active row generated once per block of 256
//     outputs). Other scatters need the CPU's ascending-row sums: thread j walks every active
//     row up to column j, regenerating each active row once per output; written for the
//     guarantee, not for speed (a fast one would buffer a group of generated rows in global
//     memory, like the CPU, and sum each column in row order).
//   todense: one thread per generated row (launch threads = rows) zeroes and writes its line.
//   row: one thread (launch blocks=1, block=1).
//   sim_jitc_<kind>_deliver: one thread per output (below).
#include "be/jitc.h"
#include "event_device.h"

using namespace be_event_dev;
using be_jitc::NormalW;
using be_jitc::ScalarW;
using be_jitc::UniformW;

// The CPU twin's dims(): the frontend validates first; these guard direct registry calls.
__device__ inline be_jitc::Params checked_params(int64_t seed, int64_t rows, int64_t cols, double p,
                                                 double w0, double w1) {
    BE_CHECK(rows > 0 && cols > 0 && cols < (int64_t(1) << 31),
             "rows and cols must be in [1, 2^31)");
    BE_CHECK(p > 0.0 && p <= 1.0 && 1.0 - p < 1.0, "p must be in (0, 1] and representable");
    return be_jitc::Params(static_cast<uint64_t>(seed), cols, p, w0, w1);
}

// The counted scatter (scalar weights, event spikes, out = s @ R): the block's outputs are a
// slice of consecutive elements (within at most a few batch rows). Its threads split the active
// input rows (thread t takes rows t, t + blockDim.x, ...), generate each only up to the slice's
// last column and count the entries in the slice with shared-memory integer atomics: exact, so
// their order does not matter. Each active row is generated once per block (up to the slice)
// instead of once per output as in the ordered scatter.
template <typename T, typename Kind, typename Enc>
__device__ void counted_scatter(const typename Enc::Elem* s0, BE::Tensor& out,
                                const be_jitc::Params& prm, int64_t rows, int64_t n_out,
                                int64_t words) {
    __shared__ int counts[1024]; // launch block <= 1024
    const int64_t first = static_cast<int64_t>(blockIdx.x) * blockDim.x;
    const int64_t last = first + blockDim.x < out.numel() ? first + blockDim.x : out.numel();
    counts[threadIdx.x] = 0;
    __syncthreads();
    for (int64_t b = first / n_out; b * n_out < last; ++b) {
        const int64_t row0 = b * n_out; // output index of column 0 of batch row b
        const int64_t j0 = first > row0 ? first - row0 : 0;
        const int64_t j1 = last - row0 < n_out ? last - row0 : n_out; // columns [j0, j1)
        const auto* s = s0 + b * words;
        for (int64_t i = threadIdx.x; i < rows; i += blockDim.x) {
            if (!Enc::active(s, i)) continue;
            be_jitc::RowGen<Kind> g(prm, i);
            while (g.next() && g.col < j1)
                if (g.col >= j0) atomicAdd(&counts[row0 + g.col - first], 1);
        }
    }
    __syncthreads();
    const int64_t o = first + threadIdx.x;
    if (o < last) out.data_ptr<T>()[o] = be_jitc::scaled_count<T>(counts[threadIdx.x], prm.w0);
}

template <typename T, typename Kind, typename Enc, int Rank>
__global__ void jitc_product(const BE::Tensor spikes, BE::Tensor out, bool transpose, int64_t seed,
                             int64_t rows, int64_t cols, double p, double w0, double w1) {
    const int64_t n_in = transpose ? cols : rows, n_out = transpose ? rows : cols;
    const int64_t words = Enc::words(n_in), o = global_thread();
    BE_CHECK(spikes.ndim() == Rank && out.ndim() == Rank && spikes.size(Rank - 1) == words &&
                 out.size(Rank - 1) == n_out && (Rank == 1 || spikes.size(0) == out.size(0)),
             "spikes and out must be [batch,] input and output length");
    const be_jitc::Params prm = checked_params(seed, rows, cols, p, w0, w1);
    // Scalar weights and event spikes count connections (be_jitc::scaled_count).
    constexpr bool counted = !Kind::drawn && !Enc::weighted;
    if (counted && !transpose) { // every thread of the block takes part (it synchronises)
        counted_scatter<T, Kind, Enc>(spikes.data_ptr<typename Enc::Elem>(), out, prm, rows, n_out,
                                      words);
        return;
    }
    if (o >= out.numel()) return;
    const auto* s = spikes.data_ptr<typename Enc::Elem>() + (o / n_out) * words;
    const int64_t j = o % n_out;
    int64_t count = 0;
    T acc = T(0);
    if (transpose) {
        be_jitc::RowGen<Kind> g(prm, j);
        while (g.next())
            if (Enc::active(s, g.col)) {
                if (counted)
                    ++count;
                else
                    acc = accumulate<Enc, T>(acc, s, g.col, static_cast<T>(g.weight));
            }
    } else {
        for (int64_t i = 0; i < rows; ++i) {
            if (!Enc::active(s, i)) continue;
            be_jitc::RowGen<Kind> g(prm, i);
            while (g.next() && g.col <= j)
                if (g.col == j) acc = accumulate<Enc, T>(acc, s, i, static_cast<T>(g.weight));
        }
    }
    out.data_ptr<T>()[o] = counted ? be_jitc::scaled_count<T>(count, w0) : acc;
}

template <typename T, typename Kind>
__global__ void jitc_todense(BE::Tensor out, bool transpose, int64_t seed, int64_t rows,
                             int64_t cols, double p, double w0, double w1) {
    const int64_t i = global_thread();
    if (i >= rows) return;
    T* y = out.data_ptr<T>();
    for (int64_t j = 0; j < cols; ++j)
        (transpose ? y[j * rows + i] : y[i * cols + j]) = T(0);
    const be_jitc::Params prm = checked_params(seed, rows, cols, p, w0, w1);
    be_jitc::RowGen<Kind> g(prm, i);
    while (g.next())
        (transpose ? y[g.col * rows + i] : y[i * cols + g.col]) = static_cast<T>(g.weight);
}

template <typename T, typename Kind>
__global__ void jitc_row(BE::Tensor out, int64_t row, int64_t seed, int64_t rows, int64_t cols,
                         double p, double w0, double w1) {
    if (global_thread() != 0) return;
    BE_CHECK(row >= 0 && row < rows, "row is out of range");
    T* y = out.data_ptr<T>();
    for (int64_t j = 0; j < cols; ++j)
        y[j] = T(0);
    const be_jitc::Params prm = checked_params(seed, rows, cols, p, w0, w1);
    be_jitc::RowGen<Kind> g(prm, row);
    while (g.next())
        y[g.col] = static_cast<T>(g.weight);
}

// The simulator's delivery into one process's targets (the CPU twin's sim_jitc_deliver): one
// thread per output, column col0 + j, adding the active rows in ascending order, each generated
// over the one-column window [col0 + j, col0 + j + 1) (its tile up to that column).
template <typename T, typename Kind>
__global__ void sim_jitc_deliver(const BE::Tensor spikes, BE::Tensor out, int64_t seed,
                                 int64_t rows, int64_t cols, double p, double w0, double w1,
                                 int64_t col0, int64_t col1) {
    BE_CHECK(0 <= col0 && col0 < col1 && col1 <= cols, "need 0 <= col0 < col1 <= cols");
    BE_CHECK(spikes.ndim() == 1 && spikes.size(0) == rows && out.ndim() == 1 &&
                 out.size(0) == col1 - col0,
             "spikes must be [rows] and out [col1 - col0]");
    const int64_t j = global_thread();
    if (j >= out.numel()) return;
    const be_jitc::Params prm = checked_params(seed, rows, cols, p, w0, w1);
    const bool* s = spikes.data_ptr<bool>();
    int64_t count = 0;
    T acc = T(0);
    for (int64_t i = 0; i < rows; ++i) {
        if (!s[i]) continue;
        be_jitc::RowGen<Kind> g(prm, i, col0 + j, col0 + j + 1);
        if (!g.next()) continue;
        if (Kind::drawn)
            acc += static_cast<T>(g.weight);
        else
            ++count;
    }
    out.data_ptr<T>()[j] = Kind::drawn ? acc : be_jitc::scaled_count<T>(count, w0);
}

// clang-format off
// @BE jitc_scalar_event_matvec_bool_f32 = jitc_product<float, ScalarW, SpikeBool, 1> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_event_matvec_bool_f64 = jitc_product<double, ScalarW, SpikeBool, 1> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_event_matvec_float_f32 = jitc_product<float, ScalarW, SpikeFloat<float>, 1> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_event_matvec_float_f64 = jitc_product<double, ScalarW, SpikeFloat<double>, 1> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_event_matvec_bits_f32 = jitc_product<float, ScalarW, SpikeBits, 1> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_event_matvec_bits_f64 = jitc_product<double, ScalarW, SpikeBits, 1> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_matvec_f32 = jitc_product<float, ScalarW, Values<float>, 1> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_matvec_f64 = jitc_product<double, ScalarW, Values<double>, 1> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_event_matvec_bool_f32 = jitc_product<float, NormalW, SpikeBool, 1> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_event_matvec_bool_f64 = jitc_product<double, NormalW, SpikeBool, 1> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_event_matvec_float_f32 = jitc_product<float, NormalW, SpikeFloat<float>, 1> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_event_matvec_float_f64 = jitc_product<double, NormalW, SpikeFloat<double>, 1> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_event_matvec_bits_f32 = jitc_product<float, NormalW, SpikeBits, 1> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_event_matvec_bits_f64 = jitc_product<double, NormalW, SpikeBits, 1> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_matvec_f32 = jitc_product<float, NormalW, Values<float>, 1> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_matvec_f64 = jitc_product<double, NormalW, Values<double>, 1> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_event_matvec_bool_f32 = jitc_product<float, UniformW, SpikeBool, 1> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_event_matvec_bool_f64 = jitc_product<double, UniformW, SpikeBool, 1> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_event_matvec_float_f32 = jitc_product<float, UniformW, SpikeFloat<float>, 1> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_event_matvec_float_f64 = jitc_product<double, UniformW, SpikeFloat<double>, 1> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_event_matvec_bits_f32 = jitc_product<float, UniformW, SpikeBits, 1> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_event_matvec_bits_f64 = jitc_product<double, UniformW, SpikeBits, 1> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_matvec_f32 = jitc_product<float, UniformW, Values<float>, 1> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_matvec_f64 = jitc_product<double, UniformW, Values<double>, 1> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_event_matmat_bool_f32 = jitc_product<float, ScalarW, SpikeBool, 2> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_event_matmat_bool_f64 = jitc_product<double, ScalarW, SpikeBool, 2> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_event_matmat_float_f32 = jitc_product<float, ScalarW, SpikeFloat<float>, 2> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_event_matmat_float_f64 = jitc_product<double, ScalarW, SpikeFloat<double>, 2> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_event_matmat_bits_f32 = jitc_product<float, ScalarW, SpikeBits, 2> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_event_matmat_bits_f64 = jitc_product<double, ScalarW, SpikeBits, 2> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_matmat_f32 = jitc_product<float, ScalarW, Values<float>, 2> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_matmat_f64 = jitc_product<double, ScalarW, Values<double>, 2> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_event_matmat_bool_f32 = jitc_product<float, NormalW, SpikeBool, 2> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_event_matmat_bool_f64 = jitc_product<double, NormalW, SpikeBool, 2> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_event_matmat_float_f32 = jitc_product<float, NormalW, SpikeFloat<float>, 2> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_event_matmat_float_f64 = jitc_product<double, NormalW, SpikeFloat<double>, 2> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_event_matmat_bits_f32 = jitc_product<float, NormalW, SpikeBits, 2> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_event_matmat_bits_f64 = jitc_product<double, NormalW, SpikeBits, 2> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_matmat_f32 = jitc_product<float, NormalW, Values<float>, 2> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_normal_matmat_f64 = jitc_product<double, NormalW, Values<double>, 2> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_event_matmat_bool_f32 = jitc_product<float, UniformW, SpikeBool, 2> arg:bool ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_event_matmat_bool_f64 = jitc_product<double, UniformW, SpikeBool, 2> arg:bool ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_event_matmat_float_f32 = jitc_product<float, UniformW, SpikeFloat<float>, 2> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_event_matmat_float_f64 = jitc_product<double, UniformW, SpikeFloat<double>, 2> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_event_matmat_bits_f32 = jitc_product<float, UniformW, SpikeBits, 2> arg:uint32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_event_matmat_bits_f64 = jitc_product<double, UniformW, SpikeBits, 2> arg:uint32 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_matmat_f32 = jitc_product<float, UniformW, Values<float>, 2> arg:float32 ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_uniform_matmat_f64 = jitc_product<double, UniformW, Values<double>, 2> arg:float64 ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=out.numel())
// @BE jitc_scalar_todense_f32 = jitc_todense<float, ScalarW> ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=rows)
// @BE jitc_scalar_todense_f64 = jitc_todense<double, ScalarW> ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=rows)
// @BE jitc_scalar_row_f32 = jitc_row<float, ScalarW> ret:float32 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(blocks=1, block=1)
// @BE jitc_scalar_row_f64 = jitc_row<double, ScalarW> ret:float64 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(blocks=1, block=1)
// @BE jitc_normal_todense_f32 = jitc_todense<float, NormalW> ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=rows)
// @BE jitc_normal_todense_f64 = jitc_todense<double, NormalW> ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=rows)
// @BE jitc_normal_row_f32 = jitc_row<float, NormalW> ret:float32 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(blocks=1, block=1)
// @BE jitc_normal_row_f64 = jitc_row<double, NormalW> ret:float64 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(blocks=1, block=1)
// @BE jitc_uniform_todense_f32 = jitc_todense<float, UniformW> ret:float32 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=rows)
// @BE jitc_uniform_todense_f64 = jitc_todense<double, UniformW> ret:float64 attr.transpose:bool attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(threads=rows)
// @BE jitc_uniform_row_f32 = jitc_row<float, UniformW> ret:float32 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(blocks=1, block=1)
// @BE jitc_uniform_row_f64 = jitc_row<double, UniformW> ret:float64 attr.row:int64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 launch(blocks=1, block=1)
// @BE sim_jitc_scalar_deliver_f32 = sim_jitc_deliver<float, ScalarW> arg:bool ret:float32 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 attr.col0:int64 attr.col1:int64 launch(threads=out.numel())
// @BE sim_jitc_scalar_deliver_f64 = sim_jitc_deliver<double, ScalarW> arg:bool ret:float64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 attr.col0:int64 attr.col1:int64 launch(threads=out.numel())
// @BE sim_jitc_normal_deliver_f32 = sim_jitc_deliver<float, NormalW> arg:bool ret:float32 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 attr.col0:int64 attr.col1:int64 launch(threads=out.numel())
// @BE sim_jitc_normal_deliver_f64 = sim_jitc_deliver<double, NormalW> arg:bool ret:float64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 attr.col0:int64 attr.col1:int64 launch(threads=out.numel())
// @BE sim_jitc_uniform_deliver_f32 = sim_jitc_deliver<float, UniformW> arg:bool ret:float32 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 attr.col0:int64 attr.col1:int64 launch(threads=out.numel())
// @BE sim_jitc_uniform_deliver_f64 = sim_jitc_deliver<double, UniformW> arg:bool ret:float64 attr.seed:int64 attr.rows:int64 attr.cols:int64 attr.p:float64 attr.w0:float64 attr.w1:float64 attr.col0:int64 attr.col1:int64 launch(threads=out.numel())
// clang-format on
