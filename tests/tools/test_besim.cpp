// besim as a user runs it: `besim kuramoto` writes the documented .npy files with the documented
// draws, --grad and --ensemble, --json, and the exit codes (0 ok, 1 work failed, 2 invalid
// invocation). Runs use the test cache of the environment, so the built-ins compile once.
#include "test_support.h"

#include <becore/frontends/kuramoto.h>
#include <becore/runtime/npy.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>

namespace be {
namespace {

namespace ku = kuramoto;

class BesimKuramoto : public ::testing::Test {
  protected:
    test::TempDir work;

    test::CommandResult run(const std::string& arguments) {
        return test::run_command((test::bin_dir() / "besim").string() + " " + arguments);
    }
    std::string args(const std::string& extra) {
        return "kuramoto --n 12 --steps 10 --dt 0.05 --seed 3 --out " + (work / "out").string() +
               " " + extra;
    }
    HostArray load(const std::string& name) {
        auto a = read_npy(work / "out" / name);
        EXPECT_TRUE(a) << a.error().full();
        return a ? std::move(*a) : HostArray{};
    }
};

bool same_bits(const HostArray& a, const void* b, int64_t count) {
    return a.numel() == count &&
           std::memcmp(a.data(), b, static_cast<size_t>(count) * sizeof(double)) == 0;
}

TEST_F(BesimKuramoto, WritesInputsAndTrajectoryWithTheDocumentedDraws) {
    // Progress goes to stderr; only stdout must be the JSON document.
    auto r = test::run_command("{ " + (test::bin_dir() / "besim").string() + " " + args("--json") +
                               " 2>/dev/null; }");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto summary = nlohmann::json::parse(r.output);
    EXPECT_EQ(summary["files"].size(), 4u);
    EXPECT_EQ(summary["n"], 12);
    EXPECT_TRUE(summary.contains("forward_ms"));

    auto theta0 = load("theta0.npy"), omega = load("omega.npy"), K = load("K.npy"),
         theta = load("theta.npy");
    EXPECT_EQ(theta.shape(), (std::vector<int64_t>{11, 12}));
    auto net = ku::default_network(12, 3);
    EXPECT_TRUE(same_bits(theta0, net.theta0.data(), 12));
    EXPECT_TRUE(same_bits(omega, net.omega.data(), 12));
    EXPECT_TRUE(same_bits(K, net.K.data(), 144));
    EXPECT_EQ(K.data_as<double>()[0], 0.0);
    EXPECT_EQ(K.data_as<double>()[1], 1.8 / 12);
    auto want = ku::rk4(net.theta0, net.omega, net.K, 0.05, 10);
    EXPECT_TRUE(same_bits(theta, want.data(), want.numel()));
}

TEST_F(BesimKuramoto, GradWritesTheGradientOfSumOfCosines) {
    auto r = run(args("--grad"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto net = ku::default_network(12, 3);
    auto last = ku::rk4(net.theta0, net.omega, net.K, 0.05, 10, {.trajectory = false});
    auto gbar = HostArray::create(DType::float64, {12}).value();
    for (int j = 0; j < 12; ++j)
        gbar.data_as<double>()[j] = -std::sin(last.data_as<double>()[j]);
    auto g = ku::rk4_vjp(net.theta0, net.omega, net.K, gbar, 0.05, 10);
    auto dtheta0 = load("dtheta0.npy"), domega = load("domega.npy"), dK = load("dK.npy");
    EXPECT_EQ(dK.shape(), (std::vector<int64_t>{12, 12}));
    EXPECT_TRUE(same_bits(dtheta0, g.dtheta0.data(), 12));
    EXPECT_TRUE(same_bits(domega, g.domega.data(), 12));
    EXPECT_TRUE(same_bits(dK, g.dK.data(), 144));
}

TEST_F(BesimKuramoto, EnsembleSeedsMemberBWithSeedPlusB) {
    auto r = run(args("--ensemble 3 --grad"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto theta0 = load("theta0.npy"), theta = load("theta.npy"), dK = load("dK.npy");
    EXPECT_EQ(theta0.shape(), (std::vector<int64_t>{3, 12}));
    EXPECT_EQ(theta.shape(), (std::vector<int64_t>{3, 11, 12}));
    EXPECT_EQ(dK.shape(), (std::vector<int64_t>{3, 12, 12}));
    auto omega = ku::random_omega(12, 3);
    auto K = ku::uniform_coupling(12);
    for (int b = 0; b < 3; ++b) {
        auto t0 = ku::random_theta0(12, 3 + b);
        EXPECT_EQ(std::memcmp(theta0.data_as<double>() + 12 * b, t0.data(), 12 * sizeof(double)), 0)
            << "member " << b;
        auto single = ku::rk4(t0, omega, K, 0.05, 10);
        EXPECT_EQ(std::memcmp(theta.data_as<double>() + 11 * 12 * b, single.data(),
                              static_cast<size_t>(single.nbytes())),
                  0)
            << "member " << b;
    }
}

// Members in parallel and, at N >= 1024, rows in parallel: the bytes must not change with the
// number of threads (BECORE_THREADS is read once per process, hence two processes).
TEST_F(BesimKuramoto, ResultsDoNotDependOnTheThreadCount) {
    std::string outputs[2];
    for (int threads : {1, 2}) {
        const auto dir = work / ("t" + std::to_string(threads));
        auto r = test::run_command("BECORE_THREADS=" + std::to_string(threads) + " " +
                                   (test::bin_dir() / "besim").string() +
                                   " kuramoto --n 1030 --steps 2 --dt 0.05 --seed 9 --ensemble 3 "
                                   "--out " +
                                   dir.string());
        ASSERT_EQ(r.exit_code, 0) << r.output;
        outputs[threads - 1] = test::read_file(dir / "theta.npy");
    }
    EXPECT_FALSE(outputs[0].empty());
    EXPECT_TRUE(outputs[0] == outputs[1]);
}

TEST_F(BesimKuramoto, HelpAndInvalidInvocationsExitTwo) {
    auto help = run("kuramoto --help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.output.find("--ensemble"), std::string::npos) << help.output;
    EXPECT_EQ(run("").exit_code, 2);
    EXPECT_EQ(run("nonsense").exit_code, 2);
    EXPECT_EQ(run("kuramoto --steps 3 --dt 0.1 --seed 1 --out x").exit_code, 2); // no --n
    EXPECT_EQ(run(args("").replace(args("").find("--n 12"), 6, "--n 0")).exit_code, 2);
    EXPECT_EQ(run(args("").replace(args("").find("--dt 0.05"), 9, "--dt -1")).exit_code, 2);
    EXPECT_EQ(run(args("--ensemble 0")).exit_code, 2);
    test::write_file(work / "file", "");
    EXPECT_EQ(
        run("kuramoto --n 4 --steps 2 --dt 0.1 --seed 1 --out " + (work / "file" / "sub").string())
            .exit_code,
        2);
}

} // namespace
} // namespace be
