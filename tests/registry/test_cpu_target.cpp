// CPU targets (becore/runtime/cpu_target.h): the values of BECORE_CPU_TARGET, the x86-64 levels a
// CPU runs given its features, the key's target field, and what a native-setting load looks up:
// its native key, then the levels this CPU runs, so that an entry compiled for a portable level
// serves it without a compile. Each test that caches has its own cache directory.
#include "test_support.h"

#include <becore/cache/kernel_cache.h>
#include <becore/registry/cache_inputs.h>
#include <becore/registry/registry.h>
#include <becore/runtime/array.h>
#include <becore/runtime/cpu_target.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace be {
namespace {

const std::string k_accepted =
    "expected native, portable (= x86-64-v3), x86-64-v2, x86-64-v3 or x86-64-v4";

// The levels' features as the x86-64 psABI (and GCC's -march documentation) lists them, written
// out here independently of the table in cpu_target.cpp.
const std::set<std::string> k_v2{"cx16", "sahf", "popcnt", "sse3", "sse4.1", "sse4.2", "ssse3"};
std::set<std::string> with(std::set<std::string> base, std::initializer_list<const char*> more) {
    base.insert(more.begin(), more.end());
    return base;
}
const std::set<std::string> k_v3 =
    with(k_v2, {"avx", "avx2", "bmi", "bmi2", "f16c", "fma", "lzcnt", "movbe", "xsave"});
const std::set<std::string> k_v4 =
    with(k_v3, {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"});
std::set<std::string> without(std::set<std::string> features, const std::string& gone) {
    features.erase(gone);
    return features;
}
using Levels = std::vector<std::string>;
const std::string k_x86 = "x86_64-pc-linux-gnu";

std::string triple_of(const std::string& target_field) {
    return target_field.substr(0, target_field.find(';'));
}

TEST(CpuTargetSetting, AcceptsNativePortableAndTheLevels) {
    EXPECT_EQ(parse_cpu_target("native").value(), "native");
    EXPECT_EQ(parse_cpu_target("portable").value(), "x86-64-v3");
    for (const char* level : {"x86-64-v2", "x86-64-v3", "x86-64-v4"})
        EXPECT_EQ(parse_cpu_target(level).value(), level);
}

TEST(CpuTargetSetting, AnythingElseIsAnErrorListingTheAcceptedValues) {
    for (const char* bad : {"", "NATIVE", "x86-64", "x86-64-v1", "x86-64-v5", "haswell", "avx2",
                            "portable ", "-march=native"}) {
        auto parsed = parse_cpu_target(bad);
        ASSERT_FALSE(parsed.ok()) << bad;
        EXPECT_EQ(parsed.error().message, k_accepted) << bad;
    }
}

TEST(CpuTargetSetting, TheLoadsChoiceWinsThenTheEnvironmentThenNative) {
    {
        test::ScopedEnv unset("BECORE_CPU_TARGET", std::nullopt);
        EXPECT_EQ(resolve_cpu_target().value(), "native");
        EXPECT_EQ(resolve_cpu_target("portable").value(), "x86-64-v3");
    }
    {
        test::ScopedEnv empty("BECORE_CPU_TARGET", "");
        EXPECT_EQ(resolve_cpu_target().value(), "native");
    }
    test::ScopedEnv env("BECORE_CPU_TARGET", "portable");
    EXPECT_EQ(resolve_cpu_target().value(), "x86-64-v3");
    EXPECT_EQ(resolve_cpu_target("native").value(), "native");
    EXPECT_EQ(resolve_cpu_target("x86-64-v2").value(), "x86-64-v2");
    auto bad_option = resolve_cpu_target("fast");
    ASSERT_FALSE(bad_option.ok());
    EXPECT_EQ(bad_option.error().message, "LoadOptions::cpu_target=fast: " + k_accepted);
}

TEST(CpuTargetSetting, BadEnvironmentValueFailsTheLoadNamingTheVariable) {
    test::TempDir cache;
    test::ScopedEnv env("BECORE_CPU_TARGET", "skylake");
    Registry registry(KernelCache::open(cache.path()));
    auto loaded = registry.load_cpp_inline("k", "// @BE f\nvoid f(BE::Tensor& o) {}\n", "k");
    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.error().message.find("BECORE_CPU_TARGET=skylake: " + k_accepted),
              std::string::npos)
        << loaded.error().message;
    EXPECT_TRUE(registry.cache().list().empty()); // nothing compiled for a guessed target
}

TEST(CpuTargetLevels, FollowThePsAbiFeatureSets) {
    EXPECT_EQ(cpu_levels_supported(k_x86, k_v4), (Levels{"x86-64-v4", "x86-64-v3", "x86-64-v2"}));
    EXPECT_EQ(cpu_levels_supported(k_x86, k_v3), (Levels{"x86-64-v3", "x86-64-v2"}));
    EXPECT_EQ(cpu_levels_supported(k_x86, k_v2), (Levels{"x86-64-v2"}));
    EXPECT_EQ(cpu_levels_supported(k_x86, {}), Levels{});
    // Features beyond a level (a Zen 4, a Sapphire Rapids) change nothing.
    EXPECT_EQ(cpu_levels_supported(k_x86, with(k_v3, {"avx512bw", "avx512vl", "sha", "vaes"})),
              (Levels{"x86-64-v3", "x86-64-v2"}));
}

TEST(CpuTargetLevels, ALevelMissingOneFeatureIsNotRun) {
    // Each AVX-512 subset v4 requires: without it a v4 entry is never used.
    for (const char* f : {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"})
        EXPECT_EQ(cpu_levels_supported(k_x86, without(k_v4, f)), (Levels{"x86-64-v3", "x86-64-v2"}))
            << f;
    // A level includes the ones below it: AVX-512 without MOVBE is no v4 (nor v3).
    for (const char* f : {"avx", "avx2", "bmi", "bmi2", "f16c", "fma", "lzcnt", "movbe", "xsave"})
        EXPECT_EQ(cpu_levels_supported(k_x86, without(k_v4, f)), (Levels{"x86-64-v2"})) << f;
    for (const std::string& f : k_v2)
        EXPECT_EQ(cpu_levels_supported(k_x86, without(k_v4, f)), Levels{}) << f;
}

TEST(CpuTargetLevels, NoneOffX86) {
    EXPECT_EQ(cpu_levels_supported("aarch64-unknown-linux-gnu", k_v4), Levels{});
    EXPECT_EQ(cpu_levels_supported("i686-pc-linux-gnu", k_v4), Levels{});
}

TEST(CpuTargetLevels, TheHostsLevelsFollowFromTheFeaturesInItsNativeTarget) {
    // The native target field lists the host's features: "<triple>;<cpu>;+f1,+f2,".
    const std::string native = cpu_target_description();
    std::set<std::string> features;
    const std::string list = native.substr(native.rfind(';') + 1);
    for (size_t at = 0; at < list.size();) {
        size_t comma = list.find(',', at);
        ASSERT_EQ(list[at], '+') << native;
        features.insert(list.substr(at + 1, comma - at - 1));
        at = comma + 1;
    }
    EXPECT_EQ(host_cpu_levels(), cpu_levels_supported(triple_of(native), features));
    EXPECT_TRUE(host_runs_cpu_target("native"));
    for (auto level : k_cpu_levels) {
        const auto& levels = host_cpu_levels();
        EXPECT_EQ(host_runs_cpu_target(level),
                  std::find(levels.begin(), levels.end(), level) != levels.end());
    }
}

TEST(CpuTargetKey, ALevelIsTripleAndLevelAndItsFlagCarriesIt) {
    const std::string source = "// @BE f\nvoid f(BE::Tensor& o) {}\n";
    LoadOptions native, portable, v4;
    native.cpu_target = "native";
    portable.cpu_target = "portable";
    v4.cpu_target = "x86-64-v4";
    auto n = cpu_cache_inputs("k.cpp", source, native).value();
    auto p = cpu_cache_inputs("k.cpp", source, portable).value();
    auto q = cpu_cache_inputs("k.cpp", source, v4).value();
    const std::string triple = triple_of(n.target);
    EXPECT_EQ(p.target, triple + ";x86-64-v3");
    EXPECT_EQ(q.target, triple + ";x86-64-v4");
    // Native keeps the CPU's name and features: three fields, the name not a level.
    EXPECT_EQ(std::count(n.target.begin(), n.target.end(), ';'), 2) << n.target;
    EXPECT_EQ(n.target, cpu_target_description());
    // The flags differ in -march alone.
    auto march = [](const std::vector<std::string>& flags) {
        std::vector<std::string> found;
        for (const auto& f : flags)
            if (f.rfind("-march", 0) == 0) found.push_back(f);
        return found;
    };
    EXPECT_EQ(march(n.flags), std::vector<std::string>{"-march=native"});
    EXPECT_EQ(march(p.flags), std::vector<std::string>{"-march=x86-64-v3"});
    auto p_as_native = p.flags;
    std::replace(p_as_native.begin(), p_as_native.end(), std::string("-march=x86-64-v3"),
                 std::string("-march=native"));
    EXPECT_EQ(p_as_native, n.flags);
    auto cache = KernelCache::in_memory();
    std::set<std::string> keys{cache->explain(n).direct_key, cache->explain(p).direct_key,
                               cache->explain(q).direct_key};
    EXPECT_EQ(keys.size(), 3u);
}

TEST(CpuTargetKey, NativeLooksUpItsKeyThenTheHostsLevelsHighestFirst) {
    test::ScopedEnv unset("BECORE_CPU_TARGET", std::nullopt);
    const std::string source = "// @BE f\nvoid f(BE::Tensor& o) {}\n";
    auto order = cpu_cache_lookup_order("k.cpp", source).value();
    ASSERT_EQ(order.size(), 1 + host_cpu_levels().size());
    EXPECT_EQ(order[0].target, cpu_target_description());
    for (size_t i = 0; i < host_cpu_levels().size(); ++i) {
        LoadOptions level;
        level.cpu_target = host_cpu_levels()[i];
        auto expected = cpu_cache_inputs("k.cpp", source, level).value();
        EXPECT_EQ(order[i + 1].target, expected.target);
        EXPECT_EQ(order[i + 1].flags, expected.flags);
    }
    // A level chosen: that level's key only.
    LoadOptions v2;
    v2.cpu_target = "x86-64-v2";
    auto only = cpu_cache_lookup_order("k.cpp", source, v2).value();
    ASSERT_EQ(only.size(), 1u);
    EXPECT_EQ(only[0].target, triple_of(order[0].target) + ";x86-64-v2");
}

// ---- Through the cache ------------------------------------------------------------------------

bool host_runs(const char* level) {
    return host_runs_cpu_target(level);
}

// A kernel whose vectorised code depends on the instruction set (sqrt, division, a sequential
// sum), so a level's object and a native one really differ, yet must agree to the bit.
const std::string k_mix = R"(#include "scale.h"
// @BE mix
void mix(const BE::Tensor& x, BE::Tensor& y, BE::Tensor& total) {
    const float* in = x.data_ptr<float>();
    float* out = y.data_ptr<float>();
    float sum = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
        out[i] = __builtin_sqrtf(in[i]) * k_scale + in[i] / 3.0f;
        sum += out[i];
    }
    total.data_ptr<float>()[0] = sum;
}
)";

class CpuTargetCache : public ::testing::Test {
  protected:
    test::TempDir cache_dir, src;
    test::ScopedEnv unset{"BECORE_CPU_TARGET", std::nullopt};

    void SetUp() override {
        test::write_file(src / "scale.h", "constexpr float k_scale = 1.25f;\n");
        test::write_file(src / "mix.cpp", k_mix);
    }

    struct Run {
        LoadReport report;
        std::vector<float> y;
        float total = 0;
    };
    // A fresh registry over `dir`, as a new process would have, loading mix.cpp and calling it.
    Run run(const std::filesystem::path& dir, const std::string& cpu_target) {
        Registry registry(KernelCache::open(dir));
        LoadOptions options;
        options.cpu_target = cpu_target;
        Run r;
        auto loaded = registry.load_cpp_file(src / "mix.cpp", options);
        EXPECT_TRUE(loaded) << loaded.error().full();
        if (!loaded) return r;
        r.report = *loaded;
        auto x = HostArray::create(DType::float32, {1000}).value();
        for (int i = 0; i < 1000; ++i)
            x.data_as<float>()[i] = 0.37f * static_cast<float>(i) + 0.001f;
        auto y = HostArray::create(DType::float32, {1000}).value();
        auto total = HostArray::create(DType::float32, {1}).value();
        BE::Tensor args[] = {x.view()};
        BE::Tensor rets[] = {y.view(), total.view()};
        auto called = registry.call("mix.mix", args, rets);
        EXPECT_TRUE(called) << called.error().full();
        r.y.assign(y.data_as<float>(), y.data_as<float>() + 1000);
        r.total = total.data_as<float>()[0];
        return r;
    }
    std::vector<std::string> targets_in(const std::filesystem::path& dir) {
        std::vector<std::string> targets;
        for (const auto& e : KernelCache::open(dir)->list())
            targets.push_back(e.target);
        return targets;
    }
};

TEST_F(CpuTargetCache, NativeLoadUsesAPortableEntryAndComputesTheSame) {
    if (!host_runs("x86-64-v3")) GTEST_SKIP() << "this CPU does not run x86-64-v3";
    Run portable = run(cache_dir.path(), "portable");
    EXPECT_FALSE(portable.report.cache_hit);
    EXPECT_EQ(targets_in(cache_dir.path()),
              std::vector<std::string>{triple_of(cpu_target_description()) + ";x86-64-v3"});

    Run fallback = run(cache_dir.path(), ""); // the environment's: native
    EXPECT_TRUE(fallback.report.cache_hit);
    EXPECT_EQ(KernelCache::open(cache_dir.path())->list().size(), 1u); // nothing compiled

    test::TempDir native_dir;
    Run native = run(native_dir.path(), "native");
    EXPECT_FALSE(native.report.cache_hit);
    // Independent reference for a few values (float arithmetic as the kernel does it).
    for (int i : {0, 1, 500, 999}) {
        const float x = 0.37f * static_cast<float>(i) + 0.001f;
        EXPECT_EQ(native.y[i], std::sqrt(x) * 1.25f + x / 3.0f) << i;
    }
    EXPECT_EQ(portable.y, native.y);
    EXPECT_EQ(fallback.y, native.y);
    EXPECT_EQ(portable.total, native.total);
    EXPECT_EQ(fallback.total, native.total);
}

TEST_F(CpuTargetCache, AFallbackHitIsOneHitAndNoMiss) {
    if (!host_runs("x86-64-v3")) GTEST_SKIP() << "this CPU does not run x86-64-v3";
    run(cache_dir.path(), "x86-64-v3");
    auto before = KernelCache::open(cache_dir.path())->stats();
    EXPECT_EQ(before.misses, 1u);
    EXPECT_EQ(before.compiles, 1u);
    run(cache_dir.path(), "native");
    auto after = KernelCache::open(cache_dir.path())->stats();
    EXPECT_EQ(after.hits, before.hits + 1);
    EXPECT_EQ(after.misses, before.misses);
    EXPECT_EQ(after.compiles, before.compiles);
}

TEST_F(CpuTargetCache, TheHighestLevelThisCpuRunsIsTakenFirst) {
    const auto& levels = host_cpu_levels();
    if (levels.size() < 2) GTEST_SKIP() << "this CPU runs fewer than two levels";
    run(cache_dir.path(), levels.back());  // the lowest
    run(cache_dir.path(), levels.front()); // the highest
    run(cache_dir.path(), "native");
    std::map<std::string, uint64_t> hits;
    for (const auto& e : KernelCache::open(cache_dir.path())->list())
        hits[e.target.substr(e.target.rfind(';') + 1)] = e.hits;
    EXPECT_EQ(hits[levels.front()], 1u);
    EXPECT_EQ(hits[levels.back()], 0u);
}

TEST_F(CpuTargetCache, AChosenLevelLooksUpThatLevelOnly) {
    if (!host_runs("x86-64-v3")) GTEST_SKIP() << "this CPU does not run x86-64-v3";
    EXPECT_FALSE(run(cache_dir.path(), "native").report.cache_hit);
    EXPECT_FALSE(run(cache_dir.path(), "x86-64-v3").report.cache_hit); // not the native entry
    EXPECT_FALSE(run(cache_dir.path(), "x86-64-v2").report.cache_hit); // nor v3's
    EXPECT_TRUE(run(cache_dir.path(), "x86-64-v2").report.cache_hit);
    EXPECT_TRUE(run(cache_dir.path(), "native").report.cache_hit); // its own entry first
    EXPECT_EQ(KernelCache::open(cache_dir.path())->list().size(), 3u);
}

TEST_F(CpuTargetCache, FallbackKeysGoThroughTheHeaderManifest) {
    if (!host_runs("x86-64-v3")) GTEST_SKIP() << "this CPU does not run x86-64-v3";
    run(cache_dir.path(), "portable");
    EXPECT_TRUE(run(cache_dir.path(), "native").report.cache_hit);
    test::write_file(src / "scale.h", "constexpr float k_scale = 2.0f;\n");
    Run changed = run(cache_dir.path(), "native");
    EXPECT_FALSE(changed.report.cache_hit); // the portable entry read the old header
    const float x = 0.37f * 10 + 0.001f;
    EXPECT_EQ(changed.y[10], std::sqrt(x) * 2.0f + x / 3.0f);
    EXPECT_TRUE(run(cache_dir.path(), "native").report.cache_hit);
}

TEST_F(CpuTargetCache, TheCudaEmulationFallsBackToo) {
    if (!host_runs("x86-64-v3")) GTEST_SKIP() << "this CPU does not run x86-64-v3";
    const auto file = std::filesystem::path(BECORE_EXAMPLES_DIR) / "scale.cu";
    auto load = [&](const std::string& cpu_target) {
        Registry registry(KernelCache::open(cache_dir.path()));
        LoadOptions options;
        options.emulation_only = true;
        options.cpu_target = cpu_target;
        auto loaded = registry.load_cuda_file(file, options);
        EXPECT_TRUE(loaded) << loaded.error().full();
        auto x = HostArray::create(DType::float32, {5}).value();
        for (int i = 0; i < 5; ++i)
            x.data_as<float>()[i] = static_cast<float>(i);
        auto y = HostArray::create(DType::float32, {5}).value();
        BE::Tensor args[] = {x.view()};
        BE::Tensor rets[] = {y.view()};
        args[0].device_ = Device::cuda_emu;
        rets[0].device_ = Device::cuda_emu;
        auto called = registry.call("scale.scale_f32", args, rets, {{"alpha", 2.0}});
        EXPECT_TRUE(called) << called.error().full();
        EXPECT_EQ(y.data_as<float>()[4], 8.0f);
        return loaded ? loaded->cache_hit : false;
    };
    EXPECT_FALSE(load("portable"));
    EXPECT_TRUE(load("native"));
    auto entries = KernelCache::open(cache_dir.path())->list();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].backend, "cuda-emu");
}

