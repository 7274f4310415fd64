// Kuramoto networks, float64, CPU: classical RK4 for
//     dθ_j/dt = ω_j + Σ_k K_jk sin(θ_k − θ_j),
// its discrete adjoint (the exact gradient of the RK4 solve, not of the ODE) and batched
// ensembles. The CUDA twin is kuramoto.cu; both evaluate the same IEEE operations in the same
// order, so the emulation (contraction off) reproduces these results bit for bit.
//
// Rates without O(N²) sin calls: Σ_k K_jk sin(θ_k − θ_j) = c_j (K s)_j − s_j (K c)_j with
// s = sin θ, c = cos θ, so a stage costs N sin/cos pairs and one pass over K (two fused dot
// products per row). Each dot product sums lane l = k mod 8 in increasing k and combines the
// lanes as ((0+1)+(2+3))+((4+5)+(6+7)): a fixed order the compiler vectorises without
// reassociating (no fast-math), which the CUDA twin repeats per row.
//
// One RK4 step, h = dt (the order of operations is part of the contract with kuramoto.cu):
//   k1 = f(θ),  k2 = f(θ + (h/2)k1),  k3 = f(θ + (h/2)k2),  k4 = f(θ + h k3)
//   acc = k1;  acc = acc + 2k2;  acc = acc + 2k3;  acc = acc + k4;  θ' = θ + (h/6)·acc
//   f(y)_j = ω_j + (c_j (K s)_j − s_j (K c)_j)
//
// Adjoint (reverse sweep of one step, λ = ∂L/∂θ', w = (h/6, h/3, h/3, h/6), α = (½h, ½h, h)):
//   θ̄ = λ;  for stage i = 4..1:  u = w_i λ + α_i ȳ_{i+1}   (the cotangent of k_i; no ȳ_5)
//     ω̄ += u;   a = u∘c_i,  b = u∘s_i
//     ȳ_i = c_i∘(Kᵀa) + s_i∘(Kᵀb) − u∘d_i,   d_i = c_i∘(K c_i) + s_i∘(K s_i);   θ̄ += ȳ_i
//     K̄ += a s_iᵀ − b c_iᵀ          (∂f_j/∂K_jk = sin(y_k − y_j) = c_j s_k − s_j c_k)
//   and λ ← θ̄ for the previous step. ȳ follows from ∂f_j/∂y_k = K_jk cos(y_k − y_j) (k ≠ j),
//   ∂f_j/∂y_j = −Σ_k K_jk cos(y_k − y_j), cos(y_k − y_j) = c_k c_j + s_k s_j.
// The K̄ updates of a step's four stages are applied in one pass over K̄ (8 multiply-adds per
// element per pass instead of 2, so the pass is compute- rather than memory-bound).
//
// Memory/time trade-off of the adjoint: the forward sweep of the vjp stores s, c and d of every
// stage (12·steps·N doubles in `work`) so that the reverse sweep evaluates no sin/cos and no
// forward matvec; the gradient then costs about 2.1× a forward solve (bench_kuramoto, N = 256,
// 200 steps, where the stored stages take 4.9 MB). Recomputing the stages from stored states
// would need only (steps+1)·N doubles but one more forward solve of time (sin/cos included:
// about 3× a forward solve); checkpointing every √steps states would cut the memory to
// O(√steps·N) for the same extra forward solve. Neither is implemented: at the sizes this serves
// the memory is small and sin/cos dominate a stage.
//
// Scratch memory is a ret (`work`), sized by the caller (be::kuramoto::forward_work_size /
// vjp_work_size): kernels allocate nothing, the same on a GPU, and twins share one layout.
//   forward: members × 5 × N   (per member θ, k, acc, s, c)
//   vjp:     (12·steps + 20) × N
// Determinism: members run in parallel (TBB); within a member, networks of N >= 1024 split each
// stage's rows over threads (a row is always one thread's, in the fixed order). Results do not
// depend on the number of threads, and a member of an ensemble is bitwise equal to its single
// solve. The vjp's reverse sweep is serial.
#include <be/builtin_includes.h>

#include "parallel.h"

