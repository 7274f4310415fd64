// The CUDA emulation (device cuda-emu) through the registry: every shipped `.cu` target runs in
// emulation and matches its `.cpp` twin; the launch clause gives the geometry; the emulation is
// compiled on first use and cached under its own backend; errors come back from the call naming
// the kernel, block and thread; BE::cuda_launch on cuda-emu tensors runs the emulation.
#include "test_support.h"

#include <becore/cache/kernel_cache.h>
#include <becore/registry/annotation.h>
#include <becore/registry/cache_inputs.h>
#include <becore/registry/registry.h>
#include <becore/runtime/array.h>
#include <becore/runtime/cpu_backend.h>
#include <becore/runtime/cuda_emu.h>
#include <becore/runtime/paths.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <set>

namespace be {
namespace {

const std::filesystem::path k_examples = BECORE_EXAMPLES_DIR;

bool has(const std::vector<Device>& devices, Device device) {
    return std::find(devices.begin(), devices.end(), device) != devices.end();
}

void expect_error(const Result<void>& r, const std::string& fragment) {
    ASSERT_FALSE(r.ok()) << "expected an error containing: " << fragment;
    EXPECT_NE(r.error().full().find(fragment), std::string::npos) << r.error().full();
}

size_t entries_of(const KernelCache& cache, const std::string& backend) {
    size_t n = 0;
    for (const auto& e : cache.list())
        n += e.backend == backend;
    return n;
}

// ---- Every shipped .cu target against its .cpp twin --------------------------------------------

struct TensorSpec {
    DType dtype;
    std::vector<int64_t> shape;
};
struct TwinCall {
    std::vector<TensorSpec> args, rets;
    AttrMap attrs;
};
struct TwinCase {
    std::vector<TwinCall> calls;
    double tolerance = 0; // 0: bitwise equal; else the largest absolute difference allowed
    const char* why = ""; // the reason for a tolerance
    // Optional: rewrites the pseudo-random inputs where a kernel needs structure (CSR indices,
    // sorted values, ...); args then rets, in order. Applied alike to both devices' arrays.
    std::function<void(std::vector<HostArray>& arrays, size_t call)> fill;
};

// The neuron integrators (kernels/builtin/{izhikevich,lif_cuba,lif_coba}.cu): one step on 7 and
// 300 neurons (two blocks, the second partly idle) from the pseudo-random state, with parameters
// that make some neurons spike and some not; the shared neuron_rules.h makes them bitwise equal.
// tests/frontends/test_neurons_twins.cpp compares 100 steps with random inputs as well.
void add_neuron_twin_cases(std::map<std::string, TwinCase>& cases) {
    const AttrMap lif{{"dt", 0.1},       {"tau_m", 20.0}, {"tau_e", 5.0}, {"tau_i", 10.0},
                      {"v_reset", -1.0}, {"v_th", 0.5},   {"t_ref", 2.0}};
    for (DType t : {DType::float32, DType::float64}) {
        const std::string sfx = t == DType::float32 ? "_f32" : "_f64";
        TwinCase izhikevich, cuba, coba;
        for (int64_t n : {int64_t{7}, int64_t{300}}) {
            const TensorSpec x{t, {n}};
            // dt = 0.1: v stays below 30; dt = 1: v leaves [-2, 2) for > 30 in one half step.
            for (double dt : {0.1, 1.0})
                izhikevich.calls.push_back(
                    {{x, x, x, x, x, x}, {x, x, {DType::bool_, {n}}}, {{"dt", dt}}});
            AttrMap a = lif;
            a.insert({{"v_rest", 0.0}, {"i_ext", 0.3}});
            cuba.calls.push_back({{x, x}, {x, x, x, {DType::int32, {n}}, {DType::bool_, {n}}}, a});
            a = lif;
            a.insert({{"e_rest", 0.0}, {"e_exc", 10.0}, {"e_inh", -5.0}, {"i_bg", 0.3}});
            coba.calls.push_back({{x, x}, {x, x, x, {DType::int32, {n}}, {DType::bool_, {n}}}, a});
        }
        cases["be.izhikevich_step" + sfx] = std::move(izhikevich);
        cases["be.lif_cuba_step" + sfx] = std::move(cuba);
        cases["be.lif_coba_step" + sfx] = std::move(coba);
    }
}

// The simulator's input generators (kernels/builtin/sim_input.cu): 300 neurons (two blocks),
// slices starting at neuron 1000, at step 12; the rets start from the pseudo-random values, so
// the twins add onto a non-zero input as the simulator does; sim_input_rule.h makes them equal.
void add_sim_input_twin_cases(std::map<std::string, TwinCase>& cases) {
    const double lambda = 2.5;
    for (DType t : {DType::float32, DType::float64}) {
        const std::string sfx = t == DType::float32 ? "_f32" : "_f64";
        TwinCase poisson, noise;
        const TensorSpec step{DType::int64, {1}}, out{t, {300}};
        poisson.calls.push_back({{step},
                                 {out},
                                 {{"seed", int64_t{7}},
                                  {"stream", int64_t{64}},
                                  {"first", int64_t{1000}},
                                  {"lambda", lambda},
                                  {"exp_minus_lambda", std::exp(-lambda)},
                                  {"weight", 0.25}}});
        noise.calls.push_back({{step},
                               {out},
                               {{"seed", int64_t{7}},
                                {"stream", int64_t{65}},
                                {"first", int64_t{1000}},
                                {"mean", 1.0},
                                {"stddev", 2.0}}});
        const auto set_step = [](std::vector<HostArray>& arrays, size_t) {
            arrays[0].data_as<int64_t>()[0] = 12;
        };
        poisson.fill = noise.fill = set_step;
        cases["be.poisson_input" + sfx] = std::move(poisson);
        cases["be.normal_input" + sfx] = std::move(noise);
    }
}

// The event-driven built-ins (kernels/builtin/{dense,csr,fixed_num,stdp}.cu): generated, one case
// per target, on a 19 x 45 matrix (partial words of bit-packed spikes), both transposes, vector
// and batch inputs, per-synapse and homogeneous weights; `fill` writes a valid sparse structure
// (in-range, ascending column indices). tests/frontends/test_event_cuda.cpp compares them on
// random connectivity as well.
void add_event_twin_cases(std::map<std::string, TwinCase>& cases) {
    const int64_t rows = 19, cols = 45, k = 5;
    std::vector<int64_t> ptr{0};
    std::vector<int32_t> idx;
    for (int64_t i = 0; i < rows; ++i) {
        for (int32_t j = 0; j < cols; ++j)
            if ((i * 7 + j * 3) % 4 == 0) idx.push_back(j);
        ptr.push_back(static_cast<int64_t>(idx.size()));
    }
    const int64_t nnz = static_cast<int64_t>(idx.size());
    auto fill_csr = [ptr, idx](std::vector<HostArray>& a, size_t) {
        std::copy(ptr.begin(), ptr.end(), a[0].data_as<int64_t>());
        std::copy(idx.begin(), idx.end(), a[1].data_as<int32_t>());
    };
    auto fill_fixed = [](std::vector<HostArray>& a, size_t) {
        const int64_t n = a[0].shape()[0], kk = a[0].shape()[1], step = cols / kk;
        for (int64_t i = 0; i < n; ++i)
            for (int64_t q = 0; q < kk; ++q)
                a[0].data_as<int32_t>()[i * kk + q] = static_cast<int32_t>(q * step + i % step);
    };
    const std::pair<const char*, DType> encodings[] = {{"bool", DType::bool_},
                                                       {"float", DType::float32},
                                                       {"bits", DType::uint32},
                                                       {"", DType::float32}};
    for (DType t : {DType::float32, DType::float64}) {
        const std::string sfx = t == DType::float32 ? "_f32" : "_f64";
        for (const auto& [enc, enc_dtype] : encodings)
            for (int rank : {1, 2}) {
                const std::string op = std::string(*enc ? "event_" : "") +
                                       (rank == 1 ? "matvec" : "matmat") +
                                       (*enc ? "_" + std::string(enc) : "");
                const DType sd = enc_dtype == DType::float32 ? t : enc_dtype;
                auto spec = [&](int64_t n) {
                    const int64_t len = sd == DType::uint32 ? (n + 31) / 32 : n;
                    return rank == 1 ? TensorSpec{sd, {len}} : TensorSpec{sd, {3, len}};
                };
                auto out = [&](int64_t n) {
                    return rank == 1 ? TensorSpec{t, {n}} : TensorSpec{t, {3, n}};
                };
                TwinCase dense, csr, fixed;
                for (bool tr : {false, true}) {
                    const int64_t n_in = tr ? cols : rows, n_out = tr ? rows : cols;
                    dense.calls.push_back(
                        {{{t, {rows, cols}}, spec(n_in)}, {out(n_out)}, {{"transpose", tr}}});
                    const AttrMap attrs{{"transpose", tr}, {"cols", cols}};
                    for (int64_t w : {nnz, int64_t{1}})
                        csr.calls.push_back({{{DType::int64, {rows + 1}},
                                              {DType::int32, {nnz}},
                                              {t, {w}},
                                              spec(n_in)},
                                             {out(n_out)},
                                             attrs});
                    for (std::vector<int64_t> w :
                         {std::vector<int64_t>{rows, k}, std::vector<int64_t>{1}})
                        fixed.calls.push_back(
                            {{{DType::int32, {rows, k}}, {t, w}, spec(n_in)}, {out(n_out)}, attrs});
                }
                csr.fill = fill_csr;
                fixed.fill = fill_fixed;
                cases.emplace("be.dense_" + op + sfx, std::move(dense));
                cases.emplace("be.csr_" + op + sfx, std::move(csr));
                cases.emplace("be.fixed_" + op + sfx, std::move(fixed));
            }
        TwinCase dense, csr, fixed, stdp;
        for (bool tr : {false, true}) {
            const TensorSpec out{t, tr ? std::vector<int64_t>{cols, rows}
                                       : std::vector<int64_t>{rows, cols}};
            const AttrMap attrs{{"transpose", tr}, {"cols", cols}};
            dense.calls.push_back({{{t, {rows, cols}}}, {out}, {{"transpose", tr}}});
            csr.calls.push_back(
                {{{DType::int64, {rows + 1}}, {DType::int32, {nnz}}, {t, {nnz}}}, {out}, attrs});
            fixed.calls.push_back({{{DType::int32, {rows, k}}, {t, {1}}}, {out}, attrs});
        }
        csr.fill = fill_csr;
        fixed.fill = fill_fixed;
        cases.emplace("be.dense_todense" + sfx, std::move(dense));
        cases.emplace("be.csr_todense" + sfx, std::move(csr));
        cases.emplace("be.fixed_todense" + sfx, std::move(fixed));
        for (const auto& [enc, enc_dtype] : encodings) {
            if (!*enc) continue;
            const DType sd = enc_dtype == DType::float32 ? t : enc_dtype;
            auto len = [&](int64_t n) { return sd == DType::uint32 ? (n + 31) / 32 : n; };
            TwinCase c;
            c.calls.push_back({{{DType::int64, {rows + 1}},
                                {DType::int32, {nnz}},
                                {sd, {len(rows)}},
                                {sd, {len(cols)}},
                                {t, {rows}},
                                {t, {cols}}},
                               {{t, {nnz}}},
                               {{"a_plus", 0.3},
                                {"a_minus", 0.4},
                                {"w_min", -1.0},
                                {"w_max", 1.5},
                                {"cols", cols}}});
            c.fill = fill_csr;
            cases.emplace("be.csr_stdp_" + std::string(enc) + sfx, std::move(c));
        }
    }
}

// JITC (kernels/builtin/jitc.{cpp,cu}): every target on R(seed, 19 x 45) (partial words of
// bit-packed spikes; the scatter's threads see several rows), both transposes for the products
// (vector and batch of 3), a second call at p = 1 (every skip 0) and another seed. Bitwise: both
// twins generate the rows with be/jitc.h, count for scalar event products (scaled_count) and
// otherwise sum each output in ascending input order.
void add_jitc_twin_cases(std::map<std::string, TwinCase>& cases) {
    const int64_t rows = 19, cols = 45, batch = 3;
    const std::pair<const char*, std::pair<double, double>> kinds[] = {
        {"scalar", {0.75, 0.0}}, {"normal", {0.2, 1.5}}, {"uniform", {-0.5, 2.0}}};
    const std::pair<const char*, DType> encodings[] = {
        {"event_matvec_bool", DType::bool_},  {"event_matvec_float", DType::float32},
        {"event_matvec_bits", DType::uint32}, {"matvec", DType::float32},
        {"event_matmat_bool", DType::bool_},  {"event_matmat_float", DType::float32},
        {"event_matmat_bits", DType::uint32}, {"matmat", DType::float32}};
    for (DType t : {DType::float32, DType::float64}) {
        const std::string sfx = t == DType::float32 ? "_f32" : "_f64";
        for (const auto& [kind, w] : kinds) {
            auto attrs = [&, w = w](double p, int64_t seed) {
                return AttrMap{{"seed", seed}, {"rows", rows},  {"cols", cols},
                               {"p", p},       {"w0", w.first}, {"w1", w.second}};
            };
            const std::string base = "be.jitc_" + std::string(kind) + "_";
            for (const auto& [op, enc_dtype] : encodings) {
                const DType sd = enc_dtype == DType::float32 ? t : enc_dtype;
                const bool batched = std::string(op).find("matmat") != std::string::npos;
                auto shape = [&](int64_t n) {
                    const int64_t len = sd == DType::uint32 ? (n + 31) / 32 : n;
                    return batched ? std::vector<int64_t>{batch, len} : std::vector<int64_t>{len};
                };
                auto out_shape = [&](int64_t n) {
                    return batched ? std::vector<int64_t>{batch, n} : std::vector<int64_t>{n};
                };
                TwinCase c;
                for (bool transpose : {false, true})
                    for (double p : {0.3, 1.0}) {
                        AttrMap a = attrs(p, transpose ? 5 : 9);
                        a.emplace("transpose", transpose);
                        c.calls.push_back({{{sd, shape(transpose ? cols : rows)}},
                                           {{t, out_shape(transpose ? rows : cols)}},
                                           a});
                    }
                cases.emplace(base + op + sfx, std::move(c));
            }
            TwinCase dense, row;
            for (bool transpose : {false, true}) {
                AttrMap a = attrs(0.3, 3);
                a.emplace("transpose", transpose);
                dense.calls.push_back({{},
                                       {{t, transpose ? std::vector<int64_t>{cols, rows}
                                                      : std::vector<int64_t>{rows, cols}}},
                                       a});
            }
            for (int64_t r : {int64_t{0}, int64_t{7}, rows - 1}) {
                AttrMap a = attrs(0.3, 3);
                a.emplace("row", r);
                row.calls.push_back({{}, {{t, {cols}}}, a});
            }
            cases.emplace(base + "todense" + sfx, std::move(dense));
            cases.emplace(base + "row" + sfx, std::move(row));
            // The simulator's delivery window, on rows of two tiles (p = 0.5: 512 columns).
            TwinCase deliver;
            for (const auto& [col0, col1] : {std::pair<int64_t, int64_t>{0, 600}, {100, 550}}) {
                AttrMap a = attrs(0.5, 4);
                a["cols"] = int64_t{600};
                a.emplace("col0", col0);
                a.emplace("col1", col1);
                deliver.calls.push_back({{{DType::bool_, {rows}}}, {{t, {col1 - col0}}}, a});
            }
            cases.emplace("be.sim_jitc_" + std::string(kind) + "_deliver" + sfx,
                          std::move(deliver));
        }
    }
}

// One entry per target of a shipped .cu file: examples/kernels/*.cu (loaded with prefix "ex")
// and the built-ins (prefix "be"); the test fails for a shipped .cu target without one, and for
// a case whose target is gone. Shapes cover a partial last block, several blocks, one element and
// empty tensors (no launch); rets start with the same pseudo-random values on both devices, so
// in-place kernels (axpy, clamp_rows) are compared too.
const std::map<std::string, TwinCase>& twin_cases() {
    const DType f32 = DType::float32, f64 = DType::float64;
    static const std::map<std::string, TwinCase> cases = [&] {
        std::map<std::string, TwinCase> m = {
            {"ex.scale_f32",
             {{{{{f32, {1000}}}, {{f32, {1000}}}, {{"alpha", 2.5}}},
               {{{f32, {1}}}, {{f32, {1}}}, {{"alpha", -0.1}}},
               {{{f32, {0}}}, {{f32, {0}}}, {{"alpha", 3.0}}}}}},
            {"ex.scale_f64",
             {{{{{f64, {513}}}, {{f64, {513}}}, {{"alpha", 1.0 / 3}}},
               {{{f64, {0}}}, {{f64, {0}}}, {{"alpha", 1.0}}}}}},
            {"ex.axpy",
             {{{{{f32, {1000}}}, {{f32, {1000}}}, {{"a", -2.0}}},
               {{{f32, {129}}}, {{f32, {129}}}, {{"a", 0.3}}}}}},
            {"ex.row_sum",
             {{{{{f64, {5, 1000}}}, {{f64, {5}}}, {}},
               {{{f64, {3, 1}}}, {{f64, {3}}}, {}},
               {{{f64, {1, 257}}}, {{f64, {1}}}, {}},
               {{{f64, {0, 4}}}, {{f64, {0}}}, {}}},
              1e-9,
              "the CPU twin sums each row in order; the .cu kernel sums 256 strided partial sums, "
              "then halves them in a tree, so the roundings differ: with |x| < 2 and at most 1000 "
              "terms each order is within 1000 * 2^-53 * 2000 ~ 2.2e-10 of the exact sum"}},
            {"ex.clamp_rows",
             {{{{}, {{f32, {7, 33}}}, {{"limit", 0.5}}},
               {{}, {{f32, {2, 300}}}, {{"limit", 1.25}}},
               {{}, {{f32, {0, 3}}}, {{"limit", 1.0}}}}}},
            {"ex.iota",
             {{{{}, {{f32, {50}}}, {{"count", int64_t{40}}, {"start", 10.0}}},
               {{}, {{f32, {600}}}, {{"count", int64_t{600}}, {"start", -3.5}}},
               {{}, {{f32, {8}}}, {{"count", int64_t{0}}, {"start", 1.0}}}}}},
            // Kuramoto (kernels/builtin/kuramoto.*): the twins evaluate the same IEEE operations in
            // the same order, so bitwise. N = 13 and 9: the 8-lane dot products' tails; N = 300:
            // several rows per thread; the last ret is the scratch `work`, compared as well.
            {"be.kuramoto_rk4_f64",
             {{{{{f64, {13}}, {f64, {13}}, {f64, {13, 13}}},
                {{f64, {6, 13}}, {f64, {65}}},
                {{"dt", 0.05}, {"steps", int64_t{5}}}},
               {{{f64, {300}}, {f64, {300}}, {f64, {300, 300}}},
                {{f64, {300}}, {f64, {1500}}},
                {{"dt", 0.01}, {"steps", int64_t{1}}}}}}},
            {"be.kuramoto_rk4_ensemble_f64",
             {{{{{f64, {3, 9}}, {f64, {9}}, {f64, {9, 9}}},
                {{f64, {3, 5, 9}}, {f64, {135}}},
                {{"dt", 0.05}, {"steps", int64_t{4}}}},
               {{{f64, {2, 8}}, {f64, {2, 8}}, {f64, {2, 8, 8}}},
                {{f64, {2, 8}}, {f64, {80}}},
                {{"dt", 0.05}, {"steps", int64_t{3}}}},
               {{{f64, {0, 5}}, {f64, {5}}, {f64, {5, 5}}},
                {{f64, {0, 3, 5}}, {f64, {0}}},
                {{"dt", 0.05}, {"steps", int64_t{2}}}}}}},
            {"be.kuramoto_rk4_vjp_f64",
             {{{{{f64, {13}}, {f64, {13}}, {f64, {13, 13}}, {f64, {13}}},
                {{f64, {13}}, {f64, {13}}, {f64, {13, 13}}, {f64, {(12 * 4 + 20) * 13}}},
                {{"dt", 0.05}, {"steps", int64_t{4}}}}}}},
        };
        add_event_twin_cases(m);
        add_jitc_twin_cases(m);
        add_neuron_twin_cases(m);
        add_sim_input_twin_cases(m);
        return m;
    }();
    return cases;
}

// Deterministic values, the same sequence for the same seed: floats in [-2, 2), integers in
// [0, 16), bools 0/1 (float16/bfloat16 stay zero).
HostArray pseudo_random(const TensorSpec& spec, uint64_t seed) {
    auto array = HostArray::create(spec.dtype, spec.shape).value();
    uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
    auto* bytes = static_cast<unsigned char*>(array.data());
    for (int64_t i = 0; i < array.numel(); ++i) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        const double u = double(state >> 11) / double(1ull << 53) * 4 - 2;
        const uint64_t small = state >> 60;
        unsigned char* at = bytes + i * dtype_size(spec.dtype);
        switch (spec.dtype) {
        case DType::float32: {
            const float f = float(u);
            std::memcpy(at, &f, sizeof f);
            break;
        }
        case DType::float64:
            std::memcpy(at, &u, sizeof u);
            break;
        case DType::float16:
        case DType::bfloat16:
            break;
        case DType::bool_:
            *at = small & 1;
            break;
        default: // integers, little-endian: the low bytes of `small`
            std::memcpy(at, &small, dtype_size(spec.dtype));
            break;
        }
    }
    return array;
}

// Element i as a double, for messages.
double element(const HostArray& a, int64_t i) {
    const auto* at = static_cast<const unsigned char*>(a.data()) + i * dtype_size(a.dtype());
    auto read = [&](auto value) {
        std::memcpy(&value, at, sizeof value);
        return double(value);
    };
    switch (a.dtype()) {
    case DType::float32:
        return read(float());
    case DType::float64:
        return read(double());
    case DType::bool_:
    case DType::uint8:
        return read(uint8_t());
    case DType::int8:
        return read(int8_t());
    case DType::int16:
        return read(int16_t());
    case DType::uint16:
    case DType::float16:
    case DType::bfloat16:
        return read(uint16_t());
    case DType::int32:
        return read(int32_t());
    case DType::uint32:
        return read(uint32_t());
    case DType::int64:
        return read(int64_t());
    case DType::uint64:
        return read(uint64_t());
    }
    return 0;
}

// The full names of the targets of every shipped .cu file, under the prefixes the test loads.
std::set<std::string> shipped_cu_targets() {
    std::set<std::string> names;
    for (const auto& [dir, prefix] :
         {std::pair(k_examples, "ex."), std::pair(builtin_kernel_dir(), "be.")}) {
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
            if (entry.path().extension() != ".cu") continue;
            auto signatures = parse_annotations(test::read_file(entry.path()),
                                                entry.path().string(), SourceKind::cuda);
            EXPECT_TRUE(signatures) << signatures.error().full();
            if (signatures)
                for (const auto& s : *signatures)
                    names.insert(prefix + s.name);
        }
    }
    return names;
}

