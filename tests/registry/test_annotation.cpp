// The textual `// @BE` parser: every form, alias and type, and every error it reports.
#include <becore/registry/annotation.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using be::DType;
using be::ParamKind;
using be::Signature;
using be::SourceKind;
using be::annotated_names;

// "arg x, ret y:float32, attr alpha:float32": one string to compare a whole parameter list.
std::string render(const Signature& s) {
    std::string out;
    for (const auto& p : s.params) {
        if (!out.empty()) out += ", ";
        out += std::string(be::param_kind_name(p.kind)) + " " + p.name;
        if (p.dtype) out += ":" + std::string(be::dtype_name(*p.dtype));
    }
    return out;
}

std::vector<Signature> parse(const std::string& source, SourceKind kind = SourceKind::cpp,
                             const std::string& file = "k.cpp") {
    auto result = be::parse_annotations(source, file, kind);
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message) << "\n" << source;
    return result.ok() ? result.value() : std::vector<Signature>{};
}

Signature parse_one(const std::string& source, SourceKind kind = SourceKind::cpp) {
    auto all = parse(source, kind);
    EXPECT_EQ(all.size(), 1u) << source;
    return all.empty() ? Signature{} : all.front();
}

// Asserts the error names file:line, the offending token in quotes, and says `what`.
void expect_error(const std::string& source, int line, const std::string& token,
                  const std::string& what, SourceKind kind = SourceKind::cpp) {
    const std::string file = kind == SourceKind::cpp ? "dir/k.cpp" : "dir/k.cu";
    auto result = be::parse_annotations(source, file, kind);
    ASSERT_FALSE(result.ok()) << source;
    const std::string& m = result.error().message;
    const std::string prefix = "parse_annotations(" + file + ":" + std::to_string(line) + "): ";
    EXPECT_EQ(m.rfind(prefix, 0), 0u) << m;
    EXPECT_NE(m.find("'" + token + "'"), std::string::npos) << "token " << token << ": " << m;
    EXPECT_NE(m.find(what), std::string::npos) << "want '" << what << "': " << m;
}

constexpr SourceKind cpp = SourceKind::cpp;
constexpr SourceKind cuda = SourceKind::cuda;

// ---------------------------------------------------------------------------------------------
// Forms

TEST(AnnotationParse, NoAnnotationsGivesEmpty) {
    EXPECT_TRUE(
        parse("void f(const BE::Tensor& x, BE::Tensor& y) {}\n// just a comment\n").empty());
    EXPECT_TRUE(parse("").empty());
}

TEST(AnnotationParse, ParamKindNames) {
    EXPECT_STREQ(be::param_kind_name(ParamKind::arg), "arg");
    EXPECT_STREQ(be::param_kind_name(ParamKind::ret), "ret");
    EXPECT_STREQ(be::param_kind_name(ParamKind::stream), "stream");
    EXPECT_STREQ(be::param_kind_name(ParamKind::attr), "attr");
}

TEST(AnnotationParse, BareInferredCpp) {
    auto all = parse("#include <cmath>\n"
                     "\n"
                     "// @BE axpy\n"
                     "void axpy(const BE::Tensor& x, BE::Tensor& y, float alpha) {}\n",
                     cpp, "kernels/axpy.cpp");
    ASSERT_EQ(all.size(), 1u);
    const Signature& s = all[0];
    EXPECT_EQ(s.name, "axpy");
    EXPECT_EQ(s.function, "axpy");
    EXPECT_FALSE(s.bound_expression);
    EXPECT_EQ(s.file, "kernels/axpy.cpp");
    EXPECT_EQ(s.line, 3);
    EXPECT_FALSE(s.launch.has_value());
    EXPECT_EQ(render(s), "arg x, ret y, attr alpha:float32");
}

TEST(AnnotationParse, BareInferredCppSpellings) {
    auto s = parse_one("// @BE f\n"
                       "void f(BE::Tensor const& a, ::BE::Tensor& b, const Tensor& c, Tensor &d,\n"
                       "       const BE::Tensor e, const float k, const double& m) {}\n");
    EXPECT_EQ(render(s), "arg a, ret b, arg c, ret d, arg e, attr k:float32, attr m:float64");
}

