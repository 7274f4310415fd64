// The entry trampolines: their text, and proof that it is valid C++ with the kernel headers
// (compiled with the system g++), that it calls the kernel as the calling convention says, and
// that its static_asserts catch a token list the parser could not check.
#include <becore/registry/annotation.h>
#include <becore/registry/trampoline.h>

#include "test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace {

using be::ParamKind;
using be::Signature;
using be::SourceKind;

std::vector<Signature> parse(const std::string& source, const std::string& file = "k.cpp") {
    auto result = be::parse_annotations(source, file, SourceKind::cpp);
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
    return result.ok() ? result.value() : std::vector<Signature>{};
}

void expect_contains(const std::string& text, const std::string& part) {
    EXPECT_NE(text.find(part), std::string::npos) << "missing: " << part << "\nin:\n" << text;
}

std::filesystem::path kernel_include_dir() {
    return std::filesystem::path(BECORE_TEST_FIXTURES).parent_path().parent_path() / "kernels" /
           "include";
}

std::string find_gxx() {
    for (const char* candidate : {"g++-12", "g++"}) {
        if (be::test::run_command(std::string("command -v ") + candidate).exit_code == 0)
            return candidate;
    }
    return {};
}

// Compiles `source` + its trampolines as the registry would (kernel headers pre-included).
be::test::CommandResult compile(const be::test::TempDir& dir, const std::string& source,
                                const std::string& gxx, const std::string& flags = "-fsyntax-only",
                                const std::string& extra_files = "") {
    auto signatures = parse(source);
    const auto file = dir / "k.cpp";
    be::test::write_file(file, source + be::generate_cpp_trampolines(signatures));
    return be::test::run_command(gxx + " -std=c++20 " + flags + " -I" +
                                 kernel_include_dir().string() + " -include be/be.h " +
                                 file.string() + " " + extra_files);
}

#define REQUIRE_GXX(var)                                                                           \
    const std::string var = find_gxx();                                                            \
    if (var.empty()) GTEST_SKIP() << "no g++ on PATH"

TEST(TrampolineText, EntrySymbol) {
    Signature s;
    s.name = "axpy_f32";
    EXPECT_EQ(be::entry_symbol(s), "__be_entry_axpy_f32");
}

TEST(TrampolineText, BareForm) {
    auto sigs = parse("\n\n// @BE axpy\n"
                      "void axpy(const BE::Tensor& x, BE::Tensor& y, float alpha) {}\n",
                      "some/dir/axpy.cpp");
    const std::string text = be::generate_cpp_trampolines(sigs);
    EXPECT_EQ(text.front(), '\n'); // safe after a source without a final newline
    expect_contains(text, "#line 3 \"axpy.cpp\"\n");
    expect_contains(text, "extern \"C\" int __be_entry_axpy(void* const* params, "
                          "::BE::detail::ErrorSink* error) noexcept {\n");
    expect_contains(text, "using F = decltype(&axpy);");
    expect_contains(text, "static_assert(::BE::detail::arity<F>() == 3, \"@BE axpy: 3 tokens "
                          "but axpy has a different number of parameters\");");
    expect_contains(text, "static_assert(::BE::detail::param_is_arg<F, 0>() || "
                          "::std::is_same_v<::BE::detail::param_t<F, 0>, ::BE::Tensor&>, \"@BE "
                          "axpy: token 1 'arg' needs a const BE::Tensor& parameter\");");
    expect_contains(text, "static_assert(::BE::detail::param_is_ret<F, 1>(), \"@BE axpy: token "
                          "2 'ret' needs a BE::Tensor& parameter\");");
    expect_contains(text, "static_assert(::BE::detail::param_is_scalar<F, 2, float>(), \"@BE "
                          "axpy: token 3 'attr.alpha:float32' needs a float parameter\");");
    expect_contains(text, "return ::BE::detail::run_entry(error, [&] { "
                          "axpy(*static_cast<::BE::Tensor*>(params[0]), "
                          "*static_cast<::BE::Tensor*>(params[1]), "
                          "*static_cast<const float*>(params[2])); });");
}

