// The CPU backend on its own: clang plugin compile → object → LLJIT link → call.
#include "test_support.h"

#include <becore/runtime/cpu_backend.h>
#include <becore/runtime/paths.h>

#include <gtest/gtest.h>

namespace be {
namespace {

Result<std::shared_ptr<JitModule>> compile_and_load(const std::string& source,
                                                    const std::string& name) {
    CpuCompileRequest request{"/becore-test/" + name + ".cpp", source, {}};
    auto compiled = compile_cpp(request);
    if (!compiled) return compiled.error();
    return load_cpu_object(compiled->object, name);
}

TEST(CpuBackend, CompilesLoadsAndCalls) {
    auto module = compile_and_load(R"(
        extern "C" int twice(int x) { return 2 * x; }
    )", "twice");
    ASSERT_TRUE(module) << module.error().full();
    auto symbol = (*module)->symbol("twice");
    ASSERT_TRUE(symbol) << symbol.error().full();
    EXPECT_EQ(reinterpret_cast<int (*)(int)>(*symbol)(21), 42);
    EXPECT_FALSE((*module)->symbol("missing").ok());
}

// A static constructor with a side effect visible to the host: it must have run once the
// module is loaded (the ELFNix platform runs initialisers; the default RTDyld one does not).
TEST(CpuBackend, StaticConstructorsRun) {
    auto module = compile_and_load(R"(
        #include <vector>
        static std::vector<int> table = [] { std::vector<int> v(10); for (int i = 0; i < 10; ++i) v[i] = i * i; return v; }();
        extern "C" int square_from_table(int i) { return table.at(i); }
    )", "ctor");
    ASSERT_TRUE(module) << module.error().full();
    auto fn = reinterpret_cast<int (*)(int)>((*module)->symbol("square_from_table").value());
    EXPECT_EQ(fn(7), 49);
}

TEST(CpuBackend, CompileErrorsAreData) {
    CpuCompileRequest request{"/becore-test/broken.cpp", "int f() {\n  return undefined_name;\n}\n", {}};
    auto compiled = compile_cpp(request);
    ASSERT_FALSE(compiled.ok());
    EXPECT_NE(compiled.error().message.find("broken.cpp"), std::string::npos);
    EXPECT_NE(compiled.error().log.find("broken.cpp:2:"), std::string::npos) << compiled.error().log;
    EXPECT_NE(compiled.error().log.find("undefined_name"), std::string::npos);
}

TEST(CpuBackend, HeadersReadAreReportedWithoutSystemOrOwnHeaders) {
    test::TempDir dir;
    test::write_file(dir / "helper.h", "inline int helper() { return 3; }\n");
    std::string source = "#include \"helper.h\"\n#include <vector>\nextern \"C\" int h() { return helper(); }\n";
    test::write_file(dir / "k.cpp", source);
    auto compiled = compile_cpp({dir / "k.cpp", source, {}});
    ASSERT_TRUE(compiled) << compiled.error().full();
    ASSERT_EQ(compiled->headers_read.size(), 1u);
    EXPECT_EQ(compiled->headers_read[0].filename(), "helper.h");
}

} // namespace
} // namespace be
