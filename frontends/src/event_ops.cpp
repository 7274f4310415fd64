// The event-driven operators: each call picks the built-in target by the connectivity's format,
// the operation, the spike encoding (from the spikes' dtype) and the weight dtype:
//   be.<dense|csr|fixed>_<event_matvec|event_matmat>_<bool|float|bits>_<f32|f64>
//   be.<dense|csr|fixed>_<matvec|matmat|todense>_<f32|f64>,  be.csr_stdp_<spikes>_<f32|f64>
// FixedPreNum stores Mᵀ in the fixed layout, so its calls flip `transpose`.
#include "event_call.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/event_ops.h>

#include <string>
#include <vector>

namespace be {

namespace {

[[noreturn]] void fail(const std::string& message) {
    throw Exception(make_error(ErrorCode::invalid_argument, message));
}

// The kernel's view of a connectivity: the stored matrix S [rows, cols], the tensors that
// describe it, and whether the user's M is Sᵀ.
struct Stored {
    std::string format;
    std::vector<BE::Tensor> args;
    int64_t rows = 0, cols = 0;
    DType dtype = DType::float32;
    bool flip = false;
    bool sparse = true; // sparse kernels take attr cols
};

BE::Tensor view(const HostArray& a, Device device) {
    return detail::host_view(a, device);
}

Stored stored(const Dense& c, Device d) {
    return {"dense", {view(c.weights(), d)}, c.rows(), c.cols(), c.dtype(), false, false};
}
Stored stored(const Csr& c, Device d) {
    return {"csr",     {view(c.indptr(), d), view(c.indices(), d), view(c.weights(), d)},
            c.rows(),  c.cols(),
            c.dtype(), false,
            true};
}
Stored stored(const FixedPostNum& c, Device d) {
    return {
        "fixed", {view(c.indices(), d), view(c.weights(), d)}, c.rows(), c.cols(), c.dtype(), false,
        true};
}
Stored stored(const FixedPreNum& c, Device d) {
    // The rows of the stored layout are the post neurons: S = Mᵀ [n_post, n_pre].
    return {
        "fixed", {view(c.indices(), d), view(c.weights(), d)}, c.cols(), c.rows(), c.dtype(), true,
        true};
}

std::string dtype_suffix(DType d) {
    return d == DType::float32 ? "_f32" : "_f64";
}

// "bool", "float" or "bits" by the spikes' dtype; float spikes must have the weights' dtype.
std::string encoding(const std::string& op, DType spikes, DType weights) {
    if (spikes == DType::bool_) return "bool";
    if (spikes == DType::uint32) return "bits";
    if (spikes == weights) return "float";
    fail(op + ": spikes must be bool, uint32 (bit-packed) or " + std::string(dtype_name(weights)) +
         " (the weights' dtype), not " + std::string(dtype_name(spikes)));
}

HostArray make_array(DType dtype, std::vector<int64_t> shape) {
    auto array = HostArray::create(dtype, std::move(shape));
    if (!array) throw Exception(array.error());
    return std::move(*array);
}

AttrMap attrs_for(const Stored& s, bool kernel_transpose) {
    AttrMap attrs{{"transpose", kernel_transpose}};
    if (s.sparse) attrs.emplace("cols", s.cols);
    return attrs;
}

// op: "event_matvec", "event_matmat", "matvec" or "matmat".
detail::ProductCall resolve(const std::string& op, DType input, Stored s, bool transpose) {
    detail::ProductCall call;
    call.where = "be::" + op;
    call.rank = op.ends_with("matvec") ? 1 : 2;
    const bool kt = transpose != s.flip; // the stored matrix's transpose
    call.n_in = kt ? s.cols : s.rows;
    call.n_out = kt ? s.rows : s.cols;
    call.name = s.format + "_" + op;
    if (op.starts_with("event_")) {
        const std::string enc = encoding(call.where, input, s.dtype);
        call.name += "_" + enc;
        if (enc == "bits") call.n_in = (call.n_in + 31) / 32;
    } else if (input != s.dtype) {
        fail(call.where + ": x must have the weights' dtype " + std::string(dtype_name(s.dtype)));
    }
    call.name += dtype_suffix(s.dtype);
    call.attrs = attrs_for(s, kt);
    call.conn_args = std::move(s.args);
    call.out_dtype = s.dtype;
    return call;
}

HostArray product(const std::string& op, const HostArray& input, const Stored& s, bool transpose,
                  Device device) {
    const detail::ProductCall call = resolve(op, input.dtype(), s, transpose);
    detail::check_product_input(call, input.shape());
    HostArray out = make_array(call.out_dtype, detail::product_out_shape(call, input));
    detail::run_product(call, input, out, device);
    return out;
}

HostArray to_dense(const Stored& s, bool transpose, Device device) {
    const bool kt = transpose != s.flip;
    HostArray out = make_array(s.dtype, kt ? std::vector<int64_t>{s.cols, s.rows}
                                           : std::vector<int64_t>{s.rows, s.cols});
    BE::Tensor rets[] = {view(out, device)};
    call_builtin(s.format + "_todense" + dtype_suffix(s.dtype), s.args, rets, attrs_for(s, kt));
    return out;
}

} // namespace

namespace detail {

BE::Tensor host_view(const HostArray& a, Device device) {
    if (device == Device::cpu) return a.view();
    if (device == Device::cuda_emu) return a.emu_view();
    fail("be::event operators: device must be cpu or cuda-emu (host arrays), not " +
         std::string(device_name(device)));
}

template <Connectivity C>
ProductCall product_call(const std::string& op, DType input, const C& conn, bool transpose,
                         Device device) {
    return resolve(op, input, stored(conn, device), transpose);
}
template ProductCall product_call(const std::string&, DType, const Dense&, bool, Device);
template ProductCall product_call(const std::string&, DType, const Csr&, bool, Device);
template ProductCall product_call(const std::string&, DType, const FixedPostNum&, bool, Device);
template ProductCall product_call(const std::string&, DType, const FixedPreNum&, bool, Device);

void check_product_input(const ProductCall& call, const std::vector<int64_t>& shape) {
    if (static_cast<int>(shape.size()) != call.rank)
        fail(call.where + ": the input must be " + (call.rank == 1 ? "[n]" : "[batch, n]") +
             ", not " + shape_string(shape));
    if (shape.back() != call.n_in)
        fail(call.where + ": the input has " + std::to_string(shape.back()) +
             " entries per vector, the connectivity needs " + std::to_string(call.n_in));
}

std::vector<int64_t> product_out_shape(const ProductCall& call, const HostArray& input) {
    if (call.rank == 1) return {call.n_out};
    return {input.shape()[0], call.n_out};
}

void run_product(const ProductCall& call, const HostArray& input, HostArray& out, Device device) {
    check_product_input(call, input.shape());
    if (out.dtype() != call.out_dtype || out.shape() != product_out_shape(call, input))
        fail(call.where + ": out must be " + std::string(dtype_name(call.out_dtype)) + " [" +
             shape_string(product_out_shape(call, input)) + "], not " +
             std::string(dtype_name(out.dtype())) + " [" + shape_string(out.shape()) + "]");
    std::vector<BE::Tensor> args = call.conn_args;
    args.push_back(host_view(input, device));
    BE::Tensor rets[] = {host_view(out, device)};
    call_builtin(call.name, args, rets, call.attrs);
}

} // namespace detail

template <Connectivity C>
HostArray event_matvec(const HostArray& spikes, const C& conn, bool transpose, Device device) {
    return product("event_matvec", spikes, stored(conn, device), transpose, device);
}
template <Connectivity C>
HostArray event_matmat(const HostArray& spikes, const C& conn, bool transpose, Device device) {
    return product("event_matmat", spikes, stored(conn, device), transpose, device);
}
template <Connectivity C>
HostArray matvec(const HostArray& x, const C& conn, bool transpose, Device device) {
    return product("matvec", x, stored(conn, device), transpose, device);
}
template <Connectivity C>
HostArray matmat(const HostArray& x, const C& conn, bool transpose, Device device) {
    return product("matmat", x, stored(conn, device), transpose, device);
}
template <Connectivity C> HostArray todense(const C& conn, bool transpose, Device device) {
    return to_dense(stored(conn, device), transpose, device);
}

template <Connectivity C>
void event_matvec_into(const HostArray& spikes, const C& conn, HostArray& out, bool transpose,
                       Device device) {
    detail::run_product(
        detail::product_call("event_matvec", spikes.dtype(), conn, transpose, device), spikes, out,
        device);
}
template <Connectivity C>
void event_matmat_into(const HostArray& spikes, const C& conn, HostArray& out, bool transpose,
                       Device device) {
    detail::run_product(
        detail::product_call("event_matmat", spikes.dtype(), conn, transpose, device), spikes, out,
        device);
}
template <Connectivity C>
void matvec_into(const HostArray& x, const C& conn, HostArray& out, bool transpose, Device device) {
    detail::run_product(detail::product_call("matvec", x.dtype(), conn, transpose, device), x, out,
                        device);
}
template <Connectivity C>
void matmat_into(const HostArray& x, const C& conn, HostArray& out, bool transpose, Device device) {
    detail::run_product(detail::product_call("matmat", x.dtype(), conn, transpose, device), x, out,
                        device);
}

// The explicit instantiations: the header's concept admits exactly these four classes.
#define BE_INSTANTIATE(C)                                                                          \
    template HostArray event_matvec(const HostArray&, const C&, bool, Device);                     \
    template HostArray event_matmat(const HostArray&, const C&, bool, Device);                     \
    template HostArray matvec(const HostArray&, const C&, bool, Device);                           \
    template HostArray matmat(const HostArray&, const C&, bool, Device);                           \
    template HostArray todense(const C&, bool, Device);                                            \
    template void event_matvec_into(const HostArray&, const C&, HostArray&, bool, Device);         \
    template void event_matmat_into(const HostArray&, const C&, HostArray&, bool, Device);         \
    template void matvec_into(const HostArray&, const C&, HostArray&, bool, Device);               \
    template void matmat_into(const HostArray&, const C&, HostArray&, bool, Device);
BE_INSTANTIATE(Dense)
BE_INSTANTIATE(Csr)
BE_INSTANTIATE(FixedPostNum)
BE_INSTANTIATE(FixedPreNum)
#undef BE_INSTANTIATE

HostArray pack_spikes(const HostArray& spikes) {
    if (spikes.dtype() != DType::bool_ || spikes.ndim() < 1 || spikes.ndim() > 2)
        fail("be::pack_spikes: spikes must be bool [n] or [batch, n]");
    const int64_t n = spikes.shape().back();
    const int64_t batches = spikes.ndim() == 2 ? spikes.shape()[0] : 1;
    const int64_t words = (n + 31) / 32;
    std::vector<int64_t> shape = spikes.shape();
    shape.back() = words;
    HostArray out = make_array(DType::uint32, shape);
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
    if (conn.weights().numel() != conn.nnz())
        fail("be::stdp_update: the weights must be per synapse, not homogeneous");
    if (pre_spikes.dtype() != post_spikes.dtype())
        fail("be::stdp_update: pre and post spikes must have the same encoding");
    const std::string enc = encoding("be::stdp_update", pre_spikes.dtype(), conn.dtype());
    if (pre_trace.dtype() != conn.dtype() || post_trace.dtype() != conn.dtype())
        fail("be::stdp_update: the traces must have the weights' dtype");
    const BE::Tensor args[] = {view(conn.indptr(), device), view(conn.indices(), device),
                               view(pre_spikes, device),    view(post_spikes, device),
                               view(pre_trace, device),     view(post_trace, device)};
    BE::Tensor rets[] = {view(conn.weights(), device)};
    call_builtin("csr_stdp_" + enc + dtype_suffix(conn.dtype()), args, rets,
                 {{"a_plus", params.a_plus},
                  {"a_minus", params.a_minus},
                  {"w_min", params.w_min},
                  {"w_max", params.w_max},
                  {"cols", conn.cols()}});
}

} // namespace be
