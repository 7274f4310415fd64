// Registry::load_dir_by_need: a lookup loads only the file(s) defining the name (both twins of a
// .cpp/.cu pair), dtype-suffix groups, concurrent first calls, errors that name the file, and
// load_pending for listing; Registry::load_files, which load_pending (and load_dir,
// BECORE_KERNEL_PATH, kernelctl build) compile through in parallel. Each test uses its own
// temporary cache and kernel directory. Thread-count equivalence is tested through kernelctl
// (tests/tools/test_kernelctl_parallel.cpp): BECORE_THREADS is read once per process.
#include "test_support.h"

#include <becore/cache/kernel_cache.h>
#include <becore/registry/registry.h>
#include <becore/runtime/array.h>

#include <gtest/gtest.h>

#include <thread>

namespace be {
namespace {

using Names = std::vector<std::string>;

// A kernel writing `value` into its float32 ret.
std::string constant_kernel(const std::string& name, int value) {
    return "// @BE " + name + "\nvoid " + name +
           "(BE::Tensor& o) { o.data_ptr<float>()[0] = " + std::to_string(value) + "; }\n";
}

class ByNeedTest : public ::testing::Test {
  protected:
    test::TempDir cache_dir, dir;
    Registry registry{KernelCache::open(cache_dir.path())};

    // Calls `name` with one float32 ret and returns the value it wrote.
    float call_value(const std::string& name) {
        auto out = HostArray::create(DType::float32, {1}).value();
        BE::Tensor rets[] = {out.view()};
        auto called = registry.call(name, {}, rets);
        EXPECT_TRUE(called) << called.error().full();
        return out.data_as<float>()[0];
    }
};

TEST_F(ByNeedTest, LoadsOnlyTheFileDefiningTheName) {
    test::write_file(dir / "a.cpp", constant_kernel("one", 1) + constant_kernel("uno", 11));
    test::write_file(dir / "b.cpp", constant_kernel("two", 2));
    ASSERT_TRUE(registry.load_dir_by_need(dir.path(), "lib"));
    EXPECT_EQ(registry.names(), Names{});
    EXPECT_EQ(call_value("lib.two"), 2.0f);
    EXPECT_EQ(registry.names(), Names{"lib.two"});
    ASSERT_TRUE(registry.find("lib.uno")); // loads a.cpp, with both of its targets
    EXPECT_EQ(registry.names(), (Names{"lib.one", "lib.two", "lib.uno"}));
    EXPECT_EQ(call_value("lib.one"), 1.0f);
}

TEST_F(ByNeedTest, UnknownNameIsNoSuchTargetAndLoadsNothing) {
    test::write_file(dir / "a.cpp", constant_kernel("one", 1));
    ASSERT_TRUE(registry.load_dir_by_need(dir.path(), "lib"));
    EXPECT_EQ(registry.find("lib.nope"), nullptr);
    auto out = HostArray::create(DType::float32, {1}).value();
    BE::Tensor rets[] = {out.view()};
    auto called = registry.call("lib.nope", {}, rets);
    ASSERT_FALSE(called.ok());
    EXPECT_EQ(called.error().message, "call(lib.nope): no such target");
    EXPECT_EQ(registry.names(), Names{});
}

TEST_F(ByNeedTest, DtypeSuffixGroupLoadsTheMembersFile) {
    test::write_file(dir / "g.cpp",
                     "template <typename T> void fill(BE::Tensor& o) { o.data_ptr<T>()[0] = "
                     "sizeof(T); }\n"
                     "// @BE fill_f32 = fill<float> ret:float32\n"
                     "// @BE fill_f64 = fill<double> ret:float64\n");
    test::write_file(dir / "other.cpp", constant_kernel("other", 0));
    ASSERT_TRUE(registry.load_dir_by_need(dir.path(), "lib"));
    auto out = HostArray::create(DType::float64, {1}).value();
    BE::Tensor rets[] = {out.view()};
    auto called = registry.call("lib.fill", {}, rets);
    ASSERT_TRUE(called) << called.error().full();
    EXPECT_EQ(out.data_as<double>()[0], 8.0);
    EXPECT_EQ(registry.names(), (Names{"lib.fill_f32", "lib.fill_f64"}));
    auto prepared = registry.prepare("lib.fill", Device::cpu, {}, std::vector{DType::float32});
    ASSERT_TRUE(prepared) << prepared.error().full();
    EXPECT_EQ(prepared->target_name(), "lib.fill_f32");
}

TEST_F(ByNeedTest, TwinsLoadTogether) {
    // No CUDA architecture is set in the tests: the .cu twin registers deferred, with its
    // emulation (compiled on first use).
    test::write_file(dir / "t.cpp", "// @BE twin\nvoid twin(BE::Tensor& o) {}\n");
    test::write_file(dir / "t.cu", "// @BE twin launch(blocks=o.size(0), block=32)\n"
                                   "__global__ void twin(BE::Tensor o) {}\n");
    test::write_file(dir / "u.cpp", constant_kernel("solo", 5));
    ASSERT_TRUE(registry.load_dir_by_need(dir.path(), "lib"));
    auto target = registry.find("lib.twin");
    ASSERT_TRUE(target);
    EXPECT_EQ(target->devices(),
              (std::vector<Device>{Device::cpu, Device::cuda, Device::cuda_emu}));
    EXPECT_EQ(registry.names(), Names{"lib.twin"});
}

// One .cu file twins two .cpp files (as jitc.cu twins jitc_scalar.cpp, jitc_normal.cpp, ...):
// after the first lookup loaded the .cu file, a name of the other .cpp file is served on cuda
// already, and its lookup must still load that .cpp file.
TEST_F(ByNeedTest, TwinOfASecondFileLoadsThoughItsNameIsServedForAnotherDevice) {
    test::write_file(dir / "both.cu", "// @BE one launch(blocks=o.size(0), block=32)\n"
                                      "__global__ void one(BE::Tensor o) {}\n"
                                      "// @BE two launch(blocks=o.size(0), block=32)\n"
                                      "__global__ void two(BE::Tensor o) {}\n");
    test::write_file(dir / "one.cpp", constant_kernel("one", 1));
    test::write_file(dir / "two.cpp", constant_kernel("two", 2));
    ASSERT_TRUE(registry.load_dir_by_need(dir.path(), "lib"));
    EXPECT_EQ(call_value("lib.one"), 1.0f);
    EXPECT_EQ(call_value("lib.two"), 2.0f);
    auto two = registry.find("lib.two");
    ASSERT_TRUE(two);
    EXPECT_EQ(two->devices(), (std::vector<Device>{Device::cpu, Device::cuda, Device::cuda_emu}));
}

TEST_F(ByNeedTest, ConcurrentFirstCallsOfDifferentAndSameFiles) {
    for (int i = 0; i < 4; ++i)
        test::write_file(dir / ("f" + std::to_string(i) + ".cpp"),
                         constant_kernel("k" + std::to_string(i), 10 + i));
    ASSERT_TRUE(registry.load_dir_by_need(dir.path(), "lib"));
    std::vector<std::thread> threads;
    std::vector<float> values(8, -1.0f);
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            auto out = HostArray::create(DType::float32, {1}).value();
            BE::Tensor rets[] = {out.view()};
            if (registry.call("lib.k" + std::to_string(t % 4), {}, rets))
                values[t] = out.data_as<float>()[0];
        });
    for (auto& thread : threads)
        thread.join();
    for (int t = 0; t < 8; ++t)
        EXPECT_EQ(values[t], static_cast<float>(10 + t % 4)) << "thread " << t;
    EXPECT_EQ(registry.names(), (Names{"lib.k0", "lib.k1", "lib.k2", "lib.k3"}));
}

