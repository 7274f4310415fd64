// Real-GPU tests: each launch is compared with its CPU twin (or a host computation). They use the
// real driver, never the fake; without a CUDA device every test skips with the reason, and ctest
// reports it as skipped.
#include "test_support.h"

#include <becore/cache/kernel_cache.h>
#include <becore/registry/registry.h>
#include <becore/runtime/array.h>
#include <becore/runtime/cuda_backend.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

namespace be {
namespace {

const std::filesystem::path k_examples = BECORE_EXAMPLES_DIR;

class CudaGpuTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const CudaStatus& status = cuda_status();
        if (!status.available) GTEST_SKIP() << "no CUDA device: " << status.reason;
        if (status.driver_library.find("fake_cuda") != std::string::npos)
            GTEST_SKIP() << "no CUDA device: the driver is the test fake " << status.driver_library;
    }

    test::TempDir cache_dir, src;
    Registry registry{KernelCache::open(cache_dir.path())};

    static HostArray random(DType dtype, std::vector<int64_t> shape, unsigned seed) {
        auto a = HostArray::create(dtype, shape).value();
        std::mt19937 rng(seed);
        std::uniform_real_distribution<double> u(-4, 4);
        for (int64_t i = 0; i < a.numel(); ++i) {
            if (dtype == DType::float32) a.data_as<float>()[i] = static_cast<float>(u(rng));
            if (dtype == DType::float64) a.data_as<double>()[i] = u(rng);
        }
        return a;
    }
    // Runs `name` on the GPU with copies of the host arrays and returns the rets.
    std::vector<HostArray> on_gpu(const std::string& name,
                                  const std::vector<const HostArray*>& args,
                                  const std::vector<const HostArray*>& rets, const AttrMap& attrs) {
        std::vector<DeviceArray> device;
        std::vector<BE::Tensor> arg_views, ret_views;
        for (auto* a : args) {
            device.push_back(DeviceArray::from_host(*a).value());
            arg_views.push_back(device.back().view());
        }
        for (auto* r : rets) {
            device.push_back(DeviceArray::from_host(*r).value());
            ret_views.push_back(device.back().view());
        }
        auto called = registry.call(name, arg_views, ret_views, attrs);
        EXPECT_TRUE(called) << called.error().full();
        EXPECT_TRUE(cuda_synchronize(0));
        std::vector<HostArray> out;
        for (size_t i = 0; i < rets.size(); ++i)
            out.push_back(device[args.size() + i].to_host().value());
        return out;
    }
    void on_cpu(const std::string& name, const std::vector<const HostArray*>& args,
                std::vector<HostArray*> rets, const AttrMap& attrs) {
        std::vector<BE::Tensor> arg_views, ret_views;
        for (auto* a : args)
            arg_views.push_back(a->view());
        for (auto* r : rets)
            ret_views.push_back(r->view());
        auto called = registry.call(name, arg_views, ret_views, attrs);
        ASSERT_TRUE(called) << called.error().full();
    }
};

TEST_F(CudaGpuTest, ElementwiseKernelsMatchTheCpuTwinExactly) {
    ASSERT_TRUE(registry.load_cpp_file(k_examples / "scale.cpp"));
    LoadOptions no_fma; // the CPU twin compiles with -ffp-contract=off
    no_fma.flags = {"--fmad=false"};
    ASSERT_TRUE(registry.load_cuda_file(k_examples / "scale.cu", no_fma));
    for (int64_t n : {1, 1000, 1 << 20}) {
        auto x = random(DType::float32, {n}, 1);
        auto y0 = random(DType::float32, {n}, 2);
        auto cpu = HostArray::create(DType::float32, {n}).value();
        std::memcpy(cpu.data(), y0.data(), y0.nbytes());
        on_cpu("scale.axpy", {&x}, {&cpu}, {{"a", 0.75}});
        auto gpu = on_gpu("scale.axpy", {&x}, {&y0}, {{"a", 0.75}});
        EXPECT_EQ(std::memcmp(gpu[0].data(), cpu.data(), cpu.nbytes()), 0) << "axpy n=" << n;

        auto zero = HostArray::create(DType::float32, {n}).value();
        auto scaled = HostArray::create(DType::float32, {n}).value();
        on_cpu("scale.scale_f32", {&x}, {&scaled}, {{"alpha", -1.5}});
        auto gpu_scaled = on_gpu("scale.scale", {&x}, {&zero}, {{"alpha", -1.5}});
        EXPECT_EQ(std::memcmp(gpu_scaled[0].data(), scaled.data(), scaled.nbytes()), 0) << n;
    }
}

