// kernelctl build compiles independent files in parallel (Registry::load_files, bounded by
// BECORE_THREADS); what it reports, registers and logs is the same whatever the thread count, in
// the order of the inputs, and processes building the same files at once compile each once.
#include "kernelctl_fixture.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

namespace be {
namespace {

using KernelctlParallel = test::KernelctlFixture;
namespace fs = std::filesystem;

// A file that takes a while to compile (TBB and the standard containers, several
// instantiations), so that with two threads the small files after it finish first.
std::string slow_kernel(const std::string& name, const std::string& warning) {
    std::string text =
        "#warning \"" + warning + "\"\n" +
        "#include <algorithm>\n#include <map>\n#include <vector>\n"
        "#include <oneapi/tbb/parallel_for.h>\n#include <oneapi/tbb/parallel_reduce.h>\n"
        "template <typename T> T total(const T* x, int64_t n) {\n"
        "    std::vector<T> v(x, x + n);\n    std::sort(v.begin(), v.end());\n"
        "    std::map<int64_t, T> m;\n    for (int64_t i = 0; i < n; ++i) m[i] = v[i];\n"
        "    return tbb::parallel_reduce(tbb::blocked_range<int64_t>(0, n), T(0),\n"
        "        [&](auto r, T a) { for (auto i = r.begin(); i < r.end(); ++i) a += m[i];"
        " return a; }, [](T a, T b) { return a + b; });\n}\n";
    for (const char* t : {"float", "double", "int32_t", "int64_t"})
        text += std::string("template ") + t + " total<" + t + ">(const " + t + "*, int64_t);\n";
    text += "// @BE " + name + "\nvoid " + name +
            "(const BE::Tensor& x, BE::Tensor& y) {\n"
            "    y.data_ptr<float>()[0] = total(x.data_ptr<float>(), x.numel());\n}\n";
    return text;
}

std::string small_kernel(const std::string& name, const std::string& warning, float value) {
    return "#warning \"" + warning + "\"\n// @BE " + name + "\nvoid " + name +
           "(BE::Tensor& y) { y.data_ptr<float>()[0] = " + std::to_string(value) + "f; }\n";
}

// The JSON rows without their timings (the row's and its compile phases').
nlohmann::json without_ms(nlohmann::json rows) {
    for (auto& row : rows) {
        row.erase("ms");
        if (!row.contains("phases")) continue;
        for (auto it = row["phases"].begin(); it != row["phases"].end();) {
            if (it.key().ends_with("_ms"))
                it = row["phases"].erase(it);
            else
                ++it;
        }
    }
    return rows;
}

// The lines of `text` that becore logged (its compile warnings at BECORE_LOG=info).
std::vector<std::string> becore_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("becore: ", 0) == 0) lines.push_back(line);
    return lines;
}

class Build {
  public:
    nlohmann::json rows;
    std::vector<std::string> logged;
    int exit_code = -1;
};

TEST_F(KernelctlParallel, DirectoryBuildIsTheSameWithOneAndTwoThreads) {
    const fs::path dir = work.path() / "kernels";
    fs::create_directories(dir);
    test::write_file(dir / "a_slow.cpp", slow_kernel("slow", "from a_slow"));
    test::write_file(dir / "b_small.cpp", small_kernel("small", "from b_small", 1));
    test::write_file(dir / "c_broken.cpp", "// @BE broken\nvoid broken(BE::Tensor& y) { nope; }\n");
    test::write_file(dir / "d_small.cpp", small_kernel("other", "from d_small", 2));
    test::TempDir caches;
    auto build = [&](int threads) {
        const fs::path cache = caches.path() / std::to_string(threads);
        const fs::path err = caches.path() / ("err" + std::to_string(threads));
        Build b;
        auto r = test::run_command(
            "{ env BECORE_LOG=info BECORE_THREADS=" + std::to_string(threads) +
            " BECORE_CACHE_DIR=" + cache.string() + " " + (test::bin_dir() / "kernelctl").string() +
            " build --json " + dir.string() + " 2>" + err.string() + "; }");
        b.exit_code = r.exit_code;
        b.rows = nlohmann::json::parse(r.output, nullptr, false);
        b.logged = becore_lines(test::read_file(err));
        return b;
    };
    const Build one = build(1), two = build(2);
    EXPECT_EQ(one.exit_code, 1); // c_broken.cpp fails; the others still build
    EXPECT_EQ(two.exit_code, 1);
    ASSERT_TRUE(one.rows.is_array()) << one.rows.dump();
    EXPECT_EQ(without_ms(one.rows), without_ms(two.rows));
    // Rows in file order, whichever compile finished first.
    std::vector<std::string> files, statuses;
    for (const auto& row : two.rows) {
        files.push_back(fs::path(row["file"].get<std::string>()).filename().string());
        statuses.push_back(row["status"].get<std::string>());
    }
    EXPECT_EQ(files, (std::vector<std::string>{"a_slow.cpp", "b_small.cpp", "c_broken.cpp",
                                               "d_small.cpp"}));
    EXPECT_EQ(statuses, (std::vector<std::string>{"compiled", "compiled", "failed", "compiled"}));
    // Each file's compile messages, in file order, as one thread prints them.
    EXPECT_EQ(one.logged, two.logged);
    std::vector<std::string> order;
    for (const auto& line : two.logged)
        for (const char* from : {"from a_slow", "from b_small", "from d_small"})
            if (line.find(from) != std::string::npos) order.push_back(from);
    EXPECT_EQ(order, (std::vector<std::string>{"from a_slow", "from b_small", "from d_small"}));
}

