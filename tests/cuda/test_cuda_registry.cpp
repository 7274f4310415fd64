// CUDA targets in the registry, against the fake driver: CPU/CUDA twins form one target and a
// call runs the implementation of its tensors' device; device mismatches and missing devices are
// clear errors; host `.cpp` orchestration launches `.cu` kernels through BE::cuda_launch; NVRTC
// errors point at the user's file and line.
#include "cuda_test_util.h"

#include <becore/cache/kernel_cache.h>
#include <becore/registry/registry.h>
#include <becore/runtime/array.h>
#include <becore/runtime/cuda_backend.h>

#include <gtest/gtest.h>

namespace be {
namespace {

using test::k_examples;
using Dims = std::vector<unsigned>;

class CudaRegistryTest : public ::testing::Test {
  protected:
    test::TempDir cache_dir, src;
    Registry registry{KernelCache::open(cache_dir.path())};
    test::FakeLog log;

    static void expect_error(const Result<void>& r, const std::string& fragment) {
        ASSERT_FALSE(r.ok()) << "expected an error containing: " << fragment;
        EXPECT_NE(r.error().message.find(fragment), std::string::npos) << r.error().message;
    }
};

TEST_F(CudaRegistryTest, TwinsFormOneTargetAndDispatchOnTheTensorsDevice) {
    ASSERT_TRUE(registry.load_cpp_file(k_examples / "scale.cpp"));
    ASSERT_TRUE(registry.load_cuda_file(k_examples / "scale.cu"));
    auto target = registry.find("scale.axpy");
    ASSERT_TRUE(target);
    // A .cu file also serves cuda-emu, through its CUDA emulation (compiled on first use).
    EXPECT_EQ(target->devices(),
              (std::vector<Device>{Device::cpu, Device::cuda, Device::cuda_emu}));
    EXPECT_EQ(target->backend(Device::cpu), "cpu");
    EXPECT_EQ(target->backend(Device::cuda), "cuda");
    EXPECT_EQ(target->backend(Device::cuda_emu), "cuda-emu");
    EXPECT_FALSE(target->load_error());

    // Host tensors: the CPU twin runs (and computes); nothing is launched.
    auto x = HostArray::create(DType::float32, {4}).value();
    auto y = HostArray::create(DType::float32, {4}).value();
    for (int i = 0; i < 4; ++i)
        x.data_as<float>()[i] = float(i);
    BE::Tensor args[] = {x.view()}, rets[] = {y.view()};
    log.clear();
    ASSERT_TRUE(registry.call("scale.axpy", args, rets, {{"a", 2.0}}));
    EXPECT_FLOAT_EQ(y.data_as<float>()[3], 6.0f);
    EXPECT_TRUE(log.calls("cuLaunchKernel").empty());

    // Device tensors: the CUDA twin is launched.
    auto dx = DeviceArray::from_host(x).value();
    auto dy = DeviceArray::create(DType::float32, {4}).value();
    BE::Tensor dargs[] = {dx.view()}, drets[] = {dy.view()};
    ASSERT_TRUE(registry.call("scale.axpy", dargs, drets, {{"a", 2.0}}));
    auto launches = log.calls("cuLaunchKernel");
    ASSERT_EQ(launches.size(), 1u);
    EXPECT_EQ(launches[0]["function"], "_Z4axpyN2BE6TensorES0_f");

    // Mixed devices are refused before anything runs.
    BE::Tensor mixed_rets[] = {dy.view()};
    expect_error(registry.call("scale.axpy", args, mixed_rets, {{"a", 2.0}}),
                 "call(scale.axpy): ret 0 ('y') is on device cuda:0 but arg 0 ('x') is on "
                 "device cpu (all tensors of a call must be on one device)");
    EXPECT_EQ(log.calls("cuLaunchKernel").size(), 1u);
}

TEST_F(CudaRegistryTest, ADeviceTheTargetLacksIsAClearError) {
    ASSERT_TRUE(registry.load_cuda_file(k_examples / "rows.cu"));
    auto m = HostArray::create(DType::float32, {2, 2}).value();
    BE::Tensor rets[] = {m.view()};
    expect_error(registry.call("rows.clamp_rows", {}, rets, {{"limit", 1.0}}),
                 "call(rows.clamp_rows): the tensors are on cpu, but the target has "
                 "implementations for cuda (");
    ASSERT_TRUE(registry.load_cpp_file(k_examples / "parallel_sum.cpp"));
    auto dm = DeviceArray::create(DType::float64, {2, 2}).value();
    auto ds = DeviceArray::create(DType::float64, {2}).value();
    BE::Tensor dargs[] = {dm.view()}, drets[] = {ds.view()};
    expect_error(registry.call("parallel_sum.row_sum", dargs, drets),
                 "the tensors are on cuda, but the target has implementations for cpu");
    BE::Tensor emu = ds.view();
    emu.device_ = BE::Device::cuda_emu;
    BE::Tensor emu_rets[] = {emu};
    BE::Tensor emu_args[] = {[&] {
        BE::Tensor t = dm.view();
        t.device_ = BE::Device::cuda_emu;
        return t;
    }()};
    expect_error(registry.call("parallel_sum.row_sum", emu_args, emu_rets),
                 "the tensors are on cuda-emu");
}

TEST_F(CudaRegistryTest, TwinsMustAgreeOnTheirSignatures) {
    test::write_file(src / "k.cpp", "// @BE k arg:float32 ret\nvoid k(const BE::Tensor& x, "
                                    "BE::Tensor& y) {}\n");
    test::write_file(src / "k.cu", "// @BE k arg:float64 ret launch(threads=1)\n"
                                   "__global__ void k(const BE::Tensor x, BE::Tensor y) {}\n");
    ASSERT_TRUE(registry.load_cpp_file(src / "k.cpp"));
    auto r = registry.load_cuda_file(src / "k.cu");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("target 'k.k' is also defined for cpu by " +
                                     (src / "k.cpp").string() + ":1 with another signature " +
                                     "(arg x:float32, ret y) vs (arg x:float64, ret y)"),
              std::string::npos)
        << r.error().message;
    // Attr names must agree too: callers pass attrs by name.
    test::write_file(src / "a.cpp", "// @BE a\nvoid a(BE::Tensor& y, float alpha) {}\n");
    test::write_file(src / "a.cu", "// @BE a launch(threads=1)\n"
                                   "__global__ void a(BE::Tensor out, float beta) {}\n");
    ASSERT_TRUE(registry.load_cpp_file(src / "a.cpp"));
    EXPECT_FALSE(registry.load_cuda_file(src / "a.cu"));
    // With replace, the new implementation wins and the disagreeing twin is dropped.
    LoadOptions replace;
    replace.replace = true;
    ASSERT_TRUE(registry.load_cuda_file(src / "a.cu", replace));
    EXPECT_EQ(registry.find("a.a")->devices(),
              (std::vector<Device>{Device::cuda, Device::cuda_emu}));
}

TEST_F(CudaRegistryTest, LoadDirPairsTwinsAndRefusesTwoFilesForOneDevice) {
    test::write_file(src / "one.cpp", "// @BE k\nvoid k(BE::Tensor& y) {}\n");
    test::write_file(src / "one.cu",
                     "// @BE k launch(threads=1)\n__global__ void k(BE::Tensor y) {}\n");
    auto reports = registry.load_dir(src.path(), "lib");
    ASSERT_TRUE(reports) << reports.error().full();
    ASSERT_EQ(reports->size(), 2u);
    EXPECT_EQ((*reports)[0].backend, "cpu");
    EXPECT_EQ((*reports)[1].backend, "cuda");
    EXPECT_EQ(registry.find("lib.k")->devices(),
              (std::vector<Device>{Device::cpu, Device::cuda, Device::cuda_emu}));
    // Loading the same content again is a no-op for either twin.
    auto again = registry.load_cuda_file(src / "one.cu", LoadOptions{"lib"});
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->unchanged);

