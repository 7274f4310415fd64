// Every event operator x format x weight dtype x spike encoding x transpose against the dense
// reference (event_test_util.h), bitwise. Odd sizes (37 x 53, batch 3) catch partial words of
// bit-packed spikes; EventChunks uses outputs wider than one
// task's chunk (more than 4096 outputs: event_common.h, chunk_count).
#include "event_test_util.h"

namespace be::test {
namespace {

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
    const Case& c = info.param;
    return std::string(c.dtype == DType::float32 ? "f32" : "f64") +
           (c.homogeneous ? "_homogeneous" : "_per_synapse") + (c.transpose ? "_transpose" : "");
}

// Runs every operation on `built` and compares with the reference.
void check_all_ops(const Case& c, const Built& built, std::mt19937_64& rng) {
    const bool kt = c.format == Format::csc ? !c.transpose : c.transpose;
    const int64_t n_in = c.transpose ? built.dense.shape()[1] : built.dense.shape()[0];
    for (int64_t batch : {int64_t{0}, k_batch}) {
        SCOPED_TRACE(batch ? "matmat" : "matvec");
        const HostArray bools = random_bool(rng, batch, n_in, 0.3);
        const HostArray floats = random_float(rng, c.dtype, batch, n_in, 0.3);
        const HostArray values = random_float(rng, c.dtype, batch, n_in, 0.5);
        const HostArray bits = pack_spikes(bools);
        std::visit(
            [&](const auto& conn) {
                auto event = [&](const HostArray& s) {
                    return batch ? event_matmat(s, conn, kt) : event_matvec(s, conn, kt);
                };
                const HostArray want_bool = reference(built.dense, bools, c.transpose, false);
                EXPECT_TRUE(same_bits(event(bools), want_bool)) << "bool spikes";
                EXPECT_TRUE(same_bits(event(bits), want_bool)) << "bit-packed spikes";
                EXPECT_TRUE(
                    same_bits(event(floats), reference(built.dense, floats, c.transpose, false)))
                    << "float spikes";
                const HostArray got = batch ? matmat(values, conn, kt) : matvec(values, conn, kt);
                EXPECT_TRUE(same_bits(got, reference(built.dense, values, c.transpose, true)))
                    << "float matvec/matmat";
            },
            built.conn);
    }
    std::visit(
        [&](const auto& conn) {
            const int64_t rows = built.dense.shape()[0], cols = built.dense.shape()[1];
            HostArray want = array(c.dtype, c.transpose ? std::vector<int64_t>{cols, rows}
                                                        : std::vector<int64_t>{rows, cols});
            for (int64_t i = 0; i < rows; ++i)
                for (int64_t j = 0; j < cols; ++j)
                    put(want, c.transpose ? j * rows + i : i * cols + j,
                        get(built.dense, i * cols + j));
            EXPECT_TRUE(same_bits(todense(conn, kt), want)) << "todense";
        },
        built.conn);
}

class EventRef : public ::testing::TestWithParam<Case> {};

TEST_P(EventRef, AllOpsAndEncodingsMatchDenseReference) {
    const Case& c = GetParam();
    std::mt19937_64 rng(1234 + static_cast<int>(c.format) * 10 + c.homogeneous);
    const Built built = build(c, rng, k_rows, k_cols, 0.3);
    check_all_ops(c, built, rng);
}

std::vector<Case> cases(Format format, bool with_homogeneous) {
    std::vector<Case> out;
    for (bool homogeneous : {false, true}) {
        if (homogeneous && !with_homogeneous) continue;
        for (DType dtype : {DType::float32, DType::float64})
            for (bool transpose : {false, true})
                out.push_back({format, homogeneous, dtype, transpose});
    }
    return out;
}

INSTANTIATE_TEST_SUITE_P(Dense, EventRef, ::testing::ValuesIn(cases(Format::dense, false)),
                         case_name);
INSTANTIATE_TEST_SUITE_P(Csr, EventRef, ::testing::ValuesIn(cases(Format::csr, true)), case_name);
INSTANTIATE_TEST_SUITE_P(CsrCsc, EventRef, ::testing::ValuesIn(cases(Format::csc, true)),
                         case_name);
INSTANTIATE_TEST_SUITE_P(FixedNumPost, EventRef,
                         ::testing::ValuesIn(cases(Format::fixed_post, true)), case_name);
INSTANTIATE_TEST_SUITE_P(FixedNumPre, EventRef, ::testing::ValuesIn(cases(Format::fixed_pre, true)),
                         case_name);

// Outputs wider than one chunk: the scatter's binary search and the chunk edges.
TEST(EventChunks, WideOutputsMatchReference) {
    std::mt19937_64 rng(99);
    for (Format format : {Format::dense, Format::csr, Format::fixed_post, Format::fixed_pre})
        for (bool transpose : {false, true}) {
            const Case c{format, false, DType::float32, transpose};
            SCOPED_TRACE(static_cast<int>(format) * 2 + transpose);
            const int64_t rows = transpose ? 9001 : 41, cols = transpose ? 41 : 9001;
            const Built built = build(c, rng, rows, cols, 0.05);
            check_all_ops(c, built, rng);
        }
}

TEST(EventBits, PackIsLsbFirst) {
    HostArray s = array(DType::bool_, {2, 35});
    s.data_as<bool>()[0] = s.data_as<bool>()[31] = s.data_as<bool>()[33] = true;
    s.data_as<bool>()[35 + 1] = true;
    const HostArray w = pack_spikes(s);
    ASSERT_EQ(w.shape(), (std::vector<int64_t>{2, 2}));
    EXPECT_EQ(w.data_as<uint32_t>()[0], 0x80000001u);
    EXPECT_EQ(w.data_as<uint32_t>()[1], 0x2u);
    EXPECT_EQ(w.data_as<uint32_t>()[2], 0x2u);
    EXPECT_EQ(w.data_as<uint32_t>()[3], 0x0u);
}

TEST(EventErrors, MismatchedInputsThrow) {
    const Dense conn(array(DType::float32, {4, 6}));
    EXPECT_THROW(event_matvec(array(DType::bool_, {6}), conn), Exception);   // needs 4
    EXPECT_THROW(event_matvec(array(DType::float64, {4}), conn), Exception); // dtype
    EXPECT_THROW(event_matmat(array(DType::bool_, {4}), conn), Exception);   // rank
    EXPECT_NO_THROW(event_matvec(array(DType::bool_, {6}), conn, true));
}

} // namespace
} // namespace be::test
