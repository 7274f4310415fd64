// The op table (op_table.h): built once from the combinations the built-ins define, and the
// shape rules checked against it. tests/frontends/test_op_table.cpp holds the table to the
// `// @BE` annotations of kernels/builtin/ in both directions.
#include "op_check.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/op_table.h>
#include <becore/runtime/array.h>

#include <algorithm>
#include <limits>
#include <map>

namespace be {

namespace {

bool is_jitc(std::string_view format) {
    return format.starts_with("jitc_");
}

// The tensors that describe a stored matrix, in the kernels' order (none for JITC).
std::vector<OpTensor> connectivity_args(std::string_view format, DType w) {
    if (format == "dense") return {{"weights", w}};
    if (format == "csr")
        return {{"indptr", DType::int64}, {"indices", DType::int32}, {"weights", w}};
    if (format == "fixed") return {{"indices", DType::int32}, {"weights", w}};
    return {};
}

std::vector<OpAttr> connectivity_attrs(std::string_view format) {
    if (format == "dense") return {};
    if (!is_jitc(format)) return {{"cols", DType::int64}};
    return {{"seed", DType::int64}, {"rows", DType::int64}, {"cols", DType::int64},
            {"p", DType::float64},  {"w0", DType::float64}, {"w1", DType::float64}};
}

DType spike_dtype(std::string_view encoding, DType w) {
    if (encoding == "bool") return DType::bool_;
    if (encoding == "bits") return DType::uint32;
    return w;
}

std::string target_name(std::string_view format, std::string_view op, std::string_view encoding,
                        DType w) {
    std::string name;
    name.reserve(48); // one allocation: find_op runs on every call of the operators
    name.append("be.").append(format).append("_").append(op);
    if (!encoding.empty()) name.append("_").append(encoding);
    return name.append(w == DType::float32 ? "_f32" : "_f64");
}

struct Table {
    std::vector<OpDesc> ops;
    std::map<std::string, size_t, std::less<>> by_target;

    void add(std::string format, std::string op, std::string encoding, DType w,
             std::vector<OpTensor> args, std::vector<OpTensor> rets, std::vector<OpAttr> attrs) {
        const std::vector<OpAttr> shared = connectivity_attrs(format);
        attrs.insert(attrs.end(), shared.begin(), shared.end());
        OpDesc d{target_name(format, op, encoding, w),
                 std::move(format),
                 std::move(op),
                 std::move(encoding),
                 w,
                 std::move(args),
                 std::move(rets),
                 std::move(attrs)};
        by_target.emplace(d.target, ops.size());
        ops.push_back(std::move(d));
    }
};

Table build_table() {
    Table t;
    const OpAttr transpose{"transpose", DType::bool_};
    for (const char* format :
         {"dense", "csr", "fixed", "jitc_scalar", "jitc_normal", "jitc_uniform"})
        for (DType w : {DType::float32, DType::float64}) {
            auto args = [&](std::vector<OpTensor> input) {
                std::vector<OpTensor> all = connectivity_args(format, w);
                all.insert(all.end(), input.begin(), input.end());
                return all;
            };
            const std::vector<OpTensor> out{{"out", w}};
            for (const char* op : {"event_matvec", "event_matmat"})
                for (const char* enc : {"bool", "float", "bits"})
                    t.add(format, op, enc, w, args({{"spikes", spike_dtype(enc, w)}}), out,
                          {transpose});
            for (const char* op : {"matvec", "matmat"})
                t.add(format, op, "", w, args({{"x", w}}), out, {transpose});
            t.add(format, "todense", "", w, args({}), out, {transpose});
            if (is_jitc(format)) t.add(format, "row", "", w, {}, out, {{"row", DType::int64}});
            if (std::string_view(format) == "csr")
                for (const char* enc : {"bool", "float", "bits"})
                    t.add(format, "stdp", enc, w,
                          {{"indptr", DType::int64},
                           {"indices", DType::int32},
                           {"pre_spikes", spike_dtype(enc, w)},
                           {"post_spikes", spike_dtype(enc, w)},
                           {"pre_trace", w},
                           {"post_trace", w}},
                          {{"weights", w, true}},
                          {{"a_plus", DType::float64},
                           {"a_minus", DType::float64},
                           {"w_min", DType::float64},
                           {"w_max", DType::float64}});
        }
    return t;
}

const Table& table() {
    static const Table t = build_table();
    return t;
}

using detail::RetShape;
using detail::ShapeRef;

using detail::describe;

std::string describe(const ShapeRef& t) {
    return describe(t.dtype, t.dims);
}

int64_t numel(const ShapeRef& t) {
    int64_t n = 1;
    for (int64_t d : t.dims)
        n *= d;
    return n;
}

// The checks: each returns what is wrong (empty when nothing is), worded after the op's name.
struct Checker {
    const OpDesc& op;
    std::span<const ShapeRef> args; // may be a prefix of op.args (product_sizes)
    const AttrMap& attrs;