TEST(EmuRegistry, EveryShippedCuTargetMatchesItsCppTwin) {
    // The shared test cache (BECORE_CACHE_DIR): warm after the first run.
    Registry registry{KernelCache::open_default()};
    for (const auto& [dir, prefix] :
         {std::pair(k_examples, "ex"), std::pair(builtin_kernel_dir(), "be")}) {
        auto reports = registry.load_dir(dir, prefix);
        ASSERT_TRUE(reports) << reports.error().full();
        for (const auto& r : *reports)
            ASSERT_FALSE(r.error) << r.error->full();
    }

    const std::set<std::string> shipped = shipped_cu_targets();
    ASSERT_FALSE(shipped.empty());
    std::set<std::string> emulated;
    uint64_t expected_launches = 0, calls = 0;
    const uint64_t launches_before = emulation_stats().launches;
    for (const auto& full : registry.names()) {
        auto target = registry.find(full);
        if (!has(target->devices(), Device::cuda_emu)) continue;
        SCOPED_TRACE(full);
        emulated.insert(full);
        ASSERT_TRUE(has(target->devices(), Device::cpu)) << full << " has no .cpp twin";
        EXPECT_EQ(target->backend(Device::cuda_emu), "cuda-emu");
        auto it = twin_cases().find(full);
        ASSERT_NE(it, twin_cases().end()) << "add a case for the shipped .cu target " << full;
        const TwinCase& twin = it->second;
        for (size_t c = 0; c < twin.calls.size(); ++c) {
            const TwinCall& call = twin.calls[c];
            SCOPED_TRACE("call " + std::to_string(c));
            std::vector<HostArray> on_cpu, on_emu;
            uint64_t seed = 1;
            for (const auto& spec : call.args) {
                on_cpu.push_back(pseudo_random(spec, seed));
                on_emu.push_back(pseudo_random(spec, seed++));
            }
            for (const auto& spec : call.rets) {
                on_cpu.push_back(pseudo_random(spec, seed));
                on_emu.push_back(pseudo_random(spec, seed++));
            }
            if (twin.fill) {
                twin.fill(on_cpu, c);
                twin.fill(on_emu, c);
            }
            std::vector<BE::Tensor> cpu_views, emu_views;
            for (size_t i = 0; i < on_cpu.size(); ++i) {
                cpu_views.push_back(on_cpu[i].view());
                emu_views.push_back(on_emu[i].emu_view());
            }
            const size_t n_args = call.args.size();
            auto cpu = target->call({cpu_views.data(), n_args},
                                    {cpu_views.data() + n_args, call.rets.size()}, call.attrs);
            ASSERT_TRUE(cpu) << cpu.error().full();
            auto emu = target->call({emu_views.data(), n_args},
                                    {emu_views.data() + n_args, call.rets.size()}, call.attrs);
            ASSERT_TRUE(emu) << emu.error().full();
            ++calls;
            // A launch per call with something to do (empty tensors give no blocks).
            bool empty = false;
            for (const auto& spec : call.rets)
                empty |= std::find(spec.shape.begin(), spec.shape.end(), 0) != spec.shape.end();
            auto count = call.attrs.find("count");
            empty |= count != call.attrs.end() && std::get<int64_t>(count->second) == 0;
            expected_launches += !empty;

            for (size_t r = n_args; r < on_cpu.size(); ++r) {
                const HostArray &want = on_cpu[r], &got = on_emu[r];
                if (twin.tolerance == 0) {
                    for (int64_t i = 0; i < want.numel(); ++i)
                        ASSERT_EQ(std::memcmp(static_cast<const char*>(want.data()) +
                                                  i * dtype_size(want.dtype()),
                                              static_cast<const char*>(got.data()) +
                                                  i * dtype_size(got.dtype()),
                                              dtype_size(want.dtype())),
                                  0)
                            << "element " << i << ": cpu " << element(want, i) << ", cuda-emu "
                            << element(got, i);
                } else {
                    for (int64_t i = 0; i < want.numel(); ++i)
                        EXPECT_LE(std::fabs(element(want, i) - element(got, i)), twin.tolerance)
                            << "element " << i << ": cpu " << element(want, i) << ", cuda-emu "
                            << element(got, i) << " (" << twin.why << ")";
                }
            }
        }
    }
    EXPECT_EQ(emulated, shipped); // every shipped .cu target was run in emulation
    std::set<std::string> with_case;
    for (const auto& [name, unused] : twin_cases())
        with_case.insert(name);
    EXPECT_EQ(with_case, shipped); // and no case is left over from a removed kernel
    EXPECT_GE(calls, shipped.size());
    EXPECT_EQ(emulation_stats().launches - launches_before, expected_launches);
}

