// The prepared call on cuda (against the fake driver) and cuda-emu: invoke launches exactly what
// call launches (function, geometry, stream, the parameter bytes), checks the tensors' device,
// and on cuda-emu computes what the CPU twin computes.
#include "cuda_test_util.h"

#include <becore/cache/kernel_cache.h>
#include <becore/registry/registry.h>
#include <becore/runtime/array.h>
#include <becore/runtime/cuda_backend.h>

#include <gtest/gtest.h>

namespace be {
namespace {

using test::k_examples;

class PreparedCudaTest : public ::testing::Test {
  protected:
    test::TempDir cache_dir;
    Registry registry{KernelCache::open(cache_dir.path())};
    test::FakeLog log;

    void SetUp() override {
        ASSERT_TRUE(registry.load_cpp_file(k_examples / "scale.cpp"));
        auto report = registry.load_cuda_file(k_examples / "scale.cu");
        ASSERT_TRUE(report) << report.error().full();
        ASSERT_FALSE(report->deferred);
    }
};

TEST_F(PreparedCudaTest, InvokeLaunchesWhatCallLaunches) {
    auto host = HostArray::create(DType::float32, {1000}).value();
    auto x = DeviceArray::from_host(host).value();
    auto y = DeviceArray::create(DType::float32, {1000}).value();
    BE::Tensor args[] = {x.view()}, rets[] = {y.view()};
    log.clear();
    ASSERT_TRUE(registry.call("scale.scale", args, rets, {{"alpha", 2.5}}, 77));
    auto by_call = log.calls("cuLaunchKernel");
    ASSERT_EQ(by_call.size(), 1u);

    const DType f32[] = {DType::float32};
    auto prepared =
        registry.prepare("scale.scale", Device::cuda, f32, f32, {{"alpha", 2.5}}, /*stream=*/77);
    ASSERT_TRUE(prepared) << prepared.error().full();
    EXPECT_EQ(prepared->target_name(), "scale.scale_f32");
    log.clear();
    ASSERT_TRUE(prepared->invoke(args, rets));
    auto by_invoke = log.calls("cuLaunchKernel");
    ASSERT_EQ(by_invoke.size(), 1u);
    for (const char* field : {"function", "grid", "block", "smem", "stream", "params"})
        EXPECT_EQ(by_invoke[0][field], by_call[0][field]) << field;

    // Host tensors are not what the call was prepared for; nothing is launched.
    auto hy = HostArray::create(DType::float32, {1000}).value();
    BE::Tensor host_args[] = {host.view()}, host_rets[] = {hy.view()};
    log.clear();
    auto wrong = prepared->invoke(host_args, host_rets);
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().message, "call(scale.scale_f32): arg 0 ('x') is on device cpu but the "
                                     "call was prepared for cuda");
    EXPECT_TRUE(log.calls("cuLaunchKernel").empty());
}

TEST_F(PreparedCudaTest, CudaEmuInvokeComputesWhatTheCpuTwinComputes) {
    auto x = HostArray::create(DType::float32, {300}).value();
    for (int i = 0; i < 300; ++i)
        x.data_as<float>()[i] = float(i) * 0.5f;
    auto on_cpu = HostArray::create(DType::float32, {300}).value();
    auto on_emu = HostArray::create(DType::float32, {300}).value();
    BE::Tensor cpu_args[] = {x.view()}, cpu_rets[] = {on_cpu.view()};
    BE::Tensor emu_args[] = {x.emu_view()}, emu_rets[] = {on_emu.emu_view()};
    ASSERT_TRUE(registry.call("scale.axpy", cpu_args, cpu_rets, {{"a", 3.0}}));
    auto prepared = registry.find("scale.axpy")->prepare(emu_args, emu_rets, {{"a", 3.0}});
    ASSERT_TRUE(prepared) << prepared.error().full();
    EXPECT_EQ(prepared->device(), Device::cuda_emu);
    ASSERT_TRUE(prepared->invoke(emu_args, emu_rets)); // compiles the emulation on first use
    for (int i = 0; i < 300; ++i)
        EXPECT_EQ(on_emu.data_as<float>()[i], on_cpu.data_as<float>()[i]) << i;
    EXPECT_FALSE(prepared->invoke(cpu_args, cpu_rets).ok());
}

} // namespace
} // namespace be
