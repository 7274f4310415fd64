// kernelctl export / import as a user runs them: a warmed cache moved to an empty one loads
// without compiling and computes the same, the selection options, damaged and untrusted files
// (exit 2, nothing imported), JSON and help.
#include "kernelctl_fixture.h"
#include "process_util.h"

#include <becore/runtime/array.h>
#include <becore/runtime/npy.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace be {
namespace {

namespace fs = std::filesystem;

const fs::path k_examples = BECORE_EXAMPLES_DIR;

class KernelctlExport : public test::KernelctlFixture {
  protected:
    // Runs kernelctl on the second cache, B.
    test::CommandResult run_b(const std::string& arguments, const std::string& env = "") {
        return run(arguments, "BECORE_CACHE_DIR=" + b_.path().string() + " " + env);
    }
    nlohmann::json run_b_json(const std::string& arguments, int expected_exit = 0,
                              const std::string& env = "") {
        return run_json(arguments, expected_exit,
                        "BECORE_CACHE_DIR=" + b_.path().string() + " " + env);
    }
    // axpy of scale.cpp on x = (-1, 0, 1, 2) with a = 3, in the cache given by `env`.
    std::vector<float> axpy(const std::string& env) {
        auto x = HostArray::create(DType::float32, {4}).value();
        for (int i = 0; i < 4; ++i)
            x.data_as<float>()[i] = static_cast<float>(i) - 1.0f;
        EXPECT_TRUE(write_npy(work / "x.npy", x.view()));
        auto r = run("call " + (k_examples / "scale.cpp").string() + " axpy --arg " +
                         (work / "x.npy").string() + " --attr a=3 --ret 4:float32 --out " +
                         (work / "out").string(),
                     env);
        EXPECT_EQ(r.exit_code, 0) << r.output;
        auto y = read_npy(work / "out" / "ret0.npy");
        if (!y) return {};
        return {y->data_as<float>(), y->data_as<float>() + 4};
    }
    std::string file() const { return (work / "warm.becache").string(); }

    test::TempDir b_, src_;
};

const std::string k_native = "BECORE_CPU_TARGET=native";
const std::string k_portable = "BECORE_CPU_TARGET=portable";

TEST_F(KernelctlExport, AWarmedCacheMovedToAnEmptyOneLoadsWithoutCompiling) {
    // CPU entries for this CPU's model and for the portable level, and CUDA entries (NVRTC
    // compiles for --arch without a device).
    const std::string build = "build --json --arch sm_90 --prefix ex " + k_examples.string();
    ASSERT_EQ(run_json(build, 0, k_native).size(), 12u);
    ASSERT_EQ(run_json(build, 0, k_portable).size(), 12u);
    const auto expected = axpy(k_portable);
    ASSERT_EQ(expected, (std::vector<float>{-3, 0, 3, 6}));

    // By default the CPU entries for this CPU's model are left out.
    auto all = run_json("export " + file() + " --cpu-target all --json");
    EXPECT_EQ(all["entries"], 9);
    auto text = run("export " + file());
    EXPECT_EQ(text.exit_code, 0);
    EXPECT_NE(text.output.find("left out 3 CPU entries"), std::string::npos) << text.output;
    EXPECT_NE(text.output.find("--cpu-target all"), std::string::npos) << text.output;
    auto exported = run_json("export " + file() + " --json");
    EXPECT_EQ(exported["entries"], 6);
    EXPECT_EQ(exported["skipped_native"], 3);
    EXPECT_EQ(exported["file_bytes"], fs::file_size(file()));
    EXPECT_GT(exported["payload_bytes"].get<uint64_t>(), 0u);

    auto imported =
        run_b_json("import " + file() + " --json", 0, k_portable + " BECORE_CUDA_ARCH=sm_90");
    EXPECT_EQ(imported["entries"], 6);
    EXPECT_EQ(imported["imported"], 6);
    EXPECT_EQ(imported["already_present"], 0);
    EXPECT_EQ(imported["matching_this_machine"], 6);

    // B now serves every target of the examples, compiling nothing, with the same results.
    auto rebuilt = run_b_json("build --json --arch sm_90 " + k_examples.string(), 0, k_portable);
    ASSERT_EQ(rebuilt.size(), 12u);
    for (const auto& row : rebuilt)
        EXPECT_EQ(row["status"], "hit") << row.dump();
    EXPECT_EQ(axpy(k_portable + " BECORE_CACHE_DIR=" + b_.path().string()), expected);
    EXPECT_EQ(run_b_json("stats --json")["compiles"], 0);
    EXPECT_EQ(run_b_json("verify --json")["clean"], true);

    auto again = run_b("import " + file());
    EXPECT_EQ(again.exit_code, 0);
    EXPECT_NE(again.output.find("imported 0 of 6 entries"), std::string::npos) << again.output;
    EXPECT_NE(again.output.find("6 were already present"), std::string::npos) << again.output;
}

TEST_F(KernelctlExport, PrefixSelectsTheTargetsLoadedUnderIt) {
    auto files = test::write_tiny_kernels(src_.path(), 2);
    ASSERT_EQ(run("build --prefix one " + files[0].string()).exit_code, 0);
    ASSERT_EQ(run("build --prefix two " + files[1].string()).exit_code, 0);
    auto exported = run_json("export " + file() + " --prefix two --cpu-target all --json");
    EXPECT_EQ(exported["entries"], 1);
    EXPECT_EQ(exported["skipped_prefix"], 1);
    ASSERT_EQ(run_b("import " + file()).exit_code, 0);
    auto listed = run_b_json("ls --json");
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0]["targets"], "two.k1");
}