// ---- Through the registry ----------------------------------------------------------------------

class EmuRegistryTest : public ::testing::Test {
  protected:
    test::TempDir cache_dir;
    std::shared_ptr<KernelCache> cache = KernelCache::open(cache_dir.path());
    Registry registry{cache};

    Result<LoadReport> load_inline(const std::string& name, const std::string& source,
                                   bool emulation_only = false) {
        LoadOptions options;
        options.emulation_only = emulation_only;
        return registry.load_cuda_inline(name, source, "inline", options);
    }
};

TEST_F(EmuRegistryTest, TheLaunchClauseGivesTheGeometry) {
    auto loaded = load_inline("geometry", R"(
// @BE where launch(threads=out.numel(), block=64)
__global__ void where(BE::Tensor out) {
    const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    if (i < out.numel())
        out.data_ptr<int32_t>()[i] = blockIdx.x * 1000000 + blockDim.x * 1000 + gridDim.x;
}
// @BE per_block launch(blocks=n, block=32, smem=128)
__global__ void per_block(BE::Tensor out, int64_t n) {
    extern __shared__ int32_t lanes[]; // 32 ints: smem=128
    lanes[threadIdx.x] = threadIdx.x;
    __syncthreads();
    if (threadIdx.x == 0) {
        int32_t sum = 0;
        for (int k = 0; k < 32; ++k) sum += lanes[k];
        out.data_ptr<int32_t>()[blockIdx.x] = sum + gridDim.x * 1000;
    }
}
)");
    ASSERT_TRUE(loaded) << loaded.error().full();
    auto out = HostArray::create(DType::int32, {130}).value();
    BE::Tensor rets[] = {out.emu_view()};
    auto called = registry.call("inline.where", {}, rets);
    ASSERT_TRUE(called) << called.error().full();
    for (int i = 0; i < 130; ++i) // ceil(130 / 64) = 3 blocks of 64
        ASSERT_EQ(out.data_as<int32_t>()[i], (i / 64) * 1000000 + 64 * 1000 + 3) << i;

    auto sums = HostArray::create(DType::int32, {4}).value();
    BE::Tensor sum_rets[] = {sums.emu_view()};
    called = registry.call("inline.per_block", {}, sum_rets, {{"n", int64_t{4}}});
    ASSERT_TRUE(called) << called.error().full();
    for (int b = 0; b < 4; ++b) // every lane's write seen after the barrier, in every block
        EXPECT_EQ(sums.data_as<int32_t>()[b], 496 + 4000) << b;
}