    // "arg 3 ('spikes')", as the registry's call names tensors.
    std::string what(size_t index) const {
        return "arg " + std::to_string(index) + " ('" + op.args[index].name + "')";
    }
    // The index of the arg called `name`, or args.size() if the op has none by that name.
    size_t index_of(std::string_view name) const {
        for (size_t i = 0; i < args.size(); ++i)
            if (op.args[i].name == name) return i;
        return args.size();
    }
    std::string rank_1(std::string_view name, const char* form, int64_t& size) const {
        const size_t i = index_of(name);
        if (args[i].dims.size() != 1)
            return what(i) + " must be " + form + ", not " + describe(args[i]);
        size = args[i].dims[0];
        return {};
    }
    std::string int_attr(std::string_view name, int64_t& out) const {
        const auto found = attrs.find(name);
        if (found == attrs.end()) return "missing attr '" + std::string(name) + "'";
        if (const auto* i = std::get_if<int64_t>(&found->second))
            out = *i;
        else if (const auto* u = std::get_if<uint64_t>(&found->second);
                 u && *u <= uint64_t(std::numeric_limits<int64_t>::max()))
            out = static_cast<int64_t>(*u);
        else
            return "attr '" + std::string(name) + "' must be an integer in the int64 range";
        if (out < 0)
            return "attr '" + std::string(name) + "' must be >= 0, not " + std::to_string(out);
        return {};
    }
    std::string bool_attr(std::string_view name, bool& out) const {
        const auto found = attrs.find(name);
        if (found == attrs.end()) return "missing attr '" + std::string(name) + "'";
        const auto* b = std::get_if<bool>(&found->second);
        if (!b) return "attr '" + std::string(name) + "' must be a boolean";
        out = *b;
        return {};
    }
    // weights: one per connection or one for all.
    std::string weights_for(int64_t nnz) const {
        const size_t i = index_of("weights");
        if (i == args.size()) return {}; // stdp: the weights are the ret
        const int64_t n = numel(args[i]);
        if (n != nnz && n != 1)
            return what(i) + " must have one entry per connection (" + std::to_string(nnz) +
                   ") or one, not " + describe(args[i]);
        return {};
    }

    // The stored matrix S [rows, cols] and its number of connections.
    struct Geometry {
        int64_t rows = 0, cols = 0, nnz = 0;
    };
    std::string geometry(Geometry& g) const {
        if (op.format == "dense") {
            if (args[0].dims.size() != 2)
                return what(0) + " must be [rows, cols], not " + describe(args[0]);
            g = {args[0].dims[0], args[0].dims[1], args[0].dims[0] * args[0].dims[1]};
            return {};
        }
        if (is_jitc(op.format)) {
            if (auto p = int_attr("rows", g.rows); !p.empty()) return p;
            return int_attr("cols", g.cols);
        }
        if (auto p = int_attr("cols", g.cols); !p.empty()) return p;
        if (op.format == "csr") {
            int64_t n_ptr = 0;
            if (auto p = rank_1("indptr", "[rows + 1]", n_ptr); !p.empty()) return p;
            if (n_ptr < 1) return what(0) + " must be [rows + 1], not " + describe(args[0]);
            if (auto p = rank_1("indices", "[nnz]", g.nnz); !p.empty()) return p;
            g.rows = n_ptr - 1;
            return weights_for(g.nnz);
        }
        const ShapeRef& indices = args[0]; // fixed: [rows, k]
        if (indices.dims.size() != 2)
            return what(0) + " must be [rows, k], not " + describe(indices);
        g.rows = indices.dims[0];
        g.nnz = g.rows * indices.dims[1];
        return weights_for(g.nnz);
    }

    std::string sizes(ProductSizes& s) const {
        Geometry g;
        bool transpose = false;
        if (auto p = geometry(g); !p.empty()) return p;
        if (auto p = bool_attr("transpose", transpose); !p.empty()) return p;
        s = transpose ? ProductSizes{g.cols, g.rows} : ProductSizes{g.rows, g.cols};
        if (op.encoding == "bits") s.n_in = (s.n_in + 31) / 32;
        return {};
    }

