// The GPU's JITC generation (one Philox block at a time, weights drawn one by one: be/jitc.h
// compiled with BE_JITC_SERIAL, here for the host, in namespace be_jitc_serial) against the CPU
// kernels' 64-word batches, through the frontend: every row, weight and p = 1 must agree bit for
// bit. The CUDA emulation compiles jitc.cu for the host without __CUDA_ARCH__ and so runs the
// CPU's batches; without this test the GPU path would only be known to compile (NVRTC).
#define BE_JITC_SERIAL
#include <be/jitc.h>

#include "event_test_util.h"

#include <becore/frontends/jitc.h>

#include <gtest/gtest.h>

#include <string>

namespace be::test {
namespace {

static_assert(be_jitc_serial::k_batch_words == 4, "the serial header generates a block at a time");

template <typename Kind> void expect_rows_match(const Jitc& conn, const std::string& what) {
    const int64_t rows = conn.rows(), cols = conn.cols();
    const be_jitc_serial::Params prm(conn.seed(), cols, conn.p(), conn.w0(), conn.w1());
    for (int64_t i : {int64_t{0}, int64_t{1}, rows / 2, rows - 1}) {
        SCOPED_TRACE(what + " row " + std::to_string(i));
        const HostArray cpu = generate(conn, i); // float64: the weights exactly as drawn
        be_jitc_serial::RowGen<Kind> g(prm, i);
        int64_t next_col = 0, entries = 0;
        while (g.next()) {
            for (; next_col < g.col; ++next_col)
                ASSERT_EQ(get(cpu, next_col), 0.0) << "the CPU has an entry at " << next_col;
            ASSERT_EQ(get(cpu, g.col), g.weight) << "entry " << entries << " at " << g.col;
            ++next_col;
            ++entries;
        }
        for (; next_col < cols; ++next_col)
            ASSERT_EQ(get(cpu, next_col), 0.0) << "the CPU has an entry at " << next_col;
        EXPECT_GT(entries, 0);
    }
}

TEST(JitcSerial, GpuGenerationMatchesTheCpuBatches) {
    const int64_t rows = 40, cols = 3000;
    for (double p : {0.2, 0.003, 1.0}) {
        const std::string at = " p " + std::to_string(p);
        const JitcScalar scalar(rows, cols, p, 0.75, 11, JitcOrientation::R, DType::float64);
        expect_rows_match<be_jitc_serial::ScalarW>(scalar, "scalar" + at);
        const JitcUniform uniform(rows, cols, p, -0.5, 2.0, 12, JitcOrientation::R, DType::float64);
        expect_rows_match<be_jitc_serial::UniformW>(uniform, "uniform" + at);
        const JitcNormal normal(rows, cols, p, 0.2, 1.3, 13, JitcOrientation::R, DType::float64);
        expect_rows_match<be_jitc_serial::NormalW>(normal, "normal" + at);
    }
}

} // namespace
} // namespace be::test
