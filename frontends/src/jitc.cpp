// JITC connectivity for the operators of event_ops.cpp, over the built-ins
// be.jitc_<kind>_<op>[_<spikes>]_<f32|f64> (kernels/builtin/jitc_*.cpp). The kernels only know
// R(seed, rows x cols); a C matrix M = R(seed, n_post x n_pre)ᵀ is passed as that R with
// `transpose` flipped (as FixedPreNum does).
#include "event_call.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/jitc.h>

#include <cmath>
#include <vector>

namespace be {

using detail::fail;

namespace {

void check_finite(const std::string& where, const char* what, double v) {
    if (!std::isfinite(v)) fail(where + ": " + what + " must be finite, not " + std::to_string(v));
}

} // namespace

detail::OpConnectivity detail::op_connectivity(const Jitc& c) {
    const bool r = c.orientation() == JitcOrientation::R;
    return {"jitc_" + c.kind(),
            "(" + c.kind() + " JITC)",
            {},
            {{"seed", static_cast<int64_t>(c.seed())},
             {"rows", r ? c.rows() : c.cols()},
             {"cols", r ? c.cols() : c.rows()},
             {"p", c.p()},
             {"w0", c.w0()},
             {"w1", c.w1()}},
            c.dtype(),
            !r};
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

HostArray generate(const Jitc& conn, int64_t i, Device device) {
    return detail::run_new(
        detail::op_call("generate", detail::op_connectivity(conn), "row", "", {{"row", i}}, device),
        nullptr, device);
}

} // namespace be