TEST_F(EmuRegistryTest, CompiledOnFirstUseThenCachedUnderItsOwnBackend) {
    auto report = registry.load_cuda_file(k_examples / "rows.cu");
    ASSERT_TRUE(report) << report.error().full();
    EXPECT_EQ(report->backend, "cuda"); // the report describes NVRTC's build
    auto target = registry.find("rows.iota");
    ASSERT_TRUE(target);
    EXPECT_TRUE(has(target->devices(), Device::cuda_emu));
    EXPECT_EQ(entries_of(*cache, "cuda-emu"), 0u); // loading compiled no emulation

    auto out = HostArray::create(DType::float32, {10}).value();
    BE::Tensor rets[] = {out.emu_view()};
    auto called = target->call({}, rets, {{"count", int64_t{6}}, {"start", 0.5}});
    ASSERT_TRUE(called) << called.error().full();
    for (int i = 0; i < 10; ++i)
        EXPECT_EQ(out.data_as<float>()[i], i < 6 ? 0.5f + float(i) : 0.0f) << i;
    auto entries = cache->list();
    ASSERT_EQ(entries_of(*cache, "cuda-emu"), 1u);
    for (const auto& e : entries)
        if (e.backend == "cuda-emu") {
            EXPECT_EQ(e.metadata, "rows.clamp_rows,rows.iota"); // one object for the whole source
            EXPECT_EQ(e.target, cpu_target_description());
            EXPECT_EQ(e.toolchain, cpu_toolchain_identity());
        }
    const uint64_t compiles = cache->stats().compiles;

    // The file's other target shares the object: no second compile.
    auto m = HostArray::create(DType::float32, {2, 3}).value();
    for (int i = 0; i < 6; ++i)
        m.data_as<float>()[i] = float(i) - 2.5f;
    BE::Tensor m_rets[] = {m.emu_view()};
    ASSERT_TRUE(registry.call("rows.clamp_rows", {}, m_rets, {{"limit", 1.0}}));
    EXPECT_EQ(m.data_as<float>()[0], -1.0f);
    EXPECT_EQ(m.data_as<float>()[2], -0.5f);
    EXPECT_EQ(m.data_as<float>()[5], 1.0f);
    EXPECT_EQ(cache->stats().compiles, compiles);

    // Another registry (another process, for the cache) finds it.
    Registry second{KernelCache::open(cache_dir.path())};
    ASSERT_TRUE(second.load_cuda_file(k_examples / "rows.cu"));
    const uint64_t hits = second.cache().stats().hits;
    ASSERT_TRUE(second.call("rows.iota", {}, rets, {{"count", int64_t{1}}, {"start", 0.0}}));
    EXPECT_EQ(second.cache().stats().hits, hits + 1);
    EXPECT_EQ(second.cache().stats().compiles, 0u);
}