TEST_F(ByNeedTest, CompileFailureIsReportedAtTheCallNamingTheFile) {
    test::write_file(dir / "bad.cpp",
                     "// @BE broken\nvoid broken(BE::Tensor& o) { syntax error }\n");
    test::write_file(dir / "good.cpp", constant_kernel("fine", 3));
    ASSERT_TRUE(registry.load_dir_by_need(dir.path(), "lib"));
    EXPECT_EQ(call_value("lib.fine"), 3.0f);
    auto out = HostArray::create(DType::float32, {1}).value();
    BE::Tensor rets[] = {out.view()};
    auto called = registry.call("lib.broken", {}, rets);
    ASSERT_FALSE(called.ok());
    EXPECT_NE(called.error().message.find("call(lib.broken)"), std::string::npos)
        << called.error().message;
    EXPECT_NE(called.error().message.find((dir / "bad.cpp").string()), std::string::npos)
        << called.error().message;
}

TEST_F(ByNeedTest, AnnotationErrorIsReportedAtTheCall) {
    test::write_file(dir / "odd.cpp", "// @BE odd ret:nosuchtype\nvoid odd(BE::Tensor& o) {}\n");
    ASSERT_TRUE(registry.load_dir_by_need(dir.path(), "lib"));
    auto out = HostArray::create(DType::float32, {1}).value();
    BE::Tensor rets[] = {out.view()};
    auto called = registry.call("lib.odd", {}, rets);
    ASSERT_FALSE(called.ok());
    const auto& message = called.error().message;
    EXPECT_EQ(message.rfind(
                  "call(lib.odd): parse_annotations(" + (dir / "odd.cpp").string() + ":1): ", 0),
              0u)
        << message;
}