TEST_F(KernelctlExport, RelativePathsAreTheWorkingDirectorys) {
    auto files = test::write_tiny_kernels(src_.path(), 1);
    ASSERT_EQ(run("build " + files[0].string()).exit_code, 0);
    auto in_work = [&](const fs::path& cache, const std::string& arguments) {
        return test::run_command("cd " + work.path().string() +
                                 " && env BECORE_CACHE_DIR=" + cache.string() + " " +
                                 (test::bin_dir() / "kernelctl").string() + " " + arguments);
    };
    auto exported = in_work(cache.path(), "export warm.becache --cpu-target all");
    EXPECT_EQ(exported.exit_code, 0) << exported.output;
    EXPECT_NE(exported.output.find("exported 1 entries"), std::string::npos) << exported.output;
    auto imported = in_work(b_.path(), "import warm.becache");
    EXPECT_EQ(imported.exit_code, 0) << imported.output;
    EXPECT_EQ(run_b_json("ls --json").size(), 1u);
}

TEST_F(KernelctlExport, ADamagedOrTruncatedFileIsNamedAndImportsNothing) {
    auto files = test::write_tiny_kernels(src_.path(), 3);
    ASSERT_EQ(run("build " + files[0].string() + " " + files[1].string() + " " + files[2].string())
                  .exit_code,
              0);
    ASSERT_EQ(run("export " + file() + " --cpu-target all").exit_code, 0);
    ASSERT_EQ(run_b("build " + files[0].string()).exit_code, 0); // B holds one entry of its own
    const auto before = run_b_json("ls --json");
    const std::string good = test::read_file(file());

    struct Case {
        std::string name, bytes, message;
    };
    std::string flipped = good;
    flipped[good.size() / 2] ^= 0x10;
    std::vector<Case> cases{
        {"a flipped byte", flipped, "nothing imported"},
        {"cut in an entry", good.substr(0, good.size() / 2), "truncated inside entry"},
        {"cut before the trailer", good.substr(0, good.size() - 24),
         "truncated after entry 3 of 3"},
        {"cut in the header", good.substr(0, 12), "truncated in the header"},
        {"not an export", "#!/bin/sh\necho hello\n", "not a becore export file"},
        {"empty", "", "empty file"}};
    for (const auto& c : cases) {
        test::write_file(file(), c.bytes);
        auto r = run_b("import " + file());
        EXPECT_EQ(r.exit_code, 2) << c.name << ": " << r.output;
        EXPECT_NE(r.output.find(c.message), std::string::npos) << c.name << ": " << r.output;
        EXPECT_NE(r.output.find(file()), std::string::npos) << c.name << ": " << r.output;
        EXPECT_EQ(run_b_json("ls --json"), before) << c.name;
    }
    auto missing = run_b("import " + (work / "no-such.becache").string());
    EXPECT_EQ(missing.exit_code, 2) << missing.output;
    EXPECT_NE(missing.output.find("No such file"), std::string::npos) << missing.output;
}

TEST_F(KernelctlExport, AFileNotYoursOrWritableByOthersNeedsTrust) {
    auto files = test::write_tiny_kernels(src_.path(), 1);
    ASSERT_EQ(run("build " + files[0].string()).exit_code, 0);
    ASSERT_EQ(run("export " + file() + " --cpu-target all").exit_code, 0);
    ASSERT_EQ(::chmod(file().c_str(), 0664), 0);
    auto refused = run_b("import " + file());
    EXPECT_EQ(refused.exit_code, 2) << refused.output;
    EXPECT_NE(refused.output.find("writable by others (mode 0664)"), std::string::npos)
        << refused.output;
    EXPECT_NE(refused.output.find("--trust"), std::string::npos) << refused.output;
    EXPECT_EQ(run_b_json("ls --json").size(), 0u);
    auto trusted = run_b_json("import " + file() + " --trust --json");
    EXPECT_EQ(trusted["imported"], 1);

    ASSERT_EQ(::chmod(file().c_str(), 0600), 0);
    if (::chown(file().c_str(), 4242, 4242) != 0)
        GTEST_SKIP() << "chown to another user needs root: " << std::strerror(errno);
    auto foreign = run("import " + file());
    EXPECT_EQ(foreign.exit_code, 2) << foreign.output;
    EXPECT_NE(foreign.output.find("owned by uid 4242"), std::string::npos) << foreign.output;
}

TEST_F(KernelctlExport, HelpSaysACacheIsExecutableCode) {
    auto help = run("import --help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.output.find("executable code"), std::string::npos) << help.output;
    EXPECT_NE(help.output.find("--trust"), std::string::npos) << help.output;
    EXPECT_EQ(run("export --help").exit_code, 0);
    for (const char* args : {"export", "import", "export x --cpu-target fast", "import a b"}) {
        auto r = run(args);
        EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    }
}

} // namespace
} // namespace be
