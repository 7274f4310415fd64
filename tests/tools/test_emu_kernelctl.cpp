// kernelctl with the CUDA emulation: `call --device cuda-emu FILE.cu NAME` runs a .cu kernel on
// the CPU, `build --device cuda-emu` compiles (and caches) the emulation ahead of the first call,
// and `report` lists the device. Every test has its own cache directory.
#include "kernelctl_fixture.h"

#include <becore/runtime/array.h>
#include <becore/runtime/npy.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <set>

namespace be {
namespace {

const std::filesystem::path k_examples = BECORE_EXAMPLES_DIR;

using EmuKernelctlTest = test::KernelctlFixture;

TEST_F(EmuKernelctlTest, CallRunsACuKernelInTheEmulation) {
    auto matrix = HostArray::create(DType::float64, {3, 700}).value();
    for (int i = 0; i < 3 * 700; ++i)
        matrix.data_as<double>()[i] = std::sin(0.01 * i);
    ASSERT_TRUE(write_npy(work / "m.npy", matrix.view()));
    auto out = run_json("call --device cuda-emu --json " +
                        (k_examples / "parallel_sum.cu").string() + " row_sum --arg " +
                        (work / "m.npy").string() + " --ret 3:float64 --out " +
                        (work / "out").string());
    EXPECT_EQ(out["target"], "parallel_sum.row_sum");
    auto sums = read_npy(work / "out" / "ret0.npy");
    ASSERT_TRUE(sums) << sums.error().full();
    for (int r = 0; r < 3; ++r) {
        double expected = 0;
        for (int c = 0; c < 700; ++c)
            expected += matrix.data_as<double>()[r * 700 + c];
        EXPECT_NEAR(sums->data_as<double>()[r], expected, 1e-12 * 700) << r;
    }

    // An attr sets the number of threads; rets start zero-filled.
    auto text = run("call --device cuda-emu " + (k_examples / "rows.cu").string() +
                    " iota --attr count=5 --attr start=1.5 --ret 8:float32 --out " +
                    (work / "iota").string());
    ASSERT_EQ(text.exit_code, 0) << text.output;
    EXPECT_NE(text.output.find("rows.iota: "), std::string::npos) << text.output;
    auto iota = read_npy(work / "iota" / "ret0.npy");
    ASSERT_TRUE(iota);
    for (int i = 0; i < 8; ++i)
        EXPECT_EQ(iota->data_as<float>()[i], i < 5 ? 1.5f + float(i) : 0.0f) << i;
}

TEST_F(EmuKernelctlTest, BuildWarmsTheEmulationAndCallsHitTheCache) {
    // .cpp files build as usual; .cu files build their emulation, not NVRTC's binary.
    auto first = run_json("build --json --device cuda-emu " + k_examples.string());
    ASSERT_EQ(first.size(), 12u);
    int emu_rows = 0;
    for (const auto& row : first) {
        EXPECT_EQ(row["status"], "compiled") << row.dump();
        const bool cu = row["file"].get<std::string>().ends_with(".cu");
        EXPECT_EQ(row["backend"], cu ? "cuda-emu" : "cpu") << row.dump();
        EXPECT_TRUE(row["arch"].is_null()) << row.dump();
        emu_rows += cu;
    }
    EXPECT_EQ(emu_rows, 6);
    auto second = run_json("build --json --device cuda-emu --prefix ex " + k_examples.string());
    ASSERT_EQ(second.size(), 12u);
    for (const auto& row : second)
        EXPECT_EQ(row["status"], "hit") << row.dump();
    std::set<std::string> backends;
    for (const auto& entry : run_json("ls --json"))
        backends.insert(entry["backend"].get<std::string>());
    EXPECT_EQ(backends, (std::set<std::string>{"cpu", "cuda-emu"}));

    const auto compiles = run_json("stats --json")["compiles"].get<uint64_t>();
    auto x = HostArray::create(DType::float32, {4}).value();
    for (int i = 0; i < 4; ++i)
        x.data_as<float>()[i] = float(i) + 0.25f;
    ASSERT_TRUE(write_npy(work / "x.npy", x.view()));
    auto call = run("call --device cuda-emu " + (k_examples / "scale.cu").string() +
               " scale_f32 --arg " + (work / "x.npy").string() +
               " --attr alpha=2 --ret 4:float32 --out " + (work / "out").string());
    ASSERT_EQ(call.exit_code, 0) << call.output;
    auto y = read_npy(work / "out" / "ret0.npy");
    ASSERT_TRUE(y);
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(y->data_as<float>()[i], 2 * (float(i) + 0.25f)) << i;
    EXPECT_EQ(run_json("stats --json")["compiles"].get<uint64_t>(), compiles);
}

TEST_F(EmuKernelctlTest, KernelErrorsExitOneNamingBlockAndThread) {
    test::write_file(work / "bad.cu", R"(// @BE oob launch(threads=y.numel(), block=32)
__global__ void oob(BE::Tensor y) {
    y.at<float>(blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x + 2) = 1.0f;
}
)");
    auto r = run("call --device cuda-emu " + (work / "bad.cu").string() +
                 " oob --ret 40:float32 --out " + (work / "out").string());
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("call(bad.oob): emulate_launch(bad.oob): block (1,0,0) thread (6,0,0): "
                            "at(i): i = 40 is out of bounds for 40 elements"),
              std::string::npos)
        << r.output;
}

TEST_F(EmuKernelctlTest, UnsupportedConstructsFailTheBuildAndTheCall) {
    test::write_file(work / "ptx.cu", R"(// @BE fence launch(threads=1)
__global__ void fence(BE::Tensor y) { asm volatile("membar.gl;"); }
)");
    auto build = run("build --device cuda-emu " + (work / "ptx.cu").string());
    EXPECT_EQ(build.exit_code, 1) << build.output;
    EXPECT_NE(build.output.find("ptx.cu:2): asm is not supported in CUDA emulation (inline PTX)"),
              std::string::npos)
        << build.output;
    EXPECT_NE(build.output.find("failed"), std::string::npos) << build.output;
    auto call = run("call --device cuda-emu " + (work / "ptx.cu").string() +
                    " fence --ret 1:float32 --out " + (work / "out").string());
    EXPECT_EQ(call.exit_code, 1) << call.output;
    EXPECT_NE(call.output.find("asm is not supported in CUDA emulation"), std::string::npos)
        << call.output;
}

TEST_F(EmuKernelctlTest, DevicesOnTheCommandLine) {
    EXPECT_EQ(run("build --device cpu " + (k_examples / "rows.cu").string()).exit_code, 2);
    EXPECT_EQ(run("build --device tpu " + (k_examples / "rows.cu").string()).exit_code, 2);
    EXPECT_EQ(run("call --device tpu " + (k_examples / "rows.cu").string() +
                  " iota --attr count=1 --attr start=0 --ret 1:float32 --out " +
                  (work / "out").string())
                  .exit_code,
              2);
    // A .cpp target has no cuda-emu implementation: a clean failure, not a crash.
    auto cpp = run("call --device cuda-emu " + (k_examples / "rows.cpp").string() +
                   " iota --attr count=1 --attr start=0 --ret 1:float32 --out " +
                   (work / "out").string());
    EXPECT_EQ(cpp.exit_code, 1) << cpp.output;
    EXPECT_NE(cpp.output.find("the tensors are on cuda-emu, but the target has implementations "
                              "for cpu"),
              std::string::npos)
        << cpp.output;
    auto report = run_json("report --json");
    auto devices = report["devices"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(devices.begin(), devices.end(), "cuda-emu"), devices.end());
}

} // namespace
} // namespace be