TEST_F(CpuTargetCache, ALevelThisCpuCannotRunIsCachedNotLoaded) {
    // Only a CPU without x86-64-v4 (or less) can show this; on others the level table tests
    // above cover the decision.
    std::string level;
    for (auto l : k_cpu_levels)
        if (!host_runs_cpu_target(l)) level = l;
    if (level.empty()) GTEST_SKIP() << "this CPU runs every level";
    Registry registry(KernelCache::open(cache_dir.path()));
    LoadOptions options;
    options.cpu_target = level;
    auto loaded = registry.load_cpp_file(src / "mix.cpp", options);
    ASSERT_TRUE(loaded) << loaded.error().full();
    ASSERT_TRUE(loaded->deferred.has_value());
    EXPECT_NE(loaded->deferred->message.find("which this CPU cannot run"), std::string::npos);
    EXPECT_EQ(targets_in(cache_dir.path()),
              std::vector<std::string>{triple_of(cpu_target_description()) + ";" + level});
    auto out = HostArray::create(DType::float32, {1}).value();
    BE::Tensor rets[] = {out.view(), out.view()};
    BE::Tensor args[] = {out.view()};
    auto called = registry.call("mix.mix", args, rets);
    ASSERT_FALSE(called.ok());
    EXPECT_NE(called.error().message.find("which this CPU cannot run"), std::string::npos);
    // And a native load never takes it.
    EXPECT_FALSE(run(cache_dir.path(), "native").report.cache_hit);
}

TEST(CpuTargetWarmStart, AProcessWithTheNativeSettingFindsAPortableEntryWithoutTheCompiler) {
    if (!host_runs_cpu_target("x86-64-v3")) GTEST_SKIP() << "this CPU does not run x86-64-v3";
    test::TempDir cache;
    const std::string probe = (test::bin_dir() / "becore_probe").string() + " " +
                              (std::filesystem::path(BECORE_EXAMPLES_DIR) / "scale.cpp").string();
    auto run_probe = [&](const std::string& env) {
        auto r =
            test::run_command("env -u BECORE_CPU_TARGET BECORE_CACHE_DIR=" + cache.path().string() +
                              " " + env + " " + probe);
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return nlohmann::json::parse(r.output.substr(r.output.rfind("{\"hits\"")));
    };
    auto warm_up = run_probe("BECORE_CPU_TARGET=portable");
    EXPECT_EQ(warm_up["compiled"], 1);
    auto warm = run_probe("");
    EXPECT_EQ(warm["hits"], 1);
    EXPECT_EQ(warm["compiled"], 0);
    EXPECT_EQ(warm["clang_mapped"], false);
}

} // namespace
} // namespace be
