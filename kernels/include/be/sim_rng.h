// The simulator's random draws, keyed by (seed, stream, neuron, step): every value is a function
// of those four numbers alone, never of a sequential generator's position, so a simulation gives
// the same numbers however its neurons are split across threads, devices or processes. Shared by
// the CPU built-ins, the CUDA emulation, NVRTC and the host code of the simulator (valid C++17,
// no standard header under NVRTC, only IEEE-exact operations and log_fixed: the same bits on
// every backend).
//
// Definition: Philox4x32-10 (be/jitc.h) with key {seed_lo, seed_hi} and counter
// {step, neuron, block, stream}: the draws of one (stream, neuron, step) are the words of
// blocks 0, 1, 2, ... in order. uniform() takes two words: (hi * 2^21 + lo >> 11) * 2^-53, in
// [0, 1). normal() is Marsaglia's polar method over uniform pairs (as be/jitc.h draws normal
// weights): a = 2u - 1, b = 2v - 1, s = a² + b², retried while s >= 1 or s == 0,
// z = a * sqrt(-2 log_fixed(s) / s). poisson(lambda) counts by inversion: k = 0, p = F = e^-λ
// (given by the caller, computed once on the host so that a GPU's exp cannot differ), while
// u > F: k += 1, p *= λ / k, F += p.
//
// Streams: JITC connectivity uses 0 and 1 of the same seed; the simulator uses these and above.
#pragma once

#include "be/jitc.h"

#if defined(BE_JITC_SERIAL)
namespace be_jitc_serial {
#else
namespace be_jitc {
#endif

constexpr uint32_t k_stream_initial_state = 16; // + index of the state variable
constexpr uint32_t k_stream_neuron_params = 48; // one uniform per neuron, shared by its params
constexpr uint32_t k_stream_input = 64;         // + index of the input (Poisson or noise)

struct KeyedDraws {
    uint32_t k0, k1, step, neuron, stream;
    uint32_t block = 0;
    int used = 4;
    U32x4 buffer{};

    BE_JITC_FN KeyedDraws(uint64_t seed, uint32_t which, uint64_t neuron_id, uint64_t step_index)
        : k0(static_cast<uint32_t>(seed)), k1(static_cast<uint32_t>(seed >> 32)),
          step(static_cast<uint32_t>(step_index)), neuron(static_cast<uint32_t>(neuron_id)),
          stream(which) {}
    BE_JITC_FN uint32_t word() {
        if (used == 4) {
            buffer = philox4x32_10(U32x4{{step, neuron, block++, stream}}, k0, k1);
            used = 0;
        }
        return buffer.v[used++];
    }
    BE_JITC_FN double uniform() {
        const uint64_t hi = word(), lo = word();
        return static_cast<double>((hi << 21) | (lo >> 11)) * (1.0 / 9007199254740992.0);
    }
    BE_JITC_FN double normal() {
        for (;;) {
            const double a = 2.0 * uniform() - 1.0, b = 2.0 * uniform() - 1.0;
            const double s = mul_add(a, a, mul_add(b, b, 0.0));
            if (s < 1.0 && s > 0.0) return a * sqrt_fixed(-2.0 * log_fixed(s) / s);
        }
    }
    // exp_minus_lambda = e^-λ; λ must keep it a normal double (the simulator bounds λ).
    BE_JITC_FN int64_t poisson(double lambda, double exp_minus_lambda) {
        const double u = uniform();
        int64_t k = 0;
        double p = exp_minus_lambda, cdf = p;
        while (u > cdf && p > 0.0) {
            ++k;
            p = p * lambda / static_cast<double>(k);
            cdf += p;
        }
        return k;
    }
};

} // namespace be_jitc
