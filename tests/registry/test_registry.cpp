// The registry end to end: load → compile or cache hit → call, with validation, errors,
// names and replacement. Each test uses its own temporary cache.
#include "test_support.h"

#include <becore/cache/kernel_cache.h>
#include <becore/registry/registry.h>
#include <becore/runtime/array.h>

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

namespace be {
namespace {

const std::filesystem::path k_examples = BECORE_EXAMPLES_DIR;

class RegistryTest : public ::testing::Test {
  protected:
    test::TempDir cache_dir;
    Registry registry{KernelCache::open(cache_dir.path())};

    HostArray ramp(DType dtype, int64_t n) {
        auto a = HostArray::create(dtype, {n}).value();
        for (int64_t i = 0; i < n; ++i) {
            if (dtype == DType::float32) a.data_as<float>()[i] = static_cast<float>(i);
            if (dtype == DType::float64) a.data_as<double>()[i] = static_cast<double>(i);
        }
        return a;
    }
};

TEST_F(RegistryTest, LoadsAnnotatedFileAndCallsTemplateTargets) {
    auto report = registry.load_cpp_file(k_examples / "scale.cpp");
    ASSERT_TRUE(report) << report.error().full();
    EXPECT_FALSE(report->cache_hit);
    EXPECT_EQ(report->targets, (std::vector<std::string>{"scale.scale_f32", "scale.scale_f64", "scale.axpy"}));

    auto x = ramp(DType::float32, 16);
    auto y = HostArray::create(DType::float32, {16}).value();
    BE::Tensor args[] = {x.view()}, rets[] = {y.view()};
    auto called = registry.call("scale.scale_f32", args, rets, {{"alpha", 2.5}});
    ASSERT_TRUE(called) << called.error().full();
    for (int i = 0; i < 16; ++i) EXPECT_FLOAT_EQ(y.data_as<float>()[i], 2.5f * i);
}

TEST_F(RegistryTest, DtypeSuffixGroupDispatchesOnFirstRet) {
    ASSERT_TRUE(registry.load_cpp_file(k_examples / "scale.cpp"));
    auto x = ramp(DType::float64, 5);
    auto y = HostArray::create(DType::float64, {5}).value();
    BE::Tensor args[] = {x.view()}, rets[] = {y.view()};
    auto called = registry.call("scale.scale", args, rets, {{"alpha", int64_t{3}}});
    ASSERT_TRUE(called) << called.error().full();
    EXPECT_DOUBLE_EQ(y.data_as<double>()[4], 12.0);
    auto target = registry.find("scale.scale", DType::float64);
    ASSERT_TRUE(target);
    EXPECT_EQ(target->name(), "scale.scale_f64");
    EXPECT_EQ(registry.find("scale.scale", DType::int32), nullptr);
    EXPECT_EQ(split_dtype_suffix("a_bf16")->first, "a");
    EXPECT_FALSE(split_dtype_suffix("plain"));
}

TEST_F(RegistryTest, CallValidationNamesTheProblem) {
    ASSERT_TRUE(registry.load_cpp_file(k_examples / "scale.cpp"));
    auto x32 = ramp(DType::float32, 4), y32 = ramp(DType::float32, 4);
    auto x64 = ramp(DType::float64, 4);
    BE::Tensor good_args[] = {x32.view()}, rets[] = {y32.view()}, wrong_dtype[] = {x64.view()};
    auto expect_error = [&](Result<void> r, const std::string& fragment) {
        ASSERT_FALSE(r.ok()) << "expected an error containing: " << fragment;
        EXPECT_NE(r.error().message.find(fragment), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find("call(scale."), std::string::npos) << r.error().message;
    };
    expect_error(registry.call("scale.scale_f32", {}, rets, {{"alpha", 1.0}}), "expected 1 args and 1 rets");
    expect_error(registry.call("scale.scale_f32", wrong_dtype, rets, {{"alpha", 1.0}}),
                 "has dtype float64 but the target requires float32");
    expect_error(registry.call("scale.scale_f32", good_args, rets, {}), "missing attr 'alpha'");
    expect_error(registry.call("scale.scale_f32", good_args, rets, {{"alpha", 1.0}, {"beta", 1.0}}),
                 "unknown attr 'beta'");
    expect_error(registry.call("scale.scale_f32", good_args, rets, {{"alpha", true}}), "not a number");
    expect_error(registry.call("scale.axpy", good_args, rets, {{"a", 1e300}}), "out of float32 range");
    BE::Tensor on_gpu[] = {x32.view()};
    on_gpu[0].device_ = BE::Device::cuda;
    expect_error(registry.call("scale.scale_f32", on_gpu, rets, {{"alpha", 1.0}}), "on device cuda");
    EXPECT_FALSE(registry.call("scale.nope", good_args, rets).ok());
}

TEST_F(RegistryTest, IntegerAttrsAreRangeChecked) {
    auto report = registry.load_cpp_inline("ints", R"(
        // @BE fill
        void fill(BE::Tensor& out, int8_t small, uint32_t big, bool flag) {
            auto* p = out.data_ptr<int64_t>();
            p[0] = small; p[1] = big; p[2] = flag;
        }
    )", "ints");
    ASSERT_TRUE(report) << report.error().full();
    auto out = HostArray::create(DType::int64, {3}).value();
    BE::Tensor rets[] = {out.view()};
    ASSERT_TRUE(registry.call("ints.fill", {}, rets,
                              {{"small", int64_t{-128}}, {"big", uint64_t{4000000000u}}, {"flag", true}}));
    EXPECT_EQ(out.data_as<int64_t>()[0], -128);
    EXPECT_EQ(out.data_as<int64_t>()[1], 4000000000);
    EXPECT_EQ(out.data_as<int64_t>()[2], 1);
    auto r = registry.call("ints.fill", {}, rets, {{"small", int64_t{128}}, {"big", uint64_t{1}}, {"flag", false}});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("attr 'small' is int8 but got 128 (out of range)"), std::string::npos);
    r = registry.call("ints.fill", {}, rets, {{"small", int64_t{1}}, {"big", int64_t{-1}}, {"flag", false}});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("'big'"), std::string::npos);
    r = registry.call("ints.fill", {}, rets, {{"small", 1.5}, {"big", uint64_t{1}}, {"flag", false}});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("not an integer"), std::string::npos);
}

