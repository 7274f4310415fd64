// The host side of CUDA launches, against the fake driver: for each shipped `.cu` example and a
// few inline kernels, the launch clause and the argument marshalling must produce exactly the
// expected cuLaunchKernel — grid, block, shared memory, stream and the parameter bytes the
// driver copies (laid out by the CUBIN's own parameter table, as a real driver does).
#include "cuda_test_util.h"

#include <becore/cache/kernel_cache.h>
#include <becore/registry/registry.h>
#include <becore/runtime/array.h>
#include <becore/runtime/cuda_backend.h>
#include <becore/runtime/npy.h>

#include <gtest/gtest.h>

namespace be {
namespace {

using test::k_examples;

class CudaLaunchTest : public ::testing::Test {
  protected:
    test::TempDir cache_dir;
    Registry registry{KernelCache::open(cache_dir.path())};
    test::FakeLog log;

    void load(const std::filesystem::path& file) {
        auto report = registry.load_cuda_file(file);
        ASSERT_TRUE(report) << report.error().full();
        EXPECT_EQ(report->backend, "cuda");
        EXPECT_EQ(report->arch, "sm_90"); // the fake device's
        EXPECT_FALSE(report->deferred);
    }
    DeviceArray device_ramp(DType dtype, std::vector<int64_t> shape) {
        auto host = HostArray::create(dtype, shape).value();
        for (int64_t i = 0; i < host.numel(); ++i) {
            if (dtype == DType::float32) host.data_as<float>()[i] = static_cast<float>(i);
            if (dtype == DType::float64) host.data_as<double>()[i] = static_cast<double>(i);
        }
        return DeviceArray::from_host(host).value();
    }
    nlohmann::json only_launch() {
        auto launches = log.calls("cuLaunchKernel");
        EXPECT_EQ(launches.size(), 1u);
        return launches.empty() ? nlohmann::json::object() : launches.back();
    }
};

using Dims = std::vector<unsigned>;

TEST_F(CudaLaunchTest, ElementwiseTemplateTargetLaunchesOneThreadPerElement) {
    load(k_examples / "scale.cu");
    auto modules = log.calls("cuModuleLoadData");
    ASSERT_EQ(modules.size(), 1u);
    EXPECT_EQ(modules[0]["kind"], "cubin");
    EXPECT_EQ(modules[0]["result"], 0);
    EXPECT_EQ(modules[0]["device"], 0);
    const std::string scale_f32 = "_Z5scaleIfEvN2BE6TensorES1_d";
    const std::string scale_f64 = "_Z5scaleIdEvN2BE6TensorES1_d";
    const std::string axpy = "_Z4axpyN2BE6TensorES0_f";
    EXPECT_EQ(modules[0]["functions"].get<std::vector<std::string>>(),
              (std::vector<std::string>{axpy, scale_f64, scale_f32})); // the fake sorts them

    auto x = device_ramp(DType::float32, {1000});
    auto y = DeviceArray::create(DType::float32, {1000}).value();
    BE::Tensor args[] = {x.view()}, rets[] = {y.view()};
    log.clear();
    auto called = registry.call("scale.scale", args, rets, {{"alpha", 2.5}}, /*stream=*/77);
    ASSERT_TRUE(called) << called.error().full();
    auto launch = only_launch();
    EXPECT_EQ(launch["function"], scale_f32);               // the dtype group resolved to scale_f32
    EXPECT_EQ(launch["grid"].get<Dims>(), (Dims{4, 1, 1})); // ceil(1000 / 256)
    EXPECT_EQ(launch["block"].get<Dims>(), (Dims{256, 1, 1}));
    EXPECT_EQ(launch["smem"], 0);
    EXPECT_EQ(launch["stream"], 77);
    EXPECT_EQ(launch["extra"], false);
    EXPECT_EQ(launch["param_sizes"].get<Dims>(), (Dims{152, 152, 8}));
    EXPECT_EQ(launch["param_offsets"].get<Dims>(), (Dims{0, 152, 304}));
    // The tensors travel by value, with their device data pointers; alpha as a double.
    EXPECT_EQ(launch["params"],
              test::value_hex(args[0]) + test::value_hex(rets[0]) + test::value_hex(2.5));
    auto functions = log.calls("cuModuleGetFunction");
    ASSERT_EQ(functions.size(), 1u);
    EXPECT_EQ(functions[0]["name"], scale_f32);

    log.clear();
    ASSERT_TRUE(registry.call("scale.axpy", args, rets, {{"a", 0.5}}));
    launch = only_launch();
    EXPECT_EQ(launch["function"], axpy);
    EXPECT_EQ(launch["grid"].get<Dims>(), (Dims{8, 1, 1})); // block=128
    EXPECT_EQ(launch["block"].get<Dims>(), (Dims{128, 1, 1}));
    EXPECT_EQ(launch["stream"], 0);
    EXPECT_EQ(launch["params"],
              test::value_hex(args[0]) + test::value_hex(rets[0]) + test::value_hex(0.5f));
    EXPECT_TRUE(log.calls("cuModuleGetFunction").size() == 1u); // looked up once, then cached
}

TEST_F(CudaLaunchTest, SharedMemoryReductionLaunchesOneBlockPerRow) {
    load(k_examples / "parallel_sum.cu");
    auto matrix = device_ramp(DType::float64, {5, 300});
    auto sums = DeviceArray::create(DType::float64, {5}).value();
    BE::Tensor args[] = {matrix.view()}, rets[] = {sums.view()};
    log.clear();
    ASSERT_TRUE(registry.call("parallel_sum.row_sum", args, rets));
    auto launch = only_launch();
    EXPECT_EQ(launch["grid"].get<Dims>(), (Dims{5, 1, 1}));
    EXPECT_EQ(launch["block"].get<Dims>(), (Dims{256, 1, 1}));
    EXPECT_EQ(launch["smem"], 2048);
    EXPECT_EQ(launch["params"], test::value_hex(args[0]) + test::value_hex(rets[0]));
    EXPECT_TRUE(log.calls("cuFuncSetAttribute").empty()); // 2 KiB needs no opt-in
}

TEST_F(CudaLaunchTest, ExtentAndAttrExpressionsGiveTheGrid) {
    load(k_examples / "rows.cu");
    auto m = device_ramp(DType::float32, {7, 33});
    BE::Tensor rets[] = {m.view()};
    log.clear();
    ASSERT_TRUE(registry.call("rows.clamp_rows", {}, rets, {{"limit", 3.0}}));
    auto launch = only_launch();
    EXPECT_EQ(launch["grid"].get<Dims>(), (Dims{7, 1, 1})); // blocks=m.size(0)
    EXPECT_EQ(launch["block"].get<Dims>(), (Dims{128, 1, 1}));
    EXPECT_EQ(launch["params"], test::value_hex(rets[0]) + test::value_hex(3.0f));

    auto out = DeviceArray::create(DType::float32, {2000}).value();
    BE::Tensor out_view[] = {out.view()};
    log.clear();
    ASSERT_TRUE(
        registry.call("rows.iota", {}, out_view, {{"count", int64_t{1000}}, {"start", 1.0}}));
    launch = only_launch();
    EXPECT_EQ(launch["grid"].get<Dims>(), (Dims{4, 1, 1})); // threads=count
    EXPECT_EQ(launch["param_offsets"].get<Dims>(), (Dims{0, 152, 160}));
    EXPECT_EQ(launch["params"], test::value_hex(out_view[0]) + test::value_hex(int64_t{1000}) +
                                    test::value_hex(1.0f));
}

TEST_F(CudaLaunchTest, ScalarAttrsAreMarshalledAsTheKernelsParameterTypes) {
    auto report = registry.load_cuda_inline("scalars", R"(
#include <cuda_fp16.h>
#include <cuda_bf16.h>
// @BE scalars launch(threads=1)
__global__ void scalars(BE::Tensor out, __half h, __nv_bfloat16 b, int8_t c, uint16_t s,
                        bool flag, double d, uint64_t u) {}
)",
                                            "inline");
    ASSERT_TRUE(report) << report.error().full();
    auto out = DeviceArray::create(DType::float32, {1}).value();
    BE::Tensor rets[] = {out.view()};
    log.clear();
    auto called = registry.call("inline.scalars", {}, rets,
                                {{"h", 1.5},
                                 {"b", -2.0},
                                 {"c", int64_t{-3}},
                                 {"s", int64_t{513}},
                                 {"flag", true},
                                 {"d", 0.25},
                                 {"u", uint64_t{0x0123456789abcdefULL}}});
    ASSERT_TRUE(called) << called.error().full();
    auto launch = only_launch();
    EXPECT_EQ(launch["param_sizes"].get<Dims>(), (Dims{152, 2, 2, 1, 2, 1, 8, 8}));
    EXPECT_EQ(launch["param_offsets"].get<Dims>(), (Dims{0, 152, 154, 156, 158, 160, 168, 176}));
    EXPECT_EQ(launch["params"], test::value_hex(rets[0]) + "003e" /* 1.5 as binary16 */ +
                                    "00c0" /* -2 as bfloat16 */ + "fd" + "00" /* padding */ +
                                    "0102" + "01" + test::zero_hex(7) + test::value_hex(0.25) +
                                    test::value_hex(uint64_t{0x0123456789abcdefULL}));
    // Values that do not fit the declared type are refused before any launch.
    log.clear();
    auto too_big = registry.call("inline.scalars", {}, rets,
                                 {{"h", 70000.0},
                                  {"b", 1.0},
                                  {"c", int64_t{0}},
                                  {"s", int64_t{0}},
                                  {"flag", false},
                                  {"d", 0.0},
                                  {"u", uint64_t{0}}});
    ASSERT_FALSE(too_big);
    EXPECT_NE(too_big.error().message.find("attr 'h' is float16 but got 70000"), std::string::npos)
        << too_big.error().message;
    EXPECT_TRUE(log.calls("cuLaunchKernel").empty());
}

TEST_F(CudaLaunchTest, LargeSharedMemoryOptsTheKernelIn) {
    ASSERT_TRUE(registry.load_cuda_inline("big", R"(
// @BE big launch(blocks=1, block=32, smem=65536)
__global__ void big(BE::Tensor out) {}
)",
                                          "inline"));
    auto out = DeviceArray::create(DType::float32, {1}).value();
    BE::Tensor rets[] = {out.view()};
    log.clear();
    ASSERT_TRUE(registry.call("inline.big", {}, rets));
    auto calls = log.calls();
    ASSERT_GE(calls.size(), 2u);
    auto attribute = log.calls("cuFuncSetAttribute");
    ASSERT_EQ(attribute.size(), 1u);
    EXPECT_EQ(attribute[0]["attribute"], 8); // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
    EXPECT_EQ(attribute[0]["value"], 65536);
    EXPECT_EQ(calls.back()["call"], "cuLaunchKernel");
    EXPECT_EQ(calls.back()["smem"], 65536);
}

