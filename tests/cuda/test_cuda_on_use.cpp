// `.cu` targets compiled on first use (LoadOptions::cuda_compile_on_use, which
// load_dir_by_need sets), against the fake driver: a lookup compiles nothing, the first call,
// prepare or BE::cuda_launch of a target compiles its name expression alone (one cache entry
// each, named by the entry's metadata), a bad instantiation fails its own target only, with the
// load's file:line message, a whole-file entry already cached serves every target without a
// compile, concurrent first uses compile once, and an eager load after them compiles the whole
// file. The launched entry names are the Itanium manglings of the instantiations, written out.
#include "cuda_test_util.h"

#include <becore/cache/kernel_cache.h>
#include <becore/registry/registry.h>
#include <becore/runtime/array.h>

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace be {
namespace {

// fill_bad's instantiation trips the static_assert on line 6.
const char* k_fills = R"(// @BE fill_f32 = fill<float> ret:float32 launch(threads=y.numel())
// @BE fill_f64 = fill<double> ret:float64 launch(threads=y.numel())
// @BE fill_bad = fill<char> ret launch(threads=y.numel())
template <typename T> __global__ void fill(BE::Tensor y) {
    const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    static_assert(sizeof(T) >= 4, "fill needs a type of 4 bytes or more");
    if (i < y.numel()) y.data_ptr<T>()[i] = T(1);
}
// @BE count launch(threads=1)
__global__ void count(BE::Tensor y) {}
)";
constexpr int k_static_assert_line = 6;

class CudaOnUseTest : public ::testing::Test {
  protected:
    test::TempDir cache_dir, src;
    test::FakeLog log;
    Registry registry{KernelCache::open(cache_dir.path())};
    DeviceArray f32 = DeviceArray::create(DType::float32, {4}).value();
    DeviceArray f64 = DeviceArray::create(DType::float64, {4}).value();

    // k.cu, by need under prefix "k"; without fill_bad unless `with_bad`.
    void write_fills(bool with_bad) {
        std::string text = k_fills;
        if (!with_bad) {
            // The annotation only: the line count, and so the static_assert's line, stays.
            const std::string bad = "// @BE fill_bad = fill<char> ret launch(threads=y.numel())";
            text.replace(text.find(bad), bad.size(), "//");
        }
        test::write_file(src / "k.cu", text);
    }
    Result<void> call(const Registry& r, const std::string& name, DeviceArray& out) {
        BE::Tensor rets[] = {out.view()};
        return r.call(name, {}, rets);
    }
    // The metadata of the cache's entries: the targets each was compiled for.
    std::multiset<std::string> entries() const {
        std::multiset<std::string> names;
        for (const auto& e : KernelCache::open(cache_dir.path())->list())
            names.insert(e.metadata);
        return names;
    }
    std::vector<std::string> launched() const {
        std::vector<std::string> names;
        for (const auto& launch : log.calls("cuLaunchKernel"))
            names.push_back(launch["function"].get<std::string>());
        return names;
    }
};

TEST_F(CudaOnUseTest, EachTargetCompilesOnItsFirstUseAlone) {
    write_fills(false);
    ASSERT_TRUE(registry.load_dir_by_need(src.path(), "k"));
    auto target = registry.find("k.fill_f32"); // loads k.cu: compiles nothing yet
    ASSERT_TRUE(target);
    EXPECT_FALSE(target->load_error());
    EXPECT_EQ(entries(), std::multiset<std::string>{});
    EXPECT_TRUE(log.calls("cuModuleLoadData").empty());

    auto called = call(registry, "k.fill_f32", f32);
    ASSERT_TRUE(called) << called.error().full();
    EXPECT_EQ(entries(), std::multiset<std::string>{"k.fill_f32"});
    EXPECT_EQ(launched(), std::vector<std::string>{"_Z4fillIfEvN2BE6TensorE"});

    called = call(registry, "k.fill_f64", f64);
    ASSERT_TRUE(called) << called.error().full();
    EXPECT_EQ(entries(), (std::multiset<std::string>{"k.fill_f32", "k.fill_f64"}));
    called = call(registry, "k.fill_f32", f32);
    ASSERT_TRUE(called) << called.error().full();
    EXPECT_EQ(launched(),
              (std::vector<std::string>{"_Z4fillIfEvN2BE6TensorE", "_Z4fillIdEvN2BE6TensorE",
                                        "_Z4fillIfEvN2BE6TensorE"}));
    EXPECT_EQ(registry.cache().stats().compiles, 2u);

    // prepare is a first use too: it compiles, so that invoke does not.
    auto prepared =
        registry.prepare("k.count", Device::cuda, {}, std::vector<DType>{DType::float32});
    ASSERT_TRUE(prepared) << prepared.error().full();
    EXPECT_EQ(entries(), (std::multiset<std::string>{"k.fill_f32", "k.fill_f64", "k.count"}));
    BE::Tensor rets[] = {f32.view()};
    ASSERT_TRUE(prepared->invoke({}, rets));
    EXPECT_EQ(launched().back(), "_Z5countN2BE6TensorE");
    EXPECT_EQ(registry.cache().stats().compiles, 3u);

    // A new process finds the per-target entries: no compile.
    Registry again(KernelCache::open(cache_dir.path()));
    const uint64_t before = again.cache().stats().compiles;
    ASSERT_TRUE(again.load_dir_by_need(src.path(), "k"));
    ASSERT_TRUE(call(again, "k.fill_f64", f64));
    EXPECT_EQ(again.cache().stats().compiles, before);
    EXPECT_EQ(entries().size(), 3u);
}

TEST_F(CudaOnUseTest, ABadInstantiationFailsItsOwnTargetWithTheLoadsMessage) {
    write_fills(true);
    // The whole file, loaded eagerly, fails at load: the reference message.
    Registry eager(KernelCache::in_memory());
    auto loaded = eager.load_cuda_file(src / "k.cu");
    ASSERT_FALSE(loaded);
    const std::string where = "load_cuda_file(" + (src / "k.cu").string() + ":" +
                              std::to_string(k_static_assert_line) + "): compilation failed: ";
    ASSERT_EQ(loaded.error().message.rfind(where, 0), 0u) << loaded.error().message;

    ASSERT_TRUE(registry.load_dir_by_need(src.path(), "k"));
    auto bad = call(registry, "k.fill_bad", f32);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "call(k.fill_bad): the target is unavailable because its "
                                   "source failed to load: " +
                                       loaded.error().message);
    EXPECT_NE(bad.error().log.find("fill needs a type of 4 bytes or more"), std::string::npos)
        << bad.error().log;
    // The file's other targets work; the failure stays with its target, without a new compile.
    auto good = call(registry, "k.fill_f32", f32);
    ASSERT_TRUE(good) << good.error().full();
    EXPECT_EQ(launched(), std::vector<std::string>{"_Z4fillIfEvN2BE6TensorE"});
    const uint64_t compiles = registry.cache().stats().compiles;
    auto prepared =
        registry.prepare("k.fill_bad", Device::cuda, {}, std::vector<DType>{DType::float32});
    ASSERT_FALSE(prepared);
    EXPECT_EQ(prepared.error().message.rfind("prepare(k.fill_bad): the target is unavailable "
                                             "because its source failed to load: " +
                                                 where,
                                             0),
              0u)
        << prepared.error().message;
    EXPECT_EQ(registry.cache().stats().compiles, compiles);
    EXPECT_EQ(entries(), std::multiset<std::string>{"k.fill_f32"});
    // Target::load_error stays the load's: the load succeeded.
    EXPECT_FALSE(registry.find("k.fill_bad")->load_error());
}

