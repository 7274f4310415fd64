// The precompiled prelude (docs/toolchain.md, "The prelude"): its text, and that a compile with
// its PCH gives the object a compile without it gives, for plain kernels, one that opens with
// system includes, a built-in and a CUDA emulation source.
#include "test_support.h"

#include <becore/runtime/cpu_backend.h>
#include <becore/runtime/cuda_emu.h>
#include <becore/runtime/log.h>
#include <becore/runtime/paths.h>

#include <gtest/gtest.h>

#include <thread>

namespace be {
namespace {

std::shared_ptr<const std::vector<char>> pch_of(const CpuCompileRequest& request) {
    auto pch = compile_prelude(request);
    EXPECT_TRUE(pch) << pch.error().full();
    return pch ? std::make_shared<const std::vector<char>>(std::move(pch->object)) : nullptr;
}

// Compiles `request` without and with its prelude; the objects must be byte for byte the same.
void expect_same_object(CpuCompileRequest request) {
    auto plain = compile_cpp(request);
    ASSERT_TRUE(plain) << plain.error().full();
    request.prelude_pch = pch_of(request);
    ASSERT_NE(request.prelude_pch, nullptr);
    auto with = compile_cpp(request);
    ASSERT_TRUE(with) << with.error().full();
    EXPECT_EQ(plain->object, with->object) << request.path;
    EXPECT_EQ(plain->headers_read, with->headers_read) << request.path;
}

TEST(Prelude, TextHoldsTheImplicitIncludesThenTheOpeningSystemIncludes) {
    const std::string source = "// @BE k\n\n#include <cmath>\n  #include <vector> // why\n"
                               "#include \"local.h\"\n#include <algorithm>\nvoid k() {}\n";
    const auto text = cpu_prelude_text({"/x/k.cpp", source, {}});
    EXPECT_EQ(text.rfind("#include \"be/be.h\"\n#include <cmath>\n#include <vector>\n", 0), 0u)
        << text;
    EXPECT_EQ(text.find("algorithm"), std::string::npos) << text;
    EXPECT_NE(text.find(kernel_include_dir().string()), std::string::npos) << text;
    // A definition before an include may configure that header: the run ends there.
    const auto defined = cpu_prelude_text({"/x/k.cpp", "#define X 1\n#include <cmath>\n", {}});
    EXPECT_EQ(defined.find("cmath"), std::string::npos) << defined;
    const auto emulation = cpu_prelude_text({"/x/k.cu", "", {}, {}, emulation_pre_includes()});
    EXPECT_EQ(emulation.rfind("#include \"be/be.h\"\n#include \"be/cuda_emu.h\"\n", 0), 0u)
        << emulation;
}

TEST(Prelude, SameObjectWithOrWithoutIt) {
    expect_same_object({"/becore-test/small.cpp",
                        "extern \"C\" void scale(const BE::Tensor& x, BE::Tensor& y) {\n"
                        "    for (int64_t i = 0; i < x.numel(); ++i)\n"
                        "        y.data_ptr<float>()[i] = 2 * x.data_ptr<float>()[i];\n}\n",
                        {}});
    expect_same_object({"/becore-test/tbb.cpp",
                        "#include <oneapi/tbb/parallel_for.h>\n#include <cmath>\n"
                        "extern \"C\" void roots(BE::Tensor& y) {\n"
                        "    tbb::parallel_for(int64_t{0}, y.numel(), [&](int64_t i) {\n"
                        "        y.data_ptr<double>()[i] = std::sqrt(double(i)); });\n}\n",
                        {}});
}

TEST(Prelude, SameObjectForABuiltinAndAnEmulationSource) {
    const auto builtin = builtin_kernel_dir();
    const auto kuramoto = builtin / "kuramoto.cpp";
    expect_same_object({kuramoto, test::read_file(kuramoto), {}});
    const auto lif = builtin / "lif_cuba.cu";
    auto prepared = prepare_emulation_source(test::read_file(lif), lif.string());
    ASSERT_TRUE(prepared) << prepared.error().full();
    expect_same_object({lif, *prepared, {}, {}, emulation_pre_includes()});
}

TEST(Prelude, DifferentCpuLevelsNeedTheirOwnPrelude) {
    CpuCompileRequest v2{"/becore-test/level.cpp", "extern \"C\" int f() { return 1; }\n", {}};
    v2.cpu_target = "x86-64-v2";
    CpuCompileRequest v3 = v2;
    v3.cpu_target = "x86-64-v3";
    v3.prelude_pch = pch_of(v2);
    ASSERT_NE(v3.prelude_pch, nullptr);
    // clang refuses the other level's PCH; the compile goes on without it, to the same object.
    auto with = compile_cpp(v3);
    ASSERT_TRUE(with) << with.error().full();
    v3.prelude_pch.reset();
    auto plain = compile_cpp(v3);
    ASSERT_TRUE(plain) << plain.error().full();
    EXPECT_EQ(with->object, plain->object);
}

// The plugin keeps the last few preludes' files for the next compiles. Each compile must still
// read its own PCH, whichever came between, with more preludes than are kept and two threads
// compiling at once. Each prelude holds a header of the same name and guard from its own
// directory, whose function returns that prelude's number: another prelude's PCH would either be
// rejected (a warning, then the same object without it) or give a function that returns another
// number, a different object.
TEST(Prelude, EachCompileReadsItsOwnPreludeWhileOthersAreKept) {
    constexpr int k_preludes = 5; // one more than the plugin keeps
    test::TempDir dirs;
    std::vector<CpuCompileRequest> requests;
    std::vector<std::vector<char>> plain_objects;
    for (int i = 0; i < k_preludes; ++i) {
        const auto dir = dirs / ("prelude" + std::to_string(i));
        std::filesystem::create_directories(dir);
        test::write_file(dir / "prelude_value.h",
                         "#pragma once\ninline int prelude_value() { return " + std::to_string(i) +
                             "; }\n");
        CpuCompileRequest request{dirs / ("kept" + std::to_string(i) + ".cpp"),
                                  "#include <prelude_value.h>\n"
                                  "extern \"C\" int value() { return prelude_value(); }\n",
                                  {dir}};
        auto plain = compile_cpp(request);
        ASSERT_TRUE(plain) << plain.error().full();
        plain_objects.push_back(plain->object);
        request.prelude_pch = pch_of(request);
        ASSERT_NE(request.prelude_pch, nullptr);
        requests.push_back(request);
    }
    for (int i = 1; i < k_preludes; ++i) // the objects tell the preludes apart
        ASSERT_NE(plain_objects[0], plain_objects[i]);

    // Each thread compiles every request twice, the threads in opposite orders.
    auto compile_all = [&](bool reverse, std::vector<std::string>& failures) {
        LogCapture capture;
        for (int round = 0; round < 2 * k_preludes; ++round) {
            const int i = reverse ? k_preludes - 1 - round % k_preludes : round % k_preludes;
            auto with = compile_cpp(requests[i]);
            if (!with)
                failures.push_back(with.error().full());
            else if (with->object != plain_objects[i])
                failures.push_back("prelude " + std::to_string(i) + ": another object");
        }
        for (const auto& message : capture.take())
            failures.push_back(message.text);
    };
    std::vector<std::string> forward, backward;
    std::thread other(compile_all, true, std::ref(backward));
    compile_all(false, forward);
    other.join();
    EXPECT_TRUE(forward.empty()) << forward.front();
    EXPECT_TRUE(backward.empty()) << backward.front();
}

} // namespace
} // namespace be