TEST(TrampolineText, BoundFormStreamAndEveryScalarType) {
    auto sigs = parse("// @BE mv = event_matvec< float,bool > arg:float32 ret stream "
                      "attr.a:bool attr.b:int8 attr.c:int16 attr.d:int32 attr.e:int64 "
                      "attr.f:uint8 attr.g:uint16 attr.h:uint32 attr.i:uint64 attr.j:float32 "
                      "attr.k:float64\n");
    ASSERT_EQ(sigs.size(), 1u);
    const std::string text = be::generate_cpp_trampolines(sigs);
    expect_contains(text, "using F = decltype(&event_matvec<float, bool>);");
    expect_contains(text, "'arg:float32' needs a const BE::Tensor& parameter");
    expect_contains(text, "::BE::detail::param_is_scalar<F, 2, std::int64_t>() || "
                          "::BE::detail::param_is_scalar<F, 2, long long>(), \"@BE mv: token 3 "
                          "'stream' needs an int64_t parameter\"");
    const std::vector<std::string> types = {"bool",          "std::int8_t",   "std::int16_t",
                                            "std::int32_t",  "std::int64_t",  "std::uint8_t",
                                            "std::uint16_t", "std::uint32_t", "std::uint64_t",
                                            "float",         "double"};
    for (size_t i = 0; i < types.size(); ++i) {
        const std::string idx = std::to_string(i + 3);
        expect_contains(text, "param_is_scalar<F, " + idx + ", " + types[i] + ">()");
        expect_contains(text, "*static_cast<const " + types[i] + "*>(params[" + idx + "])");
    }
    expect_contains(text, "param_is_scalar<F, 11, unsigned long long>()");
    expect_contains(text, "event_matvec<float, bool>(*static_cast<::BE::Tensor*>(params[0])");
}

TEST(TrampolineText, LineDirectivesEscapeTheFileName) {
    Signature s;
    s.name = "f";
    s.function = "f";
    s.file = "/a/b/we\"ird\\name.cpp";
    s.line = 7;
    s.params = {{ParamKind::ret, "y", std::nullopt}};
    const std::string text = be::generate_cpp_trampolines({s});
    expect_contains(text, "#line 7 \"we\\\"ird\\\\name.cpp\"\n");
    expect_contains(text, "#line 7\n    using F");
}

TEST(TrampolineText, HalfWidthAttrFailsToCompileWithAReason) {
    Signature s;
    s.name = "h";
    s.function = "h";
    s.file = "k.cpp";
    s.line = 1;
    s.params = {{ParamKind::ret, "y", std::nullopt}, {ParamKind::attr, "a", be::DType::float16}};
    const std::string text = be::generate_cpp_trampolines({s});
    expect_contains(text, "static_assert(false, \"@BE h: token 2 'attr.a:float16' needs a host "
                          "scalar type");
}

TEST(TrampolineText, EmptyListGivesNoEntries) {
    EXPECT_EQ(be::generate_cpp_trampolines({}).find("extern"), std::string::npos);
}

const char* k_valid_kernels = R"(#include <cstdint>
// @BE every
void every(const BE::Tensor& x, BE::Tensor& y, bool a, int8_t b, int16_t c, int32_t d,
           int64_t e, uint8_t f, uint16_t g, uint32_t h, uint64_t i, float j, double k,
           int64_t stream) {}

// Other spellings of the same types, arg on a non-const tensor, by-value const tensor.
// @BE spelled arg arg ret attr.a attr.b attr.c attr.d stream
void spelled(BE::Tensor& x, const BE::Tensor x2, BE::Tensor& y, long long a,
             unsigned long long b, const double& c, const int d, long s) {}

template <typename W, typename S>
void event_matvec(const BE::Tensor& spikes, BE::Tensor& out, W alpha, S flag) {}
// @BE mv_f32 = event_matvec<float, bool> arg ret attr.alpha attr.flag
// @BE mv_f64 = event_matvec<double, std::uint8_t> args rets attrs.alpha attrs.flag

namespace ns {
template <int N> void shift(const BE::Tensor& x, BE::Tensor& y) noexcept {}
} // namespace ns
// @BE shift2 = ns::shift<2> arg ret
)";