TEST_F(CudaOnUseTest, AWholeFileEntryInTheCacheServesEveryTargetWithoutACompile) {
    write_fills(false);
    {
        Registry eager(KernelCache::open(cache_dir.path())); // as kernelctl build leaves it
        auto loaded = eager.load_cuda_file(src / "k.cu");
        ASSERT_TRUE(loaded) << loaded.error().full();
        EXPECT_FALSE(loaded->cache_hit);
    }
    const auto whole = entries();
    ASSERT_EQ(whole, std::multiset<std::string>{"k.fill_f32,k.fill_f64,k.count"});
    log.clear();
    const uint64_t before = registry.cache().stats().compiles;
    ASSERT_TRUE(registry.load_dir_by_need(src.path(), "k"));
    for (auto [name, out] : {std::pair{"k.fill_f32", &f32}, std::pair{"k.fill_f64", &f64},
                             std::pair{"k.count", &f32}}) {
        auto called = call(registry, name, *out);
        ASSERT_TRUE(called) << name << ": " << called.error().full();
    }
    EXPECT_EQ(registry.cache().stats().compiles, before);
    EXPECT_EQ(entries(), whole);
    EXPECT_EQ(log.calls("cuModuleLoadData").size(), 1u); // one module for the file
    EXPECT_EQ(launched(),
              (std::vector<std::string>{"_Z4fillIfEvN2BE6TensorE", "_Z4fillIdEvN2BE6TensorE",
                                        "_Z5countN2BE6TensorE"}));
}

