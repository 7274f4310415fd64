// kernelctl as a user runs it: subcommands, JSON shapes, exit codes (0 ok, 1 work failed,
// 2 invalid invocation or input). Every test has its own cache directory.
#include "kernelctl_fixture.h"

#include <becore/runtime/array.h>
#include <becore/runtime/npy.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

namespace be {
namespace {

const std::filesystem::path k_examples = BECORE_EXAMPLES_DIR;

using KernelctlTest = test::KernelctlFixture;

TEST_F(KernelctlTest, HelpEverywhereAndUsageErrorsExitTwo) {
    for (const char* cmd : {"--help", "path --help", "targets --help", "build --help",
                            "call --help", "ls --help", "clear --help", "report --help"}) {
        auto r = run(cmd);
        EXPECT_EQ(r.exit_code, 0) << cmd << ": " << r.output;
        EXPECT_NE(r.output.find("Usage"), std::string::npos) << cmd;
    }
    EXPECT_EQ(run("").exit_code, 2);
    EXPECT_EQ(run("frobnicate").exit_code, 2);
    EXPECT_EQ(run("build").exit_code, 2);
    EXPECT_EQ(run("build /no/such/file.cpp").exit_code, 2);
    EXPECT_EQ(run("targets /no/such/file.cpp").exit_code, 2);
}

TEST_F(KernelctlTest, PathIsTheVersionedCacheDirectory) {
    auto r = run("path");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.output, (cache.path() / "v1").string() + "\n");
}

TEST_F(KernelctlTest, TargetsJsonDescribesEveryParameter) {
    auto out = run_json("targets --json " + (k_examples / "scale.cpp").string());
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0]["name"], "scale.scale_f32");
    EXPECT_EQ(out[0]["line"], 4);
    EXPECT_TRUE(out[0]["launch"].is_null());
    ASSERT_EQ(out[0]["params"].size(), 3u);
    EXPECT_EQ(out[0]["params"][0]["kind"], "arg");
    EXPECT_EQ(out[0]["params"][0]["dtype"], "float32");
    EXPECT_EQ(out[0]["params"][2]["kind"], "attr");
    EXPECT_EQ(out[0]["params"][2]["name"], "alpha");
    EXPECT_EQ(out[0]["params"][2]["dtype"], "float64");
    EXPECT_EQ(out[2]["name"], "scale.axpy");
    EXPECT_EQ(out[2]["params"][1]["kind"], "ret");
    EXPECT_EQ(out[2]["params"][2]["dtype"], "float32");
}

TEST_F(KernelctlTest, MalformedAnnotationIsInvalidInput) {
    test::write_file(work / "bad.cpp", "// @BE f arg bogus\nvoid f(const BE::Tensor& a, BE::Tensor& b) {}\n");
    auto r = run("targets " + (work / "bad.cpp").string());
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("bad.cpp:1"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("bogus"), std::string::npos) << r.output;
}

TEST_F(KernelctlTest, BuildReportsCompiledThenHit) {
    // The examples hold 6 CPU targets and 6 CUDA ones; --arch lets the .cu files compile offline.
    auto first = run_json("build --json --arch sm_90 " + k_examples.string());
    ASSERT_EQ(first.size(), 12u);
    int cuda_rows = 0;
    for (const auto& row : first) {
        EXPECT_EQ(row["status"], "compiled") << row.dump();
        EXPECT_TRUE(row["ms"].is_number());
        EXPECT_EQ(row["target"].get<std::string>().rfind("kernels.", 0), 0u) << row.dump();
        if (row["backend"] != "cuda") continue;
        ++cuda_rows;
        // NVRTC's own phase times (its -time table); no prelude on this path.
        ASSERT_TRUE(row.contains("phases")) << row.dump();
        const auto& phases = row["phases"];
        EXPECT_EQ(phases["prelude"], "none");
        const double nvrtc = phases["frontend_ms"].get<double>() +
                             phases["optimise_ms"].get<double>() + phases["emit_ms"].get<double>();
        EXPECT_GT(nvrtc, 0) << row.dump();
        EXPECT_LE(nvrtc, row["ms"].get<double>()) << row.dump();
    }
    EXPECT_EQ(cuda_rows, 6);
    // A fresh process finds everything; the prefix only names targets, it is not in the key.
    auto second = run_json("build --json --arch sm_90 --prefix ex " + k_examples.string());
    ASSERT_EQ(second.size(), 12u);
    for (const auto& row : second) {
        EXPECT_EQ(row["status"], "hit") << row.dump();
        EXPECT_FALSE(row.contains("phases")) << row.dump(); // a hit compiles nothing
        EXPECT_EQ(row["target"].get<std::string>().rfind("ex.", 0), 0u) << row.dump();
    }
    auto listed = run_json("ls --json");
    EXPECT_EQ(listed.size(), 6u);
    std::set<std::string> backends;
    for (const auto& entry : listed)
        backends.insert(entry["backend"].get<std::string>());
    EXPECT_EQ(backends, (std::set<std::string>{"cpu", "cuda"}));
}

