// The registry over the disk cache: warm starts in fresh processes, what invalidates an entry,
// and recovery from damaged blobs. Each test has its own cache directory.
#include "test_support.h"

#include <becore/cache/kernel_cache.h>
#include <becore/registry/registry.h>
#include <becore/runtime/array.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

namespace be {
namespace {

const std::filesystem::path k_examples = BECORE_EXAMPLES_DIR;

nlohmann::json run_probe(const std::filesystem::path& cache, const std::string& files,
                         const std::string& extra_env = "") {
    auto result = test::run_command("env BECORE_CACHE_DIR=" + cache.string() + " " + extra_env + " " +
                                    (test::bin_dir() / "becore_probe").string() + " " + files);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    auto brace = result.output.rfind("{\"hits\"");
    EXPECT_NE(brace, std::string::npos) << result.output;
    return nlohmann::json::parse(result.output.substr(brace));
}

TEST(CacheWarmStart, FreshProcessCompilesNothingAndNeverMapsTheCompiler) {
    test::TempDir cache;
    const std::string files = (k_examples / "scale.cpp").string() + " " + (k_examples / "parallel_sum.cpp").string();
    auto cold = run_probe(cache.path(), files);
    EXPECT_EQ(cold["compiled"], 2);
    EXPECT_EQ(cold["clang_mapped"], true);
    auto warm = run_probe(cache.path(), files);
    EXPECT_EQ(warm["compiled"], 0);
    EXPECT_EQ(warm["hits"], 2);
    EXPECT_EQ(warm["clang_mapped"], false);
    EXPECT_EQ(warm["targets"].size(), 4u);
}

TEST(CacheWarmStart, KernelPathIsLoadedAtStartUpUnderEachStem) {
    test::TempDir cache, dir;
    test::write_file(dir / "alpha.cpp", "// @BE one\nvoid one(BE::Tensor& o) {}\n");
    test::write_file(dir / "beta.cpp", "// @BE two\nvoid two(BE::Tensor& o) {}\n");
    auto probe = run_probe(cache.path(), "", "BECORE_KERNEL_PATH=" + dir.path().string() + ":" +
                                                 (k_examples / "scale.cpp").string());
    auto targets = probe["targets"].get<std::vector<std::string>>();
    EXPECT_EQ(targets, (std::vector<std::string>{"alpha.one", "beta.two", "scale.axpy",
                                                 "scale.scale_f32", "scale.scale_f64"}));
}

TEST(RuntimeThreads, BecoreThreadsLimitsParallelismOnceKernelsLoad) {
    test::TempDir cache;
    const std::string file = (k_examples / "scale.cpp").string();
    EXPECT_EQ(run_probe(cache.path(), file, "BECORE_THREADS=1")["threads"], 1);
    EXPECT_EQ(run_probe(cache.path(), file, "BECORE_THREADS=2")["threads"], 2);
    auto invalid = test::run_command("env BECORE_CACHE_DIR=" + cache.path().string() +
                                     " BECORE_THREADS=lots " + (test::bin_dir() / "becore_probe").string() +
                                     " " + file);
    EXPECT_EQ(invalid.exit_code, 0);
    EXPECT_NE(invalid.output.find("BECORE_THREADS=lots is not a positive thread count"), std::string::npos)
        << invalid.output;
}

class RegistryCacheTest : public ::testing::Test {
  protected:
    test::TempDir cache_dir, src;

