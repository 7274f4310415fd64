// Kuramoto networks, float64, CUDA twin of kuramoto.cpp (read that file for the equations, the
// adjoint and the `work` layouts, which are shared). Same targets, same signatures; the launch
// clauses give the geometry.
//
// Geometry: one block per member (blocks = members; 1 for a single solve and for the vjp), 256
// threads; thread t owns rows j ≡ t (mod 256). A thread computes its rows' sin/cos and rates
// with the CPU twin's arithmetic in the CPU twin's order (the 8-lane dot products included),
// and __syncthreads separates the phases of a stage, because every row reads all of s and c.
// With contraction off (the CUDA emulation, or NVRTC --fmad=false) results are bitwise equal to
// the CPU twin's. Every state, rate and stage vector lives in `work` (global memory): no shared
// memory limit on N. The vjp is a single block, fine for tests and moderate N; a large-N GPU
// vjp would split the K̄ update over blocks.
#define KURAMOTO_LANES 8

__device__ inline void kuramoto_row_dots(const double* row, const double* s, const double* c,
                                         int64_t n, double* ks, double* kc) {
    double ps[KURAMOTO_LANES] = {}, pc[KURAMOTO_LANES] = {};
    int64_t k = 0;
    for (; k + KURAMOTO_LANES <= n; k += KURAMOTO_LANES)
        for (int l = 0; l < KURAMOTO_LANES; ++l) {
            ps[l] += row[k + l] * s[k + l];
            pc[l] += row[k + l] * c[k + l];
        }
    for (int l = 0; k + l < n; ++l) {
        ps[l] += row[k + l] * s[k + l];
        pc[l] += row[k + l] * c[k + l];
    }
    *ks = ((ps[0] + ps[1]) + (ps[2] + ps[3])) + ((ps[4] + ps[5]) + (ps[6] + ps[7]));
    *kc = ((pc[0] + pc[1]) + (pc[2] + pc[3])) + ((pc[4] + pc[5]) + (pc[6] + pc[7]));
}

// One RK4 stage for the block's member; theta, k, acc, s, c (and d, when given) are N each.
__device__ inline void kuramoto_stage(const double* omega, const double* K, double* theta,
                                      double* k, double* acc, double* s, double* c, double* d,
                                      int64_t n, int st, double dt) {
    const double coef = st == 3 ? dt : 0.5 * dt;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
        const double y = st == 0 ? theta[j] : theta[j] + coef * k[j];
        s[j] = sin(y);
        c[j] = cos(y);
    }
    __syncthreads();
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
        double ks, kc;
        kuramoto_row_dots(K + j * n, s, c, n, &ks, &kc);
        const double kj = omega[j] + (c[j] * ks - s[j] * kc);
        k[j] = kj;
        acc[j] = st == 0 ? kj : st == 3 ? acc[j] + kj : acc[j] + 2.0 * kj;
        if (d != nullptr) d[j] = c[j] * kc + s[j] * ks;
    }
    __syncthreads(); // s and c are overwritten by the next stage
}

__device__ inline void kuramoto_finish_step(double* theta, const double* acc, int64_t n,
                                            double dt) {
    const double sixth = dt / 6.0;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x)
        theta[j] = theta[j] + sixth * acc[j];
    __syncthreads();
}

