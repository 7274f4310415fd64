// Input generators of the simulator: each adds this step's external input to a slice of the
// neurons' excitatory (or inhibitory) input, in place.
//
// Targets (suffix = the input's dtype):
//   poisson_input_<f32|f64>: arg step (int64 [1], the step index), ret out [n],
//     attr seed, stream, first (global id of out[0]), lambda, exp_minus_lambda (= e^-lambda,
//     computed by the caller), weight:  out[i] += weight * Poisson(lambda)
//   normal_input_<f32|f64>: arg step, ret out [n], attr seed, stream, first, mean, stddev:
//     out[i] += mean + stddev * N(0, 1)
// Draws are keyed by (seed, stream, first + i, step) (be/sim_rng.h): the result for a neuron does
// not depend on the thread count or on how the neurons are split into calls.
#include <be/builtin_includes.h>

#include "parallel.h"
#include "sim_input_rule.h"

#include <cmath>

namespace {

constexpr int64_t k_grain = 4096; // below this a call stays on its thread

template <typename F> void for_neurons(int64_t n, F&& body) {
    if (n <= k_grain) {
        for (int64_t i = 0; i < n; ++i)
            body(i);
        return;
    }
    be_parallel::for_ranges(n, k_grain, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            body(i);
    });
}

int64_t checked_step(const BE::Tensor& step, const BE::Tensor& out, int64_t first) {
    BE_CHECK(step.numel() == 1, "step must hold one int64 (the step index)");
    BE_CHECK(out.ndim() == 1, "out must be one-dimensional [n]");
    BE_CHECK(first >= 0 && first + out.numel() <= (int64_t{1} << 32),
             "first must be a neuron id in [0, 2^32 - n]");
    const int64_t s = step.data_ptr<int64_t>()[0];
    BE_CHECK(s >= 0 && s < (int64_t{1} << 32), "step must be in [0, 2^32)");
    return s;
}

template <typename T>
void poisson_input(const BE::Tensor& step, BE::Tensor& out, int64_t seed, int64_t stream,
                   int64_t first, double lambda, double exp_minus_lambda, double weight) {
    const uint64_t s = static_cast<uint64_t>(checked_step(step, out, first));
    BE_CHECK(lambda >= 0 && lambda <= 500, "lambda must be in [0, 500] (events per step)");
    BE_CHECK(exp_minus_lambda > 0 && exp_minus_lambda <= 1, "exp_minus_lambda must be e^-lambda");
    T* y = out.data_ptr<T>();
    for_neurons(out.numel(), [&](int64_t i) {
        poisson_input_at(y, i, static_cast<uint64_t>(seed), stream, first, s, lambda,
                         exp_minus_lambda, weight);
    });
}

template <typename T>
void normal_input(const BE::Tensor& step, BE::Tensor& out, int64_t seed, int64_t stream,
                  int64_t first, double mean, double stddev) {
    const uint64_t s = static_cast<uint64_t>(checked_step(step, out, first));
    BE_CHECK(stddev >= 0 && std::isfinite(stddev) && std::isfinite(mean),
             "mean must be finite and stddev finite and >= 0");
    T* y = out.data_ptr<T>();
    for_neurons(out.numel(), [&](int64_t i) {
        normal_input_at(y, i, static_cast<uint64_t>(seed), stream, first, s, mean, stddev);
    });
}

} // namespace

// clang-format off
// @BE poisson_input_f32 = poisson_input<float> arg:int64 ret:float32 attr.seed:int64 attr.stream:int64 attr.first:int64 attr.lambda:float64 attr.exp_minus_lambda:float64 attr.weight:float64
// @BE poisson_input_f64 = poisson_input<double> arg:int64 ret:float64 attr.seed:int64 attr.stream:int64 attr.first:int64 attr.lambda:float64 attr.exp_minus_lambda:float64 attr.weight:float64
// @BE normal_input_f32 = normal_input<float> arg:int64 ret:float32 attr.seed:int64 attr.stream:int64 attr.first:int64 attr.mean:float64 attr.stddev:float64
// @BE normal_input_f64 = normal_input<double> arg:int64 ret:float64 attr.seed:int64 attr.stream:int64 attr.first:int64 attr.mean:float64 attr.stddev:float64
// clang-format on