TEST_F(EmuRegistryTest, EmulationOnlyLoadsCompileNowAndSkipNvrtc) {
    LoadOptions options;
    options.emulation_only = true;
    auto report = registry.load_cuda_file(k_examples / "scale.cu", options);
    ASSERT_TRUE(report) << report.error().full();
    EXPECT_EQ(report->backend, "cuda-emu");
    EXPECT_FALSE(report->cache_hit);
    EXPECT_FALSE(report->deferred); // no architecture needed
    EXPECT_EQ(registry.find("scale.axpy")->devices(), (std::vector<Device>{Device::cuda_emu}));
    EXPECT_EQ(entries_of(*cache, "cuda-emu"), 1u);
    EXPECT_EQ(entries_of(*cache, "cuda"), 0u);
    // Again: nothing to do. A fresh registry: a cache hit.
    auto again = registry.load_cuda_file(k_examples / "scale.cu", options);
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->unchanged);
    Registry second{KernelCache::open(cache_dir.path())};
    auto warm = second.load_cuda_file(k_examples / "scale.cu", options);
    ASSERT_TRUE(warm);
    EXPECT_TRUE(warm->cache_hit);
    EXPECT_FALSE(warm->unchanged);

    // A lazy load followed by an emulation_only one compiles the pending emulation.
    ASSERT_TRUE(second.load_cuda_file(k_examples / "rows.cu"));
    auto eager = second.load_cuda_file(k_examples / "rows.cu", options);
    ASSERT_TRUE(eager);
    EXPECT_FALSE(eager->unchanged);
    EXPECT_EQ(entries_of(*cache, "cuda-emu"), 2u);
    // The dtype-suffix group dispatches on cuda-emu too.
    auto x = HostArray::create(DType::float64, {3}).value();
    auto y = HostArray::create(DType::float64, {3}).value();
    x.data_as<double>()[2] = 4;
    BE::Tensor args[] = {x.emu_view()}, rets[] = {y.emu_view()};
    ASSERT_TRUE(second.call("scale.scale", args, rets, {{"alpha", 0.5}}));
    EXPECT_EQ(y.data_as<double>()[2], 2.0);
}

