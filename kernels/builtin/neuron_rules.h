// The neuron integrators' per-neuron updates (izhikevich.cpp, lif_cuba.cpp, lif_coba.cpp; read
// those files for the models and their targets), shared with their CUDA twins (*.cu) so that both
// apply the same IEEE operations in the same order: the CPU kernels and the CUDA emulation (both
// without FP contraction) are bitwise equal. The constants of a step (propagators, step counts)
// are computed from the float64 attrs in double by the same functions and rounded once to the
// state dtype T. On a real GPU two things can move the last bits: NVRTC contracts to FMA by
// default (the built-ins are loaded without --fmad=false), and exp/expm1 come from CUDA's math
// library, which may round differently from glibc's; spike times then agree except where v lands
// within rounding of the threshold.
//
// Each model also has a validation function returning the message of the first invalid input
// (shapes, parameters) or nullptr, so that the CPU kernels and the twins give the same errors.
// Kept valid C++17 without the standard library for NVRTC.
#pragma once

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define BE_NEURON_FN __host__ __device__ inline
#else
#include <cmath>
#define BE_NEURON_FN inline
#endif

namespace be_neuron {

// True when t is a contiguous 1-D array of n elements (a per-neuron array).
BE_NEURON_FN bool per_neuron(const BE::Tensor& t, int64_t n) {
    return t.ndim() == 1 && t.size(0) == n && t.is_contiguous();
}

// round(t_ref / dt) as a step count (t_ref >= 0, dt > 0 checked before); half rounds up.
BE_NEURON_FN int32_t refractory_steps(double t_ref, double dt) {
    return static_cast<int32_t>(t_ref / dt + 0.5);
}
BE_NEURON_FN bool valid_refractory(double t_ref, double dt) {
    return t_ref >= 0 && t_ref / dt + 0.5 < 2147483647.0; // also rejects NaN
}

// expm1(x) / x with its limit 1 at x = 0: accurate where x is tiny, unlike (exp(x) - 1) / x.
BE_NEURON_FN double expm1_ratio(double x) {
    return x == 0 ? 1.0 : expm1(x) / x;
}

// ---- Izhikevich (2003) ------------------------------------------------------------------------

template <typename T> struct Izhikevich {
    T half; // dt / 2: the two half steps of v
    T dt;
};

template <typename T> BE_NEURON_FN Izhikevich<T> make_izhikevich(double dt) {
    return Izhikevich<T>{static_cast<T>(0.5 * dt), static_cast<T>(dt)};
}

BE_NEURON_FN const char* izhikevich_invalid(const BE::Tensor& v, const BE::Tensor& u,
                                            const BE::Tensor& spikes, const BE::Tensor& in_e,
                                            const BE::Tensor& in_i, const BE::Tensor& a,
                                            const BE::Tensor& b, const BE::Tensor& c,
                                            const BE::Tensor& d, double dt) {
    const int64_t n = v.numel();
    if (!per_neuron(v, n)) return "izhikevich_step: v must be a contiguous [n] array";
    if (!per_neuron(u, n)) return "izhikevich_step: u must be [n] like v";
    if (!per_neuron(spikes, n)) return "izhikevich_step: spikes must be [n] like v";
    if (!per_neuron(in_e, n)) return "izhikevich_step: in_e must be [n] like v";
    if (!per_neuron(in_i, n)) return "izhikevich_step: in_i must be [n] like v";
    if (!per_neuron(a, n)) return "izhikevich_step: a must be [n] like v";
    if (!per_neuron(b, n)) return "izhikevich_step: b must be [n] like v";
    if (!per_neuron(c, n)) return "izhikevich_step: c must be [n] like v";
    if (!per_neuron(d, n)) return "izhikevich_step: d must be [n] like v";
    if (!(dt > 0)) return "izhikevich_step: dt must be > 0";
    return nullptr;
}

// One step of neuron i; returns whether it spiked.
template <typename T>
BE_NEURON_FN bool izhikevich_update(const Izhikevich<T>& p, T& v, T& u, T current, T a, T b, T c,
                                    T d) {
    const T k04 = static_cast<T>(0.04), k5 = static_cast<T>(5), k140 = static_cast<T>(140);
    T x = v;
    x = x + p.half * (k04 * (x * x) + k5 * x + k140 - u + current);
    x = x + p.half * (k04 * (x * x) + k5 * x + k140 - u + current);
    T y = u + p.dt * a * (b * x - u);
    const bool spike = x >= static_cast<T>(30);
    if (spike) {
        x = c;
        y = y + d;
    }
    v = x;
    u = y;
    return spike;
}

// ---- Current-based LIF, exact integration ---------------------------------------------------

template <typename T> struct LifCuba {
    T p_m, p_e, p_i; // exp(-dt/tau) of the membrane and the two synaptic currents
    T c_e, c_i;      // the currents' contribution to v over one step, per unit of current
    T v_inf;         // v_rest + i_ext
    T v_reset, v_th;
    int32_t ref_steps;
};

// c = tau_s/(tau_s - tau_m) (P_s - P_m), written as (dt/tau_m) P_m expm1(x)/x with
// x = dt/tau_m - dt/tau_s: the same value, exact in the limit tau_s == tau_m (x = 0 gives
// (dt/tau_m) P_m) and without the cancellation of P_s - P_m when the two are close.
BE_NEURON_FN double cuba_coupling(double dt, double tau_m, double tau_s) {
    return (dt / tau_m) * exp(-dt / tau_m) * expm1_ratio(dt / tau_m - dt / tau_s);
}

template <typename T>
BE_NEURON_FN LifCuba<T> make_lif_cuba(double dt, double tau_m, double tau_e, double tau_i,
                                      double v_rest, double v_reset, double v_th, double t_ref,
                                      double i_ext) {
    LifCuba<T> p;
    p.p_m = static_cast<T>(exp(-dt / tau_m));
    p.p_e = static_cast<T>(exp(-dt / tau_e));
    p.p_i = static_cast<T>(exp(-dt / tau_i));
    p.c_e = static_cast<T>(cuba_coupling(dt, tau_m, tau_e));
    p.c_i = static_cast<T>(cuba_coupling(dt, tau_m, tau_i));
    p.v_inf = static_cast<T>(v_rest + i_ext);
    p.v_reset = static_cast<T>(v_reset);
    p.v_th = static_cast<T>(v_th);
    p.ref_steps = refractory_steps(t_ref, dt);
    return p;
}

// The checks shared by both LIF models, in order: the seven arrays (state rets v, two synaptic
// variables, refrac, spikes; args in_e, in_i), dt, the three taus, t_ref. `msg` holds the message
// of each check in that order (each model names its own target and variables).
BE_NEURON_FN const char* lif_invalid(const char* const msg[12], const BE::Tensor& v,
                                     const BE::Tensor& s_e, const BE::Tensor& s_i,
                                     const BE::Tensor& refrac, const BE::Tensor& spikes,
                                     const BE::Tensor& in_e, const BE::Tensor& in_i, double dt,
                                     double tau_m, double tau_e, double tau_i, double t_ref) {
    const int64_t n = v.numel();
    const BE::Tensor* arrays[7] = {&v, &s_e, &s_i, &refrac, &spikes, &in_e, &in_i};
    for (int k = 0; k < 7; ++k)
        if (!per_neuron(*arrays[k], n)) return msg[k];
    if (!(dt > 0)) return msg[7];
    if (!(tau_m > 0)) return msg[8];
    if (!(tau_e > 0)) return msg[9];
    if (!(tau_i > 0)) return msg[10];
    if (!valid_refractory(t_ref, dt)) return msg[11];
    return nullptr;
}

BE_NEURON_FN const char* lif_cuba_invalid(const BE::Tensor& v, const BE::Tensor& i_e,
                                          const BE::Tensor& i_i, const BE::Tensor& refrac,
                                          const BE::Tensor& spikes, const BE::Tensor& in_e,
                                          const BE::Tensor& in_i, double dt, double tau_m,
                                          double tau_e, double tau_i, double t_ref) {
    const char* const msg[12] = {"lif_cuba_step: v must be a contiguous [n] array",
                                 "lif_cuba_step: i_e must be [n] like v",
                                 "lif_cuba_step: i_i must be [n] like v",
                                 "lif_cuba_step: refrac must be [n] like v",
                                 "lif_cuba_step: spikes must be [n] like v",
                                 "lif_cuba_step: in_e must be [n] like v",
                                 "lif_cuba_step: in_i must be [n] like v",
                                 "lif_cuba_step: dt must be > 0",
                                 "lif_cuba_step: tau_m must be > 0",
                                 "lif_cuba_step: tau_e must be > 0",
                                 "lif_cuba_step: tau_i must be > 0",
                                 "lif_cuba_step: t_ref must be >= 0 (and t_ref / dt below 2^31)"};
    return lif_invalid(msg, v, i_e, i_i, refrac, spikes, in_e, in_i, dt, tau_m, tau_e, tau_i,
                       t_ref);
}

// One step of neuron i; returns whether it spiked.
template <typename T>
BE_NEURON_FN bool lif_cuba_update(const LifCuba<T>& p, T& v, T& i_e, T& i_i, int32_t& refrac,
                                  T in_e, T in_i) {
    bool spike = false;
    if (refrac > 0) {
        refrac = refrac - 1;
        v = p.v_reset;
    } else {
        v = p.v_inf + (v - p.v_inf) * p.p_m + i_e * p.c_e + i_i * p.c_i;
        if (v >= p.v_th) {
            spike = true;
            v = p.v_reset;
            refrac = p.ref_steps;
        }
    }
    i_e = i_e * p.p_e + in_e;
    i_i = i_i * p.p_i + in_i;
    return spike;
}

// ---- Conductance-based LIF, forward Euler as Auryn's TIFGroup -------------------------------

template <typename T> struct LifCoba {
    T scale_m;  // dt / tau_m
    T p_e, p_i; // exp(-dt/tau) of the two conductances
    T e_rest, e_exc, e_inh, v_th, v_reset, i_bg;
    int32_t ref_steps;
};

template <typename T>
BE_NEURON_FN LifCoba<T> make_lif_coba(double dt, double tau_m, double tau_e, double tau_i,
                                      double e_rest, double e_exc, double e_inh, double v_th,
                                      double v_reset, double t_ref, double i_bg) {
    LifCoba<T> p;
    p.scale_m = static_cast<T>(dt / tau_m);
    p.p_e = static_cast<T>(exp(-dt / tau_e));
    p.p_i = static_cast<T>(exp(-dt / tau_i));
    p.e_rest = static_cast<T>(e_rest);
    p.e_exc = static_cast<T>(e_exc);
    p.e_inh = static_cast<T>(e_inh);
    p.v_th = static_cast<T>(v_th);
    p.v_reset = static_cast<T>(v_reset);
    p.i_bg = static_cast<T>(i_bg);
    p.ref_steps = refractory_steps(t_ref, dt);
    return p;
}

BE_NEURON_FN const char* lif_coba_invalid(const BE::Tensor& v, const BE::Tensor& g_e,
                                          const BE::Tensor& g_i, const BE::Tensor& refrac,
                                          const BE::Tensor& spikes, const BE::Tensor& in_e,
                                          const BE::Tensor& in_i, double dt, double tau_m,
                                          double tau_e, double tau_i, double t_ref) {
    const char* const msg[12] = {"lif_coba_step: v must be a contiguous [n] array",
                                 "lif_coba_step: g_e must be [n] like v",
                                 "lif_coba_step: g_i must be [n] like v",
                                 "lif_coba_step: refrac must be [n] like v",
                                 "lif_coba_step: spikes must be [n] like v",
                                 "lif_coba_step: in_e must be [n] like v",
                                 "lif_coba_step: in_i must be [n] like v",
                                 "lif_coba_step: dt must be > 0",
                                 "lif_coba_step: tau_m must be > 0",
                                 "lif_coba_step: tau_e must be > 0",
                                 "lif_coba_step: tau_i must be > 0",
                                 "lif_coba_step: t_ref must be >= 0 (and t_ref / dt below 2^31)"};
    return lif_invalid(msg, v, g_e, g_i, refrac, spikes, in_e, in_i, dt, tau_m, tau_e, tau_i,
                       t_ref);
}

// One step of neuron i; returns whether it spiked. The operations and their order are those of
// Auryn's TIFGroup::evolve (src/auryn/TIFGroup.cpp), with e_exc = 0 there (v - 0 is v exactly).
template <typename T>
BE_NEURON_FN bool lif_coba_update(const LifCoba<T>& p, T& v, T& g_e, T& g_i, int32_t& refrac,
                                  T in_e, T in_i) {
    bool spike = false;
    if (refrac <= 0) { // Auryn: t_ref == 0 (unsigned)
        const T dv = (p.e_rest - v) - g_e * (v - p.e_exc) - g_i * (v - p.e_inh) + p.i_bg;
        v = v + dv * p.scale_m;
        if (v > p.v_th) {
            spike = true;
            v = p.v_reset;
            refrac = p.ref_steps;
        }
    } else {
        refrac = refrac - 1;
        v = p.v_reset;
    }
    g_e = g_e * p.p_e + in_e;
    g_i = g_i * p.p_i + in_i;
    return spike;
}

} // namespace be_neuron
