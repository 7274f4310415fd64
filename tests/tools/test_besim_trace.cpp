// `besim trace` as a user runs it: the Signals files read back and held against the library's
// trace_to_signals, --json, the output directory rules (new or empty, or --force; nothing left
// half-written, no staging directory left behind) and the exit codes (2 for invalid input).
#include "process_util.h"
#include "test_support.h"

#include <becore/frontends/trace_bridge.h>
#include <becore/runtime/npy.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>

namespace be {
namespace {

namespace fs = std::filesystem;

class BesimTrace : public ::testing::Test {
  protected:
    test::TempDir work;

    void SetUp() override {
        // [N = 3, T = 40] (unit_by_time): oscillations through 0 mV.
        trace = HostArray::create(DType::float32, {3, 40}).value();
        for (int64_t i = 0; i < 3; ++i)
            for (int64_t k = 0; k < 40; ++k)
                trace.data_as<float>()[i * 40 + k] =
                    static_cast<float>(-50.0 + 60.0 * std::sin(0.4 * k + i));
        ASSERT_TRUE(write_npy(work / "trace.npy", trace.view()));
    }

    test::CommandResult run(const std::string& arguments) {
        return test::run_command((test::bin_dir() / "besim").string() + " " + arguments);
    }
    std::string args(const std::string& extra) {
        return "trace " + (work / "trace.npy").string() + " --dt-ms 0.25 --layout unit_by_time " +
               "--out " + (work / "out").string() + " " + extra;
    }
    HostArray load(const std::string& name) {
        auto a = read_npy(work / "out" / name);
        EXPECT_TRUE(a) << a.error().full();
        return a ? std::move(*a) : HostArray{};
    }
    // Entries of the work directory other than the input: staging directories must not remain.
    std::vector<std::string> leftovers() {
        std::vector<std::string> names;
        for (const auto& e : fs::directory_iterator(work.path()))
            if (e.path().filename() != "trace.npy" && e.path().filename() != "out")
                names.push_back(e.path().filename().string());
        return names;
    }

    HostArray trace;
};

bool same_bits(const HostArray& a, const HostArray& b) {
    return a.shape() == b.shape() && a.dtype() == b.dtype() &&
           std::memcmp(a.data(), b.data(), static_cast<size_t>(a.nbytes())) == 0;
}

TEST_F(BesimTrace, WritesTheSignalsFilesOfTheTraceBridge) {
    auto r = test::run_command("{ " + (test::bin_dir() / "besim").string() + " " +
                               args("--threshold -10 --contacts 8 --json") + " 2>/dev/null; }");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto summary = nlohmann::json::parse(r.output);
    EXPECT_EQ(summary["command"], "trace");
    EXPECT_EQ(summary["files"].size(), 6u);
    EXPECT_EQ(summary["n_units"], 3);
    EXPECT_EQ(summary["n_samples"], 40);

    auto want = trace_to_signals(trace, {.dt_ms = 0.25,
                                         .layout = TraceLayout::unit_by_time,
                                         .threshold_mv = -10,
                                         .readouts = {.contacts = 8}});
    ASSERT_FALSE(want.spike_ids.empty());
    EXPECT_EQ(summary["n_spikes"], want.spike_ids.size());
    auto t = load("spikes_t_ms.npy"), i = load("spikes_i.npy");
    EXPECT_EQ(t.dtype(), DType::float64);
    EXPECT_EQ(i.dtype(), DType::int32);
    ASSERT_EQ(t.numel(), static_cast<int64_t>(want.spike_times_ms.size()));
    ASSERT_EQ(i.numel(), static_cast<int64_t>(want.spike_ids.size()));
    EXPECT_EQ(std::memcmp(t.data(), want.spike_times_ms.data(), t.nbytes()), 0);
    EXPECT_EQ(std::memcmp(i.data(), want.spike_ids.data(), i.nbytes()), 0);
    EXPECT_TRUE(same_bits(load("v_m.npy"), want.v_m));
    EXPECT_TRUE(same_bits(load("lfp_proxy.npy"), want.lfp_proxy));
    EXPECT_TRUE(same_bits(load("csd_proxy.npy"), want.csd_proxy));
    EXPECT_EQ(load("lfp_proxy.npy").shape(), (std::vector<int64_t>{40, 8}));
    auto meta = nlohmann::json::parse(test::read_file(work / "out" / "metadata.json"));
    EXPECT_EQ(meta["model_status"], "computational_scaffold");
    EXPECT_EQ(meta["amplitude_status"], false);
    EXPECT_EQ(meta["layout"], "unit_by_time");
    EXPECT_EQ(meta["threshold_mv"], -10.0);
    EXPECT_EQ(meta["contacts"], 8);
    EXPECT_TRUE(leftovers().empty());
}

TEST_F(BesimTrace, RefusesANonEmptyOutWithoutForceAndReplacesItWithForce) {
    fs::create_directories(work / "out");
    ASSERT_EQ(run(args("")).exit_code, 0) << "an empty directory is fine";
    EXPECT_TRUE(fs::exists(work / "out" / "metadata.json"));

    test::write_file(work / "out" / "mine.txt", "keep me");
    auto refused = run(args(""));
    EXPECT_EQ(refused.exit_code, 2) << refused.output;
    EXPECT_NE(refused.output.find("not empty"), std::string::npos) << refused.output;
    EXPECT_NE(refused.output.find("--force"), std::string::npos) << refused.output;
    EXPECT_EQ(test::read_file(work / "out" / "mine.txt"), "keep me");

    auto forced = run(args("--force --threshold 5"));
    ASSERT_EQ(forced.exit_code, 0) << forced.output;
    EXPECT_FALSE(fs::exists(work / "out" / "mine.txt"));
    auto meta = nlohmann::json::parse(test::read_file(work / "out" / "metadata.json"));
    EXPECT_EQ(meta["threshold_mv"], 5.0);
    EXPECT_TRUE(leftovers().empty());

    // --out naming a file is invalid too, and nested new directories are created.
    test::write_file(work / "file", "");
    EXPECT_EQ(run("trace " + (work / "trace.npy").string() +
                  " --dt-ms 1 --layout unit_by_time --out " + (work / "file").string())
                  .exit_code,
              2);
    fs::remove(work / "file");
    EXPECT_EQ(run("trace " + (work / "trace.npy").string() +
                  " --dt-ms 1 --layout unit_by_time --out " + (work / "a" / "b").string())
                  .exit_code,
              0);
    EXPECT_TRUE(fs::exists(work / "a" / "b" / "v_m.npy"));
}

TEST_F(BesimTrace, InvalidInputsExitTwoAndWriteNothing) {
    auto bad_layout = run(args("").replace(args("").find("unit_by_time"), 12, "rows_by_cols"));
    EXPECT_EQ(bad_layout.exit_code, 2);
    EXPECT_NE(bad_layout.output.find("'rows_by_cols'"), std::string::npos) << bad_layout.output;

    auto missing = run("trace " + (work / "nope.npy").string() +
                       " --dt-ms 1 --layout time_by_unit --out " + (work / "out").string());
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.output.find("nope.npy"), std::string::npos) << missing.output;