TEST_F(KernelctlParallel, NameTakenByAnEarlierInputFailsTheLaterOneWhateverFinishesFirst) {
    const fs::path slow = work.path() / "slow.cpp", quick = work.path() / "quick.cpp";
    test::write_file(slow, slow_kernel("twice", "slow"));
    test::write_file(quick, small_kernel("twice", "quick", 3));
    for (int threads : {1, 2}) {
        const std::string env = "BECORE_THREADS=" + std::to_string(threads);
        for (const auto& [first, second] : {std::pair(slow, quick), std::pair(quick, slow)}) {
            auto rows = run_json(
                "build --json --prefix p " + first.string() + " " + second.string(), 1, env);
            ASSERT_EQ(rows.size(), 2u) << rows.dump();
            EXPECT_EQ(rows[0]["file"], first.string());
            EXPECT_NE(rows[0]["status"], "failed") << env << " " << rows.dump();
            EXPECT_EQ(rows[1]["status"], "failed") << env;
            const std::string error = rows[1]["error"].get<std::string>();
            EXPECT_NE(error.find("'p.twice' is already defined by " + first.string()),
                      std::string::npos)
                << env << ": " << error;
        }
    }
}

TEST_F(KernelctlParallel, NameDefinedTwiceInADirectoryIsTheSameErrorWithOneAndTwoThreads) {
    const fs::path dir = work.path() / "twice";
    fs::create_directories(dir);
    test::write_file(dir / "a.cpp", small_kernel("same", "a", 1));
    test::write_file(dir / "b.cpp", small_kernel("same", "b", 2));
    auto one = run("build " + dir.string(), "BECORE_THREADS=1");
    auto two = run("build " + dir.string(), "BECORE_THREADS=2");
    EXPECT_EQ(one.exit_code, 2);
    EXPECT_EQ(two.exit_code, 2);
    EXPECT_EQ(one.output, two.output);
    EXPECT_NE(two.output.find("'twice.same' is defined by both " + (dir / "a.cpp").string() +
                              ":2 and " + (dir / "b.cpp").string() + ":2"),
              std::string::npos)
        << two.output;
    EXPECT_EQ(run_json("ls --json").size(), 0u); // nothing compiled
}

// Two processes build the same directory at once on an empty cache, each with two threads: the
// per-key compile locks make every file compile once in all (the other process finds it).
TEST_F(KernelctlParallel, TwoProcessesBuildingOneDirectoryCompileEachFileOnce) {
    const fs::path dir = work.path() / "shared";
    fs::create_directories(dir);
    constexpr int k_files = 4;
    for (int i = 0; i < k_files; ++i)
        test::write_file(dir / ("k" + std::to_string(i) + ".cpp"),
                         i == 0 ? slow_kernel("k0", "k0")
                                : small_kernel("k" + std::to_string(i), "k", float(i)));
    const std::string kernelctl = "env BECORE_THREADS=2 BECORE_CACHE_DIR=" + cache.path().string() +
                                  " " + (test::bin_dir() / "kernelctl").string() +
                                  " build --json " + dir.string();
    const fs::path out1 = work.path() / "out1", out2 = work.path() / "out2";
    auto r = test::run_command("{ " + kernelctl + " >" + out1.string() + " 2>/dev/null & p1=$!; " +
                               kernelctl + " >" + out2.string() +
                               " 2>/dev/null & p2=$!; wait $p1 && wait $p2; }");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::map<std::string, int> compiled, hits;
    for (const auto& out : {out1, out2}) {
        auto rows = nlohmann::json::parse(test::read_file(out));
        ASSERT_EQ(rows.size(), size_t(k_files)) << rows.dump();
        for (const auto& row : rows) {
            const auto status = row["status"].get<std::string>();
            ASSERT_TRUE(status == "compiled" || status == "hit") << row.dump();
            (status == "compiled" ? compiled : hits)[row["target"].get<std::string>()]++;
        }
    }
    for (int i = 0; i < k_files; ++i) {
        const std::string target = "shared.k" + std::to_string(i);
        EXPECT_EQ(compiled[target], 1) << target;
        EXPECT_EQ(hits[target], 1) << target;
    }
    auto stats = run_json("stats --json");
    EXPECT_EQ(stats["compiles"], k_files);
    EXPECT_EQ(stats["entries"], k_files);
}

} // namespace
} // namespace be
