// The op table (op_table.h) against the built-ins: every event and JITC target the `// @BE` lines
// of kernels/builtin/ define (found by a plain text scan, not becore's parser) is in the table,
// and every entry resolves to a registered target with the declared signature. Then the shape
// rules: output shapes for each kind of op, and bad input rejected naming the argument before a
// kernel runs; and the frontends' operators on views equal their HostArray forms.
#include "event_test_util.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/jitc.h>
#include <becore/frontends/op_table.h>
#include <becore/runtime/paths.h>

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <set>

namespace be {
namespace {

using test::array;
using test::same_bits;

bool in_family(const std::string& name) {
    for (const char* family : {"be.dense_", "be.csr_", "be.fixed_", "be.jitc_"})
        if (name.starts_with(family)) return true;
    return false;
}

std::set<std::string> annotated_event_targets() {
    std::set<std::string> names;
    const std::string tag = "// @BE ";
    for (const auto& entry : std::filesystem::directory_iterator(builtin_kernel_dir())) {
        std::ifstream in(entry.path());
        std::string line;
        while (std::getline(in, line))
            if (line.starts_with(tag)) {
                const size_t end = line.find_first_of(" =", tag.size());
                const std::string name = "be." + line.substr(tag.size(), end - tag.size());
                if (in_family(name)) names.insert(name);
            }
    }
    return names;
}

TEST(OpTable, HoldsEveryEventAndJitcBuiltinOnce) {
    const std::set<std::string> annotated = annotated_event_targets();
    ASSERT_GT(annotated.size(), 100u); // the scan found the files
    std::set<std::string> in_table;
    for (const OpDesc& op : op_table()) {
        EXPECT_TRUE(in_table.insert(op.target).second) << op.target << " twice";
        EXPECT_TRUE(annotated.contains(op.target)) << op.target << " is not a built-in";
    }
    for (const std::string& name : annotated)
        EXPECT_TRUE(in_table.contains(name)) << name << " is missing from the table";
}

// "arg:float32", "ret:float32(in place)", "attr.cols:int64": the declared parameters as text.
std::vector<std::string> declared(const OpDesc& op) {
    std::vector<std::string> params;
    for (const OpTensor& t : op.args)
        params.push_back("arg:" + std::string(dtype_name(t.dtype)));
    for (const OpTensor& t : op.rets)
        params.push_back("ret:" + std::string(dtype_name(t.dtype)));
    for (const OpAttr& a : op.attrs)
        params.push_back("attr." + a.name + ":" + std::string(dtype_name(a.type)));
    return params;
}

std::vector<std::string> registered(const Signature& s) {
    std::vector<std::string> params;
    for (ParamKind kind : {ParamKind::arg, ParamKind::ret, ParamKind::stream, ParamKind::attr})
        for (const Param& p : s.params)
            if (p.kind == kind)
                params.push_back(std::string(param_kind_name(kind)) +
                                 (kind == ParamKind::attr ? "." + p.name : "") + ":" +
                                 (p.dtype ? std::string(dtype_name(*p.dtype)) : "any"));
    return params;
}

TEST(OpTable, EveryEntryIsARegisteredTargetWithTheDeclaredSignature) {
    for (const OpDesc& op : op_table()) {
        SCOPED_TRACE(op.target);
        const auto target = builtin_registry().find(op.target);
        ASSERT_TRUE(target);
        EXPECT_EQ(registered(target->signature()), declared(op));
        // The parameters in call order: the args before the rets (the annotations' order).
        const auto& params = target->signature().params;
        for (size_t i = 0; i + 1 < params.size(); ++i)
            if (params[i].kind == ParamKind::ret) EXPECT_NE(params[i + 1].kind, ParamKind::arg);
        EXPECT_EQ(op.rets.size() == 1 && op.rets[0].in_place, op.op == "stdp");
    }
}

TEST(OpTable, FindsOpsByCombinationAndByName) {
    const OpDesc* op = find_op("jitc_scalar", "event_matvec", "bool", DType::float32).value();
    EXPECT_EQ(op->target, "be.jitc_scalar_event_matvec_bool_f32");
    EXPECT_EQ(find_op(op->target).value(), op);
    EXPECT_EQ(find_op("csr", "stdp", "bits", DType::float64).value()->target,
              "be.csr_stdp_bits_f64");
    EXPECT_EQ(find_op("dense", "todense", "", DType::float64).value()->args.size(), 1u);

    const auto unknown = find_op("csr", "event_matvec", "bool", DType::float16);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code(), ErrorCode::not_found);
    EXPECT_NE(unknown.error().message.find("format 'csr', op 'event_matvec', encoding 'bool', "
                                           "dtype float16"),
              std::string::npos)
        << unknown.error().message;
    const auto by_name = find_op("be.csr_event_matvec_nope_f32");
    ASSERT_FALSE(by_name);
    EXPECT_EQ(by_name.error().code(), ErrorCode::not_found);
    EXPECT_NE(by_name.error().message.find("'be.csr_event_matvec_nope_f32'"), std::string::npos);
}

const OpDesc& op_named(const std::string& target) {
    return *find_op(target).value();
}

std::vector<TensorSpec> out_of(const std::string& target, std::vector<TensorSpec> args,
                               const AttrMap& attrs) {
    return check_op(op_named(target), args, attrs).value();
}

// A CSR matrix of 4 rows, 7 connections; bit-packed inputs have ceil(n/32) words.
const std::vector<TensorSpec> k_csr{
    {DType::int64, {5}}, {DType::int32, {7}}, {DType::float32, {7}}};

// STDP on k_csr's pattern with 40 columns: spikes of `pre` and `post` entries (words when
// bit-packed), traces [4] and [post_trace].
const AttrMap k_stdp_attrs{
    {"a_plus", 0.1}, {"a_minus", 0.1}, {"w_min", 0.0}, {"w_max", 1.0}, {"cols", int64_t{40}}};
std::vector<TensorSpec> stdp_args(DType spikes, int64_t pre, int64_t post, DType trace,
                                  int64_t post_trace) {
    return {k_csr[0],         k_csr[1],     {spikes, {pre}},
            {spikes, {post}}, {trace, {4}}, {trace, {post_trace}}};
}

std::vector<TensorSpec> with(std::vector<TensorSpec> args, TensorSpec input) {
    args.push_back(std::move(input));
    return args;
}

TEST(OpTable, CheckOpGivesTheOutputShapes) {
    using Shape = std::vector<int64_t>;
    const AttrMap forward{{"transpose", false}, {"cols", int64_t{40}}};
    const AttrMap backward{{"transpose", true}, {"cols", int64_t{40}}};
    auto shape = [](const std::vector<TensorSpec>& rets) {
        EXPECT_EQ(rets.size(), 1u);
        return rets.at(0).shape;
    };
    EXPECT_EQ(
        shape(out_of("be.csr_event_matvec_bool_f32", with(k_csr, {DType::bool_, {4}}), forward)),
        Shape{40});
    EXPECT_EQ(
        shape(out_of("be.csr_event_matvec_bits_f32", with(k_csr, {DType::uint32, {2}}), backward)),
        Shape{4});
    EXPECT_EQ(shape(out_of("be.csr_event_matmat_float_f32", with(k_csr, {DType::float32, {3, 4}}),
                           forward)),
              (Shape{3, 40}));
    EXPECT_EQ(shape(out_of("be.csr_todense_f32", k_csr, backward)), (Shape{40, 4}));
    EXPECT_EQ(out_of("be.dense_matmat_f64", {{DType::float64, {6, 9}}, {DType::float64, {2, 9}}},
                     {{"transpose", true}}),
              (std::vector<TensorSpec>{{DType::float64, {2, 6}}}));
    EXPECT_EQ(shape(out_of("be.fixed_matvec_f32",
                           {{DType::int32, {5, 3}}, {DType::float32, {1}}, {DType::float32, {5}}},
                           {{"transpose", false}, {"cols", int64_t{8}}})),
              Shape{8});
    const AttrMap jitc{{"seed", int64_t{1}}, {"rows", int64_t{70}}, {"cols", int64_t{9}},
                       {"p", 0.1},           {"w0", 1.0},           {"w1", 0.0}};
    AttrMap jitc_t = jitc;
    jitc_t.emplace("transpose", false);
    EXPECT_EQ(shape(out_of("be.jitc_normal_event_matvec_bits_f64", {{DType::uint32, {3}}}, jitc_t)),
              Shape{9});
    AttrMap row = jitc;
    row.emplace("row", int64_t{69});
    EXPECT_EQ(shape(out_of("be.jitc_uniform_row_f32", {}, row)), Shape{9});
    EXPECT_EQ(out_of("be.csr_stdp_bits_f64", stdp_args(DType::uint32, 1, 2, DType::float64, 40),
                     k_stdp_attrs),
              (std::vector<TensorSpec>{{DType::float64, {7}}}));
    const ProductSizes sizes =
        product_sizes(op_named("be.csr_event_matvec_bits_f32"), k_csr, backward).value();
    EXPECT_EQ(sizes.n_in, 2);
    EXPECT_EQ(sizes.n_out, 4);
}

std::string problem(const std::string& target, std::vector<TensorSpec> args, const AttrMap& attrs) {
    const auto rets = check_op(op_named(target), args, attrs);
    if (rets) return "no error";
    EXPECT_EQ(rets.error().code(), ErrorCode::invalid_argument);
    return rets.error().message;
}

TEST(OpTable, CheckOpRejectsBadInputNamingTheArgument) {
    const AttrMap attrs{{"transpose", false}, {"cols", int64_t{40}}};
    const std::string t = "be.csr_event_matvec_bool_f32";
    auto expect = [](const std::string& message, const std::string& part) {
        EXPECT_NE(message.find(part), std::string::npos) << message;
    };
    expect(problem(t, with(k_csr, {DType::bool_, {6}}), attrs),
           "check_op(be.csr_event_matvec_bool_f32): arg 3 ('spikes') has 6 entries per vector, "
           "the connectivity needs 4");
    expect(problem(t, with(k_csr, {DType::uint32, {4}}), attrs),
           "arg 3 ('spikes') must be bool, not uint32");
    expect(problem(t, with(k_csr, {DType::bool_, {2, 4}}), attrs),
           "arg 3 ('spikes') must be [n], not bool [2x4]");
    expect(problem("be.csr_event_matmat_bool_f32", with(k_csr, {DType::bool_, {4}}), attrs),
           "arg 3 ('spikes') must be [batch, n]");
    expect(problem(t, k_csr, attrs), "expects 4 args, got 3");
    std::vector<TensorSpec> bad_weights = k_csr;
    bad_weights[2].shape = {3};
    expect(problem(t, with(bad_weights, {DType::bool_, {4}}), attrs),
           "arg 2 ('weights') must have one entry per connection (7) or one");
    std::vector<TensorSpec> bad_indptr = k_csr;
    bad_indptr[0].shape = {5, 1};
    expect(problem(t, with(bad_indptr, {DType::bool_, {4}}), attrs),
           "arg 0 ('indptr') must be [rows + 1]");
    expect(problem(t, with(k_csr, {DType::bool_, {4}}), {{"transpose", false}}),
           "missing attr 'cols'");
    expect(problem(t, with(k_csr, {DType::bool_, {4}}), {{"transpose", 1.0}, {"cols", int64_t{4}}}),
           "attr 'transpose' must be a boolean");
    expect(problem(t, with(k_csr, {DType::bool_, {4}}), {{"transpose", false}, {"cols", -1.0}}),
           "attr 'cols' must be an integer");
    expect(problem("be.dense_todense_f32", {{DType::float32, {6}}}, {{"transpose", false}}),
           "arg 0 ('weights') must be [rows, cols], not float32 [6]");
    const AttrMap row{{"seed", int64_t{1}}, {"rows", int64_t{5}}, {"cols", int64_t{9}}, {"p", 0.1},
                      {"w0", 1.0},          {"w1", 0.0},          {"row", int64_t{5}}};
    expect(problem("be.jitc_scalar_row_f32", {}, row), "attr 'row' is 5, out of range [0, 5)");
    expect(problem("be.csr_stdp_bool_f32", stdp_args(DType::bool_, 4, 40, DType::float32, 39),
                   k_stdp_attrs),
           "arg 5 ('post_trace') must have 40 entries, not 39");
}

// call_op checks before the kernel runs: its errors are check_op's, not the kernel's BE_CHECK
// ("call(be....)"), and the output keeps its contents.
TEST(OpTable, CallOpRejectsBeforeTheKernelAndRunsWhatPasses) {
    std::mt19937_64 rng(11);
    const test::Case c{test::Format::csr, false, DType::float32, false};
    test::Built built = test::build(c, rng, 6, 5, 0.5);
    const Csr& conn = std::get<Csr>(built.conn);
    const OpDesc& op = op_named("be.csr_event_matvec_bool_f32");
    const HostArray spikes = test::random_bool(rng, 0, 6, 0.5);
    HostArray out = array(DType::float32, {5});
    const AttrMap attrs{{"transpose", false}, {"cols", int64_t{5}}};
    const BE::Tensor args[] = {conn.indptr().view(), conn.indices().view(), conn.weights().view(),
                               spikes.view()};
    BE::Tensor rets[] = {out.view()};
    call_op(op, args, rets, attrs).value();
    EXPECT_TRUE(same_bits(out, event_matvec(spikes, conn)));

    const HostArray short_spikes = array(DType::bool_, {5});
    HostArray sentinel = array(DType::float32, {5});
    sentinel.data_as<float>()[0] = 42.0f;
    const BE::Tensor bad_args[] = {args[0], args[1], args[2], short_spikes.view()};
    BE::Tensor bad_rets[] = {sentinel.view()};
    const auto rejected = call_op(op, bad_args, bad_rets, attrs);
    ASSERT_FALSE(rejected);
    EXPECT_EQ(rejected.error().code(), ErrorCode::invalid_argument);
    EXPECT_TRUE(rejected.error().message.starts_with("check_op(be.csr_event_matvec_bool_f32): "
                                                     "arg 3 ('spikes') has 5 entries"))
        << rejected.error().message;
    EXPECT_EQ(sentinel.data_as<float>()[0], 42.0f);

    HostArray wrong_out = array(DType::float32, {6});
    BE::Tensor wrong_rets[] = {wrong_out.view()};
    const auto wrong = call_op(op, args, wrong_rets, attrs);
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message.find("ret 0 ('out') must be float32 [5], not float32 [6]"),
              std::string::npos)
        << wrong.error().message;