TEST(TrampolineCompile, GeneratedCodeIsValidCpp) {
    REQUIRE_GXX(gxx);
    be::test::TempDir dir;
    auto result = compile(dir, k_valid_kernels, gxx);
    EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST(TrampolineCompile, CallsTheKernelAndReportsChecks) {
    REQUIRE_GXX(gxx);
    be::test::TempDir dir;
    const std::string kernel = R"(
// @BE axpy
void axpy(const BE::Tensor& x, BE::Tensor& y, float alpha) {
    BE_CHECK(x.numel() == y.numel(), "x and y differ in size");
    for (int64_t i = 0; i < x.numel(); ++i)
        y.data_ptr<float>()[i] += alpha * x.data_ptr<float>()[i];
}

template <typename T, typename N>
void fill(BE::Tensor& y, T value, N count, int64_t stream) {
    if (stream != 42) throw std::runtime_error("wrong stream");
    for (N i = 0; i < count; ++i) y.data_ptr<T>()[i] = value;
}
// @BE fill_f64 = fill<double, long long> ret attr.value attr.count stream
)";
    const std::string driver = R"(
#include <cstdio>
#include <cstring>
extern "C" int __be_entry_axpy(void* const*, BE::detail::ErrorSink*) noexcept;
extern "C" int __be_entry_fill_f64(void* const*, BE::detail::ErrorSink*) noexcept;
static BE::Tensor vec(void* data, BE::DType dtype, int64_t n) {
    BE::Tensor t;
    t.data = data;
    t.dtype_ = dtype;
    t.rank = 1;
    t.shape[0] = n;
    t.strides[0] = 1;
    return t;
}
int main() {
    float xs[3] = {1, 2, 3}, ys[3] = {10, 20, 30};
    float alpha = 2;
    BE::Tensor x = vec(xs, BE::DType::float32, 3), y = vec(ys, BE::DType::float32, 3);
    void* params[] = {&x, &y, &alpha};
    char buffer[256] = {};
    BE::detail::ErrorSink sink{buffer, sizeof buffer};
    if (__be_entry_axpy(params, &sink) != 0 || ys[0] != 12 || ys[2] != 36) return 10;
    BE::Tensor short_y = vec(ys, BE::DType::float32, 2);
    void* bad[] = {&x, &short_y, &alpha};
    if (__be_entry_axpy(bad, &sink) == 0) return 11;
    if (!std::strstr(buffer, "x and y differ in size")) return 12;
    double ds[4] = {};
    double value = 1.5;
    int64_t count = 3, stream = 42;
    BE::Tensor d = vec(ds, BE::DType::float64, 4);
    void* fp[] = {&d, &value, &count, &stream};
    if (__be_entry_fill_f64(fp, &sink) != 0 || ds[2] != 1.5 || ds[3] != 0) return 13;
    stream = 7;
    if (__be_entry_fill_f64(fp, &sink) == 0 || std::strcmp(buffer, "wrong stream") != 0) return 14;
    std::puts("driver ok");
    return 0;
}
)";
    be::test::write_file(dir / "driver.cpp", driver);
    const auto exe = dir / "prog";
    auto built = compile(dir, kernel, gxx, "-O0 -o " + exe.string(), (dir / "driver.cpp").string());
    ASSERT_EQ(built.exit_code, 0) << built.output;
    auto ran = be::test::run_command(exe.string());
    EXPECT_EQ(ran.exit_code, 0) << ran.output;
    expect_contains(ran.output, "driver ok");
}

TEST(TrampolineCompile, StaticAssertCatchesRetOnConstParameterInBoundForm) {
    REQUIRE_GXX(gxx);
    be::test::TempDir dir;
    // The parser cannot know what `f<float>` resolves to, so it accepts the tokens; the
    // trampoline refuses to compile, at the annotation's line.
    const std::string source = "template <typename T>\n"
                               "void f(const BE::Tensor& x, const BE::Tensor& y, T a) {}\n"
                               "\n"
                               "// @BE g = f<float> arg ret attr.a\n";
    ASSERT_EQ(parse(source).size(), 1u);
    auto result = compile(dir, source, gxx);
    EXPECT_NE(result.exit_code, 0) << result.output;
    expect_contains(result.output, "k.cpp:4");
    expect_contains(result.output, "@BE g: token 2 'ret' needs a BE::Tensor& parameter");
}

TEST(TrampolineCompile, StaticAssertCatchesWhatTheParserCannotSee) {
    REQUIRE_GXX(gxx);
    be::test::TempDir dir;
    // A function defined by a macro is invisible to the textual parser.
    const std::string defs = "#define DEFINE(name) \\\n"
                             "    void name(const BE::Tensor& x, BE::Tensor& y, double a) {}\n"
                             "DEFINE(h)\n";
    auto arity = compile(dir, defs + "// @BE g = h arg ret\n", gxx);
    EXPECT_NE(arity.exit_code, 0);
    expect_contains(arity.output, "k.cpp:4");
    expect_contains(arity.output, "@BE g: 2 tokens but h has a different number of parameters");
    auto scalar = compile(dir, defs + "// @BE g = h arg ret attr.a:float32\n", gxx);
    EXPECT_NE(scalar.exit_code, 0);
    expect_contains(scalar.output, "@BE g: token 3 'attr.a:float32' needs a float parameter");
    auto kind = compile(dir, defs + "// @BE g = h ret ret attr.a:float64\n", gxx);
    EXPECT_NE(kind.exit_code, 0);
    expect_contains(kind.output, "@BE g: token 1 'ret' needs a BE::Tensor& parameter");
    auto fine = compile(dir, defs + "// @BE g = h arg ret attr.a:float64\n", gxx);
    EXPECT_EQ(fine.exit_code, 0) << fine.output;
}

} // namespace
