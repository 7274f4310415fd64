// be::kuramoto and the built-in targets be.kuramoto_*: the forward solve against an independent
// RK4 written here in the direct O(N²) sin form, the discrete adjoint against central finite
// differences of the forward solve, ensembles against single solves (bitwise), the CUDA twin in
// emulation against the CPU kernels, NVRTC compiling the twin, and input validation.
#include "nvrtc_build.h"
#include "test_support.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/kuramoto.h>
#include <becore/frontends/runtime_report.h>
#include <becore/runtime/paths.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numbers>
#include <random>

namespace be {
namespace {

namespace ku = kuramoto;

HostArray array(std::vector<int64_t> shape, std::vector<double> values = {}) {
    auto a = HostArray::create(DType::float64, std::move(shape)).value();
    if (!values.empty()) std::memcpy(a.data(), values.data(), sizeof(double) * values.size());
    return a;
}

// A network with structure: random (asymmetric, signed) couplings and frequencies, so that
// every term of the rates and of the adjoint matters.
ku::Network random_network(int64_t n, uint64_t seed) {
    std::mt19937_64 gen(seed);
    auto u = [&] { return static_cast<double>(gen() >> 11) * 0x1.0p-53; };
    ku::Network net{array({n}), array({n}), array({n, n})};
    for (int64_t j = 0; j < n; ++j) {
        net.theta0.data_as<double>()[j] = 2 * std::numbers::pi * u();
        net.omega.data_as<double>()[j] = 2 * u() - 1;
        for (int64_t k = 0; k < n; ++k)
            net.K.data_as<double>()[j * n + k] = (4 * u() - 1) / n;
    }
    return net;
}

// The reference: classical RK4 with the rates in the direct form Σ_k K_jk sin(θ_k − θ_j).
std::vector<double> reference_trajectory(const ku::Network& net, double dt, int64_t steps) {
    const int64_t n = net.theta0.numel();
    const double* K = net.K.data_as<double>();
    const double* omega = net.omega.data_as<double>();
    auto f = [&](const std::vector<double>& y) {
        std::vector<double> r(n);
        for (int64_t j = 0; j < n; ++j) {
            double sum = 0;
            for (int64_t k = 0; k < n; ++k)
                sum += K[j * n + k] * std::sin(y[k] - y[j]);
            r[j] = omega[j] + sum;
        }
        return r;
    };
    std::vector<double> theta(net.theta0.data_as<double>(), net.theta0.data_as<double>() + n);
    std::vector<double> out = theta;
    auto shifted = [&](const std::vector<double>& k, double h) {
        std::vector<double> y(n);
        for (int64_t j = 0; j < n; ++j)
            y[j] = theta[j] + h * k[j];
        return y;
    };
    for (int64_t s = 0; s < steps; ++s) {
        auto k1 = f(theta), k2 = f(shifted(k1, dt / 2)), k3 = f(shifted(k2, dt / 2)),
             k4 = f(shifted(k3, dt));
        for (int64_t j = 0; j < n; ++j)
            theta[j] += dt / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
        out.insert(out.end(), theta.begin(), theta.end());
    }
    return out;
}

bool bitwise_equal(const HostArray& a, const HostArray& b) {
    return a.shape() == b.shape() &&
           std::memcmp(a.data(), b.data(), static_cast<size_t>(a.nbytes())) == 0;
}

double max_abs_diff(const HostArray& a, const HostArray& b) {
    double m = 0;
    for (int64_t i = 0; i < a.numel(); ++i)
        m = std::max(m, std::abs(a.data_as<double>()[i] - b.data_as<double>()[i]));
    return m;
}

TEST(KuramotoForward, MatchesDirectSinReference) {
    // N = 13 and 37: the 8-lane dot products' tails, several lanes filled unevenly; N = 1100:
    // a stage's rows split over threads (N >= 1024).
    for (int64_t n : {1, 13, 37, 1100}) {
        auto net = random_network(n, 7 + n);
        const double dt = 0.05;
        const int64_t steps = n > 1000 ? 2 : 60;
        auto traj = ku::rk4(net.theta0, net.omega, net.K, dt, steps);
        ASSERT_EQ(traj.shape(), (std::vector<int64_t>{steps + 1, n}));
        auto want = reference_trajectory(net, dt, steps);
        double diff = 0;
        for (int64_t i = 0; i < traj.numel(); ++i)
            diff = std::max(diff, std::abs(traj.data_as<double>()[i] - want[i]));
        EXPECT_LE(diff, 1e-12) << "N = " << n;
    }
}

TEST(KuramotoForward, FinalStateIsTheTrajectorysLastRow) {
    auto net = random_network(20, 3);
    auto traj = ku::rk4(net.theta0, net.omega, net.K, 0.02, 30);
    auto last = ku::rk4(net.theta0, net.omega, net.K, 0.02, 30, {.trajectory = false});
    ASSERT_EQ(last.shape(), (std::vector<int64_t>{20}));
    EXPECT_EQ(std::memcmp(last.data(), traj.data_as<double>() + 30 * 20, 20 * sizeof(double)), 0);
    auto zero_steps = ku::rk4(net.theta0, net.omega, net.K, 0.02, 0);
    EXPECT_TRUE(bitwise_equal(
        zero_steps, array({1, 20}, std::vector<double>(net.theta0.data_as<double>(),
                                                       net.theta0.data_as<double>() + 20))));
}

// L = Σ_j cos θ_steps,j, the loss besim --grad differentiates.
double loss(const ku::Network& net, double dt, int64_t steps) {
    auto last = ku::rk4(net.theta0, net.omega, net.K, dt, steps, {.trajectory = false});
    double l = 0;
    for (int64_t j = 0; j < last.numel(); ++j)
        l += std::cos(last.data_as<double>()[j]);
    return l;
}

// Central differences with step h = 1e-5·max(1, |x|): the truncation error h²·|L'''|/6 and the
// rounding error ε·|L|/h (ε = 2⁻⁵³, |L| ≤ N) balance near h ≈ (3ε|L|)^(1/3) ≈ 1e-5, both about
// 1e-10 here, so float64 on this smooth L reaches 1e-6 relative with a wide margin for
// gradient entries that are not themselves near zero (the denominator is floored at 1e-3).
TEST(KuramotoAdjoint, MatchesCentralFiniteDifferences) {
    const int64_t n = 6, steps = 25;
    const double dt = 0.05;
    auto net = random_network(n, 11);
    auto last = ku::rk4(net.theta0, net.omega, net.K, dt, steps, {.trajectory = false});
    auto gbar = array({n});
    for (int64_t j = 0; j < n; ++j)
        gbar.data_as<double>()[j] = -std::sin(last.data_as<double>()[j]);
    auto g = ku::rk4_vjp(net.theta0, net.omega, net.K, gbar, dt, steps);

    int checked = 0;
    double worst = 0;
    auto check = [&](HostArray& input, const HostArray& grad, const char* name) {
        for (int64_t i = 0; i < input.numel(); ++i) {
            double& x = input.data_as<double>()[i];
            const double x0 = x, h = 1e-5 * std::max(1.0, std::abs(x0));
            x = x0 + h;
            const double up = loss(net, dt, steps);
            x = x0 - h;
            const double down = loss(net, dt, steps);
            x = x0;
            const double fd = (up - down) / (2 * h), adj = grad.data_as<double>()[i];
            const double relative = std::abs(fd - adj) / std::max(std::abs(adj), 1e-3);
            worst = std::max(worst, relative);
            EXPECT_LE(relative, 1e-6)
                << name << "[" << i << "]: adjoint " << adj << ", finite difference " << fd;
            ++checked;
        }
    };
    check(net.theta0, g.dtheta0, "dtheta0");
    check(net.omega, g.domega, "domega");
    check(net.K, g.dK, "dK");
    EXPECT_EQ(checked, n + n + n * n);
    std::printf("largest relative difference over %d entries: %.2e\n", checked, worst);
}

TEST(KuramotoAdjoint, ZeroStepsGivesTheCotangentBack) {
    auto net = random_network(5, 2);
    auto gbar = array({5}, {1, -2, 3, -4, 5});
    auto g = ku::rk4_vjp(net.theta0, net.omega, net.K, gbar, 0.1, 0);
    EXPECT_TRUE(bitwise_equal(g.dtheta0, gbar));
    EXPECT_EQ(max_abs_diff(g.domega, array({5})), 0.0);
    EXPECT_EQ(max_abs_diff(g.dK, array({5, 5})), 0.0);
}

// B members with their own θ0 and, in the second case, their own ω and K.
TEST(KuramotoEnsemble, MembersAreBitwiseEqualToSingleSolves) {
    const int64_t members = 5, n = 19, steps = 40;
    const double dt = 0.03;
    for (bool own_parameters : {false, true}) {
        std::vector<ku::Network> nets;
        for (int64_t b = 0; b < members; ++b)
            nets.push_back(random_network(n, 100 + b));
        auto theta0 = array({members, n});
        auto omega = own_parameters ? array({members, n}) : array({n});
        auto K = own_parameters ? array({members, n, n}) : array({n, n});
        for (int64_t b = 0; b < members; ++b) {
            std::memcpy(theta0.data_as<double>() + b * n, nets[b].theta0.data(),
                        n * sizeof(double));
            if (own_parameters || b == 0) {
                std::memcpy(omega.data_as<double>() + (own_parameters ? b * n : 0),
                            nets[b].omega.data(), n * sizeof(double));
                std::memcpy(K.data_as<double>() + (own_parameters ? b * n * n : 0),
                            nets[b].K.data(), n * n * sizeof(double));
            }
        }
        for (bool trajectory : {true, false}) {
            auto all = ku::ensemble(theta0, omega, K, dt, steps, {.trajectory = trajectory});
            const int64_t per = (trajectory ? steps + 1 : 1) * n;
            ASSERT_EQ(all.numel(), members * per);
            for (int64_t b = 0; b < members; ++b) {
                const auto& p = own_parameters ? nets[b] : nets[0];
                auto single =
                    ku::rk4(nets[b].theta0, p.omega, p.K, dt, steps, {.trajectory = trajectory});
                EXPECT_EQ(std::memcmp(all.data_as<double>() + b * per, single.data(),
                                      per * sizeof(double)),
                          0)
                    << "member " << b << (own_parameters ? " (own omega, K)" : " (shared)");
            }
        }
    }
}

// The CUDA twin (kuramoto.cu) run in emulation on cuda-emu views: the same IEEE operations in
// the same order, contraction off, so the results are bitwise equal to the CPU kernels'.
TEST(KuramotoCudaTwin, EmulationIsBitwiseEqualToTheCpuKernels) {
    auto target = builtin_registry().find("be.kuramoto_rk4_f64");
    ASSERT_TRUE(target);
    const auto devices = target->devices();
    if (std::find(devices.begin(), devices.end(), Device::cuda_emu) == devices.end())
        GTEST_SKIP() << "the registry reports no cuda-emu implementation of be.kuramoto_rk4_f64";

    // 300 oscillators: several rows per thread of the 256-thread block.
    for (int64_t n : {13, 300}) {
        const int64_t steps = n > 100 ? 3 : 20;
        auto net = random_network(n, 5);
        const ku::Options emu{.trajectory = true, .device = Device::cuda_emu};
        auto cpu = ku::rk4(net.theta0, net.omega, net.K, 0.05, steps);
        auto em = ku::rk4(net.theta0, net.omega, net.K, 0.05, steps, emu);
        EXPECT_TRUE(bitwise_equal(cpu, em))
            << "rk4, N = " << n << ": max |diff| " << max_abs_diff(cpu, em);

        auto gbar = random_network(n, 6).omega;
        auto gc = ku::rk4_vjp(net.theta0, net.omega, net.K, gbar, 0.05, steps);
        auto ge = ku::rk4_vjp(net.theta0, net.omega, net.K, gbar, 0.05, steps, Device::cuda_emu);
        EXPECT_TRUE(bitwise_equal(gc.dtheta0, ge.dtheta0)) << max_abs_diff(gc.dtheta0, ge.dtheta0);
        EXPECT_TRUE(bitwise_equal(gc.domega, ge.domega)) << max_abs_diff(gc.domega, ge.domega);
        EXPECT_TRUE(bitwise_equal(gc.dK, ge.dK)) << max_abs_diff(gc.dK, ge.dK);
    }

    const int64_t members = 3, n = 9;
    auto theta0 = array({members, n});
    for (int64_t i = 0; i < theta0.numel(); ++i)
        theta0.data_as<double>()[i] = 0.37 * i;
    auto net = random_network(n, 8);
    auto cpu = ku::ensemble(theta0, net.omega, net.K, 0.05, 10, {.trajectory = false});
    auto em = ku::ensemble(theta0, net.omega, net.K, 0.05, 10,
                           {.trajectory = false, .device = Device::cuda_emu});
    EXPECT_TRUE(bitwise_equal(cpu, em)) << max_abs_diff(cpu, em);
}

TEST(KuramotoCudaTwin, CompilesWithNvrtc) {
    BE_SKIP_WITHOUT_NVRTC();
    const auto result = test::build_builtin_cu({"kuramoto.cu"});
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("be.kuramoto_rk4_vjp_f64"), std::string::npos) << result.output;
}

TEST(KuramotoValidation, BadInputsAreClearErrors) {
    auto net = random_network(4, 1);
    EXPECT_NE(test::error_of([&] {
                  ku::rk4(net.theta0, net.omega, array({3, 4}), 0.1, 2);
              }).find("kuramoto::rk4: K must have shape 4x4, not 3x4"),
              std::string::npos);
    EXPECT_NE(test::error_of([&] { ku::rk4(net.theta0, net.omega, net.K, 0.1, -1); }).find("steps"),
              std::string::npos);
    auto f32 = HostArray::create(DType::float32, {4}).value();
    EXPECT_NE(test::error_of([&] {
                  ku::rk4(net.theta0, f32, net.K, 0.1, 2);
              }).find("omega must be float64, not float32"),
              std::string::npos);
    EXPECT_NE(test::error_of([&] {
                  ku::rk4_vjp(net.theta0, net.omega, net.K, array({5}), 0.1, 2);
              }).find("rk4_vjp: gbar must have shape 4"),
              std::string::npos);
    EXPECT_NE(test::error_of([&] {
                  ku::ensemble(net.theta0, net.omega, net.K, 0.1, 2);
              }).find("ensemble: theta0 must be 2-D"),
              std::string::npos);
    // The kernels check too (BE_CHECK): a direct call with too little scratch.
    auto out = array({4}), work = array({3});
    const BE::Tensor args[] = {net.theta0.view(), net.omega.view(), net.K.view()};
    BE::Tensor rets[] = {out.view(), work.view()};
    EXPECT_NE(
        test::error_of([&] {
            call_builtin("kuramoto_rk4_f64", args, rets, {{"dt", 0.1}, {"steps", int64_t{2}}});
        }).find("work needs members x 5 x N doubles"),
        std::string::npos);
}

TEST(KuramotoDefaults, DrawsAreReproducibleAndAsDocumented) {
    const int64_t n = 4000;
    auto a = ku::default_network(n, 42), b = ku::default_network(n, 42);
    EXPECT_TRUE(bitwise_equal(a.theta0, b.theta0));
    EXPECT_TRUE(bitwise_equal(a.omega, b.omega));
    EXPECT_FALSE(bitwise_equal(a.theta0, ku::random_theta0(n, 43)));
    double mean = 0, var = 0;
    for (int64_t j = 0; j < n; ++j) {
        const double t = a.theta0.data_as<double>()[j], w = a.omega.data_as<double>()[j];
        EXPECT_TRUE(t >= 0 && t < 2 * std::numbers::pi);
        mean += w / n;
        var += w * w / n;
    }
    EXPECT_NEAR(mean, 0.0, 0.05);
    EXPECT_NEAR(std::sqrt(var - mean * mean), 0.7, 0.05);
    auto K = ku::uniform_coupling(3);
    EXPECT_EQ(K.data_as<double>()[0], 0.0);
    EXPECT_EQ(K.data_as<double>()[1], 1.8 / 3);
    EXPECT_EQ(K.data_as<double>()[4], 0.0);
}

} // namespace
} // namespace be