TEST_F(KernelctlTest, TargetsListsCudaKernelsWithTheirLaunchClause) {
    auto out = run_json("targets --json " + (k_examples / "rows.cu").string());
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0]["name"], "rows.clamp_rows");
    EXPECT_EQ(out[0]["backend"], "cuda");
    EXPECT_EQ(out[0]["device"], "cuda");
    EXPECT_EQ(out[0]["launch"], "blocks=m.size(0), block=128");
    EXPECT_EQ(out[1]["launch"], "threads=count");
    auto text = run("targets " + (k_examples / "rows.cu").string());
    EXPECT_NE(text.output.find("rows.iota(ret out, attr count:int64, attr start:float32) "
                               "launch(threads=count)  [cuda]"),
              std::string::npos)
        << text.output;
    auto bad = run("targets " + (work / "bad.cu").string());
    EXPECT_EQ(bad.exit_code, 2);
    test::write_file(work / "bad.cu", "// @BE k launch(threads=z)\n__global__ void k(BE::Tensor o) {}\n");
    bad = run("targets " + (work / "bad.cu").string());
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.output.find("bad.cu:1): malformed launch clause 'launch(threads=z)'"),
              std::string::npos)
        << bad.output;
}

TEST_F(KernelctlTest, ReportSaysWhetherThereIsACudaDevice) {
    auto out = run_json("report --json");
    EXPECT_EQ(out["devices"][0], "cpu");
    EXPECT_TRUE(out["cuda"].contains("available"));
    EXPECT_TRUE(out["cuda"].contains("reason"));
    EXPECT_EQ(out["cache"]["directory"], (cache.path() / "v1").string());
    auto text = run("report");
    EXPECT_EQ(text.exit_code, 0);
    EXPECT_NE(text.output.find("devices: cpu"), std::string::npos) << text.output;
}

TEST_F(KernelctlTest, BuildOfABrokenFileFailsWithExitOne) {
    test::write_file(work / "broken.cpp", "// @BE f\nvoid f(BE::Tensor& o) { nope(); }\n");
    auto r = run("build " + (work / "broken.cpp").string());
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find("broken.cpp:2"), std::string::npos) << r.output;
}

TEST_F(KernelctlTest, CallWritesZeroStartedRetsAsNpy) {
    auto x = HostArray::create(DType::float32, {2, 3}).value();
    for (int i = 0; i < 6; ++i) x.data_as<float>()[i] = static_cast<float>(i) - 1.0f;
    ASSERT_TRUE(write_npy(work / "x.npy", x.view()));
    auto out = run_json("call " + (k_examples / "scale.cpp").string() + " axpy --arg " +
                        (work / "x.npy").string() + " --attr a=3 --ret 2x3:float32 --out " +
                        (work / "out/nested").string() + " --json");
    EXPECT_EQ(out["target"], "scale.axpy");
    auto y = read_npy(work / "out/nested/ret0.npy");
    ASSERT_TRUE(y) << y.error().full();
    EXPECT_EQ(y->shape(), (std::vector<int64_t>{2, 3}));
    // axpy accumulates into y, so a zero-filled ret gives exactly a * x.
    for (int i = 0; i < 6; ++i) EXPECT_EQ(y->data_as<float>()[i], 3.0f * (static_cast<float>(i) - 1.0f));
}

TEST_F(KernelctlTest, CallErrorsHaveMeaningfulExitCodes) {
    auto x = HostArray::create(DType::float32, {4}).value();
    ASSERT_TRUE(write_npy(work / "x.npy", x.view()));
    const std::string base = "call " + (k_examples / "scale.cpp").string() + " ";
    const std::string out = " --out " + (work / "o").string();
    // Invalid invocations and inputs: exit 2.
    EXPECT_EQ(run(base + "axpy --arg " + (work / "missing.npy").string() + " --attr a=1 --ret 4:float32" + out).exit_code, 2);
    EXPECT_EQ(run(base + "axpy --arg " + (work / "x.npy").string() + " --attr a=zz --ret 4:float32" + out).exit_code, 2);
    EXPECT_EQ(run(base + "axpy --arg " + (work / "x.npy").string() + " --attr b=1 --ret 4:float32" + out).exit_code, 2);
    EXPECT_EQ(run(base + "axpy --arg " + (work / "x.npy").string() + " --attr a=1 --ret 4:float99" + out).exit_code, 2);
    EXPECT_EQ(run(base + "axpy --arg " + (work / "x.npy").string() + " --attr a=1 --ret 4xq:float32" + out).exit_code, 2);
    EXPECT_EQ(run(base + "nothere --ret 4:float32" + out).exit_code, 2);
    // The kernel refuses the shapes (BE_CHECK): the work failed, exit 1.
    auto r = run(base + "axpy --arg " + (work / "x.npy").string() + " --attr a=1 --ret 5:float32" + out);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("same number of elements"), std::string::npos) << r.output;
}

TEST_F(KernelctlTest, ClearDryRunKeepsEntriesClearRemovesThem) {
    run_json("build --json " + (k_examples / "scale.cpp").string());
    auto dry = run("clear --dry-run");
    EXPECT_EQ(dry.exit_code, 0);
    EXPECT_NE(dry.output.find("would free"), std::string::npos);
    EXPECT_EQ(run_json("ls --json").size(), 1u);
    EXPECT_EQ(run("clear").exit_code, 0);
    EXPECT_EQ(run_json("ls --json").size(), 0u);
    auto rebuilt = run_json("build --json " + (k_examples / "scale.cpp").string());
    EXPECT_EQ(rebuilt[0]["status"], "compiled");
}

} // namespace
} // namespace be
