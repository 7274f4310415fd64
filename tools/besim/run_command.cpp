// besim run: a simulation of a TOML configuration (Configuration::from_toml_file,
// docs/simulator-config.md) or of a preset, into the Signals files (output_dir.h): always
// spikes_t_ms.npy, spikes_i.npy and metadata.json, and v_m.npy, lfp_proxy.npy, csd_proxy.npy
// when probed, written atomically into a new or empty --out. Prints the rate of every
// population, the wall time of construct and simulate, the real-time factor and the synaptic
// events; --json prints the same as one document on stdout (the text then goes to stderr).
//
// Exit codes: 2 for an invalid invocation or configuration (unknown preset, a TOML error, a
// validation error of construct(), an unusable --out), 1 when the simulation itself fails.
// Progress goes to stderr: a bar redrawn in place on a terminal, a line every 10 % otherwise.
#include "besim.h"
#include "output_dir.h"

#include <becore/cache/kernel_cache.h>
#include <becore/frontends/builtins.h>
#include <becore/frontends/sim_exchange.h>
#include <becore/frontends/simulator.h>
#include <becore/runtime/cpu_backend.h>
#include <becore/runtime/error.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace besim {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string fixed(double value, int digits) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(digits) << value;
    return s.str();
}

// A metadata value as text: strings without their quotes.
std::string show(const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string duration_text(double seconds) {
    if (seconds < 10) return fixed(seconds, 2) + " s";
    if (seconds < 60) return fixed(seconds, 1) + " s";
    const auto whole = static_cast<long long>(seconds + 0.5);
    return std::to_string(whole / 60) + " min " + std::to_string(whole % 60) + " s";
}

// The configuration the command line asks for: a TOML file or a preset, then the overrides.
be::Configuration configuration(const RunOptions& o) {
    if (o.config.empty() == o.preset.empty())
        fail(k_exit_invalid, "run: give a CONFIG.toml or --preset NAME (one of them)");
    be::Configuration c;
    try {
        if (!o.config.empty()) {
            std::error_code ec;
            if (!fs::is_regular_file(o.config, ec))
                fail(k_exit_invalid, "run: " + o.config + ": no such file (or not a regular file)");
            c = be::Configuration::from_toml_file(o.config);
        } else {
            c = be::Configuration::preset(o.preset);
        }
    } catch (const be::Exception& e) {
        fail(k_exit_invalid, "run: " + e.error().message);
    }
    be::RuntimeConfig runtime = c.data().runtime;
    if (o.seed) runtime = runtime.with_seed(*o.seed);
    if (o.threads) {
        if (*o.threads < 0) fail(k_exit_invalid, "run: --threads must be >= 0 (0: all cores)");
        runtime = runtime.with_threads(*o.threads);
    }
    if (!o.device.empty()) {
        auto device = be::parse_device(o.device);
        if (!device)
            fail(k_exit_invalid,
                 "run: --device " + o.device + ": not a device (cpu, cuda-emu, cuda)");
        runtime = runtime.with_device(*device);
    }
    if (!o.dtype.empty()) {
        auto dtype = be::parse_dtype(o.dtype);
        if (!dtype || (*dtype != be::DType::float32 && *dtype != be::DType::float64))
            fail(k_exit_invalid, "run: --dtype " + o.dtype + ": float32 or float64");
        runtime = runtime.with_dtype(*dtype);
    }
    c = c.runtime(runtime);
    if (o.duration_ms) c = c.duration(*o.duration_ms);
    if (!o.probes.empty()) c = c.probes(o.probes);
    return c;
}

// Progress on stderr: on a terminal one line redrawn in place, else a line per 10 %.
class Progress {
  public:
    explicit Progress(bool quiet) : quiet_(quiet), terminal_(::isatty(STDERR_FILENO) == 1) {}

    void operator()(int64_t done, int64_t total) {
        if (quiet_ || total <= 0) return;
        const double elapsed = seconds_since(start_);
        const double fraction = static_cast<double>(done) / static_cast<double>(total);
        const double eta = done > 0 ? elapsed * (1.0 - fraction) / fraction : 0.0;
        const auto percent = static_cast<int>(done * 100 / total);
        if (terminal_) {
            // At most ten redraws a second, and always the last.
            if (done != total && drawn_ && elapsed - last_draw_ < 0.1) return;
            drawn_ = true;
            last_draw_ = elapsed;
            constexpr int width = 30;
            const int filled = static_cast<int>(fraction * width);
            std::string bar(static_cast<size_t>(filled), '#');
            bar.resize(width, '.');
            std::cerr << "\r[" << bar << "] " << std::setw(3) << percent << " %  " << done << "/"
                      << total << " steps  " << duration_text(elapsed) << " elapsed, ETA "
                      << duration_text(eta) << "   " << (done == total ? "\n" : "") << std::flush;
        } else if (percent / 10 > last_decile_ || done == total) {
            last_decile_ = percent / 10;
            std::cerr << "besim run: " << percent << " % (" << done << "/" << total << " steps, "
                      << duration_text(elapsed) << " elapsed, ETA " << duration_text(eta) << ")\n";
        }
    }

  private:
    bool quiet_, terminal_;
    int last_decile_ = 0;
    bool drawn_ = false;
    double last_draw_ = 0;
    Clock::time_point start_ = Clock::now();
};

// Says once, while it happens, that kernels are being compiled (the built-ins on a first run on
// an empty kernel cache, tens of seconds there; or a custom model's). The compiler plugin is loaded
// only on a cache miss, so its being loaded is the cheap sign.
class CompileNotice {
  public:
    explicit CompileNotice(bool quiet) {
        if (quiet || be::compiler_plugin_loaded()) return;
        watcher_ = std::thread([this] {
            std::unique_lock lock(mutex_);
            while (!stop_) {
                if (be::compiler_plugin_loaded()) {
                    std::cerr << "besim run: compiling kernels the cache lacks (on an empty cache "
                                 "the built-ins: tens of seconds; later runs start warm)\n";
                    return;
                }
                wake_.wait_for(lock, std::chrono::milliseconds(200));
            }
        });
    }
    ~CompileNotice() { stop(); }
    void stop() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        if (watcher_.joinable()) watcher_.join();
    }

  private:
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread watcher_;
};

} // namespace

