// be::kuramoto: validates inputs with messages naming the function, allocates the rets and the
// kernels' scratch, and calls the built-in targets (docs/architecture.md: frontends reach
// kernels only through the registry).
#include <becore/frontends/builtins.h>
#include <becore/frontends/kuramoto.h>

#include <cmath>
#include <numbers>
#include <random>

namespace be::kuramoto {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& message) {
    throw Exception(make_error(ErrorCode::invalid_argument, "kuramoto::" + what + ": " + message));
}

HostArray make(const std::string& what, std::vector<int64_t> shape) {
    auto array = HostArray::create(DType::float64, std::move(shape));
    if (!array) fail(what, array.error().message);
    return std::move(*array);
}

void require(const std::string& what, const HostArray& a, const char* name,
             std::vector<int64_t> shape) {
    if (a.dtype() != DType::float64)
        fail(what,
             std::string(name) + " must be float64, not " + std::string(dtype_name(a.dtype())));
    if (a.shape() != shape)
        fail(what, std::string(name) + " must have shape " + shape_string(shape) + ", not " +
                       shape_string(a.shape()));
}

// The view a call passes: the CPU kernel's or, on cuda-emu, the CUDA twin's in emulation.
BE::Tensor view(const HostArray& a, Device device) {
    auto& mutable_array = const_cast<HostArray&>(a); // args are only read by the kernels
    return device == Device::cuda_emu ? mutable_array.emu_view() : mutable_array.view();
}

void check_device(const std::string& what, Device device) {
    if (device != Device::cpu && device != Device::cuda_emu)
        fail(what, "device must be cpu or cuda-emu (arrays here are host memory), not " +
                       std::string(device_name(device)));
}

void check_common(const std::string& what, double dt, int64_t steps) {
    if (steps < 0) fail(what, "steps must be >= 0, not " + std::to_string(steps));
    if (!std::isfinite(dt)) fail(what, "dt must be finite");
}

AttrMap attrs(double dt, int64_t steps) {
    return {{"dt", dt}, {"steps", steps}};
}

double uniform(std::mt19937_64& gen) {
    return static_cast<double>(gen() >> 11) * 0x1.0p-53;
}

// The checks of one network's solve (rk4, rk4_vjp): theta0 [N], omega [N], K [N, N]; returns N.
int64_t check_single(const std::string& what, const HostArray& theta0, const HostArray& omega,
                     const HostArray& K, double dt, int64_t steps, Device device) {
    check_common(what, dt, steps);
    check_device(what, device);
    if (theta0.ndim() != 1)
        fail(what, "theta0 must be 1-D (N), not " + shape_string(theta0.shape()));
    const int64_t n = theta0.shape()[0];
    require(what, theta0, "theta0", {n});
    require(what, omega, "omega", {n});
    require(what, K, "K", {n, n});
    return n;
}

} // namespace

int64_t forward_work_size(int64_t members, int64_t n) {
    return members * 5 * n;
}

int64_t vjp_work_size(int64_t n, int64_t steps) {
    return (12 * steps + 20) * n;
}

HostArray rk4(const HostArray& theta0, const HostArray& omega, const HostArray& K, double dt,
              int64_t steps, const Options& options) {
    const std::string what = "rk4";
    const int64_t n = check_single(what, theta0, omega, K, dt, steps, options.device);
    HostArray out = make(what, options.trajectory ? std::vector<int64_t>{steps + 1, n}
                                                  : std::vector<int64_t>{n});
    HostArray work = make(what, {forward_work_size(1, n)});
    const BE::Tensor args[] = {view(theta0, options.device), view(omega, options.device),
                               view(K, options.device)};
    BE::Tensor rets[] = {view(out, options.device), view(work, options.device)};
    call_builtin("kuramoto_rk4_f64", args, rets, attrs(dt, steps));
    return out;
}

Gradients rk4_vjp(const HostArray& theta0, const HostArray& omega, const HostArray& K,
                  const HostArray& gbar, double dt, int64_t steps, Device device) {
    const std::string what = "rk4_vjp";
    const int64_t n = check_single(what, theta0, omega, K, dt, steps, device);
    require(what, gbar, "gbar", {n});
    Gradients g{make(what, {n}), make(what, {n}), make(what, {n, n})};
    HostArray work = make(what, {vjp_work_size(n, steps)});
    const BE::Tensor args[] = {view(theta0, device), view(omega, device), view(K, device),
                               view(gbar, device)};
    BE::Tensor rets[] = {view(g.dtheta0, device), view(g.domega, device), view(g.dK, device),
                         view(work, device)};
    call_builtin("kuramoto_rk4_vjp_f64", args, rets, attrs(dt, steps));
    return g;
}

HostArray ensemble(const HostArray& theta0, const HostArray& omega, const HostArray& K, double dt,
                   int64_t steps, const Options& options) {
    const std::string what = "ensemble";
    check_common(what, dt, steps);
    check_device(what, options.device);
    if (theta0.ndim() != 2)
        fail(what, "theta0 must be 2-D (B x N), not " + shape_string(theta0.shape()));
    const int64_t members = theta0.shape()[0], n = theta0.shape()[1];
    require(what, theta0, "theta0", {members, n});
    require(what, omega, "omega",
            omega.ndim() == 2 ? std::vector<int64_t>{members, n} : std::vector<int64_t>{n});
    require(what, K, "K",
            K.ndim() == 3 ? std::vector<int64_t>{members, n, n} : std::vector<int64_t>{n, n});
    HostArray out = make(what, options.trajectory ? std::vector<int64_t>{members, steps + 1, n}
                                                  : std::vector<int64_t>{members, n});
    if (members == 0) return out; // nothing to launch
    HostArray work = make(what, {forward_work_size(members, n)});
    const BE::Tensor args[] = {view(theta0, options.device), view(omega, options.device),
                               view(K, options.device)};
    BE::Tensor rets[] = {view(out, options.device), view(work, options.device)};
    call_builtin("kuramoto_rk4_ensemble_f64", args, rets, attrs(dt, steps));
    return out;
}

HostArray random_theta0(int64_t n, uint64_t seed) {
    HostArray out = make("random_theta0", {n});
    std::mt19937_64 gen(seed);
    for (int64_t j = 0; j < n; ++j)
        out.data_as<double>()[j] = 2.0 * std::numbers::pi * uniform(gen);
    return out;
}

HostArray random_omega(int64_t n, uint64_t seed, double sigma) {
    HostArray out = make("random_omega", {n});
    std::mt19937_64 gen(seed ^ 0x9E3779B97F4A7C15ull); // a stream apart from theta0's
    for (int64_t j = 0; j < n; ++j) {
        const double u1 = uniform(gen), u2 = uniform(gen);
        const double z =
            std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2.0 * std::numbers::pi * u2);
        out.data_as<double>()[j] = sigma * z;
    }
    return out;
}

HostArray uniform_coupling(int64_t n, double strength) {
    HostArray out = make("uniform_coupling", {n, n});
    const double value = n > 0 ? strength / static_cast<double>(n) : 0.0;
    for (int64_t j = 0; j < n; ++j)
        for (int64_t k = 0; k < n; ++k)
            out.data_as<double>()[j * n + k] = j == k ? 0.0 : value;
    return out;
}

Network default_network(int64_t n, uint64_t seed) {
    return {random_theta0(n, seed), random_omega(n, seed), uniform_coupling(n)};
}

} // namespace be::kuramoto
