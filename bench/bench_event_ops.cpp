// bench_event_ops: the event-driven operators through the frontends API (be::event_matvec, ...;
// output allocation included, the built-ins' load excluded), random connectivity with
// connection probability p, float32 weights per synapse (float64 too without --quick):
//   - N = 10k: dense and CSR, N = 100k: CSR only (a dense 100k² matrix does not fit);
//   - csr event_matvec spikes @ M (the scatter), M @ spikes (transpose: the gather, O(nnz)),
//     fixed_post (k = pN, homogeneous weight),
//     dense event_matvec and the dense float matvec (the "event vs dense" baseline);
//   - 1 % and 10 % of the inputs active (bool spikes), 1 and 2 worker threads (a
//     tbb::global_control inside this process: BECORE_THREADS is read once per process).
// events = the stored connections whose input is active (for dense: active rows x N, the matrix
// entries the event kernel reads; for the float matvec: all N²). Times are medians.
// Usage: bench_event_ops [--quick] [--json FILE]
#include "bench_support.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/event_ops.h>

#include <CLI/CLI.hpp>
#include <oneapi/tbb/global_control.h>

#include <cstdio>
#include <functional>
#include <optional>
#include <random>

namespace {

using be::DType;
using be::HostArray;

HostArray array(DType dtype, std::vector<int64_t> shape) {
    return HostArray::create(dtype, std::move(shape)).value();
}

// A Bernoulli(p) CSR [n, n] built straight into its arrays (geometric skips, rows sorted).
be::Csr random_csr(int64_t n, double p, DType dtype, std::mt19937_64& rng) {
    std::geometric_distribution<int64_t> skip(p);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<int64_t> ptr(n + 1, 0);
    std::vector<int32_t> cols;
    cols.reserve(static_cast<size_t>(n * n * p * 1.01));
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = skip(rng); j < n; j += 1 + skip(rng))
            cols.push_back(static_cast<int32_t>(j));
        ptr[i + 1] = static_cast<int64_t>(cols.size());
    }
    const int64_t nnz = ptr[n];
    auto indptr = array(DType::int64, {n + 1});
    std::copy(ptr.begin(), ptr.end(), indptr.data_as<int64_t>());
    auto indices = array(DType::int32, {nnz});
    std::copy(cols.begin(), cols.end(), indices.data_as<int32_t>());
    auto w = array(dtype, {nnz});
    for (int64_t e = 0; e < nnz; ++e)
        dtype == DType::float32 ? void(w.data_as<float>()[e] = static_cast<float>(u(rng)))
                                : void(w.data_as<double>()[e] = u(rng));
    return be::Csr(n, n, std::move(indptr), std::move(indices), std::move(w));
}

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"bench_event_ops: event-driven matvec on dense, CSR and fixed-number formats"};
    bool quick = false;
    std::string json_path;
    app.add_flag("--quick", quick, "float32 only, fewer repetitions (under a minute)");
    app.add_option("--json", json_path, "Write the records as JSON to this file");
    CLI11_PARSE(app, argc, argv);
    try {
        be::builtin_registry(); // load (or compile) the built-ins before timing anything
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_event_ops: %s\n", e.what());
        return 1;
    }
    const double p = 0.01, budget = quick ? 0.1 : 0.5;
    be::bench::Report report({"op", "format", "transpose", "n_pre", "active_fraction", "dtype",
                              "threads", "seconds", "events_per_s"});
    std::mt19937_64 rng(42);
    std::vector<DType> dtypes{DType::float32};
    if (!quick) dtypes.push_back(DType::float64);
    for (DType dtype : dtypes)
        for (int64_t n : {int64_t{10000}, int64_t{100000}}) {
            const be::Csr csr = random_csr(n, p, dtype, rng);
            const int64_t* ptr = csr.indptr().data_as<int64_t>();
            const int64_t k = csr.nnz() / n; // fixed_post with the same mean fan-out
            std::optional<be::FixedPostNum> fixed;
            {
                auto idx = array(DType::int32, {n, k});
                std::uniform_int_distribution<int32_t> col(0, static_cast<int32_t>(n - 1));
                for (int64_t e = 0; e < n * k; ++e)
                    idx.data_as<int32_t>()[e] = col(rng);
                auto w = array(dtype, {1});
                dtype == DType::float32 ? void(w.data_as<float>()[0] = 0.5f)
                                        : void(w.data_as<double>()[0] = 0.5);
                fixed.emplace(n, n, std::move(idx), std::move(w));
            }
            std::optional<be::Dense> dense;
            if (n <= 10000) dense.emplace(be::todense(csr));
            for (double fraction : {0.01, 0.1}) {
                const HostArray s = be::bench::random_spikes(n, fraction, rng);
                auto x = array(dtype, {n});
                for (int64_t i = 0; i < n; ++i)
                    dtype == DType::float32 ? void(x.data_as<float>()[i] = s.data_as<bool>()[i])
                                            : void(x.data_as<double>()[i] = s.data_as<bool>()[i]);
                int64_t active = 0, scatter_events = 0, gather_events = 0;
                for (int64_t i = 0; i < n; ++i)
                    if (s.data_as<bool>()[i]) {
                        ++active;
                        scatter_events += ptr[i + 1] - ptr[i];
                    }
                for (int64_t e = 0; e < csr.nnz(); ++e)
                    gather_events += s.data_as<bool>()[csr.indices().data_as<int32_t>()[e]];
                struct Case {
                    const char* op;
                    const char* format;
                    bool transpose;
                    int64_t events;
                    std::function<void()> run;
                };
                std::vector<Case> cases{
                    {"event_matvec", "csr", false, scatter_events,
                     [&] { be::event_matvec(s, csr); }},
                    {"event_matvec", "csr", true, gather_events,
                     [&] { be::event_matvec(s, csr, true); }},
                    {"event_matvec", "fixed_post", false, active * k,
                     [&] { be::event_matvec(s, *fixed); }},
                };
                if (dense) {
                    cases.push_back({"event_matvec", "dense", false, active * n,
                                     [&] { be::event_matvec(s, *dense); }});
                    cases.push_back(
                        {"matvec", "dense", false, n * n, [&] { be::matvec(x, *dense); }});
                }
                for (int threads : {1, 2}) {
                    tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                              static_cast<size_t>(threads));
                    for (const auto& c : cases) {
                        const double t = be::bench::median_seconds(budget, quick ? 20 : 200, c.run);
                        report.add({{"op", c.op},
                                    {"format", c.format},
                                    {"transpose", c.transpose},
                                    {"n_pre", n},
                                    {"n_post", n},
                                    {"p", p},
                                    {"active_fraction", fraction},
                                    {"dtype", std::string(be::dtype_name(dtype))},
                                    {"threads", threads},
                                    {"seconds", t},
                                    {"events", c.events},
                                    {"events_per_s", static_cast<double>(c.events) / t},
                                    {"peak_rss_bytes", be::bench::peak_rss_bytes()}});
                    }
                }
            }
        }
    if (!report.write(json_path)) {
        std::fprintf(stderr, "bench_event_ops: cannot write %s\n", json_path.c_str());
        return 1;
    }
    return 0;
}