TEST_F(CudaLaunchTest, EmptyTensorsLaunchNothingAndCallTimeErrorsLaunchNothing) {
    load(k_examples / "scale.cu");
    load(k_examples / "rows.cu");
    auto x = DeviceArray::create(DType::float32, {0}).value();
    auto y = DeviceArray::create(DType::float32, {0}).value();
    BE::Tensor args[] = {x.view()}, rets[] = {y.view()};
    log.clear();
    ASSERT_TRUE(registry.call("scale.scale_f32", args, rets, {{"alpha", 1.0}}));
    EXPECT_TRUE(log.calls("cuLaunchKernel").empty()); // CUDA rejects an empty grid

    auto flat = DeviceArray::create(DType::float32, {}).value(); // rank 0: no size(0)
    BE::Tensor flat_view[] = {flat.view()};
    auto r = registry.call("rows.clamp_rows", {}, flat_view, {{"limit", 1.0}});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("call(rows.clamp_rows): launch(blocks=m.size(0), "
                                     "block=128): m.size(0)"),
              std::string::npos)
        << r.error().message;
    auto out = DeviceArray::create(DType::float32, {4}).value();
    BE::Tensor out_view[] = {out.view()};
    r = registry.call("rows.iota", {}, out_view, {{"count", int64_t{-1}}, {"start", 0.0}});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("count is negative (-1)"), std::string::npos)
        << r.error().message;
    EXPECT_TRUE(log.calls("cuLaunchKernel").empty());
}