namespace {

constexpr int64_t k_lanes = 8;
// Eight lanes as one value (clang's vector extension): lane-wise IEEE operations, so the order of
// the sums is the scalar one written in kuramoto.cu, while the compiler emits SIMD instructions
// (it would not vectorise a scalar reduction without reassociating, i.e. fast-math).
typedef double Lanes __attribute__((vector_size(k_lanes * sizeof(double))));

inline Lanes load(const double* p) {
    Lanes v;
    __builtin_memcpy(&v, p, sizeof v); // unaligned: rows of K start anywhere
    return v;
}

inline double combine(Lanes p) {
    return ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
}

// (K s)_j and (K c)_j for R consecutive rows j of K (row stride n), each in the fixed lane order
// described above. R rows at once share the loads of s and c and give 2R independent chains of
// additions, which hides the add latency (one row alone is latency-bound).
template <int R>
inline void row_dots(const double* rows, const double* s, const double* c, int64_t n, double* ks,
                     double* kc) {
    Lanes ps[R] = {}, pc[R] = {};
    int64_t k = 0;
    for (; k + k_lanes <= n; k += k_lanes) {
        const Lanes sv = load(s + k), cv = load(c + k);
        for (int r = 0; r < R; ++r) {
            const Lanes kv = load(rows + r * n + k);
            ps[r] += kv * sv;
            pc[r] += kv * cv;
        }
    }
    for (int r = 0; r < R; ++r) {
        for (int64_t l = 0; k + l < n; ++l) {
            ps[r][l] += rows[r * n + k + l] * s[k + l];
            pc[r][l] += rows[r * n + k + l] * c[k + l];
        }
        ks[r] = combine(ps[r]);
        kc[r] = combine(pc[r]);
    }
}

inline void store(double* p, Lanes v) {
    __builtin_memcpy(p, &v, sizeof v);
}

// ta += Kᵀa and tb += Kᵀb over R consecutive rows j of K: ta_k gets a_j K_jk for j in increasing
// order (the CUDA twin's order), R rows per pass so ta and tb stay in registers across them.
template <int R>
inline void transposed_rows(const double* rows, const double* a, const double* b, int64_t n,
                            double* ta, double* tb) {
    int64_t k = 0;
    for (; k + k_lanes <= n; k += k_lanes) {
        Lanes x = load(ta + k), y = load(tb + k);
        for (int r = 0; r < R; ++r) {
            const Lanes kv = load(rows + r * n + k);
            x += a[r] * kv;
            y += b[r] * kv;
        }
        store(ta + k, x);
        store(tb + k, y);
    }
    for (; k < n; ++k)
        for (int r = 0; r < R; ++r) {
            ta[k] += a[r] * rows[r * n + k];
            tb[k] += b[r] * rows[r * n + k];
        }
}

// Pointers into one member's inputs and scratch.
struct Member {
    const double* omega;
    const double* K; // N × N, row-major
    double* theta;   // current state
    double* k;       // rates of the last stage
    double* acc;     // k1 + 2k2 + 2k3 + k4 so far
};

// Rows [begin, end) of a stage's rates, 4 rows at a time (begin is a multiple of 4).
inline void stage_rows(const Member& m, int64_t n, int st, const double* s, const double* c,
                       double* d, int64_t begin, int64_t end) {
    constexpr int k_rows = 4;
    double ks[k_rows], kc[k_rows];
    for (int64_t j0 = begin; j0 < end; j0 += k_rows) {
        const int rows = end - j0 < k_rows ? static_cast<int>(end - j0) : k_rows;
        if (rows == k_rows)
            row_dots<k_rows>(m.K + j0 * n, s, c, n, ks, kc);
        else
            for (int r = 0; r < rows; ++r)
                row_dots<1>(m.K + (j0 + r) * n, s, c, n, ks + r, kc + r);
        for (int r = 0; r < rows; ++r) {
            const int64_t j = j0 + r;
            const double kj = m.omega[j] + (c[j] * ks[r] - s[j] * kc[r]);
            m.k[j] = kj;
            m.acc[j] = st == 0 ? kj : st == 3 ? m.acc[j] + kj : m.acc[j] + 2.0 * kj;
            if (d != nullptr) d[j] = c[j] * kc[r] + s[j] * ks[r];
        }
    }
}

// Networks this large split a stage's rows over threads: each row is still computed by one
// thread in the fixed order, so results do not depend on the thread count. Smaller ones stay
// serial, where the synchronisation per stage would cost more than the stage.
constexpr int64_t k_parallel_rows = 1024, k_row_block = 64;

// One RK4 stage (0..3): y = θ + coef·k (y = θ for stage 0), s = sin y, c = cos y, then
// k = f(y) and the accumulator. When d is given, also d = c∘(K c) + s∘(K s) for the adjoint.
inline void stage(const Member& m, int64_t n, int st, double dt, double* s, double* c, double* d) {
    const double coef = st == 3 ? dt : 0.5 * dt;
    for (int64_t j = 0; j < n; ++j) {
        const double y = st == 0 ? m.theta[j] : m.theta[j] + coef * m.k[j];
        // glibc's sincos returns exactly sin(y) and cos(y) (what the CUDA twin computes), at
        // about 60 % of the cost of the two calls; sin/cos are a third of a forward stage.
        ::sincos(y, s + j, c + j);
    }
    if (n < k_parallel_rows) {
        stage_rows(m, n, st, s, c, d, 0, n);
        return;
    }
    be_parallel::for_each((n + k_row_block - 1) / k_row_block, [&](int64_t block) {
        stage_rows(m, n, st, s, c, d, block * k_row_block, std::min(n, (block + 1) * k_row_block));
    });
}

inline void finish_step(const Member& m, int64_t n, double dt) {
    const double sixth = dt / 6.0;
    for (int64_t j = 0; j < n; ++j)
        m.theta[j] = m.theta[j] + sixth * m.acc[j];
}

// Integrates one member; out receives every state (trajectory) or only the last one.
void solve_member(const double* theta0, const double* omega, const double* K, double* out,
                  bool trajectory, double* work, int64_t n, int64_t steps, double dt) {
    Member m{omega, K, work, work + n, work + 2 * n};
    double* s = work + 3 * n;
    double* c = work + 4 * n;
    std::memcpy(m.theta, theta0, sizeof(double) * n);
    if (trajectory) std::memcpy(out, theta0, sizeof(double) * n);
    for (int64_t step = 0; step < steps; ++step) {
        for (int st = 0; st < 4; ++st)
            stage(m, n, st, dt, s, c, nullptr);
        finish_step(m, n, dt);
        if (trajectory) std::memcpy(out + (step + 1) * n, m.theta, sizeof(double) * n);
    }
    if (!trajectory) std::memcpy(out, m.theta, sizeof(double) * n);
}

bool is_f64(const BE::Tensor& t) {
    return t.dtype() == BE::DType::float64 && t.is_contiguous();
}

// Shared by the single and the ensemble entry: members = 0 means unbatched shapes.
void rk4(const BE::Tensor& theta0, const BE::Tensor& omega, const BE::Tensor& K, BE::Tensor& theta,
         BE::Tensor& work, double dt, int64_t steps, bool batched) {
    BE_CHECK(is_f64(theta0) && is_f64(omega) && is_f64(K) && is_f64(theta) && is_f64(work),
             "kuramoto: all tensors must be contiguous float64");
    BE_CHECK(steps >= 0, "kuramoto: steps must be >= 0");
    const int lead = batched ? 1 : 0;
    BE_CHECK(theta0.ndim() == 1 + lead,
             batched ? "kuramoto: theta0 must be B x N" : "kuramoto: theta0 must be 1-D (N)");
    const int64_t members = batched ? theta0.size(0) : 1, n = theta0.size(lead);
    const bool own_omega = omega.ndim() == 2, own_K = K.ndim() == 3;
    BE_CHECK(omega.numel() == n ||
                 (batched && own_omega && omega.size(0) == members && omega.size(1) == n),
             "kuramoto: omega must be N (or B x N in an ensemble)");
    BE_CHECK((K.ndim() == 2 && K.size(0) == n && K.size(1) == n) ||
                 (batched && own_K && K.size(0) == members && K.size(1) == n && K.size(2) == n),
             "kuramoto: K must be N x N (or B x N x N in an ensemble)");
    const bool trajectory = theta.ndim() == 2 + lead;
    BE_CHECK(theta.numel() == members * (trajectory ? steps + 1 : 1) * n &&
                 (trajectory ? theta.size(lead) == steps + 1 : theta.ndim() == 1 + lead),
             "kuramoto: theta must be (steps+1) x N for the trajectory or N for the final state "
             "(with a leading B in an ensemble)");
    BE_CHECK(work.numel() >= members * 5 * n, "kuramoto: work needs members x 5 x N doubles");
    const int64_t out_stride = (trajectory ? steps + 1 : 1) * n;
    auto member = [&](int64_t b) {
        solve_member(theta0.data_ptr<double>() + b * n,
                     omega.data_ptr<double>() + (own_omega ? b * n : 0),
                     K.data_ptr<double>() + (own_K ? b * n * n : 0),
                     theta.data_ptr<double>() + b * out_stride, trajectory,
                     work.data_ptr<double>() + b * 5 * n, n, steps, dt);
    };
    if (members == 1)
        member(0);
    else
        be_parallel::for_each(members, member);
}

} // namespace

