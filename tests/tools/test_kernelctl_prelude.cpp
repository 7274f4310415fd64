// The precompiled prelude as a cache entry (docs/toolchain.md, "The prelude"): built once and
// then read from the cache, listed with backend "prelude", rebuilt when damaged, one per CPU
// level, off with BECORE_PRELUDE=off; `kernelctl build --json` shows where a compile's time went.
#include "kernelctl_fixture.h"
#include "process_util.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace be {
namespace {

using nlohmann::json;

class KernelctlPrelude : public test::KernelctlFixture {
  protected:
    void SetUp() override { files_ = test::write_tiny_kernels(work.path(), 3); }
    json build(int file, const std::string& options = "", const std::string& env = "") {
        auto rows = run_json("build --json " + options + " " + files_.at(file).string(), 0, env);
        EXPECT_EQ(rows.size(), 1u) << rows;
        return rows.empty() ? json() : rows[0];
    }
    std::vector<json> preludes() {
        std::vector<json> found;
        for (const auto& entry : run_json("ls --json"))
            if (entry["backend"] == "prelude") found.push_back(entry);
        return found;
    }
    std::vector<std::filesystem::path> files_;
    test::ScopedEnv prelude_on_{"BECORE_PRELUDE", "on"}; // off elsewhere in the suites
};

TEST_F(KernelctlPrelude, BuiltOnceThenReadFromTheCache) {
    auto first = build(0);
    EXPECT_EQ(first["status"], "compiled");
    ASSERT_TRUE(first.contains("phases")) << first;
    EXPECT_EQ(first["phases"]["prelude"], "built");
    for (const char* phase : {"prelude_ms", "frontend_ms", "optimise_ms", "emit_ms", "store_ms"})
        EXPECT_GT(first["phases"][phase].get<double>(), 0) << phase << first;
    auto second = build(1);
    EXPECT_EQ(second["phases"]["prelude"], "cached") << second;
    ASSERT_EQ(preludes().size(), 1u);
    // The prelude's key holds the flags its PCH is built with beyond the kernel's.
    auto shown = run_json("show --json " + preludes()[0]["key"].get<std::string>());
    std::string flags;
    for (const auto& field : shown["fields"])
        if (field["name"] == "flags") flags = field["value"];
    EXPECT_NE(flags.find(" -fpch-instantiate-templates"), std::string::npos) << shown;
    // A hit compiles nothing: no phases.
    auto hit = build(1);
    EXPECT_EQ(hit["status"], "hit");
    EXPECT_FALSE(hit.contains("phases")) << hit;
    auto verify = run("verify");
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

TEST_F(KernelctlPrelude, DamagedPreludeIsRebuiltNotTrusted) {
    build(0);
    auto entries = preludes();
    ASSERT_EQ(entries.size(), 1u);
    auto shown = run_json("show --json " + entries[0]["key"].get<std::string>());
    const std::filesystem::path blob = shown["blob"].get<std::string>();
    std::filesystem::resize_file(blob, std::filesystem::file_size(blob) / 2);
    auto r = run("build --json " + files_[1].string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("\"prelude\": \"built\""), std::string::npos) << r.output;
    EXPECT_EQ(test::count_lines_with(r.output, "becore: warning:"), 1) << r.output;
    EXPECT_EQ(preludes().size(), 1u);
    EXPECT_EQ(run("verify").exit_code, 0);
}

TEST_F(KernelctlPrelude, EachCpuLevelHasItsOwn) {
    build(0, "--cpu-target x86-64-v2");
    EXPECT_EQ(build(1, "--cpu-target x86-64-v2")["phases"]["prelude"], "cached");
    EXPECT_EQ(build(2, "--cpu-target x86-64-v3")["phases"]["prelude"], "built");
    EXPECT_EQ(preludes().size(), 2u);
}

TEST_F(KernelctlPrelude, OffCompilesWithoutOneToTheSameEntry) {
    auto off = build(0, "", "BECORE_PRELUDE=off");
    EXPECT_EQ(off["status"], "compiled");
    EXPECT_EQ(off["phases"]["prelude"], "none");
    EXPECT_TRUE(preludes().empty());
    // The kernel's key does not depend on whether a prelude sped its compile up.
    EXPECT_EQ(build(0)["status"], "hit");
    auto bad = run("build " + files_[1].string(), "BECORE_PRELUDE=maybe");
    EXPECT_EQ(bad.exit_code, 1) << bad.output;
    EXPECT_NE(bad.output.find("BECORE_PRELUDE=maybe: expected on or off"), std::string::npos)
        << bad.output;
}

TEST_F(KernelctlPrelude, InMemoryCacheStillCompilesWithOne) {
    auto r = build(0, "", "BECORE_CACHE=off");
    EXPECT_EQ(r["status"], "compiled");
    EXPECT_EQ(r["phases"]["prelude"], "built");
}

} // namespace
} // namespace be
