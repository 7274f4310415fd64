// Bitwise determinism of the JITC kernels across thread counts and processes, like
// test_event_determinism.cpp: JitcDeterminism.ThreadsAndProcessesGiveIdenticalBits re-runs this
// binary's JitcDeterminismChild test with BECORE_THREADS=1, 2 and 2 and compares the digests.
// The child checks the scatter against a serial reference built from single-row generation, so
// it is a test on its own too.
#include "determinism_util.h"
#include "event_test_util.h"
#include "test_support.h"

#include <becore/frontends/jitc.h>

namespace be::test {
namespace {

// 20000 x 70000 at p = 0.01 (~700 entries a row): the scatter of ~2000 active rows runs in three
// row groups (jitc_products.h, ~750 rows each) over four output chunks; the gather spans several
// row chunks.
TEST(JitcDeterminismChild, LargeProductsMatchSerialReferenceAndWriteDigest) {
    const int64_t rows = 20000, cols = 70000;
    std::mt19937_64 rng(3);
    uint64_t h = k_digest_start;
    for (DType dtype : {DType::float32, DType::float64}) {
        const JitcNormal conn(rows, cols, 0.01, 0.1, 1.0, 77, JitcOrientation::R, dtype);
        const HostArray spikes = random_bool(rng, 0, rows, 0.1);
        const HostArray out = event_matvec(spikes, conn);
        // Serial reference: the active rows in ascending order, each from generate().
        HostArray want = array(dtype, {cols});
        for (int64_t i = 0; i < rows; ++i) {
            if (!spikes.data_as<bool>()[i]) continue;
            const HostArray row = generate(conn, i);
            for (int64_t j = 0; j < cols; ++j) {
                if (get(row, j) == 0) continue;
                if (dtype == DType::float32)
                    want.data_as<float>()[j] += row.data_as<float>()[j];
                else
                    want.data_as<double>()[j] += row.data_as<double>()[j];
            }
        }
        EXPECT_TRUE(same_bits(out, want));
        const HostArray x = random_float(rng, dtype, 0, cols, 0.5);
        const HostArray packed = event_matvec(pack_spikes(spikes), conn);
        EXPECT_TRUE(same_bits(packed, out));
        h = digest(out, h);
        h = digest(event_matvec(random_bool(rng, 0, cols, 0.05), conn, true), h);
        h = digest(matvec(x, conn, true), h);
        // Scalar weights: the counted scatter splits the active rows across threads (w = 0.1,
        // so a running sum would depend on the order); uniform weights with float inputs: the
        // buffered scatter of weighted entries.
        const JitcScalar scalar(rows, cols, 0.01, 0.1, 78, JitcOrientation::R, dtype);
        h = digest(event_matvec(spikes, scalar), h);
        const JitcUniform uniform(rows, cols, 0.01, -0.5, 1.5, 79, JitcOrientation::R, dtype);
        h = digest(matvec(random_float(rng, dtype, 0, rows, 0.5), uniform), h);
    }
    write_digest(h);
}

TEST(JitcDeterminism, ThreadsAndProcessesGiveIdenticalBits) {
    expect_one_digest_for_any_thread_count(
        "JitcDeterminismChild.LargeProductsMatchSerialReferenceAndWriteDigest");
}

} // namespace
} // namespace be::test
