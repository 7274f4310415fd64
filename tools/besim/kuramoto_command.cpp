// besim kuramoto: integrate a Kuramoto network (or an ensemble) with RK4 and write the inputs,
// the trajectory and, with --grad, the gradient of L = Σ_j cos θ_steps,j as .npy files.
// Draws are the documented host generators of be::kuramoto (frontends/.../kuramoto.h): ω and K
// from SEED, θ0 of member b from SEED + b (a single run is member 0).
#include "besim.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/kuramoto.h>
#include <becore/runtime/npy.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace besim {
namespace {

namespace fs = std::filesystem;
namespace kuramoto = be::kuramoto;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void validate(const KuramotoOptions& o) {
    if (o.n < 1) fail(k_exit_invalid, "kuramoto: --n must be >= 1");
    if (o.steps < 0) fail(k_exit_invalid, "kuramoto: --steps must be >= 0");
    if (!std::isfinite(o.dt) || o.dt <= 0) fail(k_exit_invalid, "kuramoto: --dt must be > 0");
    if (o.ensemble < 0) fail(k_exit_invalid, "kuramoto: --ensemble must be >= 1");
    if (o.grad && o.n > 0 && 12.0 * static_cast<double>(o.steps) * static_cast<double>(o.n) > 1e10)
        fail(k_exit_invalid, "kuramoto: --grad stores 12 x steps x N doubles; too large");
}

// Member b of a B × rest array as its own array (a copy: HostArray owns its memory); b = -1
// copies the whole array (an unbatched run).
be::HostArray member_row(const be::HostArray& all, int64_t b) {
    std::vector<int64_t> shape(all.shape().begin() + (b < 0 ? 0 : 1), all.shape().end());
    auto row = be::HostArray::create(be::DType::float64, shape).value();
    std::memcpy(row.data(), all.data_as<double>() + (b < 0 ? 0 : b) * row.numel(),
                static_cast<size_t>(row.nbytes()));
    return row;
}

// ∂L/∂θ_steps for L = Σ_j cos θ_steps,j: the last row of a trajectory, mapped to −sin.
be::HostArray cotangent(const be::HostArray& trajectory) {
    const int64_t n = trajectory.shape().back();
    auto g = be::HostArray::create(be::DType::float64, {n}).value();
    const double* last = trajectory.data_as<double>() + trajectory.numel() - n;
    for (int64_t j = 0; j < n; ++j)
        g.data_as<double>()[j] = -std::sin(last[j]);
    return g;
}

} // namespace

CLI::App* add_kuramoto_command(CLI::App& app, KuramotoOptions& o) {
    auto* cmd = app.add_subcommand(
        "kuramoto", "RK4 solve of dθ_j/dt = ω_j + Σ_k K_jk sin(θ_k − θ_j); writes theta0.npy, "
                    "omega.npy, K.npy, theta.npy (and dtheta0/domega/dK.npy with --grad)");
    cmd->add_option("--n", o.n, "Number of oscillators")->required();
    cmd->add_option("--steps", o.steps, "RK4 steps")->required();
    cmd->add_option("--dt", o.dt, "Step size")->required();
    cmd->add_option("--seed", o.seed, "Seed: ω ~ N(0, 0.7) from SEED, θ0 ~ U(0, 2π) from SEED + b")
        ->required();
    cmd->add_option("--out", o.out_dir, "Output directory (created if missing)")->required();
    cmd->add_flag("--grad", o.grad,
                  "Also write the gradient of L = Σ_j cos θ_steps,j: dtheta0, domega, dK");
    cmd->add_option("--ensemble", o.ensemble,
                    "B members in one call, member b with θ0 seeded SEED + b; arrays per member "
                    "get a leading B")
        ->check(CLI::PositiveNumber);
    cmd->add_flag("--json", o.as_json, "Print a JSON summary (files, milliseconds) on stdout");
    return cmd;
}