TEST(AnnotationParse, BareInferredCuda) {
    auto s = parse_one("// @BE scale\n"
                       "extern \"C\" __global__ void scale(const BE::Tensor x, BE::Tensor y,\n"
                       "                                   float a, int n) {}\n",
                       cuda);
    EXPECT_EQ(render(s), "arg x, ret y, attr a:float32, attr n:int32");
    EXPECT_EQ(s.function, "scale");
    // With tokens, an arg may also bind a non-const by-value tensor.
    auto t = parse_one("// @BE k arg:float32 ret attr.m:float16\n"
                       "__global__ void k(BE::Tensor x, BE::Tensor y, __half m) {}\n",
                       cuda);
    EXPECT_EQ(render(t), "arg x:float32, ret y, attr m:float16");
}

TEST(AnnotationParse, InferredStream) {
    EXPECT_EQ(render(parse_one("// @BE f\nvoid f(BE::Tensor& y, int64_t stream) {}\n")),
              "ret y, stream stream");
    EXPECT_EQ(render(parse_one("// @BE f\nvoid f(BE::Tensor& y, std::int64_t stream) {}\n")),
              "ret y, stream stream");
    // Only int64_t spells a stream; another name or type is an attr.
    EXPECT_EQ(render(parse_one("// @BE f\nvoid f(BE::Tensor& y, long stream) {}\n")),
              "ret y, attr stream:int64");
    EXPECT_EQ(render(parse_one("// @BE f\nvoid f(BE::Tensor& y, int64_t s) {}\n")),
              "ret y, attr s:int64");
}

TEST(AnnotationParse, InferredScalarTypes) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"bool", "bool"},
        {"int8_t", "int8"},
        {"std::int8_t", "int8"},
        {"signed char", "int8"},
        {"int16_t", "int16"},
        {"std::int16_t", "int16"},
        {"short", "int16"},
        {"short int", "int16"},
        {"int32_t", "int32"},
        {"std::int32_t", "int32"},
        {"int", "int32"},
        {"signed", "int32"},
        {"int64_t", "int64"},
        {"std::int64_t", "int64"},
        {"long", "int64"},
        {"long long", "int64"},
        {"long long int", "int64"},
        {"uint8_t", "uint8"},
        {"std::uint8_t", "uint8"},
        {"unsigned char", "uint8"},
        {"uint16_t", "uint16"},
        {"unsigned short", "uint16"},
        {"uint32_t", "uint32"},
        {"unsigned", "uint32"},
        {"unsigned int", "uint32"},
        {"uint64_t", "uint64"},
        {"std::uint64_t", "uint64"},
        {"unsigned long", "uint64"},
        {"unsigned long long", "uint64"},
        {"size_t", "uint64"},
        {"std::size_t", "uint64"},
        {"float", "float32"},
        {"double", "float64"},
        {"const float", "float32"},
        {"float const", "float32"},
    };
    for (const auto& [type, dtype] : cases) {
        auto s = parse_one("// @BE f\nvoid f(BE::Tensor& out, " + type + " v) {}\n");
        EXPECT_EQ(render(s), "ret out, attr v:" + dtype) << type;
        auto c =
            parse_one("// @BE f\n__global__ void f(BE::Tensor out, " + type + " v) {}\n", cuda);
        EXPECT_EQ(render(c), "ret out, attr v:" + dtype) << type;
    }
    for (const auto& [type, dtype] :
         std::vector<std::pair<std::string, std::string>>{{"half", "float16"},
                                                          {"__half", "float16"},
                                                          {"__nv_bfloat16", "bfloat16"},
                                                          {"bfloat16", "bfloat16"}}) {
        auto c =
            parse_one("// @BE f\n__global__ void f(BE::Tensor out, " + type + " v) {}\n", cuda);
        EXPECT_EQ(render(c), "ret out, attr v:" + dtype) << type;
    }
}

TEST(AnnotationParse, InferredUnnamedParamsGetPositionalNames) {
    auto s = parse_one("// @BE f\nvoid f(const BE::Tensor&, BE::Tensor&, float) {}\n");
    EXPECT_EQ(render(s), "arg arg0, ret ret1, attr attr2:float32");
}

TEST(AnnotationParse, BareWithTokens) {
    auto s = parse_one("// @BE f arg ret:float32 attr.alpha:float32 stream\n"
                       "void f(const BE::Tensor& x, BE::Tensor& y, float a, int64_t s) {}\n");
    EXPECT_EQ(s.function, "f");
    EXPECT_FALSE(s.bound_expression);
    // attr names come from the token; the others from the C++ parameters.
    EXPECT_EQ(render(s), "arg x, ret y:float32, attr alpha:float32, stream s");
}

