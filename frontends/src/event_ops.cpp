// The event-driven operators, for the stored formats and JITC: each call finds its op in the op
// table (op_table.h) by the connectivity's format, the operation, the spike encoding (from the
// spikes' dtype) and the weight dtype, and the table checks the shapes before the kernel runs.
// FixedPreNum stores Mᵀ in the fixed layout and JITC C matrices are generated as R = Mᵀ, so their
// calls flip `transpose`.
#include "event_call.h"
#include "op_check.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/event_ops.h>

#include <algorithm>
#include <string>
#include <vector>

namespace be {

namespace detail {

void fail(const std::string& message) {
    throw Exception(make_error(ErrorCode::invalid_argument, message));
}

OpConnectivity op_connectivity(const Dense& c) {
    return {"dense", "", {&c.weights()}, {}, c.dtype(), false};
}
OpConnectivity op_connectivity(const Csr& c) {
    return {"csr",     "",   {&c.indptr(), &c.indices(), &c.weights()}, {{"cols", c.cols()}},
            c.dtype(), false};
}
OpConnectivity op_connectivity(const FixedPostNum& c) {
    return {"fixed", "", {&c.indices(), &c.weights()}, {{"cols", c.cols()}}, c.dtype(), false};
}
OpConnectivity op_connectivity(const FixedPreNum& c) {
    // The rows of the stored layout are the post neurons: S = Mᵀ [n_post, n_pre].
    return {"fixed", "", {&c.indices(), &c.weights()}, {{"cols", c.rows()}}, c.dtype(), true};
}

namespace {

bool on_host(Device device) {
    return device == Device::cpu || device == Device::cuda_emu;
}

[[noreturn]] void not_on_host(const std::string& where, Device device) {
    fail(where + ": device must be cpu or cuda-emu (host arrays), not " +
         std::string(device_name(device)));
}

} // namespace

BE::Tensor host_view(const std::string& where, const HostArray& a, Device device) {
    if (!on_host(device)) not_on_host(where, device);
    return device == Device::cpu ? a.view() : a.emu_view();
}

OpCall op_call(const std::string& name, OpConnectivity conn, std::string_view op,
               std::string_view encoding, AttrMap extra, Device device) {
    OpCall call;
    call.where = "be::" + name + conn.label;
    auto found = find_op(conn.format, op, encoding, conn.dtype);
    if (!found) throw Exception(found.error());
    call.op = *found;
    call.attrs = std::move(conn.attrs);
    call.attrs.merge(extra);
    if (!conn.arrays.empty() && !on_host(device))
        not_on_host(call.where + " (the connectivity's arrays)", device);
    for (const HostArray* a : conn.arrays)
        call.conn_args.push_back(device == Device::cpu ? a->view() : a->emu_view());
    return call;
}

const char* encoding(DType spikes, DType weights) {
    if (spikes == DType::bool_) return "bool";
    if (spikes == DType::uint32) return "bits";
    return spikes == weights ? "float" : nullptr;
}

void bad_spikes(const std::string& where, DType spikes, DType weights) {
    fail(where + ": spikes must be bool, uint32 (bit-packed) or " +
         std::string(dtype_name(weights)) + " (the weights' dtype), not " +
         std::string(dtype_name(spikes)));
}

OpCall product_call(const std::string& op, DType input, OpConnectivity conn, bool transpose,
                    Device device) {
    const char* enc = "";
    if (op.starts_with("event_")) {
        enc = encoding(input, conn.dtype);
        if (!enc) bad_spikes("be::" + op + conn.label, input, conn.dtype);
    } else if (input != conn.dtype) {
        fail("be::" + op + conn.label + ": x must have the weights' dtype " +
             std::string(dtype_name(conn.dtype)));
    }
    const bool kernel_transpose = transpose != conn.flip;
    return op_call(op, std::move(conn), op, enc, {{"transpose", kernel_transpose}}, device);
}

void rethrow_at(const std::string& where, const Error& error) {
    throw Exception(make_error(error.code(), where + ": " + error.message, error.log));
}

namespace {

void invoke(const OpCall& call, const BE::Tensor* input, BE::Tensor& out) {
    BE::Tensor args[4]; // the formats have at most 3 tensors, then the input
    size_t n = 0;
    for (const BE::Tensor& t : call.conn_args)
        args[n++] = t;
    if (input) args[n++] = *input;
    auto done = builtin_registry().call(call.op->target, {args, n}, std::span<BE::Tensor>(&out, 1),
                                        call.attrs);
    if (!done) throw Exception(done.error());
}

// Checks the input (nullptr: the op has none) against the op; the ret's dtype and shape.
RetShape out_spec(const OpCall& call, const BE::Tensor* input) {
    ShapeRef refs[4];
    size_t n = 0;
    for (const BE::Tensor& t : call.conn_args)
        refs[n++] = shape_ref(t);
    if (input) refs[n++] = shape_ref(*input);
    RetShape ret;
    if (auto error = check_shapes(*call.op, {refs, n}, call.attrs, ret))
        rethrow_at(call.where, *error);
    return ret;
}

} // namespace

void run_into(const OpCall& call, const BE::Tensor* input, BE::Tensor& out) {
    const RetShape expected = out_spec(call, input);
    const ShapeRef got = shape_ref(out);
    if (got.dtype != expected.dtype || !std::ranges::equal(got.dims, expected.shape()))
        fail(call.where + ": out must be " + describe(expected.dtype, expected.shape()) + ", not " +
             describe(got.dtype, got.dims));
    if (!out.is_contiguous()) fail(call.where + ": out must be contiguous");
    invoke(call, input, out);
}

HostArray run_new(const OpCall& call, const BE::Tensor* input, Device device) {
    const RetShape spec = out_spec(call, input);
    auto out = HostArray::create(spec.dtype, {spec.shape().begin(), spec.shape().end()});
    if (!out) throw Exception(out.error());
    BE::Tensor view = host_view(call.where, *out, device);
    invoke(call, input, view);
    return std::move(*out);
}

} // namespace detail

namespace {

using detail::fail;

template <typename C>
HostArray product(const std::string& op, const HostArray& input, const C& conn, bool transpose,
                  Device device) {
    const detail::OpCall call =
        detail::product_call(op, input.dtype(), detail::op_connectivity(conn), transpose, device);
    const BE::Tensor in = detail::host_view(call.where, input, device);
    return detail::run_new(call, &in, device);
}

template <typename C>
void product_into(const std::string& op, const HostArray& input, const C& conn, HostArray& out,
                  bool transpose, Device device) {
    const detail::OpCall call =
        detail::product_call(op, input.dtype(), detail::op_connectivity(conn), transpose, device);
    const BE::Tensor in = detail::host_view(call.where, input, device);
    BE::Tensor o = detail::host_view(call.where, out, device);
    detail::run_into(call, &in, o);
}

template <typename C>
void product_into(const std::string& op, const BE::Tensor& input, const C& conn, BE::Tensor& out,
                  bool transpose) {
    detail::run_into(detail::product_call(op, input.dtype(), detail::op_connectivity(conn),
                                          transpose, input.device()),
                     &input, out);
}

template <typename C> HostArray dense_of(const C& conn, bool transpose, Device device) {
    const detail::OpConnectivity c = detail::op_connectivity(conn);
    return detail::run_new(
        detail::op_call("todense", c, "todense", "", {{"transpose", transpose != c.flip}}, device),
        nullptr, device);
}

} // namespace

// The operators, once for the stored formats (templates, instantiated below) and once for JITC
// (the overloads of jitc.h): each product allocating, into a host array and into a view.
#define BE_PRODUCT(HEAD, C, OP)                                                                    \
    HEAD HostArray OP(const HostArray& in, const C& c, bool t, Device d) {                         \
        return product(#OP, in, c, t, d);                                                          \
    }                                                                                              \
    HEAD void OP##_into(const HostArray& in, const C& c, HostArray& o, bool t, Device d) {         \
        product_into(#OP, in, c, o, t, d);                                                         \
    }                                                                                              \
    HEAD void OP##_into(const BE::Tensor& in, const C& c, BE::Tensor& o, bool t) {                 \
        product_into(#OP, in, c, o, t);                                                            \
    }
#define BE_OPERATORS(HEAD, C)                                                                      \
    BE_PRODUCT(HEAD, C, event_matvec)                                                              \
    BE_PRODUCT(HEAD, C, event_matmat)                                                              \
    BE_PRODUCT(HEAD, C, matvec)                                                                    \
    BE_PRODUCT(HEAD, C, matmat)                                                                    \
    HEAD HostArray todense(const C& c, bool t, Device d) {                                         \
        return dense_of(c, t, d);                                                                  \
    }
BE_OPERATORS(template <Connectivity C>, C)
BE_OPERATORS(, Jitc)
#undef BE_OPERATORS
#undef BE_PRODUCT

// The explicit instantiations: the header's concept admits exactly these four classes.
#define BE_INSTANTIATE_PRODUCT(C, OP)                                                              \
    template HostArray OP(const HostArray&, const C&, bool, Device);                               \
    template void OP##_into(const HostArray&, const C&, HostArray&, bool, Device);                 \
    template void OP##_into(const BE::Tensor&, const C&, BE::Tensor&, bool);
#define BE_INSTANTIATE(C)                                                                          \
    BE_INSTANTIATE_PRODUCT(C, event_matvec)                                                        \
    BE_INSTANTIATE_PRODUCT(C, event_matmat)                                                        \
    BE_INSTANTIATE_PRODUCT(C, matvec)                                                              \
    BE_INSTANTIATE_PRODUCT(C, matmat)                                                              \
    template HostArray todense(const C&, bool, Device);
BE_INSTANTIATE(Dense)
BE_INSTANTIATE(Csr)
BE_INSTANTIATE(FixedPostNum)
BE_INSTANTIATE(FixedPreNum)
#undef BE_INSTANTIATE
#undef BE_INSTANTIATE_PRODUCT

HostArray pack_spikes(const HostArray& spikes) {
    if (spikes.dtype() != DType::bool_ || spikes.ndim() < 1 || spikes.ndim() > 2)
        fail("be::pack_spikes: spikes must be bool [n] or [batch, n]");
    const int64_t n = spikes.shape().back();
    const int64_t batches = spikes.ndim() == 2 ? spikes.shape()[0] : 1;
    const int64_t words = (n + 31) / 32;
    std::vector<int64_t> shape = spikes.shape();
    shape.back() = words;
    HostArray out = HostArray::create(DType::uint32, shape).value();
    const bool* s = spikes.data_as<bool>();
    uint32_t* w = out.data_as<uint32_t>();
    for (int64_t b = 0; b < batches; ++b)
        for (int64_t i = 0; i < n; ++i)
            if (s[b * n + i]) w[b * words + i / 32] |= 1u << (i % 32);
    return out;
}

void stdp_update(Csr& conn, const HostArray& pre_spikes, const HostArray& post_spikes,
                 const HostArray& pre_trace, const HostArray& post_trace, const StdpParams& params,
                 Device device) {
    const std::string where = "be::stdp_update";
    if (conn.weights().numel() != conn.nnz())
        fail(where + ": the weights must be per synapse, not homogeneous");
    if (pre_spikes.dtype() != post_spikes.dtype())
        fail(where + ": pre and post spikes must have the same encoding");
    const char* enc = detail::encoding(pre_spikes.dtype(), conn.dtype());
    if (!enc) detail::bad_spikes(where, pre_spikes.dtype(), conn.dtype());
    auto op = find_op("csr", "stdp", enc, conn.dtype());
    if (!op) throw Exception(op.error());
    auto view = [&](const HostArray& a) { return detail::host_view(where, a, device); };
    const BE::Tensor args[] = {view(conn.indptr()), view(conn.indices()), view(pre_spikes),
                               view(post_spikes),   view(pre_trace),      view(post_trace)};
    BE::Tensor rets[] = {view(conn.weights())};
    if (auto done = call_op(**op, args, rets,
                            {{"a_plus", params.a_plus},
                             {"a_minus", params.a_minus},
                             {"w_min", params.w_min},
                             {"w_max", params.w_max},
                             {"cols", conn.cols()}});
        !done)
        detail::rethrow_at(where, done.error());
}

} // namespace be
