// Construction of the connectivity classes: CSR from COO triplets and from a dense matrix, the
// CSC (transposed()), validation, and the fixed-number formats' row sorting.
#include "event_test_util.h"

namespace be::test {
namespace {

TEST(CsrConstruct, FromCooSortsAndSumsDuplicates) {
    const std::vector<int64_t> r{2, 0, 2, 0, 2}, c{1, 3, 0, 3, 1};
    HostArray w = array(DType::float64, {5});
    for (int i = 0; i < 5; ++i)
        put(w, i, 1.0 + i);
    const Csr m = Csr::from_coo(3, 4, r, c, w);
    EXPECT_EQ(m.nnz(), 3);
    const int64_t* ptr = m.indptr().data_as<int64_t>();
    EXPECT_EQ((std::vector<int64_t>(ptr, ptr + 4)), (std::vector<int64_t>{0, 1, 1, 3}));
    const int32_t* idx = m.indices().data_as<int32_t>();
    EXPECT_EQ((std::vector<int32_t>(idx, idx + 3)), (std::vector<int32_t>{3, 0, 1}));
    EXPECT_EQ(get(m.weights(), 0), 2.0 + 4.0); // (0,3) twice
    EXPECT_EQ(get(m.weights(), 1), 3.0);       // (2,0)
    EXPECT_EQ(get(m.weights(), 2), 1.0 + 5.0); // (2,1) twice
}

TEST(CsrConstruct, HomogeneousStaysOneWeightWithoutDuplicates) {
    const std::vector<int64_t> r{1, 0}, c{0, 1};
    HostArray w = array(DType::float32, {1});
    put(w, 0, 0.5);
    const Csr m = Csr::from_coo(2, 2, r, c, w);
    EXPECT_TRUE(m.homogeneous());
    const HostArray d = todense(m);
    EXPECT_EQ(get(d, 1), 0.5);
    EXPECT_EQ(get(d, 2), 0.5);
    EXPECT_EQ(get(d, 0), 0.0);
}

TEST(CsrConstruct, FromDenseRoundTripsAndTransposedIsCsc) {
    std::mt19937_64 rng(3);
    const Pattern pat = random_pattern(rng, 37, 53, 0.2, 0, false, false);
    for (DType dtype : {DType::float32, DType::float64}) {
        const HostArray d = dense_of(pat, dtype);
        const Csr m = Csr::from_dense(d);
        EXPECT_EQ(m.nnz(), static_cast<int64_t>(pat.r.size()));
        EXPECT_TRUE(same_bits(todense(m), d));
        const Csr t = m.transposed(); // CSR of Mᵀ
        EXPECT_EQ(t.rows(), 53);
        EXPECT_TRUE(same_bits(todense(t), todense(m, true)));
        EXPECT_TRUE(same_bits(todense(t, true), d));
    }
}

TEST(CsrConstruct, InvalidInputsThrow) {
    auto ints = [](DType t, std::vector<int64_t> v) {
        HostArray a = array(t, {static_cast<int64_t>(v.size())});
        for (size_t i = 0; i < v.size(); ++i)
            t == DType::int64 ? void(a.data_as<int64_t>()[i] = v[i])
                              : void(a.data_as<int32_t>()[i] = static_cast<int32_t>(v[i]));
        return a;
    };
    EXPECT_THROW(Csr(2, 3, ints(DType::int64, {0, 2, 2}), ints(DType::int32, {2, 1}),
                     array(DType::float32, {2})),
                 Exception); // not ascending
    EXPECT_THROW(Csr(2, 3, ints(DType::int64, {0, 1, 2}), ints(DType::int32, {0, 3}),
                     array(DType::float32, {2})),
                 Exception); // out of range
    EXPECT_THROW(Csr(2, 3, ints(DType::int64, {0, 1, 2}), ints(DType::int32, {0, 1}),
                     array(DType::int32, {2})),
                 Exception); // weight dtype
    EXPECT_NO_THROW(Csr(2, 3, ints(DType::int64, {0, 1, 2}), ints(DType::int32, {0, 1}),
                        array(DType::float32, {2})));
    const std::vector<int64_t> r{0}, c{5};
    EXPECT_THROW(Csr::from_coo(2, 3, r, c, array(DType::float32, {1})), Exception);
}

TEST(FixedNumConstruct, RowsAreSortedWithTheirWeights) {
    HostArray idx = array(DType::int32, {2, 3});
    const int32_t cols[] = {4, 0, 2, 1, 3, 0};
    std::memcpy(idx.data(), cols, sizeof cols);
    HostArray w = array(DType::float64, {2, 3});
    for (int i = 0; i < 6; ++i)
        put(w, i, 10.0 + i);
    const FixedPostNum m(2, 5, std::move(idx), std::move(w));
    const int32_t* s = m.indices().data_as<int32_t>();
    EXPECT_EQ((std::vector<int32_t>(s, s + 6)), (std::vector<int32_t>{0, 2, 4, 0, 1, 3}));
    const double* ws = m.weights().data_as<double>();
    EXPECT_EQ((std::vector<double>(ws, ws + 6)), (std::vector<double>{11, 12, 10, 15, 13, 14}));
    HostArray bad = array(DType::int32, {2, 1});
    bad.data_as<int32_t>()[1] = 7;
    EXPECT_THROW(FixedPreNum(5, 2, std::move(bad), array(DType::float32, {1})), Exception);
}

} // namespace
} // namespace be::test
