// Launch clauses of `.cu` entries (becore/registry/launch.h): every valid form parses to the
// expected clause, every malformed form is an error naming the problem (and, through the
// annotation parser, file:line), and evaluation turns a clause plus actual tensors and attrs into
// the launch geometry.
#include <becore/registry/annotation.h>
#include <becore/registry/launch.h>
#include <becore/runtime/array.h>

#include <gtest/gtest.h>

namespace be {
namespace {

// x: arg, y: ret, n: int32 attr, m: uint64 attr, f: float32 attr, b: bool attr.
std::vector<Param> params() {
    return {{ParamKind::arg, "x", DType::float32},  {ParamKind::ret, "y", std::nullopt},
            {ParamKind::attr, "n", DType::int32},   {ParamKind::attr, "m", DType::uint64},
            {ParamKind::attr, "f", DType::float32}, {ParamKind::attr, "b", DType::bool_}};
}

LaunchClause parse_ok(const std::string& text) {
    auto clause = parse_launch_clause(text, params());
    EXPECT_TRUE(clause) << text << ": " << (clause ? "" : clause.error().message);
    return clause ? *clause : LaunchClause{};
}

TEST(LaunchClause, ParsesEveryValidForm) {
    using K = LaunchExpr::Kind;
    struct Case {
        std::string text;
        bool per_thread;
        K kind;
        int64_t value;
        std::string name;
        size_t param;
        int block, smem;
    };
    const Case cases[] = {
        {"threads=1000", true, K::constant, 1000, "", 0, 256, 0},
        {"blocks=7", false, K::constant, 7, "", 0, 256, 0},
        {"threads=n", true, K::attr, 0, "n", 2, 256, 0},
        {"blocks=m", false, K::attr, 0, "m", 3, 256, 0},
        {"threads=x.numel()", true, K::numel, 0, "x", 0, 256, 0},
        {"threads=y.numel()", true, K::numel, 0, "y", 1, 256, 0},
        {"blocks=x.size(0)", false, K::size, 0, "x", 0, 256, 0},
        {"blocks=y.size(7)", false, K::size, 7, "y", 1, 256, 0},
        {"threads=x.numel(), block=128", true, K::numel, 0, "x", 0, 128, 0},
        {"threads=x.numel(), block=128, smem=4096", true, K::numel, 0, "x", 0, 128, 4096},
        {"blocks=x.size(1), smem=0", false, K::size, 1, "x", 0, 256, 0},
        {"smem=64, blocks=n, block=32", false, K::attr, 0, "n", 2, 32, 64},
        {"block=1024, threads=1", true, K::constant, 1, "", 0, 1024, 0},
        {"threads=1, block=1", true, K::constant, 1, "", 0, 1, 0},
        {"threads=1, smem=2147483647", true, K::constant, 1, "", 0, 256, 2147483647},
        {"  threads = x . size ( 2 ) ,block= 64  ", true, K::size, 2, "x", 0, 64, 0},
        {"threads=9223372036854775807", true, K::constant, 9223372036854775807, "", 0, 256, 0},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        LaunchClause clause = parse_ok(c.text);
        EXPECT_EQ(clause.text, c.text);
        EXPECT_EQ(clause.per_thread, c.per_thread);
        EXPECT_EQ(clause.count.kind, c.kind);
        if (c.kind == K::constant || c.kind == K::size) EXPECT_EQ(clause.count.value, c.value);
        if (c.kind != K::constant) {
            EXPECT_EQ(clause.count.name, c.name);
            EXPECT_EQ(clause.count.param, c.param);
        }
        EXPECT_EQ(clause.block, c.block);
        EXPECT_EQ(clause.shared_bytes, c.smem);
    }
}

TEST(LaunchClause, RejectsEveryMalformedForm) {
    const std::pair<std::string, std::string> cases[] = {
        {"", "empty"},
        {"   ", "empty"},
        {"block=128", "no threads= or blocks="},
        {"smem=16", "no threads= or blocks="},
        {"threads=1, blocks=1", "'blocks' after 'threads'"},
        {"blocks=1, threads=1", "'threads' after 'blocks'"},
        {"threads=1, threads=2", "'threads' after 'threads'"},
        {"threads=1, block=64, block=64", "'block' given twice"},
        {"threads=1, smem=1, smem=1", "'smem' given twice"},
        {"grid=1", "unknown key 'grid'"},
        {"Threads=1", "unknown key 'Threads'"},
        {"threads", "expected '=' after 'threads'"},
        {"threads 1", "expected '=' after 'threads'"},
        {"threads=", "expected an integer, an attr or a tensor expression, found the end"},
        {"threads=,block=1", "found ','"},
        {"=1", "expected threads=, blocks=, block= or smem=, found '='"},
        {"1=threads", "found '1'"},
        {"threads=0", "constant '0' is out of range"},
        {"threads=-1", "unexpected character '-'"},
        {"threads=+1", "unexpected character '+'"},
        {"threads=0x10", "'0x10' is not a decimal integer"},
        {"threads=1e3", "'1e3' is not a decimal integer"},
        {"threads=1.5", "expected ',' or the end of the clause, found '.'"},
        {"threads=99999999999999999999", "out of range"},
        {"threads=n + 1", "unexpected character '+'"},
        {"threads=n*2", "unexpected character '*'"},
        {"threads=(n)", "found '('"},
        {"threads=1;", "unexpected character ';'"},
        {"threads=\"n\"", "unexpected character '\"'"},
        {"threads=1,", "expected threads=, blocks=, block= or smem=, found the end"},
        {"threads=1,,block=2", "found ','"},
        {"threads=1 block=2", "expected ',' or the end of the clause, found 'block'"},
        {"threads=z", "'z' is not a parameter of the target"},
        {"threads=z.numel()", "'z' is not a parameter of the target"},
        {"threads=x", "'x' is a tensor; write 'x.numel()' or 'x.size(d)'"},
        {"threads=f", "attr 'f' is float32; a launch expression needs an integer attr"},
        {"threads=b", "attr 'b' is bool; a launch expression needs an integer attr"},
        {"threads=n.numel()", "'n' is an attr, not a tensor"},
        {"threads=x.numel", "expected '(' after 'x.numel'"},
        {"threads=x.numel(", "expected ')' after 'x.numel('"},
        {"threads=x.numel(0)", "expected ')' after 'x.numel('"},
        {"threads=x.size()", "'x.size' takes a dimension 0..7, found ')'"},
        {"threads=x.size(n)", "'x.size' takes a dimension 0..7, found 'n'"},
        {"threads=x.size(8)", "dimension '8' is out of range (0..7)"},
        {"threads=x.size(-1)", "unexpected character '-'"},
        {"threads=x.size(0", "expected ')' after 'x.size(0'"},
        {"threads=x.size(0)(1)", "found '('"},
        {"threads=x.shape(0)", "expected numel() or size(d) after 'x.'"},
        {"threads=x.", "expected numel() or size(d) after 'x.'"},
        {"threads=x..numel()", "expected numel() or size(d) after 'x.'"},
        {"block=0, threads=1", "block '0' is out of range (1..1024)"},
        {"block=1025, threads=1", "block '1025' is out of range (1..1024)"},
        {"block=n, threads=1", "'block' takes an integer, found 'n'"},
        {"block=, threads=1", "'block' takes an integer, found ','"},
        {"smem=2147483648, threads=1", "smem '2147483648' is out of range"},
        {"smem=x.numel(), threads=1", "'smem' takes an integer, found 'x'"},
        {"threads=1, block=12k", "'12k' is not a decimal integer"},
    };
    for (const auto& [text, fragment] : cases) {
        auto clause = parse_launch_clause(text, params());
        ASSERT_FALSE(clause) << "accepted: " << text;
        EXPECT_NE(clause.error().message.find(fragment), std::string::npos)
            << text << " → " << clause.error().message;
    }
}

TEST(LaunchClause, ErrorsInAnnotationsNameFileLineAndTheClause) {
    const std::string kernel = "\n__global__ void k(const BE::Tensor x, BE::Tensor y, int n) {}\n";
    auto r = parse_annotations("// one\n// @BE k launch(threads=q)" + kernel, "dir/k.cu",
                               SourceKind::cuda);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("parse_annotations(dir/k.cu:2): malformed launch clause "
                                      "'launch(threads=q)': 'q' is not a parameter",
                                      0),
              0u)
        << r.error().message;
    // Parameter names come from the function; the bound form takes them from the template.
    auto ok = parse_annotations("template <typename T> __global__ void t(const BE::Tensor a, "
                                "BE::Tensor b) {}\n// @BE t_f = t<float> arg ret "
                                "launch(blocks=b.size(1), smem=8)\n",
                                "t.cu", SourceKind::cuda);
    ASSERT_TRUE(ok) << ok.error().message;
    ASSERT_TRUE((*ok)[0].launch);
    EXPECT_EQ((*ok)[0].launch->count.param, 1u);
    EXPECT_EQ((*ok)[0].launch->shared_bytes, 8);
    // Without a declaration the bound form's parameters are positional (arg0, ret1).
    auto positional = parse_annotations(
        "// @BE t_f = t<float> arg ret launch(threads=arg0.numel())\n", "t.cu", SourceKind::cuda);
    ASSERT_TRUE(positional) << positional.error().message;
}

// The values a call marshals: x (a tensor), y, n, m, f, b.
struct Values {
    HostArray x = HostArray::create(DType::float32, {10, 3}).value();
    HostArray y = HostArray::create(DType::float32, {0}).value();
    BE::Tensor xv = x.view(), yv = y.view();
    int32_t n = 1000;
    uint64_t m = 5;
    float f = 1.5f;
    bool b = true;
    const void* pointers[6] = {&xv, &yv, &n, &m, &f, &b};
};

LaunchGeometry evaluate_ok(const std::string& text, Values& v) {
    auto g = evaluate_launch(parse_ok(text), params(), v.pointers);
    EXPECT_TRUE(g) << text << ": " << (g ? "" : g.error().message);
    return g ? *g : LaunchGeometry{};
}

TEST(LaunchGeometry, ThreadsRoundUpToWholeBlocksAndBlocksAreTakenAsGiven) {
    Values v;
    auto g = evaluate_ok("threads=n", v);
    EXPECT_EQ(g.blocks, 4u); // ceil(1000 / 256)
    EXPECT_EQ(g.block, 256u);
    EXPECT_EQ(g.shared_bytes, 0u);
    v.n = 1024;
    EXPECT_EQ(evaluate_ok("threads=n", v).blocks, 4u);
    v.n = 1025;
    EXPECT_EQ(evaluate_ok("threads=n", v).blocks, 5u);
    EXPECT_EQ(evaluate_ok("threads=n, block=1", v).blocks, 1025u);
    EXPECT_EQ(evaluate_ok("blocks=n, block=64, smem=128", v).blocks, 1025u);
    EXPECT_EQ(evaluate_ok("blocks=n, block=64, smem=128", v).shared_bytes, 128u);
    EXPECT_EQ(evaluate_ok("threads=x.numel(), block=8", v).blocks, 4u); // 30 elements
    EXPECT_EQ(evaluate_ok("blocks=x.size(0)", v).blocks, 10u);
    EXPECT_EQ(evaluate_ok("blocks=x.size(1)", v).blocks, 3u);
    EXPECT_EQ(evaluate_ok("blocks=m", v).blocks, 5u);
    EXPECT_EQ(evaluate_ok("threads=1", v).blocks, 1u);
    // An empty tensor gives no blocks: the caller skips the launch.
    EXPECT_EQ(evaluate_ok("threads=y.numel()", v).blocks, 0u);
    EXPECT_EQ(evaluate_ok("blocks=y.size(0)", v).blocks, 0u);
    v.n = 0;
    EXPECT_EQ(evaluate_ok("blocks=n", v).blocks, 0u);
}

TEST(LaunchGeometry, CallTimeErrorsNameTheExpression) {
    Values v;
    auto expect_error = [&](const std::string& text, const std::string& fragment) {
        auto g = evaluate_launch(parse_ok(text), params(), v.pointers);
        ASSERT_FALSE(g) << text;
        EXPECT_NE(g.error().message.find(fragment), std::string::npos) << g.error().message;
    };
    expect_error("blocks=x.size(2)", "launch(blocks=x.size(2)): x.size(2): 'x' has rank 2");
    expect_error("threads=y.size(1)", "'y' has rank 1");
    v.n = -5;
    expect_error("threads=n", "launch(threads=n): n is negative (-5)");
    v.m = uint64_t{1} << 63;
    expect_error("blocks=m", "attr 'm' = 9223372036854775808 is too large");
    v.m = uint64_t{1} << 31;
    expect_error("blocks=m", "gives 2147483648 blocks, beyond CUDA's limit of 2147483647");
    v.m = (uint64_t{1} << 31) * 256;
    expect_error("threads=m", "blocks, beyond CUDA's limit");
    v.m = ((uint64_t{1} << 31) - 1) * 256; // exactly the most blocks that fit
    EXPECT_EQ(evaluate_ok("threads=m", v).blocks, 2147483648u - 1);
}

} // namespace
} // namespace be
