// Readouts (frontends/include/becore/frontends/readouts.h): the LFP proxy against an independent
// double computation, its Gaussian profile and the CSD proxy's sign convention, the normalisation
// per contact, the depths' bands and their keying by (seed, stream, neuron), and the errors.
#include "test_support.h"

#include <becore/frontends/readouts.h>

#include <be/jitc.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace be {
namespace {

HostArray make_sources(int64_t t, int64_t n, double value_at_active, int64_t active) {
    auto a = HostArray::create(DType::float64, {t, n}).value();
    for (int64_t k = 0; k < t; ++k)
        a.data_as<double>()[k * n + active] = value_at_active * static_cast<double>(k + 1);
    return a;
}

// LFP_c of a single active neuron j with source s, the textbook way (no shifted exponent).
double expected_lfp(const std::vector<double>& z, int64_t j, double s, double zc, double sigma) {
    double sum = 0;
    for (double zn : z)
        sum +=
            std::exp(-(zc - zn) * (zc - zn) / (2 * sigma * sigma)) / (sigma * std::sqrt(2 * M_PI));
    const double g =
        std::exp(-(zc - z[j]) * (zc - z[j]) / (2 * sigma * sigma)) / (sigma * std::sqrt(2 * M_PI));
    return s * g / sum;
}

TEST(ReadoutLfp, OneNeuronReadsItsSourceAtEveryContactAndTheCsdIsZero) {
    auto sources = HostArray::create(DType::float64, {3, 1}).value();
    for (int k = 0; k < 3; ++k)
        sources.data_as<double>()[k] = 2.5;
    auto lfp = lfp_proxy(sources, {0.3});
    ASSERT_EQ(lfp.shape(), (std::vector<int64_t>{3, 16}));
    for (int64_t i = 0; i < lfp.numel(); ++i)
        EXPECT_EQ(lfp.data_as<double>()[i], 2.5) << i; // the one weight is exactly 1
    auto csd = csd_proxy(lfp);
    ASSERT_EQ(csd.shape(), (std::vector<int64_t>{3, 14}));
    for (int64_t i = 0; i < csd.numel(); ++i)
        EXPECT_EQ(csd.data_as<double>()[i], 0.0) << i;
}

TEST(ReadoutLfp, SingleActiveNeuronAmongManyMatchesAnIndependentComputation) {
    const int64_t n = 40, t = 3, active = 17, contacts = 11;
    const double s = -1.75, sigma = 0.08;
    const auto z = layer_depths(n, 4, 7);
    auto lfp = lfp_proxy(make_sources(t, n, s, active), z, {.contacts = contacts, .sigma = sigma});
    auto csd = csd_proxy(lfp);
    ASSERT_EQ(lfp.shape(), (std::vector<int64_t>{t, contacts}));
    ASSERT_EQ(csd.shape(), (std::vector<int64_t>{t, contacts - 2}));
    const double dz = 1.0 / (contacts - 1);
    for (int64_t k = 0; k < t; ++k) {
        std::vector<double> want(contacts);
        for (int64_t c = 0; c < contacts; ++c) {
            want[c] = expected_lfp(z, active, s * (k + 1), static_cast<double>(c) * dz, sigma);
            EXPECT_NEAR(lfp.data_as<double>()[k * contacts + c], want[c],
                        1e-12 * std::abs(s * (k + 1)))
                << "step " << k << " contact " << c;
        }
        for (int64_t c = 1; c + 1 < contacts; ++c) {
            const double second = want[c + 1] - 2 * want[c] + want[c - 1];
            EXPECT_NEAR(csd.data_as<double>()[k * (contacts - 2) + c - 1], -second / (dz * dz),
                        1e-9 * std::abs(s * (k + 1)))
                << "step " << k << " contact " << c;
        }
    }
}

// N depths spread evenly, one active neuron at 0.5: the LFP proxy peaks at the contact at 0.5
// and falls off on both sides; the CSD proxy −∂²/∂z² is positive there (a source in the
// convention where sinks are negative) and, with a negative source, negative (a sink).
TEST(ReadoutLfp, GaussianProfilePeaksAtTheNearestContactWithThePeakCsdOfTheSourceSign) {
    const int64_t n = 101, contacts = 17, peak = 8; // contact 8 of 17 sits at 0.5
    std::vector<double> z(n);
    for (int64_t i = 0; i < n; ++i)
        z[i] = static_cast<double>(i) / (n - 1);
    for (double s : {3.0, -3.0}) {
        auto lfp = lfp_proxy(make_sources(1, n, s, 50), z, {.contacts = contacts});
        auto csd = csd_proxy(lfp);
        const double* l = lfp.data_as<double>();
        const double* l_abs_max = std::max_element(
            l, l + contacts, [](double a, double b) { return std::abs(a) < std::abs(b); });
        EXPECT_EQ(l_abs_max - l, peak) << "s = " << s;
        for (int64_t c = 0; c < contacts; ++c) {
            EXPECT_EQ(std::signbit(l[c]), s < 0) << "contact " << c;
            if (c < peak) {
                EXPECT_LT(std::abs(l[c]), std::abs(l[c + 1])) << "contact " << c;
            }
            if (c > peak) {
                EXPECT_LT(std::abs(l[c]), std::abs(l[c - 1])) << "contact " << c;
            }
        }
        EXPECT_NEAR(l[peak - 1], l[peak + 1], 1e-12 * std::abs(s)); // symmetric depths and profile
        const double at_peak = csd.data_as<double>()[peak - 1];
        if (s > 0)
            EXPECT_GT(at_peak, 0.0);
        else
            EXPECT_LT(at_peak, 0.0);
    }
}

TEST(ReadoutLfp, WeightsSumToOnePerContactEvenWhenEveryNeuronIsFarAway) {
    // σ = 0.001 and every neuron near 1: exp(−d²/2σ²) underflows at contact 0 unless the exponent
    // is shifted by the nearest neuron.
    const std::vector<double> z = {0.97, 0.98, 0.99, 1.0};
    const LfpProxy proxy(z, {.contacts = 5, .sigma = 0.001});
    for (int64_t c = 0; c < proxy.contacts(); ++c) {
        double sum = 0;
        for (int64_t i = 0; i < proxy.neurons(); ++i) {
            EXPECT_TRUE(std::isfinite(proxy.weight(c, i)));
            sum += proxy.weight(c, i);
        }
        EXPECT_NEAR(sum, 1.0, 1e-15) << "contact " << c;
    }
    EXPECT_EQ(proxy.weight(0, 0), 1.0); // the nearest neuron takes it all
    EXPECT_EQ(proxy.contact_depth(0), 0.0);
    EXPECT_EQ(proxy.contact_depth(4), 1.0);
    EXPECT_EQ(proxy.contact_depth(2), 0.5);
}

TEST(ReadoutLfp, RecordRowsEqualTheArrayFunctionForFloatAndDoubleSources) {
    const int64_t n = 23, t = 5;
    const auto z = layer_depths(n, 3, 11);
    auto f32 = HostArray::create(DType::float32, {t, n}).value();
    auto f64 = HostArray::create(DType::float64, {t, n}).value();
    for (int64_t i = 0; i < t * n; ++i) {
        f32.data_as<float>()[i] = static_cast<float>(std::sin(0.37 * i)) * 10.0f;
        f64.data_as<double>()[i] = f32.data_as<float>()[i];
    }
    auto a = lfp_proxy(f32, z), b = lfp_proxy(f64, z);
    ASSERT_EQ(a.nbytes(), b.nbytes());
    EXPECT_EQ(std::memcmp(a.data(), b.data(), static_cast<size_t>(a.nbytes())), 0);
    const LfpProxy proxy(z);
    std::vector<double> row(proxy.contacts(), -1.0);
    for (int64_t k = 0; k < t; ++k) {
        proxy.record(f32.data_as<float>() + k * n, row.data());
        EXPECT_EQ(std::memcmp(row.data(), a.data_as<double>() + k * proxy.contacts(),
                              row.size() * sizeof(double)),
                  0)
            << "step " << k;
    }
}

// record() keeps its sums in registers, 8 contacts at a time; each must still be the plain sum
// in ascending neuron order from 0.0, bit for bit, whatever C (here not a multiple of 8).
TEST(ReadoutLfp, RecordIsTheAscendingSumOfWeightTimesSourceBitForBit) {
    for (int64_t contacts : {3, 8, 13, 16}) {
        const int64_t n = 37;
        const LfpProxy proxy(layer_depths(n, 2, 21), {.contacts = contacts, .sigma = 0.15});
        std::vector<double> source(n);
        for (int64_t i = 0; i < n; ++i)
            source[i] = std::cos(1.7 * i) * 3.0 - 0.5;
        std::vector<double> row(contacts + 1, -7.0);
        proxy.record(source.data(), row.data());
        for (int64_t c = 0; c < contacts; ++c) {
            double sum = 0.0;
            for (int64_t i = 0; i < n; ++i)
                sum += proxy.weight(c, i) * source[i];
            EXPECT_EQ(row[c], sum) << "C = " << contacts << ", contact " << c;
        }
        EXPECT_EQ(row[contacts], -7.0) << "record() wrote past C = " << contacts;
    }
}

TEST(ReadoutDepths, EachDepthLiesInItsLayersBandInIdOrder) {
    const int64_t n = 103, layers = 4; // 26, 26, 26, 25
    const auto z = layer_depths(n, layers, 5);
    ASSERT_EQ(z.size(), static_cast<size_t>(n));
    const int64_t starts[] = {0, 26, 52, 78, 103};
    for (int64_t l = 0; l < layers; ++l)
        for (int64_t i = starts[l]; i < starts[l + 1]; ++i) {
            EXPECT_GE(z[i], l / 4.0) << "neuron " << i;
            EXPECT_LT(z[i], (l + 1) / 4.0) << "neuron " << i;
        }
    const auto sized = layer_depths(std::vector<int64_t>{3, 0, 5}, 5);
    ASSERT_EQ(sized.size(), 8u);
    for (int i = 0; i < 3; ++i)
        EXPECT_LT(sized[i], 1.0 / 3);
    for (int i = 3; i < 8; ++i)
        EXPECT_GE(sized[i], 2.0 / 3);
}

// Neuron i's draw is the Philox block of (seed, k_depth_stream, i): the same for any n, any
// other split, and recomputable on its own, so depths do not depend on threads or ranks.
TEST(ReadoutDepths, DrawsAreKeyedBySeedStreamAndNeuron) {
    EXPECT_EQ(layer_depths(50, 2, 9), layer_depths(50, 2, 9));
    EXPECT_NE(layer_depths(50, 2, 9), layer_depths(50, 2, 10));
    const auto small = layer_depths(10, 1, 9), large = layer_depths(1000, 1, 9);
    for (int i = 0; i < 10; ++i)
        EXPECT_EQ(small[i], large[i]) << i;
    const uint64_t seed = 0x123456789ABCDEFull;
    const auto z = layer_depths(std::vector<int64_t>{2, 6}, seed);
    for (uint64_t i : {0u, 5u}) {
        const auto r =
            be_jitc::philox4x32_10(be_jitc::U32x4{{0, static_cast<uint32_t>(i), 0, k_depth_stream}},
                                   static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
        const double u =
            static_cast<double>((static_cast<uint64_t>(r.v[0]) << 21) | (r.v[1] >> 11)) * 0x1p-53;
        const double lo = i < 2 ? 0.0 : 0.5;
        EXPECT_EQ(z[i], lo + 0.5 * u) << "neuron " << i;
    }
    // Uniform within the band: the mean of many draws is near the band's middle.
    const auto many = layer_depths(20000, 1, 3);
    double mean = 0;
    for (double v : many)
        mean += v;
    EXPECT_NEAR(mean / many.size(), 0.5, 0.01);
}

TEST(ReadoutErrors, NameTheField) {
    EXPECT_NE(test::error_of([] { LfpProxy({0.5}, {.contacts = 2}); }).find("contacts"),
              std::string::npos);
    EXPECT_NE(test::error_of([] { LfpProxy({0.5}, {.sigma = 0}); }).find("sigma"),
              std::string::npos);
    EXPECT_NE(test::error_of([] { LfpProxy({0.5}, {.sigma = NAN}); }).find("sigma"),
              std::string::npos);
    EXPECT_NE(test::error_of([] { LfpProxy({0.5, 1.5}); }).find("depths[1]"), std::string::npos);
    EXPECT_NE(test::error_of([] { LfpProxy({NAN}); }).find("depths[0]"), std::string::npos);
    EXPECT_NE(test::error_of([] { LfpProxy({}); }).find("depths is empty"), std::string::npos);
    auto one_d = HostArray::create(DType::float64, {4}).value();
    EXPECT_NE(test::error_of([&] { lfp_proxy(one_d, {0.5}); }).find("2-D"), std::string::npos);
    auto wide = HostArray::create(DType::float64, {2, 3}).value();
    EXPECT_NE(test::error_of([&] { lfp_proxy(wide, {0.5}); }).find("depths has 1"),
              std::string::npos);
    auto ints = HostArray::create(DType::int32, {2, 1}).value();
    EXPECT_NE(test::error_of([&] { lfp_proxy(ints, {0.5}); }).find("int32"), std::string::npos);
    auto narrow = HostArray::create(DType::float64, {2, 2}).value();
    EXPECT_NE(test::error_of([&] { csd_proxy(narrow); }).find(">= 3 contacts"), std::string::npos);
    EXPECT_NE(test::error_of([] { layer_depths(5, 0, 1); }).find("layers"), std::string::npos);
    EXPECT_NE(test::error_of([] { layer_depths(-1, 1, 1); }).find("n must be"), std::string::npos);
    EXPECT_NE(test::error_of([] {
                  layer_depths(std::vector<int64_t>{2, -1}, 1);
              }).find("layer_sizes[1]"),
              std::string::npos);
}

} // namespace
} // namespace be