TEST_F(CudaOnUseTest, ConcurrentFirstUsesOfATargetCompileOnce) {
    write_fills(false);
    ASSERT_TRUE(registry.load_dir_by_need(src.path(), "k"));
    ASSERT_TRUE(registry.find("k.fill_f32"));
    std::vector<Result<void>> results(4, Result<void>{});
    std::vector<DeviceArray> outs;
    for (int i = 0; i < 4; ++i)
        outs.push_back(DeviceArray::create(DType::float32, {4}).value());
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i)
        threads.emplace_back([&, i] { results[i] = call(registry, "k.fill_f32", outs[i]); });
    for (auto& t : threads)
        t.join();
    for (const auto& r : results)
        EXPECT_TRUE(r) << r.error().full();
    EXPECT_EQ(registry.cache().stats().compiles, 1u);
    EXPECT_EQ(entries(), std::multiset<std::string>{"k.fill_f32"});
    EXPECT_EQ(log.calls("cuModuleLoadData").size(), 1u);
    EXPECT_EQ(launched().size(), 4u);
}

TEST_F(CudaOnUseTest, AnEagerLoadAfterAByNeedOneCompilesTheWholeFile) {
    write_fills(false);
    ASSERT_TRUE(registry.load_dir_by_need(src.path(), "k"));
    ASSERT_TRUE(call(registry, "k.fill_f32", f32));
    auto loaded = registry.load_cuda_file(src / "k.cu");
    ASSERT_TRUE(loaded) << loaded.error().full();
    EXPECT_FALSE(loaded->unchanged); // its targets were not all compiled
    EXPECT_FALSE(loaded->cache_hit);
    EXPECT_EQ(entries(),
              (std::multiset<std::string>{"k.fill_f32", "k.fill_f32,k.fill_f64,k.count"}));
    // Loading it again is a no-op now that every target is compiled.
    auto again = registry.load_cuda_file(src / "k.cu");
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->unchanged);
    const uint64_t compiles = registry.cache().stats().compiles;
    ASSERT_TRUE(call(registry, "k.fill_f64", f64));
    EXPECT_EQ(registry.cache().stats().compiles, compiles);
}

TEST_F(CudaOnUseTest, CudaLaunchFromHostCodeCompilesTheKernelsItResolves) {
    test::write_file(src / "ops.cu", R"(
// @BE first
__global__ void first(BE::Tensor y) {}
// @BE second
__global__ void second(BE::Tensor y) {}
// @BE unused
__global__ void unused(BE::Tensor y) {}
)");
    test::write_file(src / "pipeline.cpp", R"(
// @BE two_step
void two_step(BE::Tensor& y) {
    static const BE::CudaFunction first = BE::cuda_function("ops.first");
    BE::cuda_launch(first, 1, 1, 0, 0, y);
    BE::cuda_launch("ops.second", 1, 1, 0, 0, y);
}
)");
    ASSERT_TRUE(registry.load_dir_by_need(src.path(), "ops"));
    auto called = call(registry, "ops.two_step", f32);
    ASSERT_TRUE(called) << called.error().full();
    EXPECT_EQ(launched(),
              (std::vector<std::string>{"_Z5firstN2BE6TensorE", "_Z6secondN2BE6TensorE"}));
    auto names = entries();
    EXPECT_EQ(names.count("ops.first"), 1u);
    EXPECT_EQ(names.count("ops.second"), 1u);
    EXPECT_EQ(names.count("ops.unused"), 0u);
    EXPECT_EQ(names.size(), 3u); // and the host code's
}

} // namespace
} // namespace be
