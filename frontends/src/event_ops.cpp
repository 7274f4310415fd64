// The event-driven operators: each call picks the built-in target by the connectivity's format,
// the operation, the spike encoding (from the spikes' dtype) and the weight dtype:
//   be.<dense|csr|fixed>_<event_matvec|event_matmat>_<bool|float|bits>_<f32|f64>
//   be.<dense|csr|fixed>_<matvec|matmat|todense>_<f32|f64>,  be.csr_stdp_<spikes>_<f32|f64>
// FixedPreNum stores Mᵀ in the fixed layout, so its calls flip `transpose`.
#include <becore/frontends/builtins.h>
#include <becore/frontends/event_ops.h>

#include <string>
#include <vector>

namespace be {

namespace {

[[noreturn]] void fail(const std::string& message) {
    throw Exception(make_error(message));
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

// The host memory as a cpu view, or as a cuda-emu view (the `.cu` twins' emulation).
BE::Tensor view(const HostArray& a, Device device) {
    if (device == Device::cpu) return a.view();
    if (device == Device::cuda_emu) return a.emu_view();
    fail("be::event operators: device must be cpu or cuda-emu (host arrays), not " +
         std::string(device_name(device)));
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
HostArray product(const std::string& op, const HostArray& input, const Stored& s, bool transpose,
                  Device device) {
    const bool event = op.starts_with("event_");
    const int rank = op.ends_with("matvec") ? 1 : 2;
    const std::string where = "be::" + op;
    if (input.ndim() != rank)
        fail(where + ": the input must be " + (rank == 1 ? "[n]" : "[batch, n]") + ", not " +
             shape_string(input.shape()));
    const bool kt = transpose != s.flip; // the stored matrix's transpose
    const int64_t n_in = kt ? s.cols : s.rows, n_out = kt ? s.rows : s.cols;
    std::string name = s.format + "_" + op;
    int64_t expected = n_in;
    if (event) {
        const std::string enc = encoding(where, input.dtype(), s.dtype);
        name += "_" + enc;
        if (enc == "bits") expected = (n_in + 31) / 32;
    } else if (input.dtype() != s.dtype) {
        fail(where + ": x must have the weights' dtype " + std::string(dtype_name(s.dtype)));
    }
    if (input.shape().back() != expected)
        fail(where + ": the input has " + std::to_string(input.shape().back()) +
             " entries per vector, the connectivity needs " + std::to_string(expected));
    std::vector<int64_t> out_shape{n_out};
    if (rank == 2) out_shape.insert(out_shape.begin(), input.shape()[0]);
    HostArray out = make_array(s.dtype, out_shape);
    std::vector<BE::Tensor> args = s.args;
    args.push_back(view(input, device));
    BE::Tensor rets[] = {view(out, device)};
    call_builtin(name + dtype_suffix(s.dtype), args, rets, attrs_for(s, kt));
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

// The explicit instantiations: the header's concept admits exactly these four classes.
template HostArray event_matvec(const HostArray&, const Dense&, bool, Device);
template HostArray event_matmat(const HostArray&, const Dense&, bool, Device);
template HostArray matvec(const HostArray&, const Dense&, bool, Device);
template HostArray matmat(const HostArray&, const Dense&, bool, Device);
template HostArray todense(const Dense&, bool, Device);
template HostArray event_matvec(const HostArray&, const Csr&, bool, Device);
template HostArray event_matmat(const HostArray&, const Csr&, bool, Device);
template HostArray matvec(const HostArray&, const Csr&, bool, Device);
template HostArray matmat(const HostArray&, const Csr&, bool, Device);
template HostArray todense(const Csr&, bool, Device);
template HostArray event_matvec(const HostArray&, const FixedPostNum&, bool, Device);
template HostArray event_matmat(const HostArray&, const FixedPostNum&, bool, Device);
template HostArray matvec(const HostArray&, const FixedPostNum&, bool, Device);
template HostArray matmat(const HostArray&, const FixedPostNum&, bool, Device);
template HostArray todense(const FixedPostNum&, bool, Device);
template HostArray event_matvec(const HostArray&, const FixedPreNum&, bool, Device);
template HostArray event_matmat(const HostArray&, const FixedPreNum&, bool, Device);
template HostArray matvec(const HostArray&, const FixedPreNum&, bool, Device);
template HostArray matmat(const HostArray&, const FixedPreNum&, bool, Device);
template HostArray todense(const FixedPreNum&, bool, Device);

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
