// The shipped example `.cu` kernels (examples/kernels) under the CUDA emulation: every file
// builds for it, and each kernel matches a CPU reference when launched with the geometry its
// launch clause gives (evaluated here by hand; the registry evaluates it once integrated).
#include "cuda_emu_test_util.h"

#include "test_support.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace be {
namespace {

using test::EmuModule;
using test::geometry;
using test::make_array;

const std::filesystem::path k_examples = BECORE_EXAMPLES_DIR;

EmuModule build_example(const std::string& file) {
    auto built = EmuModule::build(test::read_file(k_examples / file), file);
    EXPECT_TRUE(built.ok()) << built.error().full();
    return built.ok() ? std::move(*built) : EmuModule();
}

uint32_t blocks_for(int64_t threads, uint32_t block) {
    return uint32_t((threads + block - 1) / block);
}

TEST(EmuExamples, EveryShippedCuFileBuildsForEmulation) {
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(k_examples)) {
        if (entry.path().extension() != ".cu") continue;
        ++files;
        auto built = EmuModule::build(test::read_file(entry.path()), entry.path().filename());
        EXPECT_TRUE(built.ok()) << entry.path() << ": " << built.error().full();
    }
    EXPECT_GT(files, 0);
}

// launch(blocks=matrix.size(0), block=256, smem=2048).
TEST(EmuExamples, RowSum) {
    const EmuModule m = build_example("parallel_sum.cu");
    const int rows = 5, cols = 1000;
    auto matrix = make_array(DType::float64, {rows, cols}),
         sums = make_array(DType::float64, {rows});
    for (int i = 0; i < rows * cols; ++i)
        matrix.data_as<double>()[i] = std::sin(0.01 * i);
    BE::Tensor mv = matrix.view(), sv = sums.view();
    auto r = m.launch("row_sum", geometry(rows, 256, 2048), {&mv, &sv});
    ASSERT_TRUE(r.ok()) << r.error().full();
    for (int row = 0; row < rows; ++row) {
        double expected = 0;
        for (int c = 0; c < cols; ++c)
            expected += matrix.data_as<double>()[row * cols + c];
        EXPECT_NEAR(sums.data_as<double>()[row], expected, 1e-9 * cols) << row;
    }
}

// launch(threads=x.numel()): block 256; axpy: block 128.
TEST(EmuExamples, ScaleAndAxpy) {
    const EmuModule m = build_example("scale.cu");
    const int n = 1000;
    auto x = make_array(DType::float32, {n}), y = make_array(DType::float32, {n});
    auto xd = make_array(DType::float64, {n}), yd = make_array(DType::float64, {n});
    for (int i = 0; i < n; ++i) {
        x.data_as<float>()[i] = float(i) - 300;
        xd.data_as<double>()[i] = i * 0.5;
        y.data_as<float>()[i] = 1;
    }
    double alpha = 2.5;
    float a = -2;
    BE::Tensor xv = x.view(), yv = y.view(), xdv = xd.view(), ydv = yd.view();
    ASSERT_TRUE(m.launch("axpy", geometry(blocks_for(n, 128), 128), {&xv, &yv, &a}).ok());
    for (int i = 0; i < n; ++i)
        ASSERT_EQ(y.data_as<float>()[i], 1 + a * x.data_as<float>()[i]);
    ASSERT_TRUE(m.launch("scale_f32", geometry(blocks_for(n, 256), 256), {&xv, &yv, &alpha}).ok());
    ASSERT_TRUE(
        m.launch("scale_f64", geometry(blocks_for(n, 256), 256), {&xdv, &ydv, &alpha}).ok());
    for (int i = 0; i < n; ++i) {
        ASSERT_EQ(y.data_as<float>()[i], float(alpha * x.data_as<float>()[i]));
        ASSERT_EQ(yd.data_as<double>()[i], alpha * xd.data_as<double>()[i]);
    }
}

// clamp_rows: launch(blocks=m.size(0), block=128); iota: launch(threads=count).
TEST(EmuExamples, ClampRowsAndIota) {
    const EmuModule m = build_example("rows.cu");
    const int rows = 3, cols = 300;
    auto matrix = make_array(DType::float32, {rows, cols}), out = make_array(DType::float32, {50});
    for (int i = 0; i < rows * cols; ++i)
        matrix.data_as<float>()[i] = float(i % 41) - 20;
    float limit = 7.5f, start = 10;
    int64_t count = 40;
    BE::Tensor mv = matrix.view(), ov = out.view();
    std::fill_n(out.data_as<float>(), 50, -1.0f);
    ASSERT_TRUE(m.launch("clamp_rows", geometry(rows, 128), {&mv, &limit}).ok());
    for (int i = 0; i < rows * cols; ++i)
        ASSERT_EQ(matrix.data_as<float>()[i], std::clamp(float(i % 41) - 20, -limit, limit));
    ASSERT_TRUE(
        m.launch("iota", geometry(blocks_for(count, 256), 256), {&ov, &count, &start}).ok());
    for (int i = 0; i < 50; ++i)
        ASSERT_EQ(out.data_as<float>()[i], i < count ? start + i : -1.0f);
}

} // namespace
} // namespace be