TEST(AnnotationParse, Aliases) {
    auto s = parse_one("// @BE f args rets ctx.stream attrs.n\n"
                       "void f(const BE::Tensor& x, BE::Tensor& y, int64_t st, int n) {}\n");
    EXPECT_EQ(render(s), "arg x, ret y, stream st, attr n:int32");
    auto t = parse_one("// @BE f args:float64 rets:int32 attrs.k:uint16\n"
                       "void f(const BE::Tensor& x, BE::Tensor& y, uint16_t n) {}\n");
    EXPECT_EQ(render(t), "arg x:float64, ret y:int32, attr k:uint16");
}

TEST(AnnotationParse, AttrTypeTakenFromCppType) {
    auto s = parse_one("// @BE f ret attr.a attr.b attr.c attr.d\n"
                       "void f(BE::Tensor& y, int a, const double b, unsigned long long c,\n"
                       "       const bool& d) {}\n");
    EXPECT_EQ(render(s), "ret y, attr a:int32, attr b:float64, attr c:uint64, attr d:bool");
}

TEST(AnnotationParse, EveryAttrTypeByName) {
    const std::vector<std::string> names = {"bool",     "int8",    "int16",  "int32",  "int64",
                                            "uint8",    "uint16",  "uint32", "uint64", "float16",
                                            "bfloat16", "float32", "float64"};
    for (const auto& n : names) {
        // No declaration of `g` in the file: the token's type is all there is.
        auto s = parse_one("// @BE f = g ret attr.v:" + n + "\n", cuda);
        EXPECT_EQ(render(s), "ret ret0, attr v:" + n);
        if (n != "float16" && n != "bfloat16") {
            EXPECT_EQ(render(parse_one("// @BE f = g ret attr.v:" + n + "\n")),
                      "ret ret0, attr v:" + n);
        }
    }
}

TEST(AnnotationParse, DtypeConstraintsOnTensors) {
    const std::vector<std::string> names = {"bool",     "int8",    "int16",  "int32",  "int64",
                                            "uint8",    "uint16",  "uint32", "uint64", "float16",
                                            "bfloat16", "float32", "float64"};
    for (const auto& n : names) {
        auto s = parse_one("// @BE f arg:" + n + " ret:" + n +
                           "\nvoid f(const BE::Tensor& x, BE::Tensor& y) {}\n");
        EXPECT_EQ(render(s), "arg x:" + n + ", ret y:" + n);
    }
    // parse_dtype's suffix aliases are accepted and stored as the dtype they name.
    auto s =
        parse_one("// @BE f arg:f32 ret:bf16\nvoid f(const BE::Tensor& x, BE::Tensor& y) {}\n");
    EXPECT_EQ(render(s), "arg x:float32, ret y:bfloat16");
}

TEST(AnnotationParse, ArgMayBindNonConstTensorRef) {
    auto s = parse_one("// @BE f arg ret\nvoid f(BE::Tensor& x, BE::Tensor& y) {}\n");
    EXPECT_EQ(render(s), "arg x, ret y");
}

TEST(AnnotationParse, BoundFormWithTemplateSubstitution) {
    auto all = parse("template <typename W, typename S>\n"
                     "void event_matvec(const BE::Tensor& spikes, BE::Tensor& out, W alpha,\n"
                     "                  S flag) {}\n"
                     "\n"
                     "// @BE mv_f32 = event_matvec<float, bool> arg ret attr.alpha attr.flag\n"
                     "// @BE mv_f64 = event_matvec< double ,bool > args rets:float64 "
                     "attrs.alpha attrs.flag:bool\n");
    ASSERT_EQ(all.size(), 2u);
    EXPECT_TRUE(all[0].bound_expression);
    EXPECT_EQ(all[0].name, "mv_f32");
    EXPECT_EQ(all[0].function, "event_matvec<float, bool>");
    EXPECT_EQ(all[0].line, 5);
    EXPECT_EQ(render(all[0]), "arg spikes, ret out, attr alpha:float32, attr flag:bool");
    EXPECT_EQ(all[1].function, "event_matvec<double, bool>");
    EXPECT_EQ(all[1].line, 6);
    EXPECT_EQ(render(all[1]), "arg spikes, ret out:float64, attr alpha:float64, attr flag:bool");
}

