// besim: run becore simulations from the command line. A thin CLI over the frontends; exit
// codes: 0 success, 1 the work failed (kernel error, output not written), 2 the invocation or
// its input is invalid. Progress goes to stderr; --json prints one summary document on stdout.
#include "besim.h"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{"besim: run becore simulations"};
    app.require_subcommand(1);
    besim::RunOptions run;
    auto* run_command = besim::add_run_command(app, run);
    besim::KuramotoOptions kuramoto;
    auto* kuramoto_command = besim::add_kuramoto_command(app, kuramoto);
    besim::TraceOptions trace;
    auto* trace_command = besim::add_trace_command(app, trace);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? 0 : besim::k_exit_invalid;
    }
    try {
        if (*run_command) return besim::run_run(run);
        if (*kuramoto_command) return besim::run_kuramoto(kuramoto);
        if (*trace_command) return besim::run_trace(trace);
    } catch (const besim::Failure& f) {
        if (f.silent) return 0;
        std::cerr << "besim: " << f.message << "\n";
        return f.exit_code;
    } catch (const std::exception& e) {
        std::cerr << "besim: " << e.what() << "\n";
        return besim::k_exit_failed;
    }
    return besim::k_exit_invalid;
}
