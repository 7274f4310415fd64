// The CUDA emulation's entry trampolines: their text, and that their static_asserts reject a
// `.cu` kernel whose parameters do not match the tokens (compiled as the emulation compiles).
#include <becore/registry/annotation.h>
#include <becore/registry/trampoline.h>
#include <becore/runtime/cpu_backend.h>
#include <becore/runtime/cuda_emu.h>

#include <gtest/gtest.h>

#include <string>

namespace {

std::vector<be::Signature> parse_cu(const std::string& source) {
    auto result = be::parse_annotations(source, "dir/k.cu", be::SourceKind::cuda);
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
    return result.ok() ? result.value() : std::vector<be::Signature>{};
}

void expect_contains(const std::string& text, const std::string& part) {
    EXPECT_NE(text.find(part), std::string::npos) << "missing: " << part << "\nin:\n" << text;
}

TEST(EmuTrampoline, SymbolAndText) {
    const auto sigs =
        parse_cu("\n// @BE scale\n"
                 "__global__ void scale(const BE::Tensor x, BE::Tensor y, float a) {}\n");
    ASSERT_EQ(sigs.size(), 1u);
    EXPECT_EQ(be::emu_entry_symbol(sigs[0]), "__be_emu_entry_scale");
    const std::string text = be::generate_emu_trampolines(sigs);
    EXPECT_EQ(text.front(), '\n');
    expect_contains(text, "#line 2 \"k.cu\"\n");
    expect_contains(text, "extern \"C\" int __be_emu_entry_scale(void* const* params, "
                          "::BE::detail::ErrorSink* error) noexcept {\n");
    expect_contains(text, "static_assert(::std::is_same_v<::BE::detail::param_t<F, 0>, "
                          "::BE::Tensor>, \"@BE scale: token 1 'arg' needs a BE::Tensor "
                          "parameter (by value)\");");
    expect_contains(text, "'ret' needs a BE::Tensor parameter (by value)");
    expect_contains(text, "static_assert(::BE::detail::param_is_scalar<F, 2, float>()");
    expect_contains(text, "return ::BE::detail::run_entry(error, [&] { scale("
                          "*static_cast<::BE::Tensor*>(params[0]), "
                          "*static_cast<::BE::Tensor*>(params[1]), "
                          "*static_cast<const float*>(params[2])); });");
    // The .cpp trampolines are untouched by the emulation's.
    EXPECT_EQ(be::generate_cpp_trampolines(sigs).find("__be_emu_entry_"), std::string::npos);
}

// A bound expression the parser cannot check: the kernel takes its ret by reference.
TEST(EmuTrampoline, StaticAssertsRejectMismatchedKernels) {
    const std::string source =
        "template <typename T> __global__ void k(BE::Tensor x, BE::Tensor& y) {}\n"
        "// @BE k_f32 = k<float> arg ret\n";
    const auto sigs = parse_cu(source);
    ASSERT_EQ(sigs.size(), 1u);
    auto prepared = be::prepare_emulation_source(source, "k.cu");
    ASSERT_TRUE(prepared.ok());
    be::CpuCompileRequest request{"/becore-test/k.cu",
                                  *prepared + be::generate_emu_trampolines(sigs),
                                  {},
                                  {},
                                  be::emulation_pre_includes()};
    auto compiled = be::compile_cpp(request);
    ASSERT_FALSE(compiled.ok());
    expect_contains(compiled.error().log, "k.cu:2:");
    expect_contains(compiled.error().log,
                    "@BE k_f32: token 2 'ret' needs a BE::Tensor parameter (by value)");
}

} // namespace
