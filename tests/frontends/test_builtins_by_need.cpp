// builtin_registry() loads built-ins by need: the first lookup of one built-in loads the files
// that define it (kuramoto.cpp and its kuramoto.cu twin) and nothing else. The expected names
// come from a plain scan of the files' `// @BE <name>` lines, not from becore's parser.
#include <becore/frontends/builtins.h>
#include <becore/runtime/paths.h>
#include <becore/runtime/settings.h>

#include <gtest/gtest.h>

#include <fstream>
#include <set>

namespace be {
namespace {

std::set<std::string> annotated_names(const std::filesystem::path& file) {
    std::set<std::string> names;
    std::ifstream in(file);
    std::string line;
    const std::string tag = "// @BE ";
    while (std::getline(in, line))
        if (line.rfind(tag, 0) == 0)
            names.insert(
                "be." + line.substr(tag.size(), line.find_first_of(" =", tag.size()) - tag.size()));
    return names;
}

std::set<std::string> loaded_builtins(const Registry& registry) {
    std::set<std::string> names;
    for (const auto& name : registry.names())
        if (name.rfind("be.", 0) == 0) names.insert(name);
    return names;
}

TEST(BuiltinsByNeed, AFindLoadsOnlyTheFilesDefiningTheName) {
    Registry& registry = builtin_registry();
    EXPECT_EQ(loaded_builtins(registry), std::set<std::string>{});
    ASSERT_TRUE(registry.find("be.kuramoto_rk4_f64"));
    auto expected = annotated_names(builtin_kernel_dir() / "kuramoto.cpp");
    auto twin = annotated_names(builtin_kernel_dir() / "kuramoto.cu");
    expected.insert(twin.begin(), twin.end());
    ASSERT_GT(expected.size(), 2u);
    EXPECT_EQ(loaded_builtins(registry), expected);
}

TEST(BuiltinsByNeed, LoadPendingListsEveryBuiltin) {
    Registry& registry = builtin_registry();
    std::set<std::string> expected;
    for (const auto& entry : std::filesystem::directory_iterator(builtin_kernel_dir()))
        if (entry.path().extension() == ".cpp" || entry.path().extension() == ".cu") {
            auto names = annotated_names(entry.path());
            expected.insert(names.begin(), names.end());
        }
    for (const auto& report : registry.load_pending())
        EXPECT_FALSE(report.error) << report.file << ": " << report.error->full();
    EXPECT_EQ(loaded_builtins(registry), expected);
}

TEST(BuiltinsByNeed, IndexedAgainAfterShutdown) {
    ASSERT_TRUE(builtin_registry().find("be.kuramoto_rk4_f64"));
    shutdown();
    Registry& fresh = builtin_registry();
    EXPECT_EQ(loaded_builtins(fresh), std::set<std::string>{});
    EXPECT_TRUE(fresh.find("be.kuramoto_rk4_f64"));
}

} // namespace
} // namespace be