int run_kuramoto(const KuramotoOptions& o) {
    validate(o);
    const auto total_start = Clock::now();
    const int64_t n = o.n, steps = o.steps, members = o.ensemble > 0 ? o.ensemble : 1;
    const bool batched = o.ensemble > 0;
    std::error_code ec;
    fs::create_directories(o.out_dir, ec);
    if (ec || !fs::is_directory(o.out_dir))
        fail(k_exit_invalid, "kuramoto: cannot create --out " + o.out_dir + ": " + ec.message());

    auto omega = kuramoto::random_omega(n, o.seed);
    auto K = kuramoto::uniform_coupling(n);
    auto theta0 =
        be::HostArray::create(be::DType::float64,
                              batched ? std::vector<int64_t>{members, n} : std::vector<int64_t>{n})
            .value();
    for (int64_t b = 0; b < members; ++b) {
        auto row = kuramoto::random_theta0(n, o.seed + static_cast<uint64_t>(b));
        std::memcpy(theta0.data_as<double>() + b * n, row.data(),
                    static_cast<size_t>(row.nbytes()));
    }

    std::cerr << "besim kuramoto: N = " << n << ", " << steps << " steps, dt = " << o.dt
              << (batched ? ", " + std::to_string(members) + " members" : std::string()) << "\n";
    // Loading (a warm cache) or compiling the built-ins is timed apart from the solve.
    auto start = Clock::now();
    be::builtin_registry();
    const double load_ms = ms_since(start);
    start = Clock::now();
    auto theta = batched ? kuramoto::ensemble(theta0, omega, K, o.dt, steps)
                         : kuramoto::rk4(theta0, omega, K, o.dt, steps);
    const double forward_ms = ms_since(start);

    std::vector<std::pair<std::string, const be::HostArray*>> outputs = {
        {"theta0.npy", &theta0}, {"omega.npy", &omega}, {"K.npy", &K}, {"theta.npy", &theta}};
    std::vector<be::HostArray> grads;
    double gradient_ms = 0;
    if (o.grad) {
        std::cerr << "besim kuramoto: gradient of L = sum_j cos(theta_steps,j)\n";
        start = Clock::now();
        const std::vector<int64_t> per_member[] = {{n}, {n}, {n, n}};
        for (const auto& shape : per_member) {
            auto full = shape;
            if (batched) full.insert(full.begin(), members);
            grads.push_back(be::HostArray::create(be::DType::float64, full).value());
        }
        // Members one after another, each the single vjp of its own solve.
        for (int64_t b = 0; b < members; ++b) {
            auto t0 = batched ? member_row(theta0, b) : member_row(theta0, -1);
            auto g = kuramoto::rk4_vjp(
                t0, omega, K, cotangent(batched ? member_row(theta, b) : member_row(theta, -1)),
                o.dt, steps);
            const be::HostArray* parts[] = {&g.dtheta0, &g.domega, &g.dK};
            for (int i = 0; i < 3; ++i)
                std::memcpy(grads[i].data_as<double>() + b * parts[i]->numel(), parts[i]->data(),
                            static_cast<size_t>(parts[i]->nbytes()));
        }
        gradient_ms = ms_since(start);
        outputs.push_back({"dtheta0.npy", &grads[0]});
        outputs.push_back({"domega.npy", &grads[1]});
        outputs.push_back({"dK.npy", &grads[2]});
    }

    nlohmann::json files = nlohmann::json::array();
    for (const auto& [name, array] : outputs) {
        const fs::path path = fs::path(o.out_dir) / name;
        if (auto written = be::write_npy(path, array->view()); !written)
            fail(k_exit_failed, written.error().message);
        files.push_back(path.string());
    }
    const double total_ms = ms_since(total_start);
    std::cerr << "besim kuramoto: forward " << forward_ms << " ms"
              << (o.grad ? ", gradient " + std::to_string(gradient_ms) + " ms" : std::string())
              << "; wrote " << files.size() << " files to " << o.out_dir << "\n";
    if (o.as_json) {
        nlohmann::json summary = {{"command", "kuramoto"},    {"n", n},
                                  {"steps", steps},           {"dt", o.dt},
                                  {"seed", o.seed},           {"members", members},
                                  {"ensemble", batched},      {"grad", o.grad},
                                  {"files", files},           {"load_ms", load_ms},
                                  {"forward_ms", forward_ms}, {"total_ms", total_ms}};
        if (o.grad) summary["gradient_ms"] = gradient_ms;
        std::cout << summary.dump(2) << "\n";
    }
    return 0;
}

} // namespace besim