TEST_F(CudaLaunchTest, KernelWithoutALaunchClauseSaysHowToLaunchIt) {
    ASSERT_TRUE(registry.load_cuda_inline(
        "bare", "// @BE bare\n__global__ void bare(BE::Tensor o) {}\n", "inline"));
    auto out = DeviceArray::create(DType::float32, {1}).value();
    BE::Tensor rets[] = {out.view()};
    auto r = registry.call("inline.bare", {}, rets);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("has no launch clause"), std::string::npos)
        << r.error().message;
}

TEST(CudaDeviceArray, CopiesRoundTripThroughTheDriver) {
    test::FakeLog log;
    auto host = HostArray::create(DType::int32, {3, 5}).value();
    for (int i = 0; i < 15; ++i)
        host.data_as<int32_t>()[i] = i * i;
    auto device = DeviceArray::from_host(host).value();
    EXPECT_EQ(device.shape(), (std::vector<int64_t>{3, 5}));
    EXPECT_EQ(device.nbytes(), 60);
    BE::Tensor view = device.view();
    EXPECT_EQ(view.device(), BE::Device::cuda);
    EXPECT_EQ(view.data_ptr(), device.data());
    EXPECT_EQ(view.stride(0), 5);
    auto back = device.to_host().value();
    EXPECT_EQ(std::memcmp(back.data(), host.data(), 60), 0);
    auto zero = DeviceArray::create(DType::float64, {4}).value().to_host().value();
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(zero.data_as<double>()[i], 0.0);
    auto wrong = HostArray::create(DType::int32, {15}).value();
    auto mismatch = device.copy_to(wrong);
    ASSERT_FALSE(mismatch);
    EXPECT_NE(mismatch.error().message.find(
                  "the device array is 3x5 int32 but the host array is 15 int32"),
              std::string::npos)
        << mismatch.error().message;
    auto allocs = log.calls("cuMemAlloc");
    ASSERT_GE(allocs.size(), 1u);
    EXPECT_EQ(allocs[0]["bytes"], 60);
    EXPECT_EQ(log.calls("cuMemcpyHtoD")[0]["bytes"], 60);
    EXPECT_EQ(log.calls("cuMemcpyDtoH")[0]["bytes"], 60);
    // An empty array allocates nothing.
    EXPECT_EQ(DeviceArray::create(DType::float32, {0, 3}).value().data(), nullptr);
}

} // namespace
} // namespace be