    const HostArray wide = array(DType::bool_, {6, 2});
    BE::Tensor strided = wide.view(); // column 0 of [6, 2]: [6] with stride 2
    strided.rank = 1;
    strided.strides[0] = 2;
    const BE::Tensor strided_args[] = {args[0], args[1], args[2], strided};
    const auto not_contiguous = call_op(op, strided_args, rets, attrs);
    ASSERT_FALSE(not_contiguous);
    EXPECT_NE(not_contiguous.error().message.find("arg 3 ('spikes') must be contiguous"),
              std::string::npos)
        << not_contiguous.error().message;
}

// call_target, the bindings' call by name: an op of the table gets call_op's checks, any other
// target the registry's, and a name that is neither is not found.
TEST(OpTable, CallTargetChecksOpsAndCallsOtherTargets) {
    HostArray indptr = array(DType::int64, {2}), indices = array(DType::int32, {1});
    HostArray weights = array(DType::float32, {1}), spikes = array(DType::bool_, {2});
    indptr.data_as<int64_t>()[1] = 1;
    HostArray out = array(DType::float32, {1});
    const BE::Tensor args[] = {indptr.view(), indices.view(), weights.view(), spikes.view()};
    BE::Tensor rets[] = {out.view()};
    // Two spikes for one row: only the op table's rule sees it (the kernel reads one).
    const auto op = call_target("be.csr_event_matvec_bool_f32", args, rets,
                                {{"transpose", false}, {"cols", int64_t{1}}});
    ASSERT_FALSE(op);
    EXPECT_TRUE(op.error().message.starts_with("check_op(be.csr_event_matvec_bool_f32): arg 3"))
        << op.error().message;

    const auto other = call_target("be.kuramoto_rk4_f64", {}, {}, {});
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().message, "call(be.kuramoto_rk4_f64): expected 3 args and 2 rets, got "
                                     "0 args and 0 rets");

    const auto missing = call_target("be.no_such_target", {}, {}, {});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code(), ErrorCode::not_found);
    EXPECT_EQ(missing.error().message, "call(be.no_such_target): no such target");
}

