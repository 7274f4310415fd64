// `besim run` under `mpirun -np K` (BECORE_MPI; docs/scaling.md): the spike files and readouts
// of K = 1, 2, 3, 4 ranks (oversubscribed on a small machine) are byte for byte those of the run
// in one process without MPI, on the coba preset (JITC pathways, one-step delays), brunel2000
// (fixed in-degree, 1.5 ms delays) and a configuration with every pathway format, weight
// distribution and probe; a configuration error on one rank is reported once with exit code 2;
// a kernel error on one rank ends every rank with exit code 1 and writes nothing; a program of
// the user's runs be::simulate on a communicator. Skipped, with the reason, in a build without
// MPI.
#include "test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace be {
namespace {

namespace fs = std::filesystem;

class BesimMpi : public ::testing::Test {
  protected:
    test::TempDir work;

    void SetUp() override {
#if !defined(BECORE_TEST_MPI)
        GTEST_SKIP() << "becore was built without MPI (BECORE_MPI=OFF: MPI not found)";
#endif
    }
    static std::string besim() {
        return (test::bin_dir() / "besim").string();
    }
    // K ranks on however many cores there are, as root too (CI); one thread per rank. Open MPI
    // keeps memory to the end of the process by design, which LeakSanitizer (a sanitized
    // build) would report from every rank.
    static std::string mpirun(int ranks) {
        return "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
               "LSAN_OPTIONS=detect_leaks=0 "
               "OMPI_MCA_btl_vader_single_copy_mechanism=none mpirun --oversubscribe -np " +
               std::to_string(ranks) + " ";
    }
    std::string out(const std::string& name) {
        return (work / name).string();
    }

    // The run without MPI, then under 1..4 ranks: every .npy file equal byte for byte.
    void expect_independent_of_ranks(const std::string& arguments) {
        auto r = test::run_command(besim() + " run " + arguments + " --threads 1 --quiet --out " +
                                   out("single"));
        ASSERT_EQ(r.exit_code, 0) << r.output;
        std::vector<std::string> files;
        for (const auto& e : fs::directory_iterator(work / "single"))
            if (e.path().extension() == ".npy") files.push_back(e.path().filename().string());
        ASSERT_GE(files.size(), 2u);
        ASSERT_GT(fs::file_size(work / "single" / "spikes_i.npy"), 1000u) << "too few spikes";
        for (int ranks = 1; ranks <= 4; ++ranks) {
            const std::string dir = "ranks" + std::to_string(ranks);
            r = test::run_command(mpirun(ranks) + besim() + " run " + arguments +
                                  " --threads 1 --quiet --json --out " + out(dir));
            ASSERT_EQ(r.exit_code, 0) << ranks << " ranks\n" << r.output;
            EXPECT_NE(r.output.find("\"ranks\": " + std::to_string(ranks)), std::string::npos)
                << r.output;
            for (const auto& file : files)
                EXPECT_EQ(test::read_file(work / dir / file),
                          test::read_file(work / "single" / file))
                    << file << " differs with " << ranks << " ranks";
        }
    }
};

TEST_F(BesimMpi, CobaSpikesAreTheSameForOneToFourRanks) {
    expect_independent_of_ranks("--preset coba --duration-ms 100");
}

TEST_F(BesimMpi, Brunel2000SpikesAreTheSameForOneToFourRanks) {
    expect_independent_of_ranks("--preset brunel2000 --duration-ms 30");
}

// Every pathway format (jitc with scalar and normal weights, csr, fixed-pre, fixed-post split
// into per-rank windows) and every probe (Vm, LFP and CSD proxies gathered from the ranks), on
// 800 neurons: the I -> E JITC pathway (p = 0.5) has rows of two tiles of 512 columns
// (be/jitc.h), so ranks' windows start inside tiles and span tile boundaries.
TEST_F(BesimMpi, EveryFormatAndProbeIsTheSameForOneToFourRanks) {
    std::string toml =
        test::read_file(fs::path(BECORE_EXAMPLES_DIR).parent_path() / "sim" / "small.toml");
    const size_t n_at = toml.find("\nn = 200\n");
    ASSERT_NE(n_at, std::string::npos) << "examples/sim/small.toml changed";
    toml.replace(n_at, 9, "\nn = 800\n");
    toml += R"(
[[pathway]]
source = "E"
target = "*"
format = "fixed-post"
k = 15
weight = { kind = "uniform", w0 = 0.1, w1 = 0.3 }
delay_ms = 0.4

[[pathway]]
source = "I"
target = "E"
format = "jitc"
p = 0.5
weight = { kind = "normal", w0 = 0.2, w1 = 0.05 }
delay_ms = 0.2
channel = "i"
)";
    test::write_file(work / "mixed.toml", toml);
    expect_independent_of_ranks((work / "mixed.toml").string() + " --duration-ms 50");
}