__device__ inline void kuramoto_solve(const BE::Tensor theta0, const BE::Tensor omega,
                                      const BE::Tensor K, BE::Tensor theta, BE::Tensor work,
                                      double dt, int64_t steps, int lead) {
    BE_CHECK(steps >= 0 && theta0.ndim() == 1 + lead, "kuramoto: bad theta0 or steps");
    const int64_t b = blockIdx.x, n = theta0.size(lead);
    const bool own_omega = omega.ndim() == 2, own_K = K.ndim() == 3;
    const bool trajectory = theta.ndim() == 2 + lead;
    BE_CHECK(omega.numel() == (own_omega ? theta0.size(0) * n : n), "kuramoto: omega shape");
    BE_CHECK(K.numel() == (own_K ? theta0.size(0) * n * n : n * n), "kuramoto: K shape");
    BE_CHECK(theta.numel() == (lead ? theta0.size(0) : 1) * (trajectory ? steps + 1 : 1) * n,
             "kuramoto: theta shape");
    BE_CHECK(work.numel() >= (lead ? theta0.size(0) : 1) * 5 * n, "kuramoto: work too small");
    const double* om = omega.data_ptr<double>() + (own_omega ? b * n : 0);
    const double* Km = K.data_ptr<double>() + (own_K ? b * n * n : 0);
    double* out = theta.data_ptr<double>() + b * (trajectory ? steps + 1 : 1) * n;
    double* w = work.data_ptr<double>() + b * 5 * n;
    double *th = w, *k = w + n, *acc = w + 2 * n, *s = w + 3 * n, *c = w + 4 * n;
    const double* t0 = theta0.data_ptr<double>() + b * n;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
        th[j] = t0[j];
        if (trajectory) out[j] = t0[j];
    }
    __syncthreads();
    for (int64_t step = 0; step < steps; ++step) {
        for (int st = 0; st < 4; ++st)
            kuramoto_stage(om, Km, th, k, acc, s, c, nullptr, n, st, dt);
        kuramoto_finish_step(th, acc, n, dt);
        if (trajectory)
            for (int64_t j = threadIdx.x; j < n; j += blockDim.x)
                out[(step + 1) * n + j] = th[j];
    }
    if (!trajectory)
        for (int64_t j = threadIdx.x; j < n; j += blockDim.x)
            out[j] = th[j];
}

// clang-format off
// @BE kuramoto_rk4_f64 arg:float64 arg:float64 arg:float64 ret:float64 ret:float64 attr.dt:float64 attr.steps:int64 launch(blocks=1, block=256)
// clang-format on
__global__ void kuramoto_rk4_f64(const BE::Tensor theta0, const BE::Tensor omega,
                                 const BE::Tensor K, BE::Tensor theta, BE::Tensor work, double dt,
                                 int64_t steps) {
    kuramoto_solve(theta0, omega, K, theta, work, dt, steps, 0);
}

// clang-format off
// @BE kuramoto_rk4_ensemble_f64 arg:float64 arg:float64 arg:float64 ret:float64 ret:float64 attr.dt:float64 attr.steps:int64 launch(blocks=theta0.size(0), block=256)
// clang-format on
__global__ void kuramoto_rk4_ensemble_f64(const BE::Tensor theta0, const BE::Tensor omega,
                                          const BE::Tensor K, BE::Tensor theta, BE::Tensor work,
                                          double dt, int64_t steps) {
    kuramoto_solve(theta0, omega, K, theta, work, dt, steps, 1);
}

