// prepare_emulation_source (the textual pass before an emulation compile) and the emulation's
// compile identity: its pre-include is a flag, its headers are among becore's staged headers.
#include <becore/runtime/cpu_backend.h>
#include <becore/runtime/cuda_emu.h>
#include <becore/runtime/paths.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

namespace be {
namespace {

std::string prepare(const std::string& source) {
    auto r = prepare_emulation_source(source, "k.cu");
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : std::string();
}

long lines(const std::string& text) {
    return std::count(text.begin(), text.end(), '\n');
}

TEST(EmuSource, RewritesExternSharedKeepingLines) {
    const std::string source = "extern __shared__ float smem[];\n"
                               "__global__ void k() {\n"
                               "    extern __shared__ __align__(16) unsigned char\n"
                               "        raw[];\n"
                               "    extern __shared__ volatile int v[ ] ;\n"
                               "    extern __shared__ alignas(8) std::int32_t w[];\n"
                               "}\n";
    const std::string out = prepare(source);
    EXPECT_EQ(lines(out), lines(source));
    EXPECT_NE(out.find("float* const smem = static_cast<float*>(::becore_emu_dynamic_shared());\n"
                       "__global__"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("unsigned char* const raw = static_cast<unsigned "
                       "char*>(::becore_emu_dynamic_shared());\n\n"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("volatile int* const v = static_cast<volatile int*>"), std::string::npos);
    EXPECT_NE(out.find("std::int32_t* const w = static_cast<std::int32_t*>"), std::string::npos);
    EXPECT_EQ(out.find("extern"), std::string::npos);
    EXPECT_EQ(prepare("int x; // extern __shared__ float s[];\n"),
              "int x; // extern __shared__ float s[];\n");
}

TEST(EmuSource, RejectsMalformedExternShared) {
    for (const char* source : {"extern __shared__ float a[], b[];", "extern __shared__ float a[4];",
                               "extern __shared__ a[];", "extern __shared__ float a[]"}) {
        auto r = prepare_emulation_source(std::string("\n") + source + "\n", "k.cu");
        ASSERT_FALSE(r.ok()) << source;
        EXPECT_NE(r.error().message.find("prepare_emulation_source(k.cu:2): "), std::string::npos)
            << r.error().message;
        EXPECT_NE(r.error().message.find("extern __shared__"), std::string::npos);
    }
}

// Each unsupported construct is rejected with its name, its category and file:line.
TEST(EmuSource, RejectsUnsupportedConstructsByName) {
    struct Case {
        const char* code;
        const char* construct;
        const char* category;
    };
    const Case cases[] = {
        {"child<<<1, 32>>>(x);", "a kernel launch <<<...>>>", "dynamic parallelism"},
        {"cudaDeviceSynchronize();", "cudaDeviceSynchronize", "dynamic parallelism"},
        {"cudaLaunchDevice(f, p, g, b, 0, 0);", "cudaLaunchDevice", "dynamic parallelism"},
        {"void* p = cudaGetParameterBuffer(8, 16);", "cudaGetParameterBuffer",
         "dynamic parallelism"},
        {"cg::this_grid().sync();", "this_grid", "grid-wide synchronisation"},
        {"cooperative_groups::grid_group g;", "grid_group", "grid-wide synchronisation"},
        {"cudaLaunchCooperativeKernel(f, g, b, a);", "cudaLaunchCooperativeKernel",
         "grid-wide synchronisation"},
        {"texture<float, 1> tex;", "texture", "textures and surfaces"},
        {"surface<void, 2> surf;", "surface", "textures and surfaces"},
        {"float v = tex1Dfetch<float>(t, i);", "tex1Dfetch", "textures and surfaces"},
        {"float v = tex2D<float>(t, x, y);", "tex2D", "textures and surfaces"},
        {"float v = tex3D<float>(t, x, y, z);", "tex3D", "textures and surfaces"},
        {"cudaTextureObject_t t;", "cudaTextureObject_t", "textures and surfaces"},
        {"cudaSurfaceObject_t s;", "cudaSurfaceObject_t", "textures and surfaces"},
        {"surf2Dwrite(v, s, x, y);", "surf2Dwrite", "textures and surfaces"},
        {"asm(\"mov.u32 %0, %%laneid;\" : \"=r\"(l));", "asm", "inline PTX"},
        {"asm volatile(\"membar.gl;\");", "asm", "inline PTX"},
        {"__asm__ __volatile__(\"trap;\");", "__asm__", "inline PTX"},
        {"__asm(\"trap;\");", "__asm", "inline PTX"},
        {"#define LANE(l) asm(\"mov.u32 %0, %%laneid;\" : \"=r\"(l))", "asm", "inline PTX"},
    };
    for (const Case& c : cases) {
        const std::string source =
            "// a comment\n__device__ void f() {\n    " + std::string(c.code) + "\n}\n";
        auto r = prepare_emulation_source(source, "dir/k.cu");
        ASSERT_FALSE(r.ok()) << c.code;
        EXPECT_EQ(r.error().message,
                  "prepare_emulation_source(dir/k.cu:3): " + std::string(c.construct) +
                      " is not supported in CUDA emulation (" + c.category + ")");
    }
}

TEST(EmuSource, IgnoresCommentsLiteralsAndLookalikes) {
    const std::string source = R"src(// asm("trap;") in a line comment, cudaDeviceSynchronize
/* tex2D, <<<1, 1>>>, this_grid in a block comment */
#include <texture_fetch_functions_do_not_exist.h>
#error asm in an error directive is text
const char* a = "asm(\"x\") tex2D<<<";
const char b = '<';
const char* c = R"raw(__asm__ "surf2Dread" )raw";
const char* d = u8"texture<float>";
int e = 1'000'000 << 2;
int texture_count = 3, asmx = 4;
bool f = texture_count < 4 && 1 << 3 < 9;
template <typename T> struct S {};
S<S<int>> g;
)src";
    EXPECT_EQ(prepare(source), source);
}

TEST(EmuSource, PreIncludesAreFlagsAndHeadersAreStaged) {
    CpuCompileRequest request{"/x/k.cu", "", {}, {}, emulation_pre_includes()};
    const auto flags = cpu_compile_flags(request);
    const auto be_h = std::find(flags.begin(), flags.end(), "be/be.h");
    ASSERT_NE(be_h, flags.end());
    ASSERT_LT(be_h + 2, flags.end());
    EXPECT_EQ(*(be_h + 1), "-include");
    EXPECT_EQ(*(be_h + 2), "be/cuda_emu.h");
    const auto plain = cpu_compile_flags({"/x/k.cpp", "", {}, {}});
    EXPECT_EQ(std::count(plain.begin(), plain.end(), "be/cuda_emu.h"), 0);
    // kernel_headers_hash (the registry's) hashes every file under this directory, so the
    // emulation headers are part of every cache key.
    for (const char* header : {"be/cuda_emu.h", "be/cuda_emu_abi.h", "be/cuda_emu_math.h"})
        EXPECT_TRUE(std::filesystem::exists(kernel_include_dir() / header)) << header;
}

} // namespace
} // namespace be
