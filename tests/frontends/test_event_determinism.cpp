// Bitwise determinism of the event operators across thread counts and processes.
// BECORE_THREADS is read once per process, so EventDeterminism.ThreadsAndProcesses re-runs this
// binary's EventDeterminismChild test in child processes (BECORE_THREADS=1, =2, =2) and compares
// the digests they write. The child test also runs on its own: it checks its outputs against the
// dense reference, so it is a test in its own right and not only a helper.
#include "determinism_util.h"
#include "event_test_util.h"
#include "test_support.h"

#include <algorithm>
#include <numeric>

namespace be::test {
namespace {

// The reference of event_test_util.h for a row-major sorted pattern, without the dense matrix:
// the same summation order (ascending input index per output).
HostArray sparse_reference(const Pattern& pat, DType dtype, const HostArray& in, bool transpose,
                           bool weighted) {
    const int64_t n_in = transpose ? pat.cols : pat.rows, n_out = transpose ? pat.rows : pat.cols;
    const int64_t batch = in.ndim() == 2 ? in.shape()[0] : 1;
    std::vector<double> acc64(batch * n_out, 0.0);
    std::vector<float> acc32(batch * n_out, 0.0f);
    for (int64_t b = 0; b < batch; ++b)
        for (size_t e = 0; e < pat.r.size(); ++e) {
            const int64_t i = transpose ? pat.c[e] : pat.r[e], o = transpose ? pat.r[e] : pat.c[e];
            const double x = in.dtype() == DType::bool_ ? in.data_as<bool>()[b * n_in + i]
                                                        : get(in, b * n_in + i);
            if (!weighted && !(x > 0)) continue;
            if (dtype == DType::float32) {
                const float w = static_cast<float>(pat.w[e]);
                acc32[b * n_out + o] += weighted ? static_cast<float>(x) * w : w;
            } else {
                acc64[b * n_out + o] += weighted ? x * pat.w[e] : pat.w[e];
            }
        }
    HostArray out = array(dtype, in.ndim() == 2 ? std::vector<int64_t>{batch, n_out}
                                                : std::vector<int64_t>{n_out});
    for (int64_t q = 0; q < out.numel(); ++q)
        put(out, q, dtype == DType::float32 ? acc32[q] : acc64[q]);
    return out;
}

// Outputs span several chunks (chunk_count: 2 at this size; x 4 with the batch) in both
// directions, so several tasks share each product.
TEST(EventDeterminismChild, LargeProductsMatchReferenceAndWriteDigest) {
    std::mt19937_64 rng(7);
    const int64_t rows = 9001, cols = 8999;
    uint64_t h = k_digest_start;
    for (DType dtype : {DType::float32, DType::float64}) {
        // Generated row by row, columns ascending: the order sparse_reference needs.
        Pattern pat = random_pattern(rng, rows, cols, 0.003, 0, false, false);
        const int64_t n = static_cast<int64_t>(pat.r.size());
        const Csr csr = Csr::from_coo(rows, cols, pat.r, pat.c, weights_of(pat, dtype, false, {n}));
        // 27 targets per row, sorted by (row, col) for sparse_reference's order.
        Pattern fixed_pat = random_pattern(rng, rows, cols, 0, 27, false, false);
        std::vector<size_t> order(fixed_pat.r.size());
        std::iota(order.begin(), order.end(), size_t{0});
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return std::pair(fixed_pat.r[a], fixed_pat.c[a]) <
                   std::pair(fixed_pat.r[b], fixed_pat.c[b]);
        });
        Pattern fixed_sorted = fixed_pat;
        for (size_t q = 0; q < order.size(); ++q) {
            fixed_sorted.r[q] = fixed_pat.r[order[q]];
            fixed_sorted.c[q] = fixed_pat.c[order[q]];
            fixed_sorted.w[q] = fixed_pat.w[order[q]];
        }
        const FixedPostNum fixed(rows, cols, fixed_indices(fixed_sorted, rows, 27, false),
                                 weights_of(fixed_sorted, dtype, false, {rows, 27}));
        Pattern small = random_pattern(rng, 301, cols, 0.05, 0, false, false);
        const Dense dn(dense_of(small, dtype));
        for (bool transpose : {false, true}) {
            const int64_t n_in = transpose ? cols : rows;
            const HostArray spikes = random_bool(rng, 0, n_in, 0.1);
            const HostArray batch = random_bool(rng, 4, n_in, 0.1);
            const HostArray x = random_float(rng, dtype, 0, n_in, 0.5);
            const HostArray dense_in = random_bool(rng, 0, transpose ? cols : 301, 0.1);
            const HostArray outs[] = {event_matvec(spikes, csr, transpose),
                                      event_matvec(pack_spikes(spikes), csr, transpose),
                                      event_matmat(batch, csr, transpose),
                                      matvec(x, csr, transpose),
                                      event_matvec(dense_in, dn, transpose),
                                      event_matvec(spikes, fixed, transpose)};
            EXPECT_TRUE(same_bits(outs[0], sparse_reference(pat, dtype, spikes, transpose, false)));
            EXPECT_TRUE(same_bits(outs[1], outs[0]));
            EXPECT_TRUE(same_bits(outs[2], sparse_reference(pat, dtype, batch, transpose, false)));
            EXPECT_TRUE(same_bits(outs[3], sparse_reference(pat, dtype, x, transpose, true)));
            EXPECT_TRUE(
                same_bits(outs[4], sparse_reference(small, dtype, dense_in, transpose, false)));
            EXPECT_TRUE(same_bits(outs[5],
                                  sparse_reference(fixed_sorted, dtype, spikes, transpose, false)));
            for (const auto& out : outs)
                h = digest(out, h);
        }
    }
    write_digest(h);
}

TEST(EventDeterminism, ThreadsAndProcessesGiveIdenticalBits) {
    expect_one_digest_for_any_thread_count(
        "EventDeterminismChild.LargeProductsMatchReferenceAndWriteDigest");
}

} // namespace
} // namespace be::test