// clang-format off
// @BE kuramoto_rk4_vjp_f64 arg:float64 arg:float64 arg:float64 arg:float64 ret:float64 ret:float64 ret:float64 ret:float64 attr.dt:float64 attr.steps:int64 launch(blocks=1, block=256)
// clang-format on
__global__ void kuramoto_rk4_vjp_f64(const BE::Tensor theta0, const BE::Tensor omega,
                                     const BE::Tensor K, const BE::Tensor gbar, BE::Tensor dtheta0,
                                     BE::Tensor domega, BE::Tensor dK, BE::Tensor work, double dt,
                                     int64_t steps) {
    const int64_t n = theta0.numel();
    BE_CHECK(steps >= 0 && omega.numel() == n && gbar.numel() == n && K.numel() == n * n &&
                 dtheta0.numel() == n && domega.numel() == n && dK.numel() == n * n &&
                 work.numel() >= (12 * steps + 20) * n,
             "kuramoto_rk4_vjp: bad shapes");
    const double* om = omega.data_ptr<double>();
    const double* Kp = K.data_ptr<double>();
    double* stages = work.data_ptr<double>();
    double* tail = stages + 12 * steps * n;
    double *th = tail, *k = tail + n, *acc = tail + 2 * n, *lambda = tail + 3 * n,
           *tbar = tail + 4 * n, *ybar = tail + 5 * n, *u = tail + 6 * n, *ta_out = tail + 7 * n,
           *tb_out = tail + 8 * n, *ab = tail + 9 * n;
    double* dom = domega.data_ptr<double>();
    double* dKp = dK.data_ptr<double>();
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
        th[j] = theta0.data_ptr<double>()[j];
        lambda[j] = gbar.data_ptr<double>()[j];
        dom[j] = 0.0;
        for (int64_t i = 0; i < n; ++i)
            dKp[j * n + i] = 0.0;
    }
    __syncthreads();
    for (int64_t step = 0; step < steps; ++step) {
        for (int st = 0; st < 4; ++st) {
            double* slot = stages + (step * 4 + st) * 3 * n;
            kuramoto_stage(om, Kp, th, k, acc, slot, slot + n, slot + 2 * n, n, st, dt);
        }
        kuramoto_finish_step(th, acc, n, dt);
    }

    const double weight[4] = {dt / 6.0, dt / 3.0, dt / 3.0, dt / 6.0};
    const double coef[4] = {0.0, 0.5 * dt, 0.5 * dt, dt};
    for (int64_t step = steps - 1; step >= 0; --step) {
        for (int64_t j = threadIdx.x; j < n; j += blockDim.x)
            tbar[j] = lambda[j];
        for (int st = 3; st >= 0; --st) {
            const double* s = stages + (step * 4 + st) * 3 * n;
            const double *c = s + n, *d = s + 2 * n;
            double* a = ab + 2 * st * n;
            double* b = a + n;
            for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
                u[j] = st == 3 ? weight[st] * lambda[j]
                               : weight[st] * lambda[j] + coef[st + 1] * ybar[j];
                dom[j] += u[j];
                a[j] = u[j] * c[j];
                b[j] = u[j] * s[j];
            }
            __syncthreads();
            // Column k of Kᵀa, Kᵀb summed over rows in increasing j, like the CPU twin.
            for (int64_t col = threadIdx.x; col < n; col += blockDim.x) {
                double ta = 0.0, tb = 0.0;
                for (int64_t j = 0; j < n; ++j) {
                    ta += a[j] * Kp[j * n + col];
                    tb += b[j] * Kp[j * n + col];
                }
                ta_out[col] = ta; // kept in work like the CPU twin's, so `work` matches too
                tb_out[col] = tb;
                ybar[col] = (c[col] * ta + s[col] * tb) - u[col] * d[col];
                tbar[col] += ybar[col];
            }
            __syncthreads();
        }
        for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
            double aj[4], bj[4];
            for (int st = 0; st < 4; ++st) {
                aj[st] = ab[2 * st * n + j];
                bj[st] = ab[(2 * st + 1) * n + j];
            }
            const double* base = stages + step * 12 * n;
            const double *s0 = base, *c0 = base + n, *s1 = base + 3 * n, *c1 = base + 4 * n,
                         *s2 = base + 6 * n, *c2 = base + 7 * n, *s3 = base + 9 * n,
                         *c3 = base + 10 * n;
            for (int64_t i = 0; i < n; ++i)
                dKp[j * n + i] +=
                    ((aj[3] * s3[i] - bj[3] * c3[i]) + (aj[2] * s2[i] - bj[2] * c2[i])) +
                    ((aj[1] * s1[i] - bj[1] * c1[i]) + (aj[0] * s0[i] - bj[0] * c0[i]));
            lambda[j] = tbar[j];
        }
        __syncthreads();
    }
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x)
        dtheta0.data_ptr<double>()[j] = lambda[j];
}