    // A fresh registry over the same cache directory, as a new process would have.
    LoadReport load(const std::filesystem::path& file, const LoadOptions& options = {}) {
        Registry registry(KernelCache::open(cache_dir.path()));
        auto report = registry.load_cpp_file(file, options);
        EXPECT_TRUE(report) << report.error().full();
        if (report) last_value = call_get(registry, options.prefix.empty() ? file.stem().string() : options.prefix);
        return report ? report.value() : LoadReport{};
    }
    static float call_get(Registry& registry, const std::string& prefix) {
        auto out = HostArray::create(DType::float32, {1}).value();
        BE::Tensor rets[] = {out.view()};
        auto r = registry.call(prefix + ".get", {}, rets);
        EXPECT_TRUE(r) << r.error().full();
        return out.data_as<float>()[0];
    }
    std::filesystem::path only_blob() {
        auto entries = KernelCache::open(cache_dir.path())->list();
        EXPECT_EQ(entries.size(), 1u);
        auto key = entries.at(0).key;
        return cache_dir.path() / "v1" / "blobs" / key.substr(0, 2) / key;
    }
    float last_value = 0;
};

TEST_F(RegistryCacheTest, HeaderChangeInvalidates) {
    test::write_file(src / "value.h", "constexpr float k_value = 1.5f;\n");
    test::write_file(src / "k.cpp", "#include \"value.h\"\n// @BE get\nvoid get(BE::Tensor& o) { o.data_ptr<float>()[0] = k_value; }\n");
    EXPECT_FALSE(load(src / "k.cpp").cache_hit);
    EXPECT_TRUE(load(src / "k.cpp").cache_hit);
    EXPECT_EQ(last_value, 1.5f);
    test::write_file(src / "value.h", "constexpr float k_value = 2.5f;\n");
    EXPECT_FALSE(load(src / "k.cpp").cache_hit);
    EXPECT_EQ(last_value, 2.5f);
    EXPECT_TRUE(load(src / "k.cpp").cache_hit);
}

TEST_F(RegistryCacheTest, FlagChangeInvalidates) {
    test::write_file(src / "k.cpp", "#ifndef V\n#define V 1\n#endif\n// @BE get\nvoid get(BE::Tensor& o) { o.data_ptr<float>()[0] = V; }\n");
    EXPECT_FALSE(load(src / "k.cpp").cache_hit);
    LoadOptions with_define;
    with_define.flags = {"-DV=7"};
    EXPECT_FALSE(load(src / "k.cpp", with_define).cache_hit);
    EXPECT_EQ(last_value, 7.0f);
    EXPECT_TRUE(load(src / "k.cpp", with_define).cache_hit);
    EXPECT_TRUE(load(src / "k.cpp").cache_hit);
    EXPECT_EQ(last_value, 1.0f);
}

TEST_F(RegistryCacheTest, SaltInvalidates) {
    test::write_file(src / "k.cpp", "// @BE get\nvoid get(BE::Tensor& o) { o.data_ptr<float>()[0] = 3; }\n");
    EXPECT_FALSE(load(src / "k.cpp").cache_hit);
    test::ScopedEnv salt("BECORE_CACHE_SALT", "lab-42");
    EXPECT_FALSE(load(src / "k.cpp").cache_hit);
    EXPECT_TRUE(load(src / "k.cpp").cache_hit);
}

TEST_F(RegistryCacheTest, TruncatedBlobIsRecompiled) {
    test::write_file(src / "k.cpp", "// @BE get\nvoid get(BE::Tensor& o) { o.data_ptr<float>()[0] = 4; }\n");
    load(src / "k.cpp");
    auto blob = only_blob();
    std::filesystem::resize_file(blob, std::filesystem::file_size(blob) / 2);
    EXPECT_FALSE(load(src / "k.cpp").cache_hit);
    EXPECT_EQ(last_value, 4.0f);
    EXPECT_TRUE(load(src / "k.cpp").cache_hit);
    EXPECT_EQ(KernelCache::open(cache_dir.path())->stats().corrupt_recovered, 1u);
}

TEST_F(RegistryCacheTest, BitFlippedBlobIsRecompiled) {
    test::write_file(src / "k.cpp", "// @BE get\nvoid get(BE::Tensor& o) { o.data_ptr<float>()[0] = 5; }\n");
    load(src / "k.cpp");
    auto blob = only_blob();
    {
        std::fstream f(blob, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(static_cast<std::streamoff>(std::filesystem::file_size(blob) - 100));
        char c = 0;
        f.read(&c, 1);
        c ^= 0x10;
        f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(blob) - 100));
        f.write(&c, 1);
    }
    EXPECT_FALSE(load(src / "k.cpp").cache_hit);
    EXPECT_EQ(last_value, 5.0f);
    EXPECT_TRUE(load(src / "k.cpp").cache_hit);
}

} // namespace
} // namespace be