TEST(AnnotationParse, BoundFormBeforeTheTemplateAndQualified) {
    auto s = parse_one("// @BE scale2 = ns::scale<2, float> arg ret attr.k attr.n\n"
                       "namespace ns {\n"
                       "template <int N, class T>\n"
                       "void scale(const BE::Tensor& x, BE::Tensor& y, const T& k, int n) {}\n"
                       "} // namespace ns\n");
    EXPECT_EQ(s.function, "ns::scale<2, float>");
    EXPECT_EQ(render(s), "arg x, ret y, attr k:float32, attr n:int32");
}

TEST(AnnotationParse, BoundFormDefaultTemplateArgumentsAndNesting) {
    auto s = parse_one("template <typename T, typename A = double, typename B = A>\n"
                       "void f(const BE::Tensor& x, BE::Tensor& y, A a, B b, T t) {}\n"
                       "// @BE g = f<std::pair<int, int>> arg ret attr.a attr.b attr.t:int32\n");
    EXPECT_EQ(s.function, "f<std::pair<int, int>>");
    EXPECT_EQ(render(s), "arg x, ret y, attr a:float64, attr b:float64, attr t:int32");
}

TEST(AnnotationParse, BoundFormTemplateDefaultsWithCommas) {
    auto s = parse_one("template <typename P = std::pair<int, int>, typename A = float,\n"
                       "          template <class> class C = std::vector, int N = (3 > 2)>\n"
                       "void f(const BE::Tensor& x, BE::Tensor& y, A a, P p) {}\n"
                       "// @BE g = f<> arg ret attr.a attr.p:int32\n");
    EXPECT_EQ(render(s), "arg x, ret y, attr a:float32, attr p:int32");
}

TEST(AnnotationParse, BoundFormPlainFunctionAndUnknownCallee) {
    auto s = parse_one("void axpy(const BE::Tensor& x, BE::Tensor& y, float alpha) {}\n"
                       "// @BE axpy_alias = axpy arg ret attr.alpha\n");
    EXPECT_EQ(s.function, "axpy");
    EXPECT_EQ(render(s), "arg x, ret y, attr alpha:float32");
    // A callee the file does not declare (a header's, a macro's) binds with positional names.
    auto u = parse_one("// @BE h = other::thing<3> arg ret stream attr.a:float64\n");
    EXPECT_EQ(u.function, "other::thing<3>");
    EXPECT_EQ(render(u), "arg arg0, ret ret1, stream stream, attr a:float64");
    auto g = parse_one("// @BE h=::thing arg ret\n");
    EXPECT_EQ(g.function, "::thing");
}

TEST(AnnotationParse, BoundFormPicksTheOverloadThatFits) {
    auto s = parse_one("void k(BE::Tensor& y) {}\n"
                       "template <typename T> void k(const BE::Tensor& x, BE::Tensor& y, T v) {}\n"
                       "// @BE k_f32 = k<float> arg ret attr.v\n");
    EXPECT_EQ(render(s), "arg x, ret y, attr v:float32");
}

TEST(AnnotationParse, SkipsWhatStandsBetweenAnnotationAndFunction) {
    auto s = parse_one("// @BE f\n"
                       "// more commentary\n"
                       "\n"
                       "/* a block\n   comment */\n"
                       "#if defined(SOMETHING)\n"
                       "#endif\n"
                       "[[gnu::hot]] static inline void f(const BE::Tensor& x,\n"
                       "                                  // a comment inside the list\n"
                       "                                  BE::Tensor& y /* out */,\n"
                       "                                  float alpha = 1.0f,\n"
                       "                                  [[maybe_unused]] int n = (3 > 2)) {\n"
                       "}\n");
    EXPECT_EQ(render(s), "arg x, ret y, attr alpha:float32, attr n:int32");
    auto c = parse_one("// @BE k\n"
                       "extern \"C\" __global__ void __launch_bounds__(256, 2)\n"
                       "k(const BE::Tensor x,\n"
                       "  BE::Tensor y) {}\n",
                       cuda);
    EXPECT_EQ(render(c), "arg x, ret y");
    auto d = parse_one("// @BE f\n"
                       "extern \"C\" {\n"
                       "std::enable_if_t<(2 > 1), void> f(const BE::Tensor& x, BE::Tensor& y);\n"
                       "}\n");
    EXPECT_EQ(render(d), "arg x, ret y");
}

TEST(AnnotationParse, MultiLineParameterListWithTemplatesInDefaults) {
    auto s = parse_one("// @BE f\n"
                       "auto f(\n"
                       "    const BE::Tensor& x,\n"
                       "    BE::Tensor& y,\n"
                       "    double k = std::max<double>(1.0, 2.0),\n"
                       "    signed char sep = ',',\n"
                       "    int n = 1'000) -> void {}\n");
    EXPECT_EQ(render(s), "arg x, ret y, attr k:float64, attr sep:int8, attr n:int32");
}

