// The per-neuron rules of the simulator's input generators (sim_input.cpp, sim_input.cu): one
// function each, shared by the CPU kernels, the CUDA emulation and NVRTC so that every backend
// adds the same bits. The draws are keyed by (seed, stream, first + i, step) (be/sim_rng.h), so
// neuron first + i gets the same input whatever range of neurons a call covers.
#pragma once

#include "be/sim_rng.h"

// out[i] += weight * k, k ~ Poisson(lambda): `sources` independent Poisson trains of rate r seen
// through one synapse weight each make lambda = sources * r * dt per step.
template <typename T>
BE_JITC_FN void poisson_input_at(T* out, int64_t i, uint64_t seed, int64_t stream, int64_t first,
                                 uint64_t step, double lambda, double exp_minus_lambda,
                                 double weight) {
    be_jitc::KeyedDraws draws(seed, static_cast<uint32_t>(stream), static_cast<uint64_t>(first + i),
                              step);
    const int64_t k = draws.poisson(lambda, exp_minus_lambda);
    if (k != 0) out[i] = out[i] + static_cast<T>(weight * static_cast<double>(k));
}

// out[i] += mean + stddev * z, z ~ N(0, 1): a Gaussian current drawn afresh every step (the
// "thalamic input" of Izhikevich 2003).
template <typename T>
BE_JITC_FN void normal_input_at(T* out, int64_t i, uint64_t seed, int64_t stream, int64_t first,
                                uint64_t step, double mean, double stddev) {
    be_jitc::KeyedDraws draws(seed, static_cast<uint32_t>(stream), static_cast<uint64_t>(first + i),
                              step);
    const double z = draws.normal();
    out[i] = out[i] + static_cast<T>(be_jitc::mul_add(stddev, z, mean));
}
