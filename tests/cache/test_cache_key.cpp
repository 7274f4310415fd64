// Key derivation and direct mode: which inputs change the key, which must not, and how header
// manifests follow header contents.
#include "cache_test_util.h"
#include "test_support.h"

#include <becore/cache/kernel_cache.h>

#include <gtest/gtest.h>

#include <functional>
#include <set>

namespace be {
namespace {

using test::bytes_of;
using test::sample_inputs;

// The key a store of these inputs yields (in memory: the key logic is the same).
std::string key_of(const CacheKeyInputs& inputs,
                   const std::vector<std::filesystem::path>& headers = {}) {
    auto cache = KernelCache::in_memory();
    auto key = cache->store(inputs, headers, bytes_of("object"), 0.1, "");
    EXPECT_TRUE(key.ok()) << (key.ok() ? "" : key.error().message);
    return key.ok() ? *key : std::string();
}

TEST(CacheKey, StableAndHex) {
    test::ScopedEnv salt("BECORE_CACHE_SALT", std::nullopt);
    std::string key = key_of(sample_inputs());
    EXPECT_EQ(key.size(), 32u);
    EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(key_of(sample_inputs()), key);
}

TEST(CacheKey, EachFieldChangesTheKey) {
    test::ScopedEnv salt("BECORE_CACHE_SALT", std::nullopt);
    const std::vector<std::pair<std::string, std::function<void(CacheKeyInputs&)>>> changes = {
        {"backend", [](auto& in) { in.backend = "cuda-emu"; }},
        {"source", [](auto& in) { in.source_text += " "; }},
        {"flag value", [](auto& in) { in.flags[0] = "-O2"; }},
        {"flag added", [](auto& in) { in.flags.push_back("-g"); }},
        {"flag removed", [](auto& in) { in.flags.pop_back(); }},
        {"target", [](auto& in) { in.target = "x86_64-pc-linux-gnu;cpu=znver4"; }},
        {"toolchain", [](auto& in) { in.toolchain = "clang 17.0.1"; }},
        {"kernel headers", [](auto& in) { in.kernel_headers_hash = "ffff"; }},
    };
    std::set<std::string> keys{key_of(sample_inputs())};
    for (const auto& [name, change] : changes) {
        CacheKeyInputs inputs = sample_inputs();
        change(inputs);
        EXPECT_TRUE(keys.insert(key_of(inputs)).second) << name << " did not change the key";
    }
}

TEST(CacheKey, FlagOrderMatters) {
    CacheKeyInputs swapped = sample_inputs();
    std::swap(swapped.flags[0], swapped.flags[1]);
    EXPECT_NE(key_of(sample_inputs()), key_of(swapped));
}

TEST(CacheKey, FlagBoundariesMatter) {
    CacheKeyInputs a = sample_inputs(), b = sample_inputs(), c = sample_inputs();
    a.flags = {"-D", "X"};
    b.flags = {"-DX"};
    c.flags = {"-D X"};
    EXPECT_NE(key_of(a), key_of(b));
    EXPECT_NE(key_of(b), key_of(c));
    EXPECT_NE(key_of(a), key_of(c));
}

TEST(CacheKey, DisplayPathAndRootsDoNotChangeTheKey) {
    CacheKeyInputs moved = sample_inputs();
    moved.source_display = "/elsewhere/add.cpp";
    moved.include_roots = {"/elsewhere", "/usr/local/include/project"};
    EXPECT_EQ(key_of(sample_inputs()), key_of(moved));
}

TEST(CacheKey, SaltChangesTheKey) {
    std::string unsalted, salted, other;
    {
        test::ScopedEnv salt("BECORE_CACHE_SALT", std::nullopt);
        unsalted = key_of(sample_inputs());
    }
    {
        test::ScopedEnv salt("BECORE_CACHE_SALT", "lab-a");
        salted = key_of(sample_inputs());
    }
    {
        test::ScopedEnv salt("BECORE_CACHE_SALT", "lab-b");
        other = key_of(sample_inputs());
    }
    EXPECT_NE(unsalted, salted);
    EXPECT_NE(salted, other);
}

TEST(CacheKey, SaltIsReadAtEachLookup) {
    test::ScopedEnv unset("BECORE_CACHE_SALT", std::nullopt);
    auto cache = KernelCache::in_memory();
    ASSERT_TRUE(cache->store(sample_inputs(), {}, bytes_of("x"), 0, "").ok());
    EXPECT_TRUE(cache->lookup(sample_inputs()).has_value());
    test::ScopedEnv salt("BECORE_CACHE_SALT", "new");
    EXPECT_FALSE(cache->lookup(sample_inputs()).has_value());
}

TEST(CacheKey, DescribeFieldsInHashingOrder) {
    test::ScopedEnv salt("BECORE_CACHE_SALT", "s1");
    auto fields = describe_key_fields(sample_inputs());
    std::vector<std::string> names;
    for (const auto& [name, value] : fields)
        names.push_back(name);
    EXPECT_EQ(names, (std::vector<std::string>{"format", "becore_version", "kernel_headers_hash",
                                               "backend", "source_hash", "flag[0]", "flag[1]",
                                               "flag[2]", "target", "toolchain", "salt"}));
    EXPECT_EQ(fields[0].second, "1");
    EXPECT_FALSE(fields[1].second.empty()); // BECORE_VERSION
    EXPECT_EQ(fields[4].second.size(), 32u); // the source's hash, not the source
    EXPECT_EQ(fields.back().second, "s1");
}

class CacheDirect : public ::testing::Test {
  protected:
    void SetUp() override {
        source_dir_ = dir_ / "project";
        header_ = source_dir_ / "include" / "params.h";
        test::write_file(header_, "#define N 4\n");
        cache_ = KernelCache::in_memory();
    }
    test::TempDir dir_;
    std::filesystem::path source_dir_, header_;
    std::shared_ptr<KernelCache> cache_;
};

TEST_F(CacheDirect, HeaderContentChangeMissesAndRestoreHits) {
    auto inputs = sample_inputs(source_dir_);
    auto key = cache_->store(inputs, {header_}, bytes_of("obj"), 0.5, "");
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(cache_->lookup(inputs)->key, *key);

    test::write_file(header_, "#define N 8\n");
    EXPECT_FALSE(cache_->lookup(inputs).has_value());

    test::write_file(header_, "#define N 4\n");
    auto hit = cache_->lookup(inputs);
    ASSERT_TRUE(hit.has_value());
    EXPECT_EQ(hit->key, *key);
}

TEST_F(CacheDirect, HeadersChangeTheFullKey) {
    auto inputs = sample_inputs(source_dir_);
    EXPECT_NE(key_of(inputs), key_of(inputs, {header_}));
}

TEST_F(CacheDirect, DeletedHeaderMisses) {
    auto inputs = sample_inputs(source_dir_);
    ASSERT_TRUE(cache_->store(inputs, {header_}, bytes_of("obj"), 0.5, "").ok());
    std::filesystem::remove(header_);
    EXPECT_FALSE(cache_->lookup(inputs).has_value());
}

TEST_F(CacheDirect, OneManifestPerHeaderVersion) {
    auto inputs = sample_inputs(source_dir_);
    auto first = cache_->store(inputs, {header_}, bytes_of("four"), 0.5, "");
    test::write_file(header_, "#define N 8\n");
    auto second = cache_->store(inputs, {header_}, bytes_of("eight"), 0.5, "");
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_NE(*first, *second);

    auto hit = cache_->lookup(inputs);
    ASSERT_TRUE(hit.has_value());
    EXPECT_EQ(hit->blob, bytes_of("eight"));
    test::write_file(header_, "#define N 4\n");
    hit = cache_->lookup(inputs);
    ASSERT_TRUE(hit.has_value());
    EXPECT_EQ(hit->blob, bytes_of("four"));
}

TEST_F(CacheDirect, MovedProjectKeepsItsEntries) {
    auto inputs = sample_inputs(source_dir_);
    auto key = cache_->store(inputs, {header_}, bytes_of("obj"), 0.5, "");
    ASSERT_TRUE(key.ok());
    auto moved = dir_ / "moved";
    std::filesystem::rename(source_dir_, moved);
    auto hit = cache_->lookup(sample_inputs(moved));
    ASSERT_TRUE(hit.has_value());
    EXPECT_EQ(hit->key, *key);
    // The same relative path must be found under the new root, not the old absolute one.
    test::write_file(moved / "include" / "params.h", "#define N 5\n");
    EXPECT_FALSE(cache_->lookup(sample_inputs(moved)).has_value());
}

TEST_F(CacheDirect, HeaderUnderALaterRootFollowsThatRoot) {
    auto library = dir_ / "library";
    test::write_file(library / "lib.h", "int f();\n");
    auto inputs = sample_inputs(source_dir_);
    inputs.include_roots.push_back(library);
    // A non-normalized path, as a compiler may report it, names the same header.
    auto key = cache_->store(inputs, {library / "." / "lib.h"}, bytes_of("obj"), 0.5, "");
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(cache_->lookup(inputs)->key, *key);

    auto moved = dir_ / "library-v2";
    std::filesystem::rename(library, moved);
    inputs.include_roots[1] = moved;
    auto hit = cache_->lookup(inputs);
    ASSERT_TRUE(hit.has_value());
    EXPECT_EQ(hit->key, *key);
}

TEST_F(CacheDirect, SymlinkedRootAndResolvedHeaderPathAgree) {
    // The compiler may report the resolved path of a header found through a symlinked root;
    // it is still filed relative to that root, so the key is the same either way.
    auto link = dir_ / "link";
    std::filesystem::create_directory_symlink(source_dir_, link);
    auto inputs = sample_inputs(link);
    std::string through_link = key_of(inputs, {link / "include" / "params.h"});
    EXPECT_EQ(key_of(inputs, {header_}), through_link);
}

TEST_F(CacheDirect, HeaderOutsideEveryRootIsTrackedByContent) {
    test::TempDir elsewhere;
    auto outside = elsewhere / "config.h";
    test::write_file(outside, "#define MODE 1\n");
    auto inputs = sample_inputs(source_dir_);
    ASSERT_TRUE(cache_->store(inputs, {outside}, bytes_of("obj"), 0.5, "").ok());
    EXPECT_TRUE(cache_->lookup(inputs).has_value());
    test::write_file(outside, "#define MODE 2\n");
    EXPECT_FALSE(cache_->lookup(inputs).has_value());
}

TEST_F(CacheDirect, UnreadableHeaderFailsTheStore) {
    auto inputs = sample_inputs(source_dir_);
    auto key = cache_->store(inputs, {source_dir_ / "missing.h"}, bytes_of("obj"), 0.5, "");
    ASSERT_FALSE(key.ok());
    EXPECT_NE(key.error().message.find("KernelCache::store(kernels/add.cpp)"), std::string::npos)
        << key.error().message;
    EXPECT_NE(key.error().message.find("missing.h"), std::string::npos);
    EXPECT_TRUE(cache_->list().empty());
    EXPECT_EQ(cache_->stats().compiles, 1u);
}

} // namespace
} // namespace be