TEST_F(EmuRegistryTest, TargetsOutliveTheirRegistry) {
    std::shared_ptr<const Target> target;
    {
        Registry scoped{KernelCache::open(cache_dir.path())};
        ASSERT_TRUE(scoped.load_cuda_file(k_examples / "rows.cu"));
        target = scoped.find("rows.iota");
    }
    // The emulation is compiled now, after the registry (and its hold on the cache) is gone.
    auto out = HostArray::create(DType::float32, {3}).value();
    BE::Tensor rets[] = {out.emu_view()};
    auto called = target->call({}, rets, {{"count", int64_t{3}}, {"start", 7.0}});
    ASSERT_TRUE(called) << called.error().full();
    EXPECT_EQ(out.data_as<float>()[2], 9.0f);
}

TEST_F(EmuRegistryTest, KernelErrorsNameTheTargetBlockAndThread) {
    // emulation_only: BE_CHECK is host-only, so NVRTC (given an architecture) would reject this.
    auto loaded = load_inline("errors", R"(#include <be/cuda_launch.h>
// @BE oob launch(threads=y.numel(), block=4)
__global__ void oob(BE::Tensor y) {
    const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    y.at<float>(i + 1) = 1.0f; // the last thread writes one past the end
}
// @BE checked launch(blocks=2, block=8)
__global__ void checked(BE::Tensor y) {
    BE_CHECK(blockIdx.x == 0 || threadIdx.x < 5, "thread too far");
}
// @BE no_clause
__global__ void no_clause(BE::Tensor y) {}
// @BE nested launch(threads=1)
__global__ void nested(BE::Tensor y) { BE::cuda_launch("inline.checked", 1, 1, 0, 0, y); }
)",
                              true);
    ASSERT_TRUE(loaded) << loaded.error().full();
    auto y = HostArray::create(DType::float32, {8}).value();
    BE::Tensor rets[] = {y.emu_view()};
    expect_error(registry.call("inline.oob", {}, rets),
                 "call(inline.oob): emulate_launch(inline.oob): block (1,0,0) thread (3,0,0): "
                 "at(i): i = 8 is out of bounds for 8 elements (shape [8])");
    expect_error(registry.call("inline.checked", {}, rets), "block (1,0,0) thread (5,0,0): ");
    expect_error(registry.call("inline.checked", {}, rets),
                 ": thread too far (BE_CHECK(blockIdx.x == 0 || threadIdx.x < 5) failed)");
    expect_error(registry.call("inline.no_clause", {}, rets),
                 "call(inline.no_clause): 'no_clause' has no launch clause");
    // A launch from inside an emulated kernel is an error, not a deadlock.
    expect_error(registry.call("inline.nested", {}, rets),
                 "block (0,0,0) thread (0,0,0): cuda_launch(inline.checked): called from inside "
                 "an emulated kernel");
    // All tensors of a call on one device.
    auto x = HostArray::create(DType::float32, {8}).value();
    ASSERT_TRUE(registry.load_cpp_inline("twin", R"(
// @BE both
void both(const BE::Tensor& x, BE::Tensor& y) {}
)",
                                         "mix"));
    ASSERT_TRUE(load_inline("twin_cu", R"(
// @BE both launch(threads=1)
__global__ void both(const BE::Tensor x, BE::Tensor y) {}
)"));
    BE::Tensor args[] = {x.view()};
    BE::Tensor emu_rets[] = {y.emu_view()};
    ASSERT_TRUE(registry.find("mix.both"));
    expect_error(registry.call("mix.both", args, emu_rets),
                 "ret 0 ('y') is on device cuda-emu:0 but arg 0 ('x') is on device cpu");
}

