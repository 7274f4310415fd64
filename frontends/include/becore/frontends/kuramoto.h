// Kuramoto networks: dθ_j/dt = ω_j + Σ_k K_jk sin(θ_k − θ_j), float64, integrated by classical
// RK4 with step dt; the discrete adjoint of the solve; batched ensembles. The C++ API over the
// built-in targets be.kuramoto_rk4_f64, be.kuramoto_rk4_vjp_f64 and be.kuramoto_rk4_ensemble_f64
// (kernels/builtin/kuramoto.cpp documents the scheme, the adjoint and its memory/time
// trade-off). Errors (shapes, dtypes, kernel failures) are thrown as be::Exception.
//
//   auto net = be::kuramoto::default_network(256, 42);
//   auto traj = be::kuramoto::rk4(net.theta0, net.omega, net.K, 0.05, 200);   // 201 × 256
//   auto g = be::kuramoto::rk4_vjp(net.theta0, net.omega, net.K, gbar, 0.05, 200);
#pragma once

#include <becore/runtime/array.h>

#include <cstdint>

namespace be::kuramoto {

// Device::cpu runs the CPU kernels; Device::cuda_emu runs the CUDA twin in emulation (on the
// same host memory). Arrays on a real GPU are not taken here.
struct Options {
    bool trajectory = true; // (steps+1) × N states, else only the final state (N)
    Device device = Device::cpu;
};

// theta0, omega: N; K: N × N (row j holds the couplings into oscillator j). Returns the
// trajectory ((steps+1) × N, row 0 = theta0) or the final state (N).
HostArray rk4(const HostArray& theta0, const HostArray& omega, const HostArray& K, double dt,
              int64_t steps, const Options& options = {});

struct Gradients {
    HostArray dtheta0, domega, dK; // N, N, N × N
};

// The gradients of L with respect to θ0, ω and K given gbar = ∂L/∂θ_steps (N): the exact
// reverse-mode derivative of the RK4 solve (discrete adjoint). Memory 12·steps·N doubles.
Gradients rk4_vjp(const HostArray& theta0, const HostArray& omega, const HostArray& K,
                  const HostArray& gbar, double dt, int64_t steps, Device device = Device::cpu);

// B members in one call, in parallel over members: theta0 B × N; omega N (shared) or B × N;
// K N × N (shared) or B × N × N. Returns B × (steps+1) × N (or B × N). Each member is bitwise
// equal to rk4() of its inputs.
HostArray ensemble(const HostArray& theta0, const HostArray& omega, const HostArray& K, double dt,
                   int64_t steps, const Options& options = {});

// Scratch sizes (doubles) the targets take as their `work` ret.
int64_t forward_work_size(int64_t members, int64_t n);
int64_t vjp_work_size(int64_t n, int64_t steps);

// Default draws, host-side and reproducible across standard libraries: std::mt19937_64 with
// uniform u = (x >> 11)·2⁻⁵³ ∈ [0, 1) and Box–Muller z = √(−2 ln(1−u1))·cos(2π u2) (one normal
// per pair of draws), never std::*_distribution.
//   theta0: 2π·u from mt19937_64(seed)
//   omega:  0.7·z   from mt19937_64(seed ^ 0x9E3779B97F4A7C15)
//   K:      1.8 / N off the diagonal, 0 on it
HostArray random_theta0(int64_t n, uint64_t seed);
HostArray random_omega(int64_t n, uint64_t seed, double sigma = 0.7);
HostArray uniform_coupling(int64_t n, double strength = 1.8);

struct Network {
    HostArray theta0, omega, K;
};
Network default_network(int64_t n, uint64_t seed);

} // namespace be::kuramoto