    test::write_file(src / "two.cu",
                     "// @BE k launch(threads=1)\n__global__ void k(BE::Tensor y) {}\n");
    auto clash = registry.load_dir(src.path(), "lib");
    ASSERT_FALSE(clash);
    EXPECT_NE(clash.error().message.find("target 'lib.k' is defined by both " +
                                         (src / "one.cu").string() + ":1 and " +
                                         (src / "two.cu").string() + ":1"),
              std::string::npos)
        << clash.error().message;
}

TEST_F(CudaRegistryTest, HostCppOrchestratesKernelsWithCudaLaunch) {
    test::write_file(src / "ops.cu", R"(
// @BE first
__global__ void first(const BE::Tensor x, BE::Tensor y, float a) {}
// @BE second launch(threads=y.numel())
__global__ void second(BE::Tensor y) {}
)");
    test::write_file(src / "pipeline.cpp", R"(
// @BE two_step
void two_step(const BE::Tensor& x, BE::Tensor& y, float a) {
    static const BE::CudaFunction first = BE::cuda_function("ops.first");
    BE::cuda_launch(first, BE::Dim3(3), BE::Dim3(64), 0, 0, x, y, a);
    BE::cuda_launch("ops.second", BE::Dim3(1, 2), BE::Dim3(32, 4), 128, 5, y);
}
// @BE wrong_type
void wrong_type(const BE::Tensor& x, BE::Tensor& y) {
    BE::cuda_launch("ops.first", 1, 1, 0, 0, x, y, 2.0); // a double where the kernel has float
}
// @BE no_such
void no_such(BE::Tensor& y) { BE::cuda_launch("ops.missing", 1, 1, 0, 0, y); }
)");
    ASSERT_TRUE(registry.load_cuda_file(src / "ops.cu"));
    auto report = registry.load_cpp_file(src / "pipeline.cpp");
    ASSERT_TRUE(report) << report.error().full();
    auto target = registry.find("pipeline.two_step");
    ASSERT_TRUE(target);
    // Host orchestration serves the cuda device (its tensors hold device pointers), and
    // cuda-emu (host memory; BE::cuda_launch then runs the kernels' emulation).
    EXPECT_EQ(target->devices(), (std::vector<Device>{Device::cuda, Device::cuda_emu}));
    EXPECT_EQ(target->backend(Device::cuda), "cpu");
    EXPECT_EQ(target->backend(Device::cuda_emu), "cpu");

    auto x = DeviceArray::create(DType::float32, {100}).value();
    auto y = DeviceArray::create(DType::float32, {100}).value();
    BE::Tensor args[] = {x.view()}, rets[] = {y.view()};
    log.clear();
    auto called = registry.call("pipeline.two_step", args, rets, {{"a", 1.25}});
    ASSERT_TRUE(called) << called.error().full();
    auto launches = log.calls("cuLaunchKernel");
    ASSERT_EQ(launches.size(), 2u);
    EXPECT_EQ(launches[0]["function"], "_Z5firstN2BE6TensorES0_f");
    EXPECT_EQ(launches[0]["grid"].get<Dims>(), (Dims{3, 1, 1}));
    EXPECT_EQ(launches[0]["block"].get<Dims>(), (Dims{64, 1, 1}));
    EXPECT_EQ(launches[0]["params"],
              test::value_hex(args[0]) + test::value_hex(rets[0]) + test::value_hex(1.25f));
    EXPECT_EQ(launches[1]["function"], "_Z6secondN2BE6TensorE");
    EXPECT_EQ(launches[1]["grid"].get<Dims>(), (Dims{1, 2, 1}));
    EXPECT_EQ(launches[1]["block"].get<Dims>(), (Dims{32, 4, 1}));
    EXPECT_EQ(launches[1]["smem"], 128);
    EXPECT_EQ(launches[1]["stream"], 5);
    EXPECT_EQ(launches[1]["params"], test::value_hex(rets[0]));

    expect_error(registry.call("pipeline.wrong_type", args, rets),
                 "cuda_launch(ops.first): argument 2 is a float64 but the kernel's parameter 2 is "
                 "a float32");
    expect_error(registry.call("pipeline.no_such", {}, rets),
                 "cuda_launch(ops.missing): no such target");
    // Host tensors cannot reach an orchestration target.
    auto hx = HostArray::create(DType::float32, {1}).value();
    BE::Tensor host_rets[] = {hx.view()};
    expect_error(registry.call("pipeline.no_such", {}, host_rets), "the tensors are on cpu");
    EXPECT_EQ(log.calls("cuLaunchKernel").size(), 2u);
}