TEST_F(CudaGpuTest, SharedMemoryReductionMatchesTheCpuTwin) {
    ASSERT_TRUE(registry.load_cpp_file(k_examples / "parallel_sum.cpp"));
    ASSERT_TRUE(registry.load_cuda_file(k_examples / "parallel_sum.cu"));
    auto matrix = random(DType::float64, {37, 1001}, 3);
    auto cpu = HostArray::create(DType::float64, {37}).value();
    on_cpu("parallel_sum.row_sum", {&matrix}, {&cpu}, {});
    auto zero = HostArray::create(DType::float64, {37}).value();
    auto gpu = on_gpu("parallel_sum.row_sum", {&matrix}, {&zero}, {});
    for (int r = 0; r < 37; ++r) // another summation order: equal to rounding
        EXPECT_NEAR(gpu[0].data_as<double>()[r], cpu.data_as<double>()[r], 1e-11) << r;
}

TEST_F(CudaGpuTest, ExtentAndAttrLaunchesCoverTheirTensors) {
    ASSERT_TRUE(registry.load_cuda_file(k_examples / "rows.cu"));
    auto m = random(DType::float32, {300, 257}, 4);
    auto clamped = on_gpu("rows.clamp_rows", {}, {&m}, {{"limit", 1.0}});
    for (int64_t i = 0; i < m.numel(); ++i)
        ASSERT_EQ(clamped[0].data_as<float>()[i], std::clamp(m.data_as<float>()[i], -1.0f, 1.0f))
            << i;
    auto out = HostArray::create(DType::float32, {3000}).value();
    auto iota = on_gpu("rows.iota", {}, {&out}, {{"count", int64_t{2500}}, {"start", 0.5}});
    for (int64_t i = 0; i < 3000; ++i)
        ASSERT_EQ(iota[0].data_as<float>()[i], i < 2500 ? 0.5f + float(i) : 0.0f) << i;
}

TEST_F(CudaGpuTest, HostOrchestrationLaunchesDependentKernels) {
    test::write_file(src / "ops.cu", R"(
// @BE fill
__global__ void fill(BE::Tensor y, float v) {
    const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
    if (i < y.numel()) y.data_ptr<float>()[i] = v;
}
// @BE add_index
__global__ void add_index(BE::Tensor y) {
    const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
    if (i < y.numel()) y.data_ptr<float>()[i] += float(i);
}
)");
    test::write_file(src / "pipeline.cpp", R"(
// @BE run
void run(BE::Tensor& y, float v) {
    const unsigned blocks = unsigned((y.numel() + 127) / 128);
    BE::cuda_launch("ops.fill", blocks, 128, 0, 0, y, v);
    static const BE::CudaFunction add = BE::cuda_function("ops.add_index");
    BE::cuda_launch(add, blocks, 128, 0, 0, y);
}
)");
    ASSERT_TRUE(registry.load_cuda_file(src / "ops.cu"));
    ASSERT_TRUE(registry.load_cpp_file(src / "pipeline.cpp"));
    auto y = HostArray::create(DType::float32, {1000}).value();
    auto out = on_gpu("pipeline.run", {}, {&y}, {{"v", 2.0}});
    for (int i = 0; i < 1000; ++i)
        ASSERT_EQ(out[0].data_as<float>()[i], 2.0f + float(i)) << i;
}

TEST_F(CudaGpuTest, HalfAttrsReachTheKernelAsHalves) {
    ASSERT_TRUE(registry.load_cuda_inline("halves", R"(
#include <cuda_fp16.h>
#include <cuda_bf16.h>
// @BE halves launch(threads=1)
__global__ void halves(BE::Tensor out, __half h, __nv_bfloat16 b) {
    out.data_ptr<float>()[0] = __half2float(h);
    out.data_ptr<float>()[1] = __bfloat162float(b);
}
)",
                                          "inline"));
    auto out = HostArray::create(DType::float32, {2}).value();
    auto gpu = on_gpu("inline.halves", {}, {&out}, {{"h", 1.5}, {"b", -2.25}});
    EXPECT_EQ(gpu[0].data_as<float>()[0], 1.5f);
    EXPECT_EQ(gpu[0].data_as<float>()[1], -2.25f);
}

} // namespace
} // namespace be
