// Trust and degradation: directories others can write are never used; read-only and full ones
// are read, not written; read-only layers are used and never written; BECORE_CACHE=off uses no
// disk; a network file system gets a rollback journal. Read-only and full directories are made
// with a read-only bind mount or a tiny tmpfs in a private mount namespace (unshare -m), as CI
// runs as root (chmod does not stop root).
#include "cache_process_util.h"

#include <becore/cache/kernel_cache.h>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

namespace be {
namespace {

namespace fs = std::filesystem;
using test::ProbeRun;
using test::run_probe;

class CacheTrust : public ::testing::Test {
  protected:
    void SetUp() override { files_ = test::write_tiny_kernels(src_.path(), 3); }

    // The cache directory is `cache`, made untrusted by `prepare`; a process loading kernels
    // over it must work (in memory), warn once naming the directory, and create nothing in it.
    void expect_not_used(const fs::path& cache, const std::string& why) {
        testing::internal::CaptureStderr();
        auto opened = KernelCache::open(cache);
        std::string warnings = testing::internal::GetCapturedStderr();
        EXPECT_FALSE(opened->persistent());
        EXPECT_EQ(test::count_lines_with(warnings, "becore: warning:"), 1) << warnings;
        EXPECT_NE(warnings.find(cache.string()), std::string::npos) << warnings;
        EXPECT_NE(warnings.find(why), std::string::npos) << warnings;
        opened.reset();

        ProbeRun run = run_probe(cache, files_);
        ASSERT_EQ(run.exit_code, 0) << run.output;
        EXPECT_EQ(run.result.value()["compiled"], 3);
        EXPECT_EQ(run.warnings(), 1) << run.output;
        EXPECT_FALSE(fs::exists(cache / "v1")) << "an untrusted directory was written";
    }

    // A fourth kernel, not among the first three (a name of its own: k0 would collide).
    fs::path extra_kernel() {
        auto file = src_ / "extra.cpp";
        test::write_file(
            file, "// @BE extra\nvoid extra(BE::Tensor& o) { o.data_ptr<float>()[0] = 9; }\n");
        return file;
    }