TEST_F(RegistryTest, BeCheckFailureBecomesAnErrorNamingTargetAndCheck) {
    ASSERT_TRUE(registry.load_cpp_file(k_examples / "scale.cpp"));
    auto x = ramp(DType::float32, 4), y = ramp(DType::float32, 5);
    BE::Tensor args[] = {x.view()}, rets[] = {y.view()};
    auto r = registry.call("scale.axpy", args, rets, {{"a", 1.0}});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("call(scale.axpy)"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("scale.cpp:"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("x and y must have the same number of elements"), std::string::npos);
}

TEST_F(RegistryTest, ExceptionsInsideKernelsNeverEscape) {
    auto report = registry.load_cpp_inline("throwing", R"(
        #include <stdexcept>
        #include <vector>
        // @BE std_error
        void std_error(BE::Tensor& out) { throw std::runtime_error("kernel gave up"); }
        // @BE foreign
        void foreign(BE::Tensor& out) { throw 42; }
        // @BE vector_at
        void vector_at(BE::Tensor& out) { std::vector<int> v(2); out.data_ptr<int>()[0] = v.at(7); }
    )", "throwing");
    ASSERT_TRUE(report) << report.error().full();
    auto out = HostArray::create(DType::int32, {1}).value();
    BE::Tensor rets[] = {out.view()};
    auto r = registry.call("throwing.std_error", {}, rets);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("kernel gave up"), std::string::npos);
    r = registry.call("throwing.foreign", {}, rets);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("unknown C++ exception"), std::string::npos);
    r = registry.call("throwing.vector_at", {}, rets);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("vector"), std::string::npos) << r.error().message;
}