TEST(AnnotationParse, OnlyWholeLineCommentsAreAnnotations) {
    auto all = parse("/* // @BE in_block arg ret */\n"
                     "const char* s = \"// @BE in_string arg ret\";\n"
                     "const char* r = R\"x(\n// @BE in_raw arg ret\n)x\";\n"
                     "int x = 0; // @BE trailing arg ret\n"
                     "// @BEtypo arg ret\n"
                     "// @be lowercase arg ret\n"
                     "    //@BE real\n"
                     "void real(BE::Tensor& y) {}\n");
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].name, "real");
    EXPECT_EQ(all[0].line, 9);
}

TEST(AnnotationParse, CharacterLiteralsAndSplicesDoNotConfuseTheLexer) {
    auto all = parse("char q = '\"'; char b = '\\''; int n = 0x1'F;\n"
                     "#define LONG_MACRO(a) \\\n"
                     "    a // @BE not_an_annotation\n"
                     "// @BE f\n"
                     "void f(BE::Tensor& y) {}\n");
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].line, 4);
}

TEST(AnnotationParse, LaunchClauseKeptForCuda) {
    auto s = parse_one("// @BE k arg ret attr.n launch(threads=x.numel(), block=128)\n"
                       "__global__ void k(const BE::Tensor x, BE::Tensor y, int n) {}\n",
                       cuda);
    ASSERT_TRUE(s.launch.has_value());
    EXPECT_EQ(s.launch->text, "threads=x.numel(), block=128");
    EXPECT_EQ(render(s), "arg x, ret y, attr n:int32");
    auto inferred = parse_one("// @BE k launch ( blocks=n )\n"
                              "__global__ void k(BE::Tensor y, int n) {}\n",
                              cuda);
    ASSERT_TRUE(inferred.launch.has_value());
    EXPECT_EQ(inferred.launch->text, "blocks=n");
    EXPECT_EQ(render(inferred), "ret y, attr n:int32");
    // The clause is parsed against the parameters, here named by the template's declaration.
    auto bound = parse_one("template <typename T> __global__ void k(const BE::Tensor x, "
                           "BE::Tensor y) {}\n"
                           "// @BE k2 = k<float> arg ret launch(threads=y.size(0))\n",
                           cuda);
    EXPECT_EQ(bound.launch->text, "threads=y.size(0)");
}

TEST(AnnotationParse, SeveralTargetsInOrder) {
    auto all = parse("// @BE a\nvoid a(BE::Tensor& y) {}\n"
                     "\n"
                     "// @BE b arg ret\nvoid b(const BE::Tensor& x, BE::Tensor& y) {}\n");
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].name, "a");
    EXPECT_EQ(all[0].line, 1);
    EXPECT_EQ(all[1].name, "b");
    EXPECT_EQ(all[1].line, 4);
}

TEST(AnnotationParse, CrlfLineEndings) {
    auto s = parse_one("// @BE f arg ret\r\nvoid f(const BE::Tensor& x,\r\n BE::Tensor& y) {}\r\n");
    EXPECT_EQ(render(s), "arg x, ret y");
}

