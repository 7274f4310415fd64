// bench_call: the cost of one call through the registry, per call, in a loop as a simulator's
// time step makes it (docs/prepared-call.md):
//   - a no-op CPU kernel (two tensors, one int64 attr): Registry::call (name lookup, attr map,
//     validation), Target::call, PreparedCall::invoke, and invoke after a set_attr (a step
//     counter); plus a bare indirect call of an empty function, the floor of any dispatch;
//   - event_matvec on a small CSR (1000 x 1000, p = 0.02, 1 % of the inputs active, bool spikes,
//     float32): be::event_matvec (allocates its output), be::event_matvec_into,
//     EventMatvecPlan::run on HostArrays and on views made once, and the plan's
//     PreparedCall::invoke alone (the kernel's own cost), on 1 and 2 threads.
// ns_per_call: the median over batches of back-to-back calls, divided by the batch size.
// allocations_per_call: operator new calls per call, counted by replacing it in this program
// (tests/support/alloc_counter.h); for the event ops they include the kernel's own.
// Usage: bench_call [--quick] [--json FILE]
#include "alloc_counter.h"
#include "bench_support.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/event_ops.h>
#include <becore/frontends/event_plan.h>
#include <becore/registry/registry.h>

#include <CLI/CLI.hpp>
#include <oneapi/tbb/global_control.h>

#include <cstdio>
#include <functional>
#include <random>

namespace {

using be::DType;
using be::HostArray;

HostArray array(DType dtype, std::vector<int64_t> shape) {
    return HostArray::create(dtype, std::move(shape)).value();
}

struct Measured {
    double ns_per_call;
    double allocations_per_call;
};

// `run` makes one call; timed in batches of `batch` calls (bench_support's ns_per_call).
Measured measure(const std::function<void()>& run, int batch, double budget) {
    for (int i = 0; i < batch; ++i) // warm: first-use work, caches, the branch predictor
        run();
    const uint64_t before = be::test::allocations();
    for (int i = 0; i < batch; ++i)
        run();
    const double allocations = double(be::test::allocations() - before) / batch;
    return {be::bench::ns_per_call(run, batch, budget), allocations};
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"bench_call: per-call cost of Registry::call, PreparedCall::invoke and the "
                 "event-op plans"};
    bool quick = false;
    std::string json_path;
    app.add_flag("--quick", quick, "fewer repetitions (a few seconds)");
    app.add_option("--json", json_path, "Write the records as JSON to this file");
    CLI11_PARSE(app, argc, argv);
    const double budget = quick ? 0.05 : 0.5;
    be::bench::Report report({"op", "format", "n_pre", "active_fraction", "threads", "ns_per_call",
                              "allocations_per_call"});
    auto add = [&](const char* op, const char* format, int64_t n, double fraction, int threads,
                   const Measured& m) {
        report.add({{"op", op},
                    {"format", format},
                    {"n_pre", n},
                    {"n_post", n},
                    {"active_fraction", fraction},
                    {"dtype", "float32"},
                    {"threads", threads},
                    {"ns_per_call", m.ns_per_call},
                    {"seconds", m.ns_per_call * 1e-9},
                    {"allocations_per_call", m.allocations_per_call},
                    {"peak_rss_bytes", be::bench::peak_rss_bytes()}});
    };
    try {
        be::Registry& registry = be::builtin_registry();
        be::PreparedCall prepared = be::bench::prepare_noop(registry);
        auto target = registry.find("bench_support.noop");
        auto x = array(DType::float32, {16}), y = array(DType::float32, {16});
        BE::Tensor args[] = {x.view()}, rets[] = {y.view()};
        const size_t step_attr = prepared.attr_index("step").value();
        const be::AttrMap attrs{{"step", int64_t{0}}};
        const int batch = quick ? 1000 : 10000;
        add("indirect_call_empty", "-", 0, 0, 1,
            measure([&] { be::bench::empty_function(nullptr); }, batch, budget));
        add("registry_call_noop", "-", 0, 0, 1,
            measure([&] { registry.call("bench_support.noop", args, rets, attrs).value(); }, batch,
                    budget));
        add("target_call_noop", "-", 0, 0, 1,
            measure([&] { target->call(args, rets, attrs).value(); }, batch, budget));
        add("prepared_invoke_noop", "-", 0, 0, 1,
            measure([&] { prepared.invoke(args, rets).value(); }, batch, budget));
        int64_t step = 0;
        add("set_attr_invoke_noop", "-", 0, 0, 1,
            measure(
                [&] {
                    prepared.set_attr(step_attr, ++step).value();
                    prepared.invoke(args, rets).value();
                },
                batch, budget));

        // ---- event_matvec on a small CSR -------------------------------------------------------
        const int64_t n = 1000;
        const double p = 0.02, fraction = 0.01;
        std::mt19937_64 rng(42);
        auto dense = array(DType::float32, {n, n});
        std::uniform_real_distribution<double> u(0.0, 1.0);
        for (int64_t e = 0; e < n * n; ++e)
            if (u(rng) < p) dense.data_as<float>()[e] = static_cast<float>(u(rng));
        const be::Csr csr = be::Csr::from_dense(dense);
        const HostArray spikes = be::bench::random_spikes(n, fraction, rng);
        auto out = array(DType::float32, {n});
        const be::EventMatvecPlan plan = be::prepare_event_matvec(csr, DType::bool_);
        BE::Tensor ev_args[] = {csr.indptr().view(), csr.indices().view(), csr.weights().view(),
                                spikes.view()};
        BE::Tensor ev_rets[] = {out.view()};
        const int ev_batch = quick ? 200 : 2000;
        for (int threads : {1, 2}) {
            tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                      static_cast<size_t>(threads));
            add("event_matvec", "csr", n, fraction, threads,
                measure([&] { (void)be::event_matvec(spikes, csr); }, ev_batch, budget));
            add("event_matvec_into", "csr", n, fraction, threads,
                measure([&] { be::event_matvec_into(spikes, csr, out); }, ev_batch, budget));
            add("event_matvec_plan", "csr", n, fraction, threads,
                measure([&] { plan.run(spikes, out); }, ev_batch, budget));
            BE::Tensor spike_view = spikes.view(), out_view = out.view();
            add("event_matvec_plan_view", "csr", n, fraction, threads,
                measure([&] { plan.run(spike_view, out_view); }, ev_batch, budget));
            add("event_matvec_invoke", "csr", n, fraction, threads,
                measure([&] { plan.prepared().invoke(ev_args, ev_rets).value(); }, ev_batch,
                        budget));
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_call: %s\n", e.what());
        return 1;
    }
    if (!report.write(json_path)) {
        std::fprintf(stderr, "bench_call: cannot write %s\n", json_path.c_str());
        return 1;
    }
    return 0;
}
