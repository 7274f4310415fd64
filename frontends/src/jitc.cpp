// The JITC operators over the built-ins be.jitc_<kind>_<op>[_<spikes>]_<f32|f64>
// (kernels/builtin/jitc.cpp). The kernels only know R(seed, rows x cols); a C matrix
// M = R(seed, n_post x n_pre)ᵀ is passed as that R with `transpose` flipped (as FixedPreNum does).
#include "event_call.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/jitc.h>

#include <cmath>
#include <vector>

namespace be {

namespace {

[[noreturn]] void fail(const std::string& message) {
    throw Exception(make_error(ErrorCode::invalid_argument, message));
}

std::string dtype_suffix(DType d) {
    return d == DType::float32 ? "_f32" : "_f64";
}

HostArray make_array(DType dtype, std::vector<int64_t> shape) {
    auto array = HostArray::create(dtype, std::move(shape));
    if (!array) throw Exception(array.error());
    return std::move(*array);
}

// The generated R: its shape, and whether the user's M is its transpose.
struct Generated {
    int64_t rows, cols;
    bool flip;
};
Generated generated(const Jitc& c) {
    if (c.orientation() == JitcOrientation::R) return {c.rows(), c.cols(), false};
    return {c.cols(), c.rows(), true};
}

AttrMap attrs_for(const Jitc& c, const Generated& g) {
    return {{"seed", static_cast<int64_t>(c.seed())},
            {"rows", g.rows},
            {"cols", g.cols},
            {"p", c.p()},
            {"w0", c.w0()},
            {"w1", c.w1()}};
}

// The host memory as a cpu view, or as a cuda-emu view (runs the jitc.cu twin in emulation).
void check_device(const std::string& where, Device device) {
    if (device != Device::cpu && device != Device::cuda_emu)
        fail(where + ": device must be cpu or cuda-emu (host arrays), not " +
             std::string(device_name(device)));
}
BE::Tensor view(const HostArray& a, Device device) {
    return device == Device::cpu ? a.view() : a.emu_view();
}

HostArray product(const std::string& op, const HostArray& input, const Jitc& c, bool transpose,
                  Device device) {
    const detail::ProductCall call = detail::product_call(op, input.dtype(), c, transpose, device);
    detail::check_product_input(call, input.shape());
    HostArray out = make_array(call.out_dtype, detail::product_out_shape(call, input));
    detail::run_product(call, input, out, device);
    return out;
}

void check_finite(const std::string& where, const char* what, double v) {
    if (!std::isfinite(v)) fail(where + ": " + what + " must be finite, not " + std::to_string(v));
}

} // namespace

detail::ProductCall detail::product_call(const std::string& op, DType input, const Jitc& c,
                                         bool transpose, Device device) {
    ProductCall call;
    call.where = "be::" + op + "(" + c.kind() + " JITC)";
    check_device(call.where, device);
    call.rank = op == "event_matmat" || op == "matmat" ? 2 : 1;
    const Generated g = generated(c);
    const bool kt = transpose != g.flip;
    call.n_in = kt ? g.cols : g.rows;
    call.n_out = kt ? g.rows : g.cols;
    call.name = "jitc_" + c.kind() + "_" + op;
    if (op == "event_matvec" || op == "event_matmat") {
        if (input == DType::bool_) {
            call.name += "_bool";
        } else if (input == DType::uint32) {
            call.name += "_bits";
            call.n_in = (call.n_in + 31) / 32;
        } else if (input == c.dtype()) {
            call.name += "_float";
        } else {
            fail(call.where + ": spikes must be bool, uint32 (bit-packed) or " +
                 std::string(dtype_name(c.dtype())) + " (the weights' dtype), not " +
                 std::string(dtype_name(input)));
        }
    } else if (input != c.dtype()) {
        fail(call.where + ": x must have the weights' dtype " + std::string(dtype_name(c.dtype())));
    }
    call.name += dtype_suffix(c.dtype());
    call.attrs = attrs_for(c, g);
    call.attrs.emplace("transpose", kt);
    call.out_dtype = c.dtype();
    return call;
}

Jitc::Jitc(std::string kind, int64_t n_pre, int64_t n_post, double p, double w0, double w1,
           uint64_t seed, JitcOrientation orientation, DType dtype)
    : kind_(std::move(kind)), rows_(n_pre), cols_(n_post), p_(p), w0_(w0), w1_(w1), seed_(seed),
      orientation_(orientation), dtype_(dtype) {
    const std::string where =
        "be::Jitc" + std::string(1, char(kind_[0] - 'a' + 'A')) + kind_.substr(1);
    constexpr int64_t k_max = int64_t(1) << 31; // column indices are int32 in the kernels
    if (n_pre <= 0 || n_post <= 0 || n_pre >= k_max || n_post >= k_max)
        fail(where + ": n_pre and n_post must be in [1, 2^31), not " + std::to_string(n_pre) +
             " x " + std::to_string(n_post));
    // 1 - p < 1 excludes p below ~1.1e-16, where 1 - p rounds to 1 and log(1 - p) = 0.
    if (!(p > 0.0 && p <= 1.0 && 1.0 - p < 1.0))
        fail(where + ": p must be in (0, 1], not " + std::to_string(p));
    if (dtype != DType::float32 && dtype != DType::float64)
        fail(where + ": dtype must be float32 or float64, not " + std::string(dtype_name(dtype)));
}

JitcScalar::JitcScalar(int64_t n_pre, int64_t n_post, double p, double weight, uint64_t seed,
                       JitcOrientation orientation, DType dtype)
    : Jitc("scalar", n_pre, n_post, p, weight, 0.0, seed, orientation, dtype) {
    check_finite("be::JitcScalar", "weight", weight);
}

JitcNormal::JitcNormal(int64_t n_pre, int64_t n_post, double p, double mean, double stddev,
                       uint64_t seed, JitcOrientation orientation, DType dtype)
    : Jitc("normal", n_pre, n_post, p, mean, stddev, seed, orientation, dtype) {
    check_finite("be::JitcNormal", "mean", mean);
    check_finite("be::JitcNormal", "stddev", stddev);
    if (stddev < 0) fail("be::JitcNormal: stddev must be >= 0, not " + std::to_string(stddev));
}

JitcUniform::JitcUniform(int64_t n_pre, int64_t n_post, double p, double low, double high,
                         uint64_t seed, JitcOrientation orientation, DType dtype)
    : Jitc("uniform", n_pre, n_post, p, low, high, seed, orientation, dtype) {
    check_finite("be::JitcUniform", "low", low);
    check_finite("be::JitcUniform", "high", high);
    if (!(low <= high))
        fail("be::JitcUniform: low must be <= high, not " + std::to_string(low) + " > " +
             std::to_string(high));
}

HostArray event_matvec(const HostArray& spikes, const Jitc& conn, bool transpose, Device device) {
    return product("event_matvec", spikes, conn, transpose, device);
}

HostArray matvec(const HostArray& x, const Jitc& conn, bool transpose, Device device) {
    return product("matvec", x, conn, transpose, device);
}

HostArray event_matmat(const HostArray& spikes, const Jitc& conn, bool transpose, Device device) {
    return product("event_matmat", spikes, conn, transpose, device);
}

HostArray matmat(const HostArray& x, const Jitc& conn, bool transpose, Device device) {
    return product("matmat", x, conn, transpose, device);
}

void event_matvec_into(const HostArray& spikes, const Jitc& conn, HostArray& out, bool transpose,
                       Device device) {
    detail::run_product(
        detail::product_call("event_matvec", spikes.dtype(), conn, transpose, device), spikes, out,
        device);
}

void matvec_into(const HostArray& x, const Jitc& conn, HostArray& out, bool transpose,
                 Device device) {
    detail::run_product(detail::product_call("matvec", x.dtype(), conn, transpose, device), x, out,
                        device);
}

void event_matmat_into(const HostArray& spikes, const Jitc& conn, HostArray& out, bool transpose,
                       Device device) {
    detail::run_product(
        detail::product_call("event_matmat", spikes.dtype(), conn, transpose, device), spikes, out,
        device);
}

void matmat_into(const HostArray& x, const Jitc& conn, HostArray& out, bool transpose,
                 Device device) {
    detail::run_product(detail::product_call("matmat", x.dtype(), conn, transpose, device), x, out,
                        device);
}

HostArray todense(const Jitc& conn, bool transpose, Device device) {
    check_device("be::todense(JITC)", device);
    const Generated g = generated(conn);
    const bool kt = transpose != g.flip;
    HostArray out = make_array(conn.dtype(), kt ? std::vector<int64_t>{g.cols, g.rows}
                                                : std::vector<int64_t>{g.rows, g.cols});
    BE::Tensor rets[] = {view(out, device)};
    AttrMap attrs = attrs_for(conn, g);
    attrs.emplace("transpose", kt);
    call_builtin("jitc_" + conn.kind() + "_todense" + dtype_suffix(conn.dtype()), {}, rets, attrs);
    return out;
}

HostArray generate(const Jitc& conn, int64_t i, Device device) {
    check_device("be::generate(JITC)", device);
    const Generated g = generated(conn);
    if (i < 0 || i >= g.rows)
        fail("be::generate(JITC): line " + std::to_string(i) + " is out of range [0, " +
             std::to_string(g.rows) + ")");
    HostArray out = make_array(conn.dtype(), {g.cols});
    BE::Tensor rets[] = {view(out, device)};
    AttrMap attrs = attrs_for(conn, g);
    attrs.emplace("row", i);
    call_builtin("jitc_" + conn.kind() + "_row" + dtype_suffix(conn.dtype()), {}, rets, attrs);
    return out;
}

} // namespace be