namespace be {
namespace {

TEST(CudaKernelctl, CallCopiesInputsToTheDeviceAndRetsBack) {
    test::TempDir cache, out;
    test::FakeLog log;
    auto x = HostArray::create(DType::float32, {300}).value();
    ASSERT_TRUE(write_npy(out / "x.npy", x.view()));
    auto r = test::kernelctl_stdout(
        cache.path(), "BECORE_LIBCUDA_PATH=" + test::k_fake_cuda,
        "call " + (test::k_examples / "scale.cu").string() + " axpy --arg " +
            (out / "x.npy").string() + " --attr a=2 --ret 300:float32 --out " +
            (out / "o").string() + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(nlohmann::json::parse(r.output)["target"], "scale.axpy");
    EXPECT_TRUE(std::filesystem::exists(out / "o" / "ret0.npy"));
    auto launches = log.calls("cuLaunchKernel");
    ASSERT_EQ(launches.size(), 1u);
    EXPECT_EQ(launches[0]["grid"].get<std::vector<unsigned>>(), (std::vector<unsigned>{3, 1, 1}));
    EXPECT_EQ(log.calls("cuMemcpyHtoD").size(), 2u); // the arg, and the zero-filled ret
    ASSERT_EQ(log.calls("cuMemcpyDtoH").size(), 1u);
    EXPECT_EQ(log.calls("cuMemcpyDtoH")[0]["bytes"], 1200);
    EXPECT_EQ(log.calls("cuStreamSynchronize").size(), 1u);
}

} // namespace
} // namespace be
