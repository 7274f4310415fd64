// Shared by besim's command files: exit codes (docs/architecture.md) and the error that carries
// one.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace be {
class SpikeExchange;
}

namespace besim {

constexpr int k_exit_failed = 1;  // the work failed: a kernel error, a file that cannot be written
constexpr int k_exit_invalid = 2; // the invocation or its input is invalid

// Thrown by a command; main() prints the message and exits with the code. `silent`: a rank of an
// MPI run other than 0, whose rank 0 reports the same failure (the ranks agree on it first):
// that rank prints nothing and exits 0, because mpirun ends the whole job as soon as one process
// exits non-zero, and so could kill rank 0 before its message is out. The job's exit code is
// rank 0's.
struct Failure {
    int exit_code;
    std::string message;
    bool silent = false;
};

// Ends the command with `code` (k_exit_failed or k_exit_invalid) and `message`.
[[noreturn]] inline void fail(int code, std::string message) {
    throw Failure{code, std::move(message)};
}

// `besim kuramoto` (kuramoto_command.cpp): add_kuramoto_command registers it on the app and
// returns the function that runs it once the command line is parsed.
struct KuramotoOptions {
    long long n = 0, steps = 0, ensemble = 0;
    double dt = 0;
    unsigned long long seed = 0;
    std::string out_dir;
    bool grad = false, as_json = false;
};
CLI::App* add_kuramoto_command(CLI::App& app, KuramotoOptions& options);
int run_kuramoto(const KuramotoOptions& options);

// `besim trace` (trace_command.cpp): a voltage trace through the trace bridge into Signals files.
struct TraceOptions {
    std::string file, layout, out_dir;
    double dt_ms = 0, threshold_mv = 0, sigma = 0.1, t0_ms = 0;
    long long contacts = 16, layers = 1;
    unsigned long long seed = 0;
    bool force = false, as_json = false;
};
CLI::App* add_trace_command(CLI::App& app, TraceOptions& options);
int run_trace(const TraceOptions& options);

// `besim run` (run_command.cpp): a simulation of a TOML configuration or a preset into the
// Signals files, with a progress bar and a summary (rates, wall times, real-time factor).
struct RunOptions {
    std::string config, preset, out_dir, device, dtype;
    std::vector<std::string> probes;
    std::optional<double> duration_ms;
    std::optional<unsigned long long> seed;
    std::optional<int> threads;
    bool force = false, as_json = false, quiet = false;
};
CLI::App* add_run_command(CLI::App& app, RunOptions& options);
int run_run(const RunOptions& options);

// Whether this process was started by an MPI launcher (mpirun / mpiexec / srun: Open MPI's,
// PMI's or PMIx's rank variable is set).
bool launched_by_mpi();
// mpi_run.cpp (BECORE_MPI): MPI initialised (finalised when the exchange is destroyed) and the
// exchange over MPI_COMM_WORLD.
std::unique_ptr<be::SpikeExchange> world_exchange();

} // namespace besim
