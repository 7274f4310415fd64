// Event-driven STDP on CSR (kernels/builtin/stdp.cpp) against a hand-computed example, in every
// spike encoding and weight dtype, plus the weight bounds on a random network.
#include "event_test_util.h"

namespace be::test {
namespace {

// W [3 pre, 4 post]: row 0 -> {0, 2}, row 1 -> {1, 2, 3}, row 2 -> {3}.
Csr example(DType dtype) {
    const std::vector<int64_t> r{0, 0, 1, 1, 1, 2}, c{0, 2, 1, 2, 3, 3};
    HostArray w = array(dtype, {6});
    const double w0[] = {0.1, 0.5, 0.2, 0.95, 0.05, 0.7};
    for (int i = 0; i < 6; ++i)
        put(w, i, w0[i]);
    return Csr::from_coo(3, 4, r, c, w);
}

HostArray spikes_as(const std::vector<bool>& s, DType encoding, DType dtype) {
    HostArray b = array(DType::bool_, {static_cast<int64_t>(s.size())});
    for (size_t i = 0; i < s.size(); ++i)
        b.data_as<bool>()[i] = s[i];
    if (encoding == DType::uint32) return pack_spikes(b);
    if (encoding == DType::bool_) return b;
    HostArray f = array(dtype, {static_cast<int64_t>(s.size())});
    for (size_t i = 0; i < s.size(); ++i)
        put(f, i, s[i] ? 0.75 : -0.5); // active if > 0
    return f;
}

HostArray values(DType dtype, const std::vector<double>& v) {
    HostArray a = array(dtype, {static_cast<int64_t>(v.size())});
    for (size_t i = 0; i < v.size(); ++i)
        put(a, i, v[i]);
    return a;
}

TEST(StdpCsr, HandComputedExampleInEveryEncoding) {
    // pre spikes {0, 2}, post spikes {2, 3}; a_plus 0.1, a_minus 0.2, bounds [0, 1]:
    //   (0,0) pre only:   0.1  - 0.2*0.8             = -0.06  -> clipped to 0
    //   (0,2) both:       0.5  - 0.2*0.2 + 0.1*0.5   =  0.51
    //   (1,1) neither:    0.2                           (untouched)
    //   (1,2) post only:  0.95 + 0.1*1.0             =  1.05  -> clipped to 1
    //   (1,3) post only:  0.05 + 0.1*1.0             =  0.15
    //   (2,3) both:       0.7  - 0.2*1.0 + 0.1*0.25  =  0.525
    const double want[] = {0.0, 0.51, 0.2, 1.0, 0.15, 0.525};
    for (DType dtype : {DType::float32, DType::float64})
        for (DType encoding : {DType::bool_, DType::float32, DType::uint32}) {
            SCOPED_TRACE(std::string(dtype_name(dtype)) + " / " +
                         std::string(dtype_name(encoding)));
            Csr conn = example(dtype);
            stdp_update(conn, spikes_as({true, false, true}, encoding, dtype),
                        spikes_as({false, false, true, true}, encoding, dtype),
                        values(dtype, {0.5, 1.0, 0.25}), values(dtype, {0.8, 0.4, 0.2, 1.0}),
                        {.a_plus = 0.1, .a_minus = 0.2, .w_min = 0.0, .w_max = 1.0});
            const double tolerance = dtype == DType::float32 ? 1e-6 : 1e-12;
            for (int i = 0; i < 6; ++i)
                EXPECT_NEAR(get(conn.weights(), i), want[i], tolerance) << i;
            EXPECT_EQ(get(conn.weights(), 2), dtype == DType::float32 ? double(0.2f) : 0.2);
        }
}

TEST(StdpCsr, OnlyPreSpikesTouchOnlyTheirRows) {
    Csr conn = example(DType::float64);
    stdp_update(conn, spikes_as({false, true, false}, DType::bool_, DType::float64),
                spikes_as({false, false, false, false}, DType::bool_, DType::float64),
                values(DType::float64, {0.5, 1.0, 0.25}),
                values(DType::float64, {0.8, 0.4, 0.2, 1.0}), {.a_plus = 0.1, .a_minus = 0.2});
    const double want[] = {0.1, 0.5, 0.2 - 0.2 * 0.4, 0.95 - 0.2 * 0.2, 0.0, 0.7};
    for (int i = 0; i < 6; ++i)
        EXPECT_DOUBLE_EQ(get(conn.weights(), i), want[i]) << i;
}

TEST(StdpCsr, WeightBoundsHoldUnderLargeUpdates) {
    std::mt19937_64 rng(5);
    const int64_t n_pre = 200, n_post = 150;
    Pattern pat = random_pattern(rng, n_pre, n_post, 0.1, 0, false, false);
    const int64_t n = static_cast<int64_t>(pat.r.size());
    Csr conn =
        Csr::from_coo(n_pre, n_post, pat.r, pat.c, weights_of(pat, DType::float32, false, {n}));
    const StdpParams params{.a_plus = 0.7, .a_minus = 0.9, .w_min = 0.2, .w_max = 0.8};
    for (int step = 0; step < 20; ++step) {
        const HostArray pre = random_bool(rng, 0, n_pre, 0.3),
                        post = random_bool(rng, 0, n_post, 0.3);
        const HostArray x_pre = random_float(rng, DType::float32, 0, n_pre, 1.0);
        const HostArray x_post = random_float(rng, DType::float32, 0, n_post, 1.0);
        stdp_update(conn, pre, post, x_pre, x_post, params);
    }
    int64_t at_bounds = 0;
    for (int64_t e = 0; e < n; ++e) {
        const double w = get(conn.weights(), e);
        // Seeded: after 20 steps at 30 % activity every synapse has been updated, so clipped.
        if (w >= 0.2f && w <= 0.8f)
            at_bounds += (w == 0.2f || w == 0.8f);
        else
            ADD_FAILURE() << "synapse " << e << " has weight " << w << " outside [0.2, 0.8]";
    }
    EXPECT_GT(at_bounds, 0);
}

TEST(StdpCsr, HomogeneousWeightsAreRejected) {
    const std::vector<int64_t> r{0, 1}, c{1, 0};
    HostArray w = array(DType::float32, {1});
    Csr conn = Csr::from_coo(2, 2, r, c, w);
    const HostArray s = array(DType::bool_, {2}), x = array(DType::float32, {2});
    EXPECT_THROW(stdp_update(conn, s, s, x, x, {}), Exception);
}

} // namespace
} // namespace be::test