// Forward solve of one network. theta0: N, omega: N, K: N×N. theta: (steps+1)×N (trajectory)
// or N (final state only). work: at least 5·N doubles.
// clang-format off
// @BE kuramoto_rk4_f64 arg:float64 arg:float64 arg:float64 ret:float64 ret:float64 attr.dt:float64 attr.steps:int64
// clang-format on
void kuramoto_rk4_f64(const BE::Tensor& theta0, const BE::Tensor& omega, const BE::Tensor& K,
                      BE::Tensor& theta, BE::Tensor& work, double dt, int64_t steps) {
    rk4(theta0, omega, K, theta, work, dt, steps, false);
}

// B members in one call, in parallel. theta0: B×N; omega: N (shared) or B×N; K: N×N (shared) or
// B×N×N. theta: B×(steps+1)×N or B×N. work: at least B·5·N doubles.
// clang-format off
// @BE kuramoto_rk4_ensemble_f64 arg:float64 arg:float64 arg:float64 ret:float64 ret:float64 attr.dt:float64 attr.steps:int64
// clang-format on
void kuramoto_rk4_ensemble_f64(const BE::Tensor& theta0, const BE::Tensor& omega,
                               const BE::Tensor& K, BE::Tensor& theta, BE::Tensor& work, double dt,
                               int64_t steps) {
    rk4(theta0, omega, K, theta, work, dt, steps, true);
}