TEST_F(EmuRegistryTest, EmulationFailuresComeBackFromTheCallNotTheLoad) {
    // Valid for NVRTC, not for the emulation: inline PTX, and CUDA's own headers.
    auto loaded = load_inline("unsupported", R"(
// @BE fence launch(threads=1)
__global__ void fence(BE::Tensor y) { asm volatile("membar.gl;"); }
)");
    ASSERT_TRUE(loaded) << loaded.error().full();
    auto y = HostArray::create(DType::float32, {1}).value();
    BE::Tensor rets[] = {y.emu_view()};
    const std::string why = "the target is unavailable on cuda-emu because its CUDA emulation "
                            "failed to build: ";
    expect_error(registry.call("inline.fence", {}, rets), "call(inline.fence): " + why);
    expect_error(registry.call("inline.fence", {}, rets), "not supported in CUDA emulation");
    // The target's load is not marked by the emulation (cuda may still be deferred).
    if (auto error = registry.find("inline.fence")->load_error())
        EXPECT_EQ(error->message.find("emulation"), std::string::npos) << error->message;

    auto half = load_inline("half", R"(
#include <cuda_fp16.h>
// @BE half_attr launch(threads=1)
__global__ void half_attr(BE::Tensor y, __half h) {}
)");
    ASSERT_TRUE(half) << half.error().full();
    // Not found, or (where a CUDA toolkit sits on the default include path) clashing with the
    // emulation's own definitions: either way the log names the header.
    expect_error(registry.call("inline.half_attr", {}, rets, {{"h", 1.0}}), why);
    expect_error(registry.call("inline.half_attr", {}, rets, {{"h", 1.0}}), "cuda_fp16.h");

    // Loaded for the emulation only, the same problem is the load's error.
    auto eager = load_inline("unsupported_eager", R"(
// @BE fence2 launch(threads=1)
__global__ void fence2(BE::Tensor y) { asm volatile("membar.gl;"); }
)",
                             true);
    ASSERT_FALSE(eager);
    EXPECT_NE(eager.error().message.find("prepare_emulation_source(<inline unsupported_eager>:3): "
                                         "asm is not supported in CUDA emulation"),
              std::string::npos)
        << eager.error().message;
}