TEST_F(BesimMpi, AConfigurationErrorOnOneRankIsReportedOnceWithExitTwo) {
    test::write_file(work / "bad.toml", "preset = \"coba\"\n[column]\nn = -5\n");
    // Rank 1 reads another file than the others.
    const std::string command =
        mpirun(3) +
        "sh -c 'if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then c=" + (work / "bad.toml").string() +
        "; else c=\"--preset coba\"; fi; exec " + besim() +
        " run $c --duration-ms 5 --threads 1 --quiet --out " + out("out") + "'";
    auto r = test::run_command(command);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    const std::string message = "column.n: must be a positive number of neurons, not -5";
    const size_t first = r.output.find(message);
    ASSERT_NE(first, std::string::npos) << r.output;
    EXPECT_EQ(r.output.find(message, first + 1), std::string::npos) << "reported twice\n"
                                                                    << r.output;
    EXPECT_FALSE(fs::exists(work / "out"));
}

TEST_F(BesimMpi, AShorterDelayThanOneStepIsRefusedAcrossRanks) {
    test::write_file(work / "fast.toml", "preset = \"coba\"\n[[pathway]]\nsource = \"E\"\n"
                                         "target = \"*\"\np = 0.02\nweight = 0.6\n"
                                         "delay_ms = 0.04\n");
    auto r = test::run_command(mpirun(2) + besim() + " run " + (work / "fast.toml").string() +
                               " --duration-ms 5 --threads 1 --quiet --out " + out("out"));
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("connectivity[0].delay_ms: 0.04 ms is shorter than one step (dt_ms "
                            "0.1)"),
              std::string::npos)
        << r.output;
    EXPECT_FALSE(fs::exists(work / "out"));
}

// The cells of type B (the last quarter, rank 1's block of 2) carry fault = 1; the model fails
// once 1 ms has passed there, after a few exchanges. Every rank ends (no rank waits for rank 1),
// the error is printed once and nothing is written.
TEST_F(BesimMpi, AKernelErrorOnOneRankEndsEveryRank) {
    test::write_file(work / "mylab.cpp", R"(
// clang-format off
// @BE aging_step_f32 = aging_step<float> ret:float32 ret:float32 ret:bool arg:float32 arg:float32 arg:float32 attr.dt:float64
// clang-format on
template <typename T>
void aging_step(BE::Tensor& v, BE::Tensor& age, BE::Tensor& spikes, const BE::Tensor& in_e,
                const BE::Tensor& in_i, const BE::Tensor& fault, double dt) {
    for (int64_t i = 0; i < v.numel(); ++i) {
        T& a = age.data_ptr<T>()[i];
        a += static_cast<T>(dt);
        BE_CHECK(!(fault.data_ptr<T>()[i] > 0 && a > 1), "aging_step: a faulty neuron aged");
        T& x = v.data_ptr<T>()[i];
        x += static_cast<T>(dt * (1.0 + in_e.data_ptr<T>()[i] - in_i.data_ptr<T>()[i]));
        spikes.data_ptr<bool>()[i] = x >= 1;
        if (x >= 1) x = 0;
    }
}
)");
    test::write_file(work / "aging.toml",
                     "preset = \"coba-auryn\"\n[runtime]\nduration_ms = 20\n[column]\nn = 100\n"
                     "[cell_types]\nA = 0.75\nB = 0.25\n[emitter]\nmodel = \"custom\"\n"
                     "preset = \"mylab.aging_step\"\n[emitter.attrs]\n"
                     "[params.A]\nfault = 0\n[params.B]\nfault = 1\n[[pathway]]\nsource = \"A\"\n"
                     "target = \"*\"\np = 0.1\nweight = 0.5\ndelay_ms = 0.2\n");
    auto r = test::run_command("BECORE_KERNEL_PATH=" + (work / "mylab.cpp").string() + " " +
                               mpirun(2) + besim() + " run " + (work / "aging.toml").string() +
                               " --threads 1 --quiet --out " + out("out"));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    const std::string message = "aging_step: a faulty neuron aged";
    const size_t first = r.output.find(message);
    ASSERT_NE(first, std::string::npos) << r.output;
    EXPECT_EQ(r.output.find(message, first + 1), std::string::npos) << "reported twice\n"
                                                                    << r.output;
    EXPECT_NE(r.output.find("(rank 1 of 2)"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(work / "out"));
}

// A program of the user's, in its own MPI job: be::simulate(config, MPI_COMM_WORLD) on every rank
// (tests/mpi/simulate_on_comm.cpp) gives the Signals of one process.
TEST_F(BesimMpi, TheApiRunsOnACommunicator) {
    auto r = test::run_command(mpirun(3) + (test::bin_dir() / "becore_simulate_on_comm").string());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    for (int rank = 0; rank < 3; ++rank)
        EXPECT_NE(r.output.find("rank " + std::to_string(rank) + ": "), std::string::npos)
            << r.output;
    EXPECT_EQ(r.output.find("DIFFERENT"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("the same as one process"), std::string::npos) << r.output;
}

} // namespace
} // namespace be