TEST_F(CudaRegistryTest, CompileErrorsPointAtTheUsersFileAndLine) {
    test::write_file(src / "helpers.h", "#pragma once\n__device__ float twice(float v) {\n"
                                        "    return 2 * v + missing_in_header;\n}\n");
    test::write_file(src / "broken.cu", "#include \"helpers.h\"\n"
                                        "// @BE broken launch(threads=1)\n"
                                        "__global__ void broken(BE::Tensor y) {\n"
                                        "    undefined_call();\n}\n");
    auto r = registry.load_cuda_file(src / "broken.cu");
    ASSERT_FALSE(r);
    const std::string header = (src / "helpers.h").string(), file = (src / "broken.cu").string();
    EXPECT_EQ(r.error().message.rfind("load_cuda_file(" + header + ":3): compilation failed: ", 0),
              0u)
        << r.error().message;
    EXPECT_NE(
        r.error().log.find(header + ":3: error: identifier \"missing_in_header\" is undefined"),
        std::string::npos)
        << r.error().log;
    EXPECT_NE(r.error().log.find(file + ":4: error: identifier \"undefined_call\" is undefined"),
              std::string::npos)
        << r.error().log;
    // The targets exist and report the error when called.
    auto target = registry.find("broken.broken");
    ASSERT_TRUE(target);
    ASSERT_TRUE(target->load_error());
    auto y = DeviceArray::create(DType::float32, {1}).value();
    BE::Tensor rets[] = {y.view()};
    expect_error(target->call({}, rets), "failed to load");
}

} // namespace
} // namespace be