TEST_F(RegistryTest, StaticConstructorsRunBeforeTheFirstCall) {
    auto report = registry.load_cpp_inline("ctor", R"(
        #include <cmath>
        #include <vector>
        static const std::vector<double> table = [] {
            std::vector<double> t(64);
            for (int i = 0; i < 64; ++i) t[i] = std::sqrt(double(i));
            return t;
        }();
        // @BE lookup
        void lookup(const BE::Tensor& idx, BE::Tensor& out) {
            for (int64_t i = 0; i < idx.numel(); ++i) out.data_ptr<double>()[i] = table.at(idx.data_ptr<int32_t>()[i]);
        }
    )", "ctor");
    ASSERT_TRUE(report) << report.error().full();
    auto idx = HostArray::create(DType::int32, {3}).value();
    idx.data_as<int32_t>()[0] = 4;
    idx.data_as<int32_t>()[1] = 9;
    idx.data_as<int32_t>()[2] = 63;
    auto out = HostArray::create(DType::float64, {3}).value();
    BE::Tensor args[] = {idx.view()}, rets[] = {out.view()};
    ASSERT_TRUE(registry.call("ctor.lookup", args, rets));
    EXPECT_EQ(out.data_as<double>()[0], 2.0);
    EXPECT_EQ(out.data_as<double>()[1], 3.0);
    EXPECT_EQ(out.data_as<double>()[2], std::sqrt(63.0));
}

TEST_F(RegistryTest, TbbKernelGivesTheRightNumbers) {
    ASSERT_TRUE(registry.load_cpp_file(k_examples / "parallel_sum.cpp"));
    const int64_t rows = 1000, cols = 37;
    auto m = HostArray::create(DType::float64, {rows, cols}).value();
    for (int64_t i = 0; i < rows * cols; ++i) m.data_as<double>()[i] = std::sin(0.001 * i);
    auto sums = HostArray::create(DType::float64, {rows}).value();
    BE::Tensor args[] = {m.view()}, rets[] = {sums.view()};
    ASSERT_TRUE(registry.call("parallel_sum.row_sum", args, rets));
    for (int64_t r = 0; r < rows; ++r) {
        double expected = 0; // same summation order as the kernel: bitwise equal
        for (int64_t c = 0; c < cols; ++c) expected += std::sin(0.001 * (r * cols + c));
        ASSERT_EQ(sums.data_as<double>()[r], expected) << "row " << r;
    }
}

TEST_F(RegistryTest, CompileErrorsComeBackAsDataWithFileAndLine) {
    test::TempDir dir;
    test::write_file(dir / "broken.cpp", "// @BE f\nvoid f(BE::Tensor& out) {\n  undefined_call();\n}\n");
    auto report = registry.load_cpp_file(dir / "broken.cpp");
    ASSERT_FALSE(report.ok());
    EXPECT_NE(report.error().message.find("broken.cpp"), std::string::npos);
    EXPECT_NE(report.error().log.find("broken.cpp:3:"), std::string::npos) << report.error().log;
    EXPECT_NE(report.error().log.find("undefined_call"), std::string::npos);
    // The target exists and reports the file's error.
    auto target = registry.find("broken.f");
    ASSERT_TRUE(target);
    ASSERT_TRUE(target->load_error());
    auto out = HostArray::create(DType::float32, {1}).value();
    BE::Tensor rets[] = {out.view()};
    auto r = target->call({}, rets);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("failed to load"), std::string::npos);
}

TEST_F(RegistryTest, TokenSignatureMismatchIsReportedAtTheAnnotation) {
    test::TempDir dir;
    test::write_file(dir / "mismatch.cpp",
                     "template <typename T> void k(const BE::Tensor& a, BE::Tensor& b) {}\n"
                     "// @BE k_f32 = k<float> ret ret\n");
    auto report = registry.load_cpp_file(dir / "mismatch.cpp");
    ASSERT_FALSE(report.ok());
    EXPECT_NE(report.error().log.find("mismatch.cpp:2"), std::string::npos) << report.error().log;
}