// The discrete adjoint: given dL/dθ_steps (gbar, N), the gradients dL/dθ0, dL/dω (N) and dL/dK
// (N×N). work: at least (12·steps + 20)·N doubles.
// clang-format off
// @BE kuramoto_rk4_vjp_f64 arg:float64 arg:float64 arg:float64 arg:float64 ret:float64 ret:float64 ret:float64 ret:float64 attr.dt:float64 attr.steps:int64
// clang-format on
void kuramoto_rk4_vjp_f64(const BE::Tensor& theta0, const BE::Tensor& omega, const BE::Tensor& K,
                          const BE::Tensor& gbar, BE::Tensor& dtheta0, BE::Tensor& domega,
                          BE::Tensor& dK, BE::Tensor& work, double dt, int64_t steps) {
    BE_CHECK(is_f64(theta0) && is_f64(omega) && is_f64(K) && is_f64(gbar) && is_f64(dtheta0) &&
                 is_f64(domega) && is_f64(dK) && is_f64(work),
             "kuramoto_rk4_vjp: all tensors must be contiguous float64");
    BE_CHECK(steps >= 0, "kuramoto_rk4_vjp: steps must be >= 0");
    const int64_t n = theta0.numel();
    BE_CHECK(theta0.ndim() == 1 && omega.ndim() == 1 && omega.size(0) == n && gbar.ndim() == 1 &&
                 gbar.size(0) == n,
             "kuramoto_rk4_vjp: theta0, omega and gbar must be 1-D of one length N");
    BE_CHECK(K.ndim() == 2 && K.size(0) == n && K.size(1) == n,
             "kuramoto_rk4_vjp: K must be N x N");
    BE_CHECK(dtheta0.numel() == n && domega.numel() == n && dK.numel() == n * n,
             "kuramoto_rk4_vjp: dtheta0, domega must have N elements and dK N x N");
    BE_CHECK(work.numel() >= (12 * steps + 20) * n,
             "kuramoto_rk4_vjp: work needs (12 * steps + 20) * N doubles");
    const double* Kp = K.data_ptr<double>();
    double* w = work.data_ptr<double>();
    double* stages = w; // per step, per stage: s, c, d
    double* tail = w + 12 * steps * n;
    Member m{omega.data_ptr<double>(), Kp, tail, tail + n, tail + 2 * n};
    double* lambda = tail + 3 * n;
    double* tbar = tail + 4 * n;
    double* ybar = tail + 5 * n;
    double* u = tail + 6 * n;
    double* ta = tail + 7 * n;
    double* tb = tail + 8 * n;
    double* ab = tail + 9 * n; // a and b of the four stages: 8·N
    auto slot = [&](int64_t step, int st, int q) { return stages + ((step * 4 + st) * 3 + q) * n; };

    std::memcpy(m.theta, theta0.data_ptr<double>(), sizeof(double) * n);
    for (int64_t step = 0; step < steps; ++step) {
        for (int st = 0; st < 4; ++st)
            stage(m, n, st, dt, slot(step, st, 0), slot(step, st, 1), slot(step, st, 2));
        finish_step(m, n, dt);
    }

    double* dom = domega.data_ptr<double>();
    double* dKp = dK.data_ptr<double>();
    std::memset(dom, 0, sizeof(double) * n);
    std::memset(dKp, 0, sizeof(double) * n * n);
    std::memcpy(lambda, gbar.data_ptr<double>(), sizeof(double) * n);
    const double weight[4] = {dt / 6.0, dt / 3.0, dt / 3.0, dt / 6.0};
    const double coef[4] = {0.0, 0.5 * dt, 0.5 * dt, dt}; // y_i = θ + coef_i k_{i-1}
    for (int64_t step = steps - 1; step >= 0; --step) {
        std::memcpy(tbar, lambda, sizeof(double) * n);
        for (int st = 3; st >= 0; --st) {
            const double* s = slot(step, st, 0);
            const double* c = slot(step, st, 1);
            const double* d = slot(step, st, 2);
            double* a = ab + 2 * st * n;
            double* b = a + n;
            for (int64_t j = 0; j < n; ++j) {
                u[j] = st == 3 ? weight[st] * lambda[j]
                               : weight[st] * lambda[j] + coef[st + 1] * ybar[j];
                dom[j] += u[j];
                a[j] = u[j] * c[j];
                b[j] = u[j] * s[j];
            }
            // Kᵀa and Kᵀb row by row (rows in increasing j: the order the CUDA twin sums in).
            std::memset(ta, 0, sizeof(double) * n);
            std::memset(tb, 0, sizeof(double) * n);
            int64_t j = 0;
            for (; j + 4 <= n; j += 4)
                transposed_rows<4>(Kp + j * n, a + j, b + j, n, ta, tb);
            for (; j < n; ++j)
                transposed_rows<1>(Kp + j * n, a + j, b + j, n, ta, tb);
            for (int64_t k = 0; k < n; ++k) {
                ybar[k] = (c[k] * ta[k] + s[k] * tb[k]) - u[k] * d[k];
                tbar[k] += ybar[k];
            }
        }
        for (int64_t j = 0; j < n; ++j) {
            double aj[4], bj[4];
            for (int st = 0; st < 4; ++st) {
                aj[st] = ab[2 * st * n + j];
                bj[st] = ab[(2 * st + 1) * n + j];
            }
            const double *s0 = slot(step, 0, 0), *c0 = slot(step, 0, 1), *s1 = slot(step, 1, 0),
                         *c1 = slot(step, 1, 1), *s2 = slot(step, 2, 0), *c2 = slot(step, 2, 1),
                         *s3 = slot(step, 3, 0), *c3 = slot(step, 3, 1);
            double* row = dKp + j * n;
            auto term = [&](auto s0v, auto c0v, auto s1v, auto c1v, auto s2v, auto c2v, auto s3v,
                            auto c3v) {
                return ((aj[3] * s3v - bj[3] * c3v) + (aj[2] * s2v - bj[2] * c2v)) +
                       ((aj[1] * s1v - bj[1] * c1v) + (aj[0] * s0v - bj[0] * c0v));
            };
            int64_t k = 0;
            for (; k + k_lanes <= n; k += k_lanes)
                store(row + k,
                      load(row + k) + term(load(s0 + k), load(c0 + k), load(s1 + k), load(c1 + k),
                                           load(s2 + k), load(c2 + k), load(s3 + k), load(c3 + k)));
            for (; k < n; ++k)
                row[k] += term(s0[k], c0[k], s1[k], c1[k], s2[k], c2[k], s3[k], c3[k]);
        }
        std::memcpy(lambda, tbar, sizeof(double) * n);
    }
    std::memcpy(dtheta0.data_ptr<double>(), lambda, sizeof(double) * n);
}