    test::TempDir src_, dir_;
    std::vector<fs::path> files_;
};

TEST_F(CacheTrust, WorldWritableDirectoryIsNotUsed) {
    fs::create_directory(dir_ / "c");
    ::chmod((dir_ / "c").c_str(), 01777); // even sticky, like /tmp
    expect_not_used(dir_ / "c", "writable by everyone");
}

TEST_F(CacheTrust, GroupWritableDirectoryIsNotUsed) {
    fs::create_directory(dir_ / "c");
    ::chmod((dir_ / "c").c_str(), 0770);
    expect_not_used(dir_ / "c", "writable by its group");
}

TEST_F(CacheTrust, ForeignOwnedDirectoryIsNotUsed) {
    if (::geteuid() != 0) GTEST_SKIP() << "giving a directory to another user needs root";
    fs::create_directory(dir_ / "c");
    ASSERT_EQ(::chown((dir_ / "c").c_str(), 12345, 12345), 0);
    expect_not_used(dir_ / "c", "owned by uid 12345");
}

TEST_F(CacheTrust, UntrustedVersionedDirectoryIsNotUsed) {
    fs::create_directories(dir_ / "c" / "v1");
    ::chmod((dir_ / "c").c_str(), 0700);
    ::chmod((dir_ / "c" / "v1").c_str(), 0777);
    testing::internal::CaptureStderr();
    auto cache = KernelCache::open(dir_ / "c");
    std::string warnings = testing::internal::GetCapturedStderr();
    EXPECT_FALSE(cache->persistent());
    EXPECT_NE(warnings.find("v1: it is writable by everyone"), std::string::npos) << warnings;
}

TEST_F(CacheTrust, IndexWritableByOthersIsNotUsed) {
    {
        auto cache = KernelCache::open(dir_ / "c");
        ASSERT_TRUE(cache->store(test::sample_inputs(), {}, test::bytes_of("x"), 1, "").ok());
    }
    ::chmod((dir_ / "c" / "v1" / "index.sqlite3").c_str(), 0666);
    testing::internal::CaptureStderr();
    auto cache = KernelCache::open(dir_ / "c");
    std::string warnings = testing::internal::GetCapturedStderr();
    EXPECT_FALSE(cache->persistent());
    EXPECT_NE(warnings.find("index.sqlite3: it is writable by others"), std::string::npos)
        << warnings;
}

TEST_F(CacheTrust, CreatedDirectoriesArePrivate) {
    auto cache = KernelCache::open(dir_ / "a" / "cache");
    ASSERT_TRUE(cache->persistent()) << cache->warning();
    for (const char* sub : {"", "v1", "v1/blobs", "v1/tmp", "v1/locks"}) {
        struct stat info {};
        auto path = dir_ / "a" / "cache" / sub;
        ASSERT_EQ(::stat(path.c_str(), &info), 0) << path;
        EXPECT_EQ(info.st_mode & 0777, 0700u) << path;
    }
}

TEST_F(CacheTrust, CacheOffUsesNoDiskAtAll) {
    // A layer holding the kernels is not consulted either: "off" means no disk.
    ASSERT_EQ(run_probe(dir_ / "layer", files_).exit_code, 0);
    ProbeRun run = run_probe(dir_ / "user", files_,
                             "BECORE_CACHE=off BECORE_SYSTEM_CACHE=" + (dir_ / "layer").string());
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(run.result.value()["compiled"], 3);
    EXPECT_EQ(run.warnings(), 0) << run.output;
    EXPECT_FALSE(fs::exists(dir_ / "user"));
}

TEST_F(CacheTrust, SystemLayerIsUsedAndNeverWritten) {
    const fs::path layer = dir_ / "layer", user = dir_ / "user";
    ASSERT_EQ(run_probe(layer, files_).exit_code, 0);
    const auto before = test::snapshot(layer);
    auto all = files_;
    all.push_back(extra_kernel());
    ProbeRun run = run_probe(user, all, "BECORE_SYSTEM_CACHE=/nonexistent:" + layer.string());
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(run.result.value()["hits"], 3);
    EXPECT_EQ(run.result.value()["compiled"], 1);
    EXPECT_EQ(run.warnings(), 0) << run.output;
    EXPECT_EQ(test::snapshot(layer), before) << "the read-only layer was written";
    // The compile went to the user cache, and so did this process's statistics.
    auto cache = KernelCache::open(user);
    EXPECT_EQ(cache->list().size(), 1u);
    EXPECT_EQ(cache->stats().hits, 3u);
    EXPECT_EQ(cache->stats().compiles, 1u);
}

TEST_F(CacheTrust, UntrustedLayerIsIgnoredWithOneWarning) {
    const fs::path layer = dir_ / "layer";
    ASSERT_EQ(run_probe(layer, files_).exit_code, 0);
    ::chmod(layer.c_str(), 0777);
    ProbeRun run = run_probe(dir_ / "user", files_, "BECORE_SYSTEM_CACHE=" + layer.string());
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(run.result.value()["compiled"], 3);
    EXPECT_EQ(run.warnings(), 1) << run.output;
    EXPECT_NE(run.output.find("cache layer " + layer.string() + " is not used"), std::string::npos)
        << run.output;
}

TEST_F(CacheTrust, LayerBesideALoadedDirectoryIsUsed) {
    // A downstream install: <prefix>/kernels/*.cpp and its warmed <prefix>/becore-cache.
    const fs::path prefix = dir_ / "install";
    test::write_tiny_kernels(prefix / "kernels", 2, 7);
    auto build = [&](const fs::path& cache) {
        return test::run_command("{ env BECORE_CACHE_DIR=" + cache.string() + " " +
                                 test::kernelctl_binary().string() + " build --json " +
                                 (prefix / "kernels").string() + " 2>/dev/null; }");
    };
    auto warm = build(prefix / "becore-cache");
    ASSERT_EQ(warm.exit_code, 0) << warm.output;
    auto used = build(dir_ / "user");
    ASSERT_EQ(used.exit_code, 0) << used.output;
    auto rows = nlohmann::json::parse(used.output);
    ASSERT_EQ(rows.size(), 2u);
    for (const auto& row : rows)
        EXPECT_EQ(row["status"], "hit") << row.dump();
}

TEST_F(CacheTrust, AddingALayerTwiceOrAMissingOneIsHarmless) {
    const fs::path layer = dir_ / "layer";
    ASSERT_EQ(run_probe(layer, files_).exit_code, 0);
    auto cache = KernelCache::open(dir_ / "user");
    EXPECT_TRUE(cache->add_read_only_layer(layer));
    EXPECT_TRUE(cache->add_read_only_layer(layer / "."));
    EXPECT_FALSE(cache->add_read_only_layer(dir_ / "missing"));
    auto layers = cache->layers();
    ASSERT_EQ(layers.size(), 1u);
    EXPECT_TRUE(layers[0].usable);
    EXPECT_EQ(layers[0].entries, 3u);
    EXPECT_FALSE(KernelCache::in_memory()->add_read_only_layer(layer));
}

TEST_F(CacheTrust, NetworkFileSystemGetsARollbackJournal) {
    const fs::path dir = dir_ / "c";
    test::write_file(dir_ / "mountinfo", "27 1 254:0 / / rw - ext4 /dev/vda rw\n"
                                         "40 27 0:50 / " +
                                             dir_.path().string() +
                                             " rw - nfs4 server:/export rw\n");
    CacheOpenOptions options;
    options.mountinfo = dir_ / "mountinfo";
    testing::internal::CaptureStderr();
    auto cache = KernelCache::open(dir, options);
    std::string warnings = testing::internal::GetCapturedStderr();
    ASSERT_TRUE(cache->persistent());
    EXPECT_EQ(test::count_lines_with(warnings, "becore: warning:"), 1) << warnings;
    EXPECT_NE(warnings.find("nfs4"), std::string::npos) << warnings;
    EXPECT_NE(warnings.find("rollback journal"), std::string::npos) << warnings;
    ASSERT_TRUE(cache->store(test::sample_inputs(), {}, test::bytes_of("obj"), 1, "").ok());
    EXPECT_TRUE(cache->lookup(test::sample_inputs()).has_value());
    cache.reset();
    EXPECT_EQ(test::query_sql(dir / "v1" / "index.sqlite3", "PRAGMA journal_mode"), "delete");
    EXPECT_FALSE(fs::exists(dir / "v1" / "index.sqlite3-wal"));
    // A local file system keeps WAL.
    auto local = KernelCache::open(dir_ / "local");
    local.reset();
    EXPECT_EQ(test::query_sql(dir_ / "local" / "v1" / "index.sqlite3", "PRAGMA journal_mode"),
              "wal");
}

// ---- Read-only and full directories, in a private mount namespace ---------------------------

class CacheTrustMounts : public CacheTrust {
  protected:
    void SetUp() override {
        if (auto why = test::mount_namespace_unavailable()) GTEST_SKIP() << *why;
        CacheTrust::SetUp();
        all_ = files_;
        all_.push_back(extra_kernel());
    }
    // Runs `script` in a private mount namespace (mounts vanish with it).
    test::CommandResult in_namespace(const std::string& script) {
        return test::run_command("unshare -m sh -c '" + script + "'");
    }
    std::string probe_command(const fs::path& cache) {
        return "BECORE_CACHE_DIR=" + cache.string() + " BECORE_LOG=warn " +
               test::probe_binary().string() + test::join_paths(all_);
    }
    std::vector<fs::path> all_;
};

TEST_F(CacheTrustMounts, ReadOnlyDirectoryIsReadNotWritten) {
    const fs::path cache = dir_ / "c";
    ASSERT_EQ(run_probe(cache, files_).exit_code, 0);
    const auto before = test::snapshot(cache);
    auto result = in_namespace("mount --bind " + cache.string() + " " + cache.string() +
                               " && mount -o remount,bind,ro " + cache.string() + " && " +
                               probe_command(cache));
    ASSERT_EQ(result.exit_code, 0) << result.output;
    auto probe = test::probe_result(result.output).value();
    EXPECT_EQ(probe["hits"], 3);
    EXPECT_EQ(probe["compiled"], 1);
    EXPECT_EQ(test::count_lines_with(result.output, "becore: warning:"), 1) << result.output;
    EXPECT_NE(result.output.find("cannot be written"), std::string::npos) << result.output;
    EXPECT_EQ(test::snapshot(cache), before);
}

TEST_F(CacheTrustMounts, FullDirectoryIsReadNotWritten) {
    const fs::path warm = dir_ / "warm", mount = dir_ / "tmpfs";
    ASSERT_EQ(run_probe(warm, files_).exit_code, 0);
    fs::create_directory(mount);
    // A tmpfs with the warm cache copied in and every remaining block taken by a filler file;
    // the snapshots before and after the probe are written outside it and compared.
    const std::string list = "find " + mount.string() + "/c -type f | sort | xargs md5sum";
    const std::string before = (dir_ / "before").string(), after = (dir_ / "after").string();
    auto result = in_namespace("mount -t tmpfs -o size=4m tmpfs " + mount.string() + " && cp -a " +
                               warm.string() + " " + mount.string() +
                               "/c && (dd if=/dev/zero of=" + mount.string() +
                               "/filler bs=4k 2>/dev/null; true) && " + list + " > " + before +
                               " && " + probe_command(mount / "c") + "; " + list + " > " + after +
                               "; cmp -s " + before + " " + after + " && echo UNCHANGED");
    auto probe = test::probe_result(result.output);
    ASSERT_TRUE(probe.has_value()) << result.output;
    EXPECT_EQ((*probe)["hits"], 3);
    EXPECT_EQ((*probe)["compiled"], 1);
    EXPECT_EQ((*probe)["failed"], 0);
    EXPECT_EQ(test::count_lines_with(result.output, "becore: warning:"), 1) << result.output;
    EXPECT_NE(result.output.find("full"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("UNCHANGED"), std::string::npos) << result.output;
}

TEST_F(CacheTrustMounts, TinyFileSystemFillingUpLosesNothing) {
    // An empty 64 KiB tmpfs fills up while the first process stores: every load still works,
    // each of the three processes warns once at most, and nothing is found damaged.
    const fs::path mount = dir_ / "tmpfs";
    fs::create_directory(mount);
    const std::string verify = "BECORE_CACHE_DIR=" + (mount / "c").string() + " " +
                               test::kernelctl_binary().string() + " verify";
    auto result = in_namespace("mount -t tmpfs -o size=64k tmpfs " + mount.string() + " && " +
                               probe_command(mount / "c") + " && echo FIRST-OK && " +
                               probe_command(mount / "c") + " && echo SECOND-OK && " + verify +
                               " && echo VERIFY-OK");
    EXPECT_NE(result.output.find("FIRST-OK"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("SECOND-OK"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("VERIFY-OK"), std::string::npos) << result.output;
    EXPECT_LE(test::count_lines_with(result.output, "becore: warning:"), 3) << result.output;
    EXPECT_EQ(result.output.find("corrupt"), std::string::npos) << result.output;
    // What the first process stored (some of it sits in the WAL the full disk left unmerged)
    // is read by the second.
    EXPECT_EQ(result.output.find("malformed"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("0 findings"), std::string::npos) << result.output;
}

TEST_F(CacheTrustMounts, SystemLayerOnAReadOnlyMountIsUsed) {
    const fs::path layer = dir_ / "layer";
    ASSERT_EQ(run_probe(layer, files_).exit_code, 0);
    auto result = in_namespace("mount --bind " + layer.string() + " " + layer.string() +
                               " && mount -o remount,bind,ro " + layer.string() +
                               " && BECORE_SYSTEM_CACHE=" + layer.string() + " " +
                               probe_command(dir_ / "user"));
    ASSERT_EQ(result.exit_code, 0) << result.output;
    auto probe = test::probe_result(result.output).value();
    EXPECT_EQ(probe["hits"], 3);
    EXPECT_EQ(probe["compiled"], 1);
    EXPECT_EQ(test::count_lines_with(result.output, "becore: warning:"), 0) << result.output;
}

} // namespace
} // namespace be
