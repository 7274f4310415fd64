// kernelctl and CPU targets (docs/cache.md, "CPU targets"): --cpu-target on build, call and
// explain, BECORE_CPU_TARGET, and what `report` says about them.
#include "kernelctl_fixture.h"
#include "process_util.h"
#include "test_support.h"

#include <becore/runtime/cpu_target.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace be {
namespace {

const std::string k_accepted =
    "expected native, portable (= x86-64-v3), x86-64-v2, x86-64-v3 or x86-64-v4";

class KernelctlCpuTarget : public test::KernelctlFixture {
  protected:
    void SetUp() override { file_ = test::write_tiny_kernels(work.path(), 1).at(0).string(); }
    std::string file_;
};

TEST_F(KernelctlCpuTarget, HelpNamesTheOptionAndItsValues) {
    for (const char* cmd : {"build", "call", "explain"}) {
        auto r = run(std::string(cmd) + " --help");
        EXPECT_EQ(r.exit_code, 0) << cmd;
        EXPECT_NE(r.output.find("--cpu-target"), std::string::npos) << cmd << r.output;
        EXPECT_NE(r.output.find("portable (= x86-64-v3)"), std::string::npos) << cmd << r.output;
    }
}

TEST_F(KernelctlCpuTarget, BadValuesAreInvalidInvocations) {
    auto option = run("build --cpu-target haswell " + file_);
    EXPECT_EQ(option.exit_code, 2) << option.output;
    EXPECT_NE(option.output.find("--cpu-target haswell: " + k_accepted), std::string::npos)
        << option.output;
    auto env = run("build " + file_, "BECORE_CPU_TARGET=fast");
    EXPECT_EQ(env.exit_code, 2) << env.output;
    EXPECT_NE(env.output.find("BECORE_CPU_TARGET=fast: " + k_accepted), std::string::npos)
        << env.output;
    EXPECT_EQ(run("call " + file_ + " k0 --ret 1:float32 --out " + (work / "o").string() +
                  " --cpu-target v3")
                  .exit_code,
              2);
    EXPECT_EQ(run("explain --cpu-target x86_64 " + file_).exit_code, 2);
    EXPECT_TRUE(run_json("ls --json").empty()); // nothing was compiled
}

TEST_F(KernelctlCpuTarget, APortableBuildServesNativeBuildsCallsAndExplain) {
    if (!host_runs_cpu_target("x86-64-v3")) GTEST_SKIP() << "this CPU does not run x86-64-v3";
    auto built = run_json("build --json --cpu-target portable " + file_);
    EXPECT_EQ(built.at(0)["status"], "compiled");
    auto entries = run_json("ls --json");
    ASSERT_EQ(entries.size(), 1u);
    const std::string target = entries[0]["target"];
    EXPECT_EQ(target.substr(target.find(';')), ";x86-64-v3");

    auto explained = run_json("explain --json " + file_, 0, "BECORE_CPU_TARGET=native");
    EXPECT_EQ(explained["status"], "hit");
    EXPECT_EQ(explained["key"], entries[0]["key"]);
    auto tried = explained["tried_targets"];
    ASSERT_GE(tried.size(), 2u);
    EXPECT_EQ(tried[0], cpu_target_description());
    EXPECT_EQ(tried.back(), target);

    auto again = run_json("build --json " + file_);
    EXPECT_EQ(again.at(0)["status"], "hit");
    auto called =
        run_json("call --json " + file_ + " k0 --ret 1:float32 --out " + (work / "o").string());
    EXPECT_EQ(called["outputs"][0]["head"], "0");
    EXPECT_EQ(run_json("ls --json").size(), 1u); // still the portable entry alone
    auto stats = run_json("stats --json");
    EXPECT_EQ(stats["compiles"], 1);
    EXPECT_EQ(stats["misses"], 1); // the portable build's; the fallback hits are hits
    EXPECT_EQ(stats["hits"], 2);
}

TEST_F(KernelctlCpuTarget, ExplainOfALevelLooksAtThatLevelOnly) {
    auto built = run_json("build --json " + file_); // native
    EXPECT_EQ(built.at(0)["status"], "compiled");
    auto explained = run_json("explain --json --cpu-target x86-64-v2 " + file_);
    EXPECT_EQ(explained["status"], "miss");
    EXPECT_EQ(explained["tried_targets"].size(), 1u);
    bool target_differs = false;
    for (const auto& d : explained["nearest"]["differences"])
        target_differs |= d["field"] == "target";
    EXPECT_TRUE(target_differs) << explained.dump(2);
}

TEST_F(KernelctlCpuTarget, ReportShowsTheSettingAndTheLevelsThisCpuRuns) {
    auto report = run_json("report --json", 0, "BECORE_CPU_TARGET=portable");
    EXPECT_EQ(report["cpu_target"], "x86-64-v3");
    EXPECT_EQ(report["cpu_levels"].get<std::vector<std::string>>(), host_cpu_levels());
    auto bad = run_json("report --json", 0, "BECORE_CPU_TARGET=zen");
    EXPECT_TRUE(bad["cpu_target"].is_null());
    EXPECT_EQ(bad["cpu_target_error"], "BECORE_CPU_TARGET=zen: " + k_accepted);
    auto text = run("report", "BECORE_CPU_TARGET=native");
    EXPECT_NE(text.output.find("cpu target: native; levels this CPU runs: "), std::string::npos)
        << text.output;
}

} // namespace
} // namespace be