CLI::App* add_run_command(CLI::App& app, RunOptions& o) {
    auto* cmd = app.add_subcommand(
        "run", "Simulate a network given as a TOML configuration (docs/simulator-config.md) or a "
               "preset; writes spikes_t_ms.npy, spikes_i.npy, metadata.json (and v_m.npy, "
               "lfp_proxy.npy, csd_proxy.npy when probed) and prints the rates. The first run on "
               "an empty kernel cache compiles the built-in kernels (tens of seconds)");
    cmd->add_option("config", o.config, "The configuration: a TOML file");
    cmd->add_option("--preset", o.preset,
                    "Instead of a file, a preset: coba-auryn, coba, cuba, brunel2000, "
                    "izhikevich2003");
    cmd->add_option("--duration-ms", o.duration_ms,
                    "Biological time in ms (a whole number of steps); overrides the config");
    cmd->add_option("--seed", o.seed, "Seed of every random draw; overrides the config");
    cmd->add_option("--threads", o.threads, "Worker threads (0: all cores); overrides the config");
    cmd->add_option("--device", o.device, "cpu, cuda-emu or cuda; overrides the config");
    cmd->add_option("--dtype", o.dtype, "float32 or float64; overrides the config");
    cmd->add_option("--probe", o.probes,
                    "Probes instead of the config's: SPK, Vm, LFP-proxy, CSD-proxy (repeatable)");
    cmd->add_option("--out", o.out_dir, "Output directory: new or empty, unless --force")
        ->required();
    cmd->add_flag("--force", o.force, "Replace a non-empty --out");
    cmd->add_flag("--json", o.as_json,
                  "Print one JSON document on stdout (files, rates, wall times, rtf, "
                  "synaptic_events, neurons, synapses, steps); the text goes to stderr");
    cmd->add_flag("--quiet", o.quiet, "No progress");
    return cmd;
}