    std::string product(RetShape& ret) const {
        ProductSizes s;
        if (auto p = sizes(s); !p.empty()) return p;
        const size_t i = args.size() - 1;
        const std::span<const int64_t> shape = args[i].dims;
        const bool batched = op.op.ends_with("matmat");
        if (shape.size() != (batched ? 2u : 1u))
            return what(i) + " must be " + (batched ? "[batch, n]" : "[n]") + ", not " +
                   describe(args[i]);
        if (shape.back() != s.n_in)
            return what(i) + " has " + std::to_string(shape.back()) +
                   " entries per vector, the connectivity needs " + std::to_string(s.n_in) +
                   (op.encoding == "bits" ? " (uint32 words)" : "");
        ret =
            batched ? RetShape{op.dtype, 2, {shape[0], s.n_out}} : RetShape{op.dtype, 1, {s.n_out}};
        return {};
    }

    std::string stdp(RetShape& ret) const {
        Geometry g;
        if (auto p = geometry(g); !p.empty()) return p;
        const bool bits = op.encoding == "bits";
        const std::pair<const char*, int64_t> expected[] = {
            {"pre_spikes", bits ? (g.rows + 31) / 32 : g.rows},
            {"post_spikes", bits ? (g.cols + 31) / 32 : g.cols},
            {"pre_trace", g.rows},
            {"post_trace", g.cols}};
        for (const auto& [name, n] : expected) {
            int64_t size = 0;
            if (auto p = rank_1(name, "a vector", size); !p.empty()) return p;
            if (size != n)
                return what(index_of(name)) + " must have " + std::to_string(n) + " entries, not " +
                       std::to_string(size);
        }
        ret = {op.dtype, 1, {g.nnz}};
        return {};
    }

    // The count (all args, or all but the input for product_sizes) and the dtypes.
    std::string dtypes(size_t expected_count) const {
        if (args.size() != expected_count)
            return "expects " + std::to_string(expected_count) + " args, got " +
                   std::to_string(args.size());
        for (size_t i = 0; i < args.size(); ++i)
            if (args[i].dtype != op.args[i].dtype)
                return what(i) + " must be " + std::string(dtype_name(op.args[i].dtype)) +
                       ", not " + std::string(dtype_name(args[i].dtype));
        return {};
    }

