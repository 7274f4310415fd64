// Sizes, durations, the trust rule and file system detection: the small pure functions the
// cache's policies rest on.
#include "test_support.h"

#include <becore/cache/filesystem.h>
#include <becore/cache/units.h>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

namespace be {
namespace {

namespace fs = std::filesystem;

TEST(CacheUnits, SizesTakeBinarySuffixes) {
    EXPECT_EQ(parse_size("0").value(), 0u);
    EXPECT_EQ(parse_size("512").value(), 512u);
    EXPECT_EQ(parse_size("512B").value(), 512u);
    EXPECT_EQ(parse_size("10K").value(), 10u * 1024);
    EXPECT_EQ(parse_size("10k").value(), 10u * 1024);
    EXPECT_EQ(parse_size("10KB").value(), 10u * 1024);
    EXPECT_EQ(parse_size("3M").value(), 3u << 20);
    EXPECT_EQ(parse_size("2G").value(), uint64_t{2} << 30);
    EXPECT_EQ(parse_size("2GiB").value(), uint64_t{2} << 30);
    EXPECT_EQ(parse_size("1T").value(), uint64_t{1} << 40);
    EXPECT_EQ(parse_size("1.5M").value(), 1572864u);
    EXPECT_EQ(parse_size(" 4 K ").value(), 4096u);
}

TEST(CacheUnits, BadSizesAreErrorsNamingTheText) {
    for (const char* text : {"", "G", "-1", "2X", "1e3", "2GG", "1..5M", "K2"}) {
        auto size = parse_size(text);
        ASSERT_FALSE(size.ok()) << text;
        EXPECT_NE(size.error().message.find(std::string("'") + text + "'"), std::string::npos)
            << size.error().message;
    }
    EXPECT_FALSE(parse_size("99999999999T").ok());
}

TEST(CacheUnits, DurationsTakeSmhd) {
    using std::chrono::seconds;
    EXPECT_EQ(parse_duration("0").value(), seconds(0));
    EXPECT_EQ(parse_duration("45").value(), seconds(45));
    EXPECT_EQ(parse_duration("45s").value(), seconds(45));
    EXPECT_EQ(parse_duration("10m").value(), seconds(600));
    EXPECT_EQ(parse_duration("12h").value(), seconds(12 * 3600));
    EXPECT_EQ(parse_duration("30d").value(), seconds(30 * 86400));
    EXPECT_EQ(parse_duration("1.5h").value(), seconds(5400));
    EXPECT_EQ(parse_duration("2D").value(), seconds(2 * 86400));
    for (const char* text : {"", "d", "3w", "-1d", "1y", "10ms"})
        EXPECT_FALSE(parse_duration(text).ok()) << text;
}

TEST(CacheUnits, FormatSize) {
    EXPECT_EQ(format_size(0), "0 B");
    EXPECT_EQ(format_size(1023), "1023 B");
    EXPECT_EQ(format_size(1536), "1.5 KiB");
    EXPECT_EQ(format_size(uint64_t{2} << 30), "2.0 GiB");
}

const char* const k_mountinfo =
    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
    "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "40 27 0:50 / /home rw,relatime shared:5 - nfs4 server:/home rw,vers=4.2\n"
    "41 40 0:51 / /home/alice/local rw - ext4 /dev/vdb rw\n"
    "42 27 0:52 / /mnt/my\\040disk rw - fuse.sshfs host:/x rw\n"
    "43 27 0:53 / /scratch rw - tmpfs tmpfs rw\n"
    "44 27 0:54 / /scratch rw - cifs //srv/share rw\n";

TEST(CacheFilesystem, MountinfoGivesTheTypeOfTheLongestMountPoint) {
    EXPECT_EQ(filesystem_type_of("/home/alice/.cache/becore", k_mountinfo), "nfs4");
    EXPECT_EQ(filesystem_type_of("/home/alice/local/cache", k_mountinfo), "ext4");
    EXPECT_EQ(filesystem_type_of("/homework/cache", k_mountinfo), "ext4"); // not below /home
    EXPECT_EQ(filesystem_type_of("/mnt/my disk/cache", k_mountinfo), "fuse.sshfs");
    EXPECT_EQ(filesystem_type_of("/scratch/c", k_mountinfo), "cifs"); // the later mount wins
    EXPECT_EQ(filesystem_type_of("/var/cache", k_mountinfo), "ext4");
    EXPECT_EQ(filesystem_type_of("/var/cache", ""), "");
}

TEST(CacheFilesystem, WalIsUnsafeOnNetworkAndFuseFileSystems) {
    for (const char* type : {"nfs", "nfs4", "cifs", "smb3", "9p", "lustre", "gpfs", "ceph",
                             "glusterfs", "fuse", "fuse.sshfs", "fuse.gcsfuse"})
        EXPECT_TRUE(wal_unsafe_filesystem(type)) << type;
    for (const char* type : {"ext4", "xfs", "btrfs", "tmpfs", "zfs", "overlay", ""})
        EXPECT_FALSE(wal_unsafe_filesystem(type)) << type;
}

TEST(CacheFilesystem, TrustRequiresOwnerAndNoWriteBitForOthers) {
    test::TempDir dir;
    auto path = dir / "c";
    fs::create_directory(path);
    ::chmod(path.c_str(), 0700);
    EXPECT_FALSE(untrusted_directory_reason(path, false).has_value());
    ::chmod(path.c_str(), 0755); // readable by others is fine: only writing matters
    EXPECT_FALSE(untrusted_directory_reason(path, false).has_value());
    ::chmod(path.c_str(), 0770);
    auto group = untrusted_directory_reason(path, false);
    ASSERT_TRUE(group.has_value());
    EXPECT_NE(group->find("writable by its group"), std::string::npos) << *group;
    ::chmod(path.c_str(), 01777);
    auto world = untrusted_directory_reason(path, false);
    ASSERT_TRUE(world.has_value());
    EXPECT_NE(world->find("writable by everyone (mode 1777)"), std::string::npos) << *world;
    EXPECT_TRUE(untrusted_directory_reason(dir / "missing", false).has_value());
    test::write_file(dir / "file", "x");
    EXPECT_EQ(untrusted_directory_reason(dir / "file", false).value(), "it is not a directory");
}

TEST(CacheFilesystem, ForeignOwnerIsUntrustedRootOnlyForLayers) {
    if (::geteuid() != 0) GTEST_SKIP() << "changing a directory's owner needs root";
    test::TempDir dir;
    auto foreign = dir / "foreign";
    fs::create_directory(foreign);
    ASSERT_EQ(::chown(foreign.c_str(), 12345, 12345), 0);
    auto why = untrusted_directory_reason(foreign, true);
    ASSERT_TRUE(why.has_value());
    EXPECT_NE(why->find("owned by uid 12345"), std::string::npos) << *why;
    // A symbolic link someone else owns could be re-pointed by them.
    auto link = dir / "link";
    fs::create_directory_symlink(dir / "mine", link);
    fs::create_directory(dir / "mine");
    EXPECT_FALSE(untrusted_directory_reason(link, false).has_value());
    ASSERT_EQ(::lchown(link.c_str(), 12345, 12345), 0);
    auto link_why = untrusted_directory_reason(link, false);
    ASSERT_TRUE(link_why.has_value());
    EXPECT_NE(link_why->find("symbolic link owned by uid 12345"), std::string::npos) << *link_why;
}

} // namespace
} // namespace be