TEST_F(EmuRegistryTest, HostOrchestrationLaunchesTheEmulationOnEmuTensors) {
    test::TempDir src;
    test::write_file(src / "ops.cu", R"(
// @BE fill
__global__ void fill(BE::Tensor y, float v) {
    const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    if (i < y.numel()) y.data_ptr<float>()[i] = v;
}
// @BE add_index
__global__ void add_index(BE::Tensor y) {
    const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    if (i < y.numel()) y.data_ptr<float>()[i] += static_cast<float>(i);
}
)");
    test::write_file(src / "pipeline.cpp", R"(
// @BE run
void run(BE::Tensor& y, float v) {
    static const BE::CudaFunction fill = BE::cuda_function("ops.fill");
    const unsigned blocks = unsigned((y.numel() + 127) / 128);
    BE::cuda_launch(fill, BE::Dim3(blocks), BE::Dim3(128), 0, 0, y, v);
    BE::cuda_launch("ops.add_index", BE::Dim3(blocks), BE::Dim3(128), 0, 0, y);
}
// @BE wrong_type
void wrong_type(BE::Tensor& y) { BE::cuda_launch("ops.fill", 1, 1, 0, 0, y, 2.0); }
// @BE no_such
void no_such(BE::Tensor& y) { BE::cuda_launch("ops.missing", 1, 1, 0, 0, y); }
// @BE on_cpu
void on_cpu(BE::Tensor& y) {
    BE::Tensor host = y;
    host.device_ = BE::Device::cpu;
    BE::cuda_launch("ops.fill", 1, 1, 0, 0, host, 1.0f);
}
)");
    ASSERT_TRUE(registry.load_cuda_file(src / "ops.cu"));
    auto report = registry.load_cpp_file(src / "pipeline.cpp");
    ASSERT_TRUE(report) << report.error().full();
    EXPECT_EQ(registry.find("pipeline.run")->devices(),
              (std::vector<Device>{Device::cuda, Device::cuda_emu}));

    auto y = HostArray::create(DType::float32, {300}).value();
    BE::Tensor rets[] = {y.emu_view()};
    const uint64_t launches = emulation_stats().launches;
    auto called = registry.call("pipeline.run", {}, rets, {{"v", 2.0}});
    ASSERT_TRUE(called) << called.error().full();
    EXPECT_EQ(emulation_stats().launches - launches, 2u);
    for (int i = 0; i < 300; ++i) // the second kernel saw the first one's writes
        ASSERT_EQ(y.data_as<float>()[i], 2.0f + float(i)) << i;

    expect_error(registry.call("pipeline.wrong_type", {}, rets),
                 "cuda_launch(ops.fill): argument 1 is a float64 but the kernel's parameter 1 is "
                 "a float32");
    expect_error(registry.call("pipeline.no_such", {}, rets),
                 "cuda_launch(ops.missing): no such target");
    expect_error(registry.call("pipeline.on_cpu", {}, rets),
                 "argument 0 is a tensor on cpu, not on cuda or cuda-emu");
    // A kernel whose emulation does not build: the launch says so, once.
    test::write_file(src / "bad.cu", R"(
// @BE fence
__global__ void fence(BE::Tensor y) { asm volatile("membar.gl;"); }
)");
    test::write_file(src / "use_bad.cpp", R"(
// @BE go
void go(BE::Tensor& y) { BE::cuda_launch("bad.fence", 1, 1, 0, 0, y); }
)");
    ASSERT_TRUE(registry.load_cuda_file(src / "bad.cu"));
    ASSERT_TRUE(registry.load_cpp_file(src / "use_bad.cpp"));
    auto bad = registry.call("use_bad.go", {}, rets);
    expect_error(bad, "call(use_bad.go): cuda_launch(bad.fence): the target is unavailable on "
                      "cuda-emu because its CUDA emulation failed to build: ");
    expect_error(bad, "asm is not supported in CUDA emulation");

    // Kernels loaded for the emulation only serve handles and names alike.
    Registry emu_only{cache};
    LoadOptions options;
    options.emulation_only = true;
    ASSERT_TRUE(emu_only.load_cuda_file(src / "ops.cu", options));
    ASSERT_TRUE(emu_only.load_cpp_file(src / "pipeline.cpp"));
    called = emu_only.call("pipeline.run", {}, rets, {{"v", -1.0}});
    ASSERT_TRUE(called) << called.error().full();
    EXPECT_EQ(y.data_as<float>()[299], 298.0f);
}

TEST(EmuRegistry, CacheKeyHasItsOwnBackendTheEmulationHeaderAndNoNvrtcFlags) {
    const auto file = k_examples / "rows.cu";
    LoadOptions options;
    options.flags = {"--fmad=false", "-DWIDTH=4", "-I", "include", "--use_fast_math", "-UX"};
    auto emu = emu_cache_inputs(file, test::read_file(file), options);
    ASSERT_TRUE(emu) << emu.error().full();
    EXPECT_EQ(emu->backend, "cuda-emu");
    EXPECT_EQ(emu->target, cpu_target_description());
    EXPECT_EQ(emu->toolchain, cpu_toolchain_identity());
    EXPECT_NE(emu->source_text.find("__be_emu_entry_iota"), std::string::npos);
    auto flags = emu->flags;
    auto at = [&](const std::string& f) { return std::find(flags.begin(), flags.end(), f); };
    ASSERT_NE(at("-x"), flags.end());
    EXPECT_EQ(*(at("-x") + 1), "c++");
    const std::vector<std::string> pre_include{"-include", "be/cuda_emu.h"};
    EXPECT_NE(std::search(flags.begin(), flags.end(), pre_include.begin(), pre_include.end()),
              flags.end());
    // NVRTC's own flags do not reach clang; the preprocessor's do, in order.
    EXPECT_EQ(at("--fmad=false"), flags.end());
    EXPECT_EQ(at("--use_fast_math"), flags.end());
    EXPECT_EQ(std::vector<std::string>(flags.end() - 4, flags.end()),
              (std::vector<std::string>{"-DWIDTH=4", "-I", "include", "-UX"}));
    // becore's kernel-headers hash, which covers the emulation headers, is in the key.
    EXPECT_TRUE(std::filesystem::exists(kernel_include_dir() / "be" / "cuda_emu.h"));
    EXPECT_TRUE(std::filesystem::exists(kernel_include_dir() / "be" / "cuda_emu_abi.h"));
    auto cpu = cpu_cache_inputs(k_examples / "rows.cpp", test::read_file(k_examples / "rows.cpp"));
    ASSERT_TRUE(cpu);
    EXPECT_FALSE(emu->kernel_headers_hash.empty());
    EXPECT_EQ(emu->kernel_headers_hash, cpu->kernel_headers_hash);
    EXPECT_EQ(cpu->backend, "cpu");
    // A construct the emulation rejects is the inputs' error, as it is the build's.
    auto rejected = emu_cache_inputs(file, "// @BE k launch(threads=1)\n__global__ void k("
                                           "BE::Tensor y) { asm(\"trap;\"); }\n");
    ASSERT_FALSE(rejected);
    EXPECT_NE(rejected.error().message.find("asm is not supported in CUDA emulation"),
              std::string::npos)
        << rejected.error().message;
}

} // namespace
} // namespace be
