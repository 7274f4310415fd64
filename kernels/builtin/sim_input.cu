// CUDA twin of sim_input.cpp (read it for the targets): one thread per neuron, the same rule
// (sim_input_rule.h), so the emulation is bitwise equal to the CPU kernels.
#include "sim_input_rule.h"

template <typename T>
__global__ void poisson_input(const BE::Tensor step, BE::Tensor out, int64_t seed, int64_t stream,
                              int64_t first, double lambda, double exp_minus_lambda,
                              double weight) {
    BE_CHECK(step.numel() == 1 && out.ndim() == 1, "step must be [1] and out [n]");
    BE_CHECK(lambda >= 0 && lambda <= 500 && exp_minus_lambda > 0 && exp_minus_lambda <= 1,
             "lambda must be in [0, 500] and exp_minus_lambda e^-lambda");
    const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    if (i >= out.numel()) return;
    const uint64_t s = static_cast<uint64_t>(step.data_ptr<int64_t>()[0]);
    poisson_input_at(out.data_ptr<T>(), i, static_cast<uint64_t>(seed), stream, first, s, lambda,
                     exp_minus_lambda, weight);
}

template <typename T>
__global__ void normal_input(const BE::Tensor step, BE::Tensor out, int64_t seed, int64_t stream,
                             int64_t first, double mean, double stddev) {
    BE_CHECK(step.numel() == 1 && out.ndim() == 1 && stddev >= 0,
             "step must be [1], out [n] and stddev >= 0");
    const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    if (i >= out.numel()) return;
    const uint64_t s = static_cast<uint64_t>(step.data_ptr<int64_t>()[0]);
    normal_input_at(out.data_ptr<T>(), i, static_cast<uint64_t>(seed), stream, first, s, mean,
                    stddev);
}

// clang-format off
// @BE poisson_input_f32 = poisson_input<float> arg:int64 ret:float32 attr.seed:int64 attr.stream:int64 attr.first:int64 attr.lambda:float64 attr.exp_minus_lambda:float64 attr.weight:float64 launch(threads=out.numel())
// @BE poisson_input_f64 = poisson_input<double> arg:int64 ret:float64 attr.seed:int64 attr.stream:int64 attr.first:int64 attr.lambda:float64 attr.exp_minus_lambda:float64 attr.weight:float64 launch(threads=out.numel())
// @BE normal_input_f32 = normal_input<float> arg:int64 ret:float32 attr.seed:int64 attr.stream:int64 attr.first:int64 attr.mean:float64 attr.stddev:float64 launch(threads=out.numel())
// @BE normal_input_f64 = normal_input<double> arg:int64 ret:float64 attr.seed:int64 attr.stream:int64 attr.first:int64 attr.mean:float64 attr.stddev:float64 launch(threads=out.numel())
// clang-format on
