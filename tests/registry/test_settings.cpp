// be::configure / be::shutdown (becore/runtime/settings.h): each setting reaches what reads it,
// the registry settings apply to the process registry and cannot change under it, and shutdown
// gives a fresh registry over the settings of that moment. ctest runs each case in its own
// process, so the process-wide state starts from the environment in each.
#include <becore/cache/kernel_cache.h>
#include <becore/registry/registry.h>
#include <becore/runtime/cpu_target.h>
#include <becore/runtime/settings.h>
#include <becore/runtime/threads.h>

#include "test_support.h"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

namespace be {
namespace {

using test::TempDir;

const char* const k_kernel = R"(// @BE twice arg:float32 ret:float32
void twice(const BE::Tensor& x, BE::Tensor& y) {
    for (int64_t i = 0; i < x.numel(); ++i) y.data_ptr<float>()[i] = 2 * x.data_ptr<float>()[i];
}
)";

TEST(Settings, CacheDirIsWhereTheProcessRegistryCaches) {
    TempDir dir;
    ASSERT_TRUE(configure({.cache_dir = dir.path()}));
    Registry& registry = Registry::global();
    EXPECT_EQ(registry.cache().directory(), dir.path() / "v1");
    ASSERT_TRUE(registry.load_cpp_inline("settings_kernel", k_kernel, "s"));
    EXPECT_EQ(registry.cache().list().size(), 1u);
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "v1" / "index.sqlite3"));
}

TEST(Settings, DiskCacheOffKeepsEntriesInMemory) {
    ASSERT_TRUE(configure({.disk_cache = false}));
    EXPECT_FALSE(Registry::global().cache().persistent());
}

TEST(Settings, KernelPathLoadsWithTheRegistry) {
    TempDir dir;
    test::write_file(dir / "scaled.cpp", k_kernel);
    ASSERT_TRUE(configure({.disk_cache = false, .kernel_path = dir.path().string()}));
    EXPECT_TRUE(Registry::global().find("scaled.twice"));
}

TEST(Settings, RegistrySettingsCannotChangeWhileTheRegistryLives) {
    TempDir a, b;
    ASSERT_TRUE(configure({.cache_dir = a.path()}));
    Registry::global();
    auto refused = configure({.cache_dir = b.path()});
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("configure: cache_dir is read when the process "
                                           "registry is created"),
              std::string::npos)
        << refused.error().message;
    EXPECT_NE(refused.error().message.find("be::shutdown()"), std::string::npos);
    EXPECT_EQ(configured().cache_dir, a.path()); // nothing changed
    // The other settings still change, with the registry settings given as they are.
    EXPECT_TRUE(configure({.cache_dir = a.path(), .log_level = LogLevel::debug}));
    EXPECT_EQ(log_level(), LogLevel::debug);
}

TEST(Settings, ShutdownGivesAFreshRegistryOverTheNewSettings) {
    TempDir a, b;
    ASSERT_TRUE(configure({.cache_dir = a.path()}));
    ASSERT_TRUE(Registry::global().load_cpp_inline("settings_kernel", k_kernel, "s"));
    const uint64_t first = Registry::global_generation();
    shutdown();
    EXPECT_FALSE(configured().cache_dir); // back to the environment
    ASSERT_TRUE(configure({.cache_dir = b.path()}));
    Registry& fresh = Registry::global();
    EXPECT_EQ(Registry::global_generation(), first + 1);
    EXPECT_EQ(fresh.cache().directory(), b.path() / "v1");
    EXPECT_FALSE(fresh.find("s.twice")); // the old registry's targets went with it
    // The old registry flushed its statistics: the compile it did is on a's disk.
    EXPECT_EQ(KernelCache::open(a.path())->stats().compiles, 1u);
    shutdown();
    shutdown(); // idempotent
}

TEST(Settings, LogSinkAndLevel) {
    std::mutex mutex;
    std::vector<std::pair<LogLevel, std::string>> got;
    ASSERT_TRUE(configure(
        {.log_level = LogLevel::info, .log_sink = [&](LogLevel level, std::string_view text) {
             std::lock_guard lock(mutex);
             got.emplace_back(level, std::string(text));
         }}));
    log_info("to the sink");
    log_debug("filtered out");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].first, LogLevel::info);
    EXPECT_EQ(got[0].second, "to the sink");
    shutdown(); // drops the sink
    log_warn("to stderr");
    EXPECT_EQ(got.size(), 1u);
}

TEST(Settings, ThreadsApplyAtOnceAndAgain) {
    ASSERT_TRUE(configure({.threads = 1}));
    EXPECT_EQ(configured_threads(), 1);
    apply_thread_limit(); // what the CPU backend does when it starts
    EXPECT_EQ(active_thread_limit(), 1);
    ASSERT_TRUE(configure({.threads = 2}));
    EXPECT_EQ(active_thread_limit(), 2);
}

TEST(Settings, CpuTargetIsTheDefaultOfLoads) {
    ASSERT_TRUE(configure({.cpu_target = "portable"}));
    EXPECT_EQ(resolve_cpu_target().value(), std::string(k_cpu_portable_level));
    EXPECT_EQ(resolve_cpu_target("native").value(), std::string(k_cpu_native)); // a load's own wins
}

TEST(Settings, InvalidSettingsAreRefusedNamingTheField) {
    auto expect_refused = [](const Settings& s, const std::string& text) {
        auto result = configure(s);
        ASSERT_FALSE(result) << text;
        EXPECT_NE(result.error().message.find(text), std::string::npos) << result.error().message;
    };
    expect_refused({.threads = 0}, "configure: threads must be between 1 and 4096, not 0");
    expect_refused({.cache_dir = std::filesystem::path()}, "configure: cache_dir is empty");
    expect_refused({.cache_max_size = 0}, "configure: cache_max_size must be positive");
    expect_refused({.cpu_target = "avx9"}, "configure: cpu_target=avx9: ");
    EXPECT_FALSE(configured().threads);
}

} // namespace
} // namespace be
