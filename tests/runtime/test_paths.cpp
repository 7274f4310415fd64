// Where becore finds its own files (runtime/src/paths.cpp): the build tree has the install
// layout, so the rule that serves an installed prefix (tests/install) also serves the tests.
#include "test_support.h"

#include <becore/runtime/paths.h>
#include <gtest/gtest.h>

#include <filesystem>

namespace fs = std::filesystem;

TEST(Paths, HomeIsTheBuildTreeAboveItsLibdir) {
    be::test::ScopedEnv home("BECORE_HOME", std::nullopt);
    // The tools sit in <home>/bin (CMAKE_INSTALL_BINDIR), whatever the depth of the libdir.
    EXPECT_EQ(fs::canonical(be::becore_home()), fs::canonical(be::test::bin_dir().parent_path()));
    EXPECT_TRUE(fs::exists(be::private_library_dir() / "libbecore_clang_plugin.so"));
    EXPECT_TRUE(fs::exists(be::private_library_dir() / "liborc_rt.a"));
    EXPECT_TRUE(fs::exists(be::kernel_include_dir() / "be" / "be.h"));
    EXPECT_TRUE(fs::exists(be::builtin_kernel_dir() / "kuramoto.cpp"));
}

TEST(Paths, BecoreHomeOverridesTheLibraryLocation) {
    be::test::ScopedEnv home("BECORE_HOME", "/opt/elsewhere");
    EXPECT_EQ(be::becore_home(), fs::path("/opt/elsewhere"));
    // <datadir>/becore ("share/becore") and <libdir>/becore ("lib/becore", or
    // "lib/x86_64-linux-gnu/becore" on a multiarch build), both below the overriding home.
    for (const fs::path& dir : {be::becore_data_dir(), be::private_library_dir()}) {
        const fs::path relative = dir.lexically_relative("/opt/elsewhere");
        EXPECT_FALSE(relative.empty() || *relative.begin() == "..") << dir;
        EXPECT_EQ(relative.filename(), "becore") << dir;
    }
    EXPECT_EQ(be::builtin_kernel_dir(), be::becore_data_dir() / "kernels" / "builtin");
}