TEST_F(ByNeedTest, NameDefinedTwiceIsAnErrorBeforeAnyLoad) {
    test::write_file(dir / "x.cpp", constant_kernel("same", 1));
    test::write_file(dir / "y.cpp", "\n" + constant_kernel("same", 2));
    auto indexed = registry.load_dir_by_need(dir.path(), "p");
    ASSERT_FALSE(indexed.ok());
    const auto& message = indexed.error().message;
    EXPECT_EQ(message.rfind("load_dir_by_need(" + dir.path().string() + "): ", 0), 0u) << message;
    EXPECT_NE(message.find("x.cpp:1"), std::string::npos) << message;
    EXPECT_NE(message.find("y.cpp:2"), std::string::npos) << message;
    EXPECT_FALSE(registry.load_dir_by_need(dir / "missing", "p").ok());
}

TEST_F(ByNeedTest, LoadPendingLoadsTheRestOnce) {
    test::write_file(dir / "a.cpp", constant_kernel("one", 1));
    test::write_file(dir / "b.cpp", constant_kernel("two", 2));
    test::write_file(dir / "c.cpp", "// @BE three\nvoid three(BE::Tensor& o) { nope }\n");
    ASSERT_TRUE(registry.load_dir_by_need(dir.path(), "lib"));
    ASSERT_TRUE(registry.find("lib.two"));
    auto reports = registry.load_pending();
    ASSERT_EQ(reports.size(), 2u);
    EXPECT_EQ(reports[0].file, (dir / "a.cpp").string());
    EXPECT_FALSE(reports[0].error);
    EXPECT_EQ(reports[1].file, (dir / "c.cpp").string());
    EXPECT_TRUE(reports[1].error);
    EXPECT_EQ(registry.names(), (Names{"lib.one", "lib.three", "lib.two"}));
    EXPECT_TRUE(registry.load_pending().empty());
}

TEST_F(ByNeedTest, ReportsInTheOrderGivenAndAFileGivenTwiceIsThenUnchanged) {
    test::write_file(dir / "a.cpp", constant_kernel("a", 1));
    test::write_file(dir / "b.cpp", constant_kernel("b", 2));
    test::write_file(dir / "c.txt", "not a kernel");
    std::vector<FileLoad> loads{
        {dir / "b.cpp", {}}, {dir / "a.cpp", {}}, {dir / "c.txt", {}}, {dir / "b.cpp", {}}};
    auto reports = registry.load_files(loads);
    ASSERT_EQ(reports.size(), 4u);
    EXPECT_EQ(reports[0].targets, std::vector<std::string>{"b.b"});
    EXPECT_FALSE(reports[0].unchanged);
    EXPECT_FALSE(reports[0].cache_hit);
    EXPECT_EQ(reports[1].targets, std::vector<std::string>{"a.a"});
    ASSERT_TRUE(reports[2].error);
    EXPECT_NE(reports[2].error->message.find("c.txt): not a kernel source"), std::string::npos)
        << reports[2].error->message;
    EXPECT_TRUE(reports[3].unchanged); // staged after the first b.cpp was published
    EXPECT_EQ(registry.cache().stats().compiles, 2u);
    EXPECT_EQ(call_value("a.a"), 1.0f);
    EXPECT_EQ(call_value("b.b"), 2.0f);
}

// load_pending claims the files nobody is loading and compiles them together, while first calls
// on other threads load (or wait for) the files they need: each file compiles once, and every
// call sees its target.
TEST_F(ByNeedTest, LoadPendingBesideConcurrentFirstCallsLoadsEachFileOnce) {
    constexpr int k_files = 6;
    for (int i = 0; i < k_files; ++i)
        test::write_file(dir / ("f" + std::to_string(i) + ".cpp"),
                         constant_kernel("k" + std::to_string(i), 10 + i));
    ASSERT_TRUE(registry.load_dir_by_need(dir.path(), "lib"));
    std::vector<LoadReport> pending;
    std::vector<float> values(k_files, -1.0f);
    std::vector<std::thread> threads;
    threads.emplace_back([&] { pending = registry.load_pending(); });
    for (int i = k_files - 1; i >= 0; i -= 2)
        threads.emplace_back([&, i] { values[i] = call_value("lib.k" + std::to_string(i)); });
    for (auto& thread : threads)
        thread.join();
    for (int i = k_files - 1; i >= 0; i -= 2)
        EXPECT_EQ(values[i], static_cast<float>(10 + i)) << "k" << i;
    EXPECT_EQ(registry.names().size(), size_t(k_files));
    EXPECT_EQ(registry.cache().stats().compiles, size_t(k_files));
    // The files load_pending loaded itself, each once, in file order.
    for (size_t r = 1; r < pending.size(); ++r)
        EXPECT_LT(pending[r - 1].file, pending[r].file);
    for (const auto& report : pending)
        EXPECT_FALSE(report.error) << report.error->full();
    EXPECT_TRUE(registry.load_pending().empty());
}

} // namespace
} // namespace be