bool launched_by_mpi() {
    for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"})
        if (std::getenv(name)) return true;
    return false;
}

#if !defined(BECORE_HAVE_MPI)
std::unique_ptr<be::SpikeExchange> world_exchange() {
    fail(k_exit_invalid, "run: started by an MPI launcher, but this besim was built without MPI "
                         "(BECORE_MPI=OFF); every rank would run the whole network");
}
#endif

namespace {

// Ends the run on every rank with the failure of the lowest failing rank, printed by rank 0
// only, so that no rank waits in a collective for one that has given up. The failure travels as
// an error whose code gives the exit code.
void agree(be::SpikeExchange& exchange, const std::optional<Failure>& mine) {
    if (exchange.size() == 1) {
        if (mine) throw *mine;
        return;
    }
    std::optional<be::Error> error;
    if (mine)
        error = be::make_error(mine->exit_code == k_exit_invalid ? be::ErrorCode::invalid_argument
                                                                 : be::ErrorCode::io,
                               mine->message);
    const auto first = be::first_error(exchange, error ? &*error : nullptr);
    if (!first) return;
    throw Failure{first->code() == be::ErrorCode::invalid_argument ? k_exit_invalid : k_exit_failed,
                  first->message, exchange.rank() != 0};
}

} // namespace

int run_run(const RunOptions& o) {
    const std::unique_ptr<be::SpikeExchange> exchange =
        launched_by_mpi() ? world_exchange() : be::local_exchange();
    const bool lead = exchange->rank() == 0; // writes and prints
    // The ranks load the same kernels from one cache: rank 0 alone writes the statistics.
    if (!lead) be::builtin_registry().cache().set_follower(true);
    be::Configuration config;
    {
        std::optional<Failure> failure;
        try {
            config = configuration(o);
            if (lead) check_output_dir(o.out_dir, o.force); // before any long work
        } catch (const Failure& f) {
            failure = f;
        }
        agree(*exchange, failure);
    }
    std::ostream& text = o.as_json ? std::cerr : std::cout;
    const bool quiet = o.quiet || !lead;

    const bool compiler_was_loaded = be::compiler_plugin_loaded();
    CompileNotice notice(quiet);
    const auto construct_start = Clock::now();
    std::optional<be::Model> model;
    try {
        model = be::construct(config, *exchange);
    } catch (const be::Exception& e) {
        // A field that fails validation is invalid input; anything else (a built-in kernel that
        // does not load) is a failure of the work.
        throw Failure{e.error().code() == be::ErrorCode::invalid_argument ? k_exit_invalid
                                                                          : k_exit_failed,
                      "run: " + e.error().full(), !lead};
    }
    const double construct_s = seconds_since(construct_start);

    Progress progress(quiet);
    be::SimulateOptions options;
    options.progress = [&](int64_t done, int64_t total) { progress(done, total); };
    const auto simulate_start = Clock::now();
    be::Signals signals;
    try {
        signals = be::simulate(*model, options, *exchange);
    } catch (const be::Exception& e) {
        throw Failure{k_exit_failed, "run: simulate: " + e.error().full(), !lead};
    }
    const double simulate_s = seconds_since(simulate_start);
    notice.stop();
    if (!lead) return 0; // every rank holds the same Signals; rank 0 writes them
    // This run compiled kernels (a cache miss loads the compiler): its wall times include that.
    const bool compiled = !compiler_was_loaded && be::compiler_plugin_loaded();

    nlohmann::json& meta = signals.metadata;
    meta["besim"] = {{"source", o.config.empty() ? nlohmann::json{{"preset", o.preset}}
                                                 : nlohmann::json{{"config", o.config}}},
                     {"construct_wall_s", construct_s},
                     {"simulate_wall_s", simulate_s}};
    std::vector<std::string> names;
    write_outputs_atomically(o.out_dir, o.force, [&](const fs::path& staging) {
        names = write_signals(staging, signals);
    });

    const double bio_s = meta.value("duration_ms", 0.0) * 1e-3;
    const double events = meta.value("synaptic_events", 0.0);
    const double rtf = bio_s > 0 ? simulate_s / bio_s : 0.0;
    const auto& data = config.data();
    const std::string what = o.config.empty() ? "preset " + o.preset : o.config;
    text << "besim run: " << what << ": " << show(meta["neurons"]) << " neurons, "
         << show(meta["synapses"]) << " synapses, " << show(meta["steps"]) << " steps of "
         << show(meta["dt_ms"]) << " ms (" << show(meta["duration_ms"]) << " ms), seed "
         << show(meta["seed"]) << ", " << show(meta["device"]) << ", "
         << be::dtype_name(data.runtime.dtype) << ", " << show(meta["threads"]) << " threads"
         << (exchange->size() > 1 ? " per rank, " + std::to_string(exchange->size()) + " ranks"
                                  : "")
         << "\n";
    nlohmann::json populations = nlohmann::json::array();
    for (const auto& pop : meta["populations"]) {
        const std::string name = pop["name"];
        const double rate = meta["rates_hz"].value(name, 0.0);
        populations.push_back(
            {{"name", name}, {"first", pop["first"]}, {"count", pop["count"]}, {"rate_hz", rate}});
        text << "  rate " << std::left << std::setw(8) << name << std::right << std::setw(8)
             << fixed(rate, 2) << " Hz  (" << show(pop["count"]) << " neurons)\n";
    }
    text << "  construct   " << fixed(construct_s, 3) << " s wall"
         << (compiled ? " (including compiling the kernels the cache lacked)" : "") << "\n"
         << "  simulate    " << fixed(simulate_s, 3) << " s wall, real-time factor "
         << fixed(rtf, 3) << " (wall / biological time)\n"
         << "  synaptic events " << std::setprecision(4) << events << " ("
         << (simulate_s > 0 ? events / simulate_s : 0.0) << " per wall second, "
         << (bio_s > 0 ? events / bio_s : 0.0) << " per biological second)\n"
         << "  wrote " << names.size() << " files to " << o.out_dir << ":";
    for (const auto& name : names)
        text << " " << name;
    text << "\n";

    if (o.as_json) {
        nlohmann::json files = nlohmann::json::array();
        for (const auto& name : names)
            files.push_back((fs::path(o.out_dir) / name).string());
        nlohmann::json summary = {
            {"command", "run"},
            {"source", meta["besim"]["source"]},
            {"out", o.out_dir},
            {"files", files},
            {"populations", populations},
            {"rates_hz", meta["rates_hz"]},
            {"wall_s", {{"construct", construct_s}, {"simulate", simulate_s}}},
            {"compiled_kernels", compiled},
            {"real_time_factor", rtf},
            {"synaptic_events", events},
            {"synaptic_events_per_s", simulate_s > 0 ? events / simulate_s : 0.0},
            {"neurons", meta["neurons"]},
            {"synapses", meta["synapses"]},
            {"steps", meta["steps"]},
            {"dt_ms", meta["dt_ms"]},
            {"duration_ms", meta["duration_ms"]},
            {"seed", meta["seed"]},
            {"spikes", meta["spikes"]},
            {"device", meta["device"]},
            {"dtype", std::string(be::dtype_name(data.runtime.dtype))},
            {"threads", meta["threads"]},
            {"ranks", exchange->size()}};
        std::cout << summary.dump(2) << "\n";
    }
    return 0;
}

} // namespace besim