    auto dt = run(args("").replace(args("").find("--dt-ms 0.25"), 12, "--dt-ms 0"));
    EXPECT_EQ(dt.exit_code, 2);
    EXPECT_NE(dt.output.find("dt_ms"), std::string::npos) << dt.output;

    auto nan = HostArray::create(DType::float64, {4, 2}).value();
    nan.data_as<double>()[5] = NAN;
    ASSERT_TRUE(write_npy(work / "nan.npy", nan.view()));
    auto with_nan = run("trace " + (work / "nan.npy").string() +
                        " --dt-ms 1 --layout time_by_unit --out " + (work / "out").string());
    EXPECT_EQ(with_nan.exit_code, 2);
    EXPECT_NE(with_nan.output.find("trace[2, 1] is nan"), std::string::npos) << with_nan.output;

    auto flat = HostArray::create(DType::float64, {8}).value();
    ASSERT_TRUE(write_npy(work / "flat.npy", flat.view()));
    auto one_d = run("trace " + (work / "flat.npy").string() +
                     " --dt-ms 1 --layout time_by_unit --out " + (work / "out").string());
    EXPECT_EQ(one_d.exit_code, 2);
    EXPECT_NE(one_d.output.find("2-D"), std::string::npos) << one_d.output;

    test::write_file(work / "garbage.npy", "not an npy file");
    EXPECT_EQ(run("trace " + (work / "garbage.npy").string() +
                  " --dt-ms 1 --layout time_by_unit --out " + (work / "out").string())
                  .exit_code,
              2);
    EXPECT_EQ(run(args("--contacts 2")).exit_code, 2);
    EXPECT_EQ(run("trace " + (work / "trace.npy").string() + " --dt-ms 1 --layout time_by_unit")
                  .exit_code,
              2); // no --out

    EXPECT_FALSE(fs::exists(work / "out"));
    for (const auto& e : fs::directory_iterator(work.path()))
        EXPECT_EQ(e.path().filename().string().rfind(".out", 0), std::string::npos) << e.path();
}

// A write that fails half-way (a full file system: a 64 KiB tmpfs in a private mount namespace,
// and a trace whose v_m alone is 200 KB) exits 1 and leaves --out as it was: absent when it was
// new, its old content when --force would have replaced it; no staging directory remains.
TEST_F(BesimTrace, AFailedWriteLeavesNothingHalfWritten) {
    if (auto why = test::mount_namespace_unavailable()) GTEST_SKIP() << *why;
    auto big = HostArray::create(DType::float64, {1000, 25}).value();
    ASSERT_TRUE(write_npy(work / "big.npy", big.view()));
    const std::string full = (work / "full").string();
    const std::string trace =
        "trace " + (work / "big.npy").string() + " --dt-ms 1 --layout time_by_unit --out ";
    const std::string besim = (test::bin_dir() / "besim").string();
    auto r = test::run_command("unshare -m sh -c '"
                               "mkdir -p " +
                               full + " && mount -t tmpfs -o size=64k tmpfs " + full +
                               " && "
                               "mkdir " +
                               full + "/old && echo keep > " + full +
                               "/old/mine.txt && "
                               "{ " +
                               besim + " " + trace + full +
                               "/new; echo new-rc=$?; } && "
                               "{ " +
                               besim + " " + trace + full +
                               "/old --force; echo old-rc=$?; } && "
                               "echo listing: $(ls -A " +
                               full + ") / $(ls -A " + full +
                               "/old) / "
                               "$(cat " +
                               full + "/old/mine.txt)' 2>&1");
    EXPECT_NE(r.output.find("new-rc=1"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("old-rc=1"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("listing: old / mine.txt / keep"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("No space left"), std::string::npos) << r.output;
}

TEST_F(BesimTrace, HelpNamesTheOptions) {
    auto help = run("trace --help");
    EXPECT_EQ(help.exit_code, 0);
    for (const char* option : {"--dt-ms", "--layout", "--threshold", "--contacts", "--force"})
        EXPECT_NE(help.output.find(option), std::string::npos) << option;
}

} // namespace
} // namespace be
