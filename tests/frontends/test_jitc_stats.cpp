// Statistics of the JITC generator (kernels/include/be/jitc.h): row lengths against
// Binomial(n, p) by a chi-square test, with a power check against p' = 1.05 p, and the weight
// distributions' mean and variance.
#include "event_test_util.h"

#include <becore/frontends/jitc.h>

#include <cmath>

namespace be::test {
namespace {

// Row lengths of R(seed, m x n) with weight 1: R @ ones (exact counts in float64).
std::vector<int64_t> row_lengths(int64_t m, int64_t n, double p, uint64_t seed) {
    const JitcScalar conn(m, n, p, 1.0, seed, JitcOrientation::R, DType::float64);
    HostArray ones = array(DType::float64, {n});
    for (int64_t j = 0; j < n; ++j)
        put(ones, j, 1.0);
    const HostArray lengths = matvec(ones, conn, true);
    std::vector<int64_t> out(m);
    for (int64_t i = 0; i < m; ++i)
        out[i] = static_cast<int64_t>(get(lengths, i));
    return out;
}

// Pearson's chi-square of `counts` against Binomial(n, p), on the bins of expected count >= 5
// (the tails pooled into the outer bins). Returns {statistic, degrees of freedom,
// noncentrality of the alternative Binomial(n, p_alt) for this sample size}.
struct ChiSquare {
    double stat, df, lambda_alt;
};
ChiSquare chi_square(const std::vector<int64_t>& lengths, int64_t n, double p, double p_alt) {
    const double m = static_cast<double>(lengths.size());
    auto pmf = [&](double q, int64_t k) {
        return std::exp(std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) +
                        k * std::log(q) + (n - k) * std::log1p(-q));
    };
    int64_t lo = 0, hi = n; // inner bins [lo, hi], k < lo pooled into lo, k > hi into hi
    double tail = 0;
    while (m * (tail + pmf(p, lo)) < 5)
        tail += pmf(p, lo++);
    tail = 0;
    while (m * (tail + pmf(p, hi)) < 5)
        tail += pmf(p, hi--);
    auto bin_prob = [&](double q, int64_t k) {
        double s = 0;
        if (k == lo)
            for (int64_t t = 0; t <= lo; ++t)
                s += pmf(q, t);
        else if (k == hi)
            for (int64_t t = hi; t <= n; ++t)
                s += pmf(q, t);
        else
            s = pmf(q, k);
        return s;
    };
    std::vector<double> observed(hi - lo + 1, 0.0);
    for (int64_t k : lengths)
        observed[std::clamp(k, lo, hi) - lo] += 1;
    ChiSquare r{0, static_cast<double>(hi - lo), 0};
    for (int64_t k = lo; k <= hi; ++k) {
        const double e = bin_prob(p, k), a = bin_prob(p_alt, k);
        r.stat += (observed[k - lo] - m * e) * (observed[k - lo] - m * e) / (m * e);
        r.lambda_alt += m * (a - e) * (a - e) / e;
    }
    return r;
}

// The upper alpha = 0.001 point of chi-square(df), by Wilson-Hilferty (z = 3.0902); accurate to
// well under 1 % for the df here (65).
double critical_0001(double df) {
    const double z = 3.090232306, v = 2.0 / (9.0 * df);
    return df * std::pow(1.0 - v + z * std::sqrt(v), 3.0);
}

// m = 20000 rows of n = 1000, p = 0.1 (mean 100, sd 9.49), five seeds, each tested at
// alpha = 0.001 (family-wise false rejection <= 0.5 %; the seeds are fixed, so the outcome is
// deterministic). Power: p' = 1.05 p shifts the mean by 0.53 sd; the noncentrality of the
// alternative is about 6.4e3 (computed and checked below) against a critical value of 106 for
// the 65 df these bins give, so the power is 1 to within 1e-300: every alternative seed must
// reject (measured: chi2 44-67 under p, 6300-6900 under 1.05 p).
TEST(JitcStats, RowLengthsAreBinomialAndTheTestHasPower) {
    const int64_t m = 20000, n = 1000;
    const double p = 0.1;
    for (uint64_t seed : {1u, 2u, 3u, 42u, 1000003u}) {
        const ChiSquare h0 = chi_square(row_lengths(m, n, p, seed), n, p, 1.05 * p);
        const double crit = critical_0001(h0.df);
        EXPECT_LT(h0.stat, crit) << "seed " << seed << " df " << h0.df;
        EXPECT_GT(h0.lambda_alt, 20 * crit) << "the design has too little power";
        const ChiSquare h1 = chi_square(row_lengths(m, n, 1.05 * p, seed + 7), n, p, 1.05 * p);
        EXPECT_GT(h1.stat, crit) << "p' = 1.05 p not rejected, seed " << seed;
        std::printf("seed %llu: chi2 %.1f (df %.0f, crit %.1f), p'=1.05p: chi2 %.1f, "
                    "noncentrality %.0f\n",
                    static_cast<unsigned long long>(seed), h0.stat, h0.df, crit, h1.stat,
                    h0.lambda_alt);
    }
}

// The nonzero entries of a 2000 x 2000 matrix at p = 0.05 (~2e5 weights).
std::vector<double> nonzero_weights(const Jitc& conn) {
    const HostArray d = todense(conn);
    std::vector<double> w;
    for (int64_t e = 0; e < d.numel(); ++e)
        if (get(d, e) != 0) w.push_back(get(d, e));
    return w;
}
void moments(const std::vector<double>& w, double& mean, double& var) {
    mean = 0;
    for (double x : w)
        mean += x;
    mean /= static_cast<double>(w.size());
    var = 0;
    for (double x : w)
        var += (x - mean) * (x - mean);
    var /= static_cast<double>(w.size() - 1);
}

// Mean and variance within 5 standard errors (SE of the variance: sqrt((mu4 - sigma^4) / N)).
TEST(JitcStats, WeightMomentsMatchTheirDistributions) {
    double mean = 0, var = 0;
    const auto normal = nonzero_weights(
        JitcNormal(2000, 2000, 0.05, 0.5, 2.0, 9, JitcOrientation::R, DType::float64));
    const double nn = static_cast<double>(normal.size());
    EXPECT_NEAR(nn, 2e5, 5 * std::sqrt(2e5));
    moments(normal, mean, var);
    EXPECT_NEAR(mean, 0.5, 5 * 2.0 / std::sqrt(nn));
    EXPECT_NEAR(var, 4.0, 5 * std::sqrt(2 * 16.0 / nn));

    const auto uniform = nonzero_weights(
        JitcUniform(2000, 2000, 0.05, -1.0, 3.0, 9, JitcOrientation::R, DType::float64));
    const double nu = static_cast<double>(uniform.size());
    moments(uniform, mean, var);
    EXPECT_NEAR(mean, 1.0, 5 * std::sqrt(16.0 / 12.0 / nu));
    EXPECT_NEAR(var, 16.0 / 12.0, 5 * std::sqrt((256.0 / 80.0 - 16.0 * 16.0 / 144.0) / nu));
    for (double x : uniform)
        ASSERT_TRUE(x >= -1.0 && x < 3.0) << x;

    // sigma = 0 gives exactly the mean; low == high exactly low.
    for (double x : nonzero_weights(JitcNormal(300, 300, 0.1, 0.25, 0.0, 4)))
        ASSERT_EQ(x, 0.25);
    for (double x : nonzero_weights(JitcUniform(300, 300, 0.1, 0.75, 0.75, 4)))
        ASSERT_EQ(x, 0.75);
}

} // namespace
} // namespace be::test