    std::string check(RetShape& ret) const {
        if (auto p = dtypes(op.args.size()); !p.empty()) return p;
        if (op.op == "stdp") return stdp(ret);
        if (op.op == "todense" || op.op == "row") {
            Geometry g;
            bool transpose = false;
            if (auto p = geometry(g); !p.empty()) return p;
            if (op.op == "row") {
                int64_t row = 0;
                if (auto p = int_attr("row", row); !p.empty()) return p;
                if (row >= g.rows)
                    return "attr 'row' is " + std::to_string(row) + ", out of range [0, " +
                           std::to_string(g.rows) + ")";
                ret = {op.dtype, 1, {g.cols}};
                return {};
            }
            if (auto p = bool_attr("transpose", transpose); !p.empty()) return p;
            ret = transpose ? RetShape{op.dtype, 2, {g.cols, g.rows}}
                            : RetShape{op.dtype, 2, {g.rows, g.cols}};
            return {};
        }
        return product(ret);
    }
};

Error invalid(const OpDesc& op, const std::string& problem) {
    return make_error(ErrorCode::invalid_argument, "check_op(" + op.target + "): " + problem);
}

} // namespace

TensorSpec tensor_spec(const BE::Tensor& t) {
    return {t.dtype(), std::vector<int64_t>(t.shape, t.shape + t.rank)};
}

const std::vector<OpDesc>& op_table() {
    return table().ops;
}

Result<const OpDesc*> find_op(std::string_view target) {
    const Table& t = table();
    const auto found = t.by_target.find(target);
    if (found == t.by_target.end())
        return make_error(ErrorCode::not_found,
                          "find_op: no built-in event or JITC op is called '" +
                              std::string(target) + "'");
    return &t.ops[found->second];
}

Result<const OpDesc*> find_op(std::string_view format, std::string_view op,
                              std::string_view encoding, DType dtype) {
    if (dtype == DType::float32 || dtype == DType::float64)
        if (auto found = find_op(target_name(format, op, encoding, dtype)); found) return found;
    return make_error(ErrorCode::not_found, "find_op: no built-in op for format '" +
                                                std::string(format) + "', op '" + std::string(op) +
                                                "', encoding '" + std::string(encoding) +
                                                "', dtype " + std::string(dtype_name(dtype)));
}

std::string detail::describe(DType dtype, std::span<const int64_t> dims) {
    return std::string(dtype_name(dtype)) + " [" +
           shape_string(std::vector<int64_t>(dims.begin(), dims.end())) + "]";
}

std::optional<Error> detail::check_shapes(const OpDesc& op, std::span<const ShapeRef> args,
                                          const AttrMap& attrs, RetShape& ret) {
    if (std::string problem = Checker{op, args, attrs}.check(ret); !problem.empty())
        return invalid(op, problem);
    return std::nullopt;
}

namespace {

std::vector<ShapeRef> shape_refs(std::span<const TensorSpec> specs) {
    std::vector<ShapeRef> refs;
    for (const TensorSpec& t : specs)
        refs.push_back({t.dtype, t.shape});
    return refs;
}

} // namespace

Result<std::vector<TensorSpec>> check_op(const OpDesc& op, std::span<const TensorSpec> args,
                                         const AttrMap& attrs) {
    RetShape ret;
    if (auto error = detail::check_shapes(op, shape_refs(args), attrs, ret)) return *error;
    return std::vector<TensorSpec>{
        {ret.dtype, std::vector<int64_t>(ret.shape().begin(), ret.shape().end())}};
}

Result<void> check_op(const OpDesc& op, std::span<const BE::Tensor> args,
                      std::span<const BE::Tensor> rets, const AttrMap& attrs) {
    // The table's ops take at most 6 args: refs on the stack, so that a passing check allocates
    // nothing (an XLA handler's per-call path).
    ShapeRef refs[8];
    if (args.size() > std::size(refs) || args.size() != op.args.size())
        return invalid(op, "expects " + std::to_string(op.args.size()) + " args, got " +
                               std::to_string(args.size()));
    for (size_t i = 0; i < args.size(); ++i)
        refs[i] = detail::shape_ref(args[i]);
    RetShape expected;
    if (auto error = detail::check_shapes(op, {refs, args.size()}, attrs, expected)) return *error;
    if (rets.size() != 1) return invalid(op, "expects 1 ret, got " + std::to_string(rets.size()));
    const ShapeRef got = detail::shape_ref(rets[0]);
    if (got.dtype != expected.dtype || !std::ranges::equal(got.dims, expected.shape()))
        return invalid(op, "ret 0 ('" + op.rets[0].name + "') must be " +
                               describe(expected.dtype, expected.shape()) + ", not " +
                               describe(got));
    const Checker named{op, {}, attrs};
    for (size_t i = 0; i < args.size(); ++i)
        if (!args[i].is_contiguous()) return invalid(op, named.what(i) + " must be contiguous");
    if (!rets[0].is_contiguous())
        return invalid(op, "ret 0 ('" + op.rets[0].name + "') must be contiguous");
    return {};
}

Result<void> call_op(const OpDesc& op, std::span<const BE::Tensor> args, std::span<BE::Tensor> rets,
                     const AttrMap& attrs, int64_t stream) {
    if (auto checked = check_op(op, args, std::span<const BE::Tensor>(rets), attrs); !checked)
        return checked;
    try {
        return builtin_registry().call(op.target, args, rets, attrs, stream);
    } catch (const Exception& e) { // builtin_registry(): the built-ins cannot be indexed
        return e.error();
    }
}

Result<void> call_target(std::string_view name, std::span<const BE::Tensor> args,
                         std::span<BE::Tensor> rets, const AttrMap& attrs, int64_t stream) {
    // Not find_op: a target outside the table is no error here, and formats no message per call.
    const Table& t = table();
    if (const auto found = t.by_target.find(name); found != t.by_target.end())
        return call_op(t.ops[found->second], args, rets, attrs, stream);
    try {
        return builtin_registry().call(name, args, rets, attrs, stream);
    } catch (const Exception& e) { // builtin_registry(): the built-ins cannot be indexed
        return e.error();
    }
}

Result<ProductSizes> product_sizes(const OpDesc& op, std::span<const TensorSpec> conn_args,
                                   const AttrMap& attrs) {
    if (!op.op.ends_with("matvec") && !op.op.ends_with("matmat"))
        return invalid(op, "product_sizes: not a product");
    const std::vector<ShapeRef> refs = shape_refs(conn_args);
    const Checker checker{op, refs, attrs};
    ProductSizes s;
    std::string problem = checker.dtypes(op.args.size() - 1);
    if (problem.empty()) problem = checker.sizes(s);
    if (!problem.empty()) return invalid(op, problem);
    return s;
}

} // namespace be