// The operators on views: the same results as on host arrays, on cpu and cuda-emu; stored
// connectivity refuses cuda views (its arrays are host memory) before anything runs.
TEST(OpTable, OperatorsOnViewsEqualTheHostArrayOperators) {
    std::mt19937_64 rng(5);
    const test::Case c{test::Format::fixed_pre, false, DType::float64, false};
    test::Built built = test::build(c, rng, 20, 12, 0.3);
    const FixedPreNum& fixed = std::get<FixedPreNum>(built.conn);
    const JitcNormal jitc(20, 12, 0.3, 0.5, 0.25, 9, JitcOrientation::C, DType::float64);
    const HostArray spikes = test::random_bool(rng, 3, 20, 0.4);
    const HostArray x = test::random_float(rng, DType::float64, 3, 20, 1.0);
    for (Device device : {Device::cpu, Device::cuda_emu}) {
        SCOPED_TRACE(device_name(device));
        auto view = [&](const HostArray& a) {
            return device == Device::cpu ? a.view() : a.emu_view();
        };
        HostArray out = array(DType::float64, {3, 12});
        BE::Tensor o = view(out);
        event_matmat_into(view(spikes), fixed, o);
        EXPECT_TRUE(same_bits(out, event_matmat(spikes, fixed, false, device)));
        matmat_into(view(x), jitc, o);
        EXPECT_TRUE(same_bits(out, matmat(x, jitc, false, device)));
    }
    HostArray out = array(DType::float64, {12});
    BE::Tensor on_gpu = out.view();
    on_gpu.device_ = Device::cuda; // never dereferenced: refused first
    BE::Tensor in = spikes.view();
    in.rank = 1;
    in.device_ = Device::cuda;
    std::string message;
    try {
        event_matvec_into(in, fixed, on_gpu);
    } catch (const Exception& e) {
        message = e.what();
    }
    EXPECT_NE(message.find("device must be cpu or cuda-emu (host arrays), not cuda"),
              std::string::npos)
        << message;
}

} // namespace
} // namespace be