TEST(AnnotationParse, TruncatedAndMangledSourcesNeverCrash) {
    const std::string source = "/* block */ #include <x>\n"
                               "const char* r = R\"d(raw)d\"; char c = '\\'';\n"
                               "template <typename W, typename S = std::pair<int, int>>\n"
                               "void mv(const BE::Tensor& x, BE::Tensor& y, W a, S s) {}\n"
                               "// @BE mv_f = mv<float, bool> arg ret attr.a attr.s\n"
                               "// @BE k arg ret attr.n launch(threads=x.numel())\n"
                               "extern \"C\" [[a::b]] void k(const BE::Tensor& x, BE::Tensor& y,\n"
                               "                       int n = (1 < 2)) {}\n";
    for (size_t n = 0; n <= source.size(); ++n) {
        for (auto kind : {cpp, cuda}) {
            auto result = be::parse_annotations(source.substr(0, n), "k.cpp", kind);
            if (!result.ok()) {
                EXPECT_EQ(result.error().message.rfind("parse_annotations(k.cpp:", 0), 0u);
            }
            std::string mangled = source;
            mangled[n % source.size()] = "(<[{\"'/*>)]};,"[n % 15];
            (void)be::parse_annotations(mangled, "k.cpp", kind);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors: each names file:line and the offending token.

const char* k_fn = "void f(const BE::Tensor& x, BE::Tensor& y) {}\n";

TEST(AnnotationError, UnknownToken) {
    expect_error(std::string("// @BE f arg input\n") + k_fn, 1, "input", "unknown token");
    expect_error(std::string("// @BE f arg attr\n") + k_fn, 1, "attr", "unknown token");
    expect_error(std::string("// @BE f arg (ret)\n") + k_fn, 1, "(ret)", "unknown token");
}

TEST(AnnotationError, BadDtype) {
    expect_error(std::string("// @BE f arg:flaot ret\n") + k_fn, 1, "arg:flaot",
                 "bad dtype 'flaot'");
    expect_error(std::string("// @BE f arg ret:\n") + k_fn, 1, "ret:", "bad dtype ''");
}

TEST(AnnotationError, BadAttrType) {
    const std::string fn = "void f(BE::Tensor& y, float a) {}\n";
    expect_error("// @BE f ret attr.a:float\n" + fn, 1, "attr.a:float", "bad attr type 'float'");
    expect_error("// @BE f ret attr.a:f32\n" + fn, 1, "attr.a:f32", "bad attr type");
    expect_error("// @BE f ret attr.a:float16\nvoid f(BE::Tensor& y, short a) {}\n", 1,
                 "attr.a:float16", "only supported in .cu kernels");
    expect_error("// @BE f = g ret attr.a:bfloat16\n", 1, "attr.a:bfloat16",
                 "only supported in .cu kernels");
}

TEST(AnnotationError, AttrNames) {
    const std::string fn = "void f(BE::Tensor& y, float a, float b) {}\n";
    expect_error("// @BE f ret attr.1a attr.b\n" + fn, 1, "1a", "invalid attr name");
    expect_error("// @BE f ret attr. attr.b\n" + fn, 1, "attr.", "invalid attr name");
    expect_error("// @BE f ret attr.a attrs.a\n" + fn, 1, "attrs.a", "duplicate attr name");
}

TEST(AnnotationError, TwoStreams) {
    expect_error("// @BE f ret stream ctx.stream\nvoid f(BE::Tensor& y, int64_t a, int64_t b) {}\n",
                 1, "ctx.stream", "two streams");
    expect_error("// @BE f ret stream:int64\nvoid f(BE::Tensor& y, int64_t a) {}\n", 1,
                 "stream:int64", "takes no type");
}

TEST(AnnotationError, StreamRejectedInCuda) {
    expect_error("// @BE k ret stream\n__global__ void k(BE::Tensor y, int64_t s) {}\n", 1,
                 "stream", "stream is meaningless in .cu kernels", cuda);
    expect_error("// @BE k\n__global__ void k(BE::Tensor y, int64_t stream) {}\n", 1,
                 "int64_t stream", "stream is meaningless in .cu kernels", cuda);
}

TEST(AnnotationError, NoRet) {
    expect_error("// @BE f arg\nvoid f(const BE::Tensor& x) {}\n", 1, "f", "no ret");
    expect_error("\n// @BE f\nvoid f(const BE::Tensor& x, float a) {}\n", 2, "f", "no ret");
    expect_error("// @BE f = g arg attr.a:float32\n", 1, "f", "no ret");
}

TEST(AnnotationError, NotFollowedByFunction) {
    expect_error("// @BE f\nint x = 3;\n", 1, "f", "not followed by a function");
    expect_error("void f(BE::Tensor& y) {}\n// @BE f\n", 2, "f", "not followed by a function");
    expect_error("// @BE f\nstruct f { void g(BE::Tensor& y); };\n", 1, "f",
                 "not followed by a function");
    expect_error("// @BE f\nBE::Tensor f(3);\n", 1, "f", "not followed by a function");
}

TEST(AnnotationError, NameDiffersFromFunction) {
    expect_error(std::string("// @BE g\n") + k_fn, 1, "g", "does not match");
    expect_error(std::string("// @BE g arg ret\n") + k_fn, 1, "f", "does not match");
}

TEST(AnnotationError, BareFormOnTemplate) {
    expect_error("// @BE f\ntemplate <typename T>\nvoid f(BE::Tensor& y, T v) {}\n", 1, "f",
                 "is a function template");
}

TEST(AnnotationError, DuplicateName) {
    expect_error(std::string("// @BE f\n") + k_fn + "// @BE f = f arg ret\n", 3, "f",
                 "duplicate target name 'f' (first declared at line 1)");
}

TEST(AnnotationError, TokenCountDiffersFromParameterCount) {
    expect_error(std::string("// @BE f arg ret attr.a:float32\n") + k_fn, 1, "f",
                 "3 tokens for 'f' but 'f' has 2 parameters");
    expect_error(std::string("// @BE f ret\n") + k_fn, 1, "f", "token count");
    expect_error("template <typename T> void k(const BE::Tensor& x, BE::Tensor& y, T a) {}\n"
                 "// @BE k1 = k<float> arg ret\n",
                 2, "k", "2 tokens for 'k1' but 'k' (line 1) has 3 parameters");
}

TEST(AnnotationError, MalformedLaunchClause) {
    const std::string k = "__global__ void k(BE::Tensor y, int n) {}\n";
    expect_error("// @BE k ret attr.n launch(threads=n\n" + k, 1, "launch(threads=n",
                 "malformed launch clause", cuda);
    expect_error("// @BE k ret attr.n launch\n" + k, 1, "launch", "malformed launch clause", cuda);
    expect_error("// @BE k ret attr.n launch()\n" + k, 1, "launch()", "malformed launch clause",
                 cuda);
    expect_error("// @BE k ret launch(threads=n) attr.n\n" + k, 1, "attr.n",
                 "must be the last element", cuda);
    expect_error("// @BE k ret attr.n launch(threads=(n)))\n" + k, 1, ")",
                 "malformed launch clause", cuda);
}

TEST(AnnotationError, LaunchOnlyInCuda) {
    expect_error(std::string("// @BE f arg ret launch(threads=1)\n") + k_fn, 1, "launch(threads=1)",
                 "launch(...) is only meaningful in .cu files");
}

TEST(AnnotationError, InvalidTargetName) {
    expect_error(std::string("// @BE 9f arg ret\n") + k_fn, 1, "9f", "invalid target name");
    expect_error(std::string("// @BE f.g arg ret\n") + k_fn, 1, "f.g", "invalid target name");
    expect_error(std::string("// @BE f-g = f arg ret\n") + k_fn, 1, "f-g", "invalid target name");
}

TEST(AnnotationError, MissingName) {
    expect_error(std::string("// @BE\n") + k_fn, 1, "@BE", "missing target name");
    expect_error(std::string("//   @BE   = f arg ret\n") + k_fn, 1, "@BE", "missing target name");
}

TEST(AnnotationError, BoundFormExpression) {
    expect_error("// @BE g = f<float\n", 1, "f<float", "malformed template argument list");
    expect_error("// @BE g = 3f arg ret\n", 1, "3f arg ret", "expected a function");
    expect_error("// @BE g =\n", 1, "", "expected a function");
    expect_error("// @BE g = f<float>\n", 1, "g = f<float>", "needs tokens");
}

TEST(AnnotationError, BoundFormAttrNeedsType) {
    expect_error("// @BE g = f<float> arg ret attr.alpha\n", 1, "attr.alpha", "needs a type");
    expect_error("template <typename W> void f(const BE::Tensor& x, BE::Tensor& y, W a) {}\n"
                 "// @BE g = f<std::complex<float>> arg ret attr.a\n",
                 2, "attr.a", "needs a type");
    expect_error("template <typename W> void f(const BE::Tensor& x, BE::Tensor& y, W a) {}\n"
                 "// @BE g = f<double> arg ret attr.a:float32\n",
                 2, "attr.a:float32", "of type float64");
}

TEST(AnnotationError, TokenAgainstParameter) {
    expect_error("// @BE f arg ret\nvoid f(const BE::Tensor& x, const BE::Tensor& y) {}\n", 1,
                 "ret", "which is const");
    expect_error("// @BE f arg ret\nvoid f(const BE::Tensor& x, BE::Tensor y) {}\n", 1, "ret",
                 "must be a BE::Tensor&");
    expect_error("// @BE f arg ret\nvoid f(float x, BE::Tensor& y) {}\n", 1, "arg",
                 "not a BE::Tensor");
    expect_error("// @BE f ret attr.a\nvoid f(BE::Tensor& y, const BE::Tensor& a) {}\n", 1,
                 "attr.a", "not a scalar");
    expect_error("// @BE f ret stream\nvoid f(BE::Tensor& y, int s) {}\n", 1, "stream",
                 "not an int64_t");
    expect_error("// @BE f ret attr.a\nvoid f(BE::Tensor& y, float& a) {}\n", 1, "attr.a",
                 "non-const reference");
    expect_error("// @BE f ret attr.a:float64\nvoid f(BE::Tensor& y, float a) {}\n", 1,
                 "attr.a:float64", "of type float32");
    expect_error("// @BE f ret attr.a\nvoid f(BE::Tensor& y, MyScalar a) {}\n", 1, "attr.a",
                 "needs a type");
}

TEST(AnnotationError, InferenceFailures) {
    expect_error("// @BE f\nvoid f(BE::Tensor& y, float* p) {}\n", 1, "float* p", "pointer");
    expect_error("// @BE f\nvoid f(BE::Tensor& y, float p[4]) {}\n", 1, "float p[4]", "pointer");
    expect_error("// @BE f\nvoid f(BE::Tensor& y, MyScalar a) {}\n", 1, "MyScalar a",
                 "cannot infer");
    expect_error("// @BE f\nvoid f(BE::Tensor& y, char c) {}\n", 1, "char c", "cannot infer");
    expect_error("// @BE f\nvoid f(BE::Tensor y) {}\n", 1, "BE::Tensor y", "ambiguous");
    expect_error("// @BE f\nvoid f(BE::Tensor&& y) {}\n", 1, "BE::Tensor&& y", "cannot be bound");
    expect_error("// @BE f\nvoid f(BE::Tensor& y, int& n) {}\n", 1, "int& n", "non-const");
    expect_error("// @BE f\nvoid f(BE::Tensor& y, half h) {}\n", 1, "half h",
                 "only supported in .cu kernels");
    expect_error("// @BE f\nvoid f(BE::Tensor& y, int64_t stream, std::int64_t stream2) {}\n"
                 "// @BE g\nvoid g(BE::Tensor& y, int64_t stream, int64_t stream) {}\n",
                 3, "g", "two streams");
}

TEST(AnnotationError, CudaTakesValuesNotReferences) {
    expect_error("// @BE k\n__global__ void k(const BE::Tensor& x, BE::Tensor y) {}\n", 1,
                 "const BE::Tensor& x", "by value", cuda);
    expect_error("// @BE k arg ret\n__global__ void k(const BE::Tensor x, BE::Tensor& y) {}\n", 1,
                 "BE::Tensor& y", "by value", cuda);
    expect_error("// @BE k arg ret\n__global__ void k(const BE::Tensor x, const BE::Tensor y) {}\n",
                 1, "ret", "which is const", cuda);
}

TEST(AnnotationError, FirstErrorInFileIsReported) {
    expect_error(std::string("// @BE ok\nvoid ok(BE::Tensor& y) {}\n") + "// @BE f arg bogus1\n" +
                     k_fn + "// @BE h bogus2\n",
                 3, "bogus1", "unknown token");
}

// The line scan that indexes files by name finds every name parse_annotations finds (here
// with the bound form, indentation and no space after `//`), plus `// @BE` lines the lexer
// knows are not comments of their own, and none of the near misses.
TEST(AnnotatedNames, ALineScanFindingASupersetOfTheParsersNames) {
    const std::string source = "  // @BE a_f32 = f<float> ret:float32\n"
                               "//@BE b\n"
                               "void b(BE::Tensor& o) {}\n"
                               "// @BEx not_one\n"
                               "int x; // @BE trailing_is_not_one\n"
                               "/*\n"
                               "// @BE in_block_comment\n"
                               "*/\n"
                               "// @BE\n";
    using Names = std::vector<std::pair<std::string, int>>;
    EXPECT_EQ(annotated_names(source), (Names{{"a_f32", 1}, {"b", 2}, {"in_block_comment", 7}}));
    auto parsed = parse_annotations(
        "template <typename T> void f(BE::Tensor& o) {}\n// @BE a_f32 = f<float> ret:float32\n"
        "//@BE b\nvoid b(BE::Tensor& o) {}\n",
        "x.cpp", SourceKind::cpp);
    ASSERT_TRUE(parsed) << parsed.error().full();
    ASSERT_EQ(parsed->size(), 2u);
    EXPECT_EQ(
        annotated_names("template <typename T> void f(BE::Tensor& o) {}\n// @BE a_f32 = "
                        "f<float> ret:float32\n//@BE b\nvoid b(BE::Tensor& o) {}\n"),
        (Names{{(*parsed)[0].name, (*parsed)[0].line}, {(*parsed)[1].name, (*parsed)[1].line}}));
}

} // namespace