TEST_F(RegistryTest, FailingFileDoesNotStopTheDirectory) {
    test::TempDir dir;
    test::write_file(dir / "a_good.cpp", "// @BE one\nvoid one(BE::Tensor& o) { o.data_ptr<float>()[0] = 1; }\n");
    test::write_file(dir / "b_bad.cpp", "// @BE two\nvoid two(BE::Tensor& o) { syntax error }\n");
    test::write_file(dir / "c_good.cpp", "// @BE three\nvoid three(BE::Tensor& o) { o.data_ptr<float>()[0] = 3; }\n");
    auto reports = registry.load_dir(dir.path(), "lib");
    ASSERT_TRUE(reports) << reports.error().full();
    ASSERT_EQ(reports->size(), 3u);
    EXPECT_FALSE((*reports)[0].error);
    EXPECT_TRUE((*reports)[1].error);
    EXPECT_FALSE((*reports)[2].error);
    auto out = HostArray::create(DType::float32, {1}).value();
    BE::Tensor rets[] = {out.view()};
    ASSERT_TRUE(registry.call("lib.three", {}, rets));
    EXPECT_EQ(out.data_as<float>()[0], 3.0f);
}

TEST_F(RegistryTest, NameCollisionInDirectoryNamesBothFiles) {
    test::TempDir dir;
    test::write_file(dir / "x.cpp", "// @BE same\nvoid same(BE::Tensor& o) {}\n");
    test::write_file(dir / "y.cpp", "\n// @BE same\nvoid same(BE::Tensor& o) {}\n");
    auto reports = registry.load_dir(dir.path(), "p");
    ASSERT_FALSE(reports.ok());
    EXPECT_NE(reports.error().message.find("x.cpp:1"), std::string::npos) << reports.error().message;
    EXPECT_NE(reports.error().message.find("y.cpp:2"), std::string::npos) << reports.error().message;
}

TEST_F(RegistryTest, SameContentIsNoOpDifferentContentNeedsReplace) {
    const std::string v1 = "// @BE get\nvoid get(BE::Tensor& o) { o.data_ptr<float>()[0] = 1; }\n";
    const std::string v2 = "// @BE get\nvoid get(BE::Tensor& o) { o.data_ptr<float>()[0] = 2; }\n";
    ASSERT_TRUE(registry.load_cpp_inline("ver", v1, "ver"));
    auto again = registry.load_cpp_inline("ver", v1, "ver");
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->unchanged);
    auto old_target = registry.find("ver.get");

    auto conflict = registry.load_cpp_inline("ver", v2, "ver");
    ASSERT_FALSE(conflict.ok());
    EXPECT_NE(conflict.error().message.find("already defined"), std::string::npos);

    test::TempDir dir;
    test::write_file(dir / "ver.cpp", v2);
    LoadOptions replace;
    replace.prefix = "ver";
    replace.replace = true;
    ASSERT_TRUE(registry.load_cpp_file(dir / "ver.cpp", replace));
    auto out = HostArray::create(DType::float32, {1}).value();
    BE::Tensor rets[] = {out.view()};
    ASSERT_TRUE(registry.call("ver.get", {}, rets));
    EXPECT_EQ(out.data_as<float>()[0], 2.0f);
    // The caller holding the old target still runs the old code.
    ASSERT_TRUE(old_target->call({}, rets));
    EXPECT_EQ(out.data_as<float>()[0], 1.0f);
}

TEST_F(RegistryTest, ConcurrentLoadsAndCallsFromSeveralThreads) {
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            if (!registry.load_cpp_file(k_examples / "scale.cpp")) ++failures;
            auto x = ramp(DType::float32, 8);
            auto y = HostArray::create(DType::float32, {8}).value();
            BE::Tensor args[] = {x.view()}, rets[] = {y.view()};
            for (int i = 0; i < 100; ++i)
                if (!registry.call("scale.scale_f32", args, rets, {{"alpha", double(t)}}) ||
                    y.data_as<float>()[7] != 7.0f * t)
                    ++failures;
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
}

} // namespace
} // namespace be
