// construct(): validates a Configuration field by field (each error names the field), splits the
// neurons into populations, resolves and checks the neuron target, draws the per-neuron
// parameters and builds every pathway's connectivity. All draws are keyed (be/sim_rng.h) by the
// configuration's seed and the element's index, so the network depends on nothing else.
#include "sim_model.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/readouts.h>
#include <becore/frontends/sim_exchange.h>

#include <be/sim_rng.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

namespace be {

namespace {

constexpr uint32_t k_stream_pathway_seed = 96; // derived_seed: one per pathway
constexpr uint32_t k_stream_pathway_draw = 97; // csr / fixed-pre / fixed-post draws, per row

[[noreturn]] void invalid(const std::string& field, const std::string& why) {
    throw Exception(make_error(ErrorCode::invalid_argument, "construct: " + field + ": " + why));
}

std::string fmt(double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
}

bool finite(double v) {
    return std::isfinite(v);
}

const std::vector<std::string> k_probes = {"SPK", "Vm", "LFP-proxy", "CSD-proxy"};
const std::vector<std::string> k_models = {"izhikevich", "lif_cuba", "lif_coba", "custom"};

void validate_runtime(const ConfigurationData& d) {
    if (auto ok = d.runtime.validate(); !ok) invalid("runtime", ok.error().message);
    if (!(d.dt_ms > 0) || !finite(d.dt_ms))
        invalid("runtime.dt_ms", "must be a positive number of ms, not " + fmt(d.dt_ms));
    if (!(d.duration_ms >= 0) || !finite(d.duration_ms))
        invalid("runtime.duration_ms", "must be >= 0 ms, not " + fmt(d.duration_ms));
    if (!whole_steps(d.duration_ms, d.dt_ms))
        invalid("runtime.duration_ms", fmt(d.duration_ms) +
                                           " ms is not a whole number of steps of " + fmt(d.dt_ms) +
                                           " ms");
}

void validate_column(const ConfigurationData& d) {
    if (d.n <= 0)
        invalid("column.n", "must be a positive number of neurons, not " + std::to_string(d.n));
    if (d.n >= (int64_t{1} << 31)) invalid("column.n", "must be below 2^31");
    if (d.layers < 1)
        invalid("column.layers", "must be at least 1, not " + std::to_string(d.layers));
    std::set<std::string> layer_names;
    for (const auto& name : d.layer_names)
        if (name.empty() || !layer_names.insert(name).second)
            invalid("column.layers",
                    "'" + name + "' is " + (name.empty() ? "not a layer name" : "named twice"));
    if (d.cell_types.empty()) invalid("cell_types", "at least one cell type is needed");
    double sum = 0;
    std::set<std::string> seen;
    for (const auto& [name, fraction] : d.cell_types) {
        if (name.empty() || name == "*")
            invalid("cell_types", "'" + name + "' is not a cell type name");
        if (!seen.insert(name).second) invalid("cell_types", "'" + name + "' appears twice");
        if (!(fraction >= 0) || !finite(fraction))
            invalid("cell_types." + name, "the fraction must be in [0, 1], not " + fmt(fraction));
        sum += fraction;
    }
    if (std::abs(sum - 1.0) > 1e-9)
        invalid("cell_types", "the fractions sum to " + fmt(sum) + ", not 1 (within 1e-9)");
}

void validate_probes(const ConfigurationData& d) {
    for (const auto& p : d.probes)
        if (std::find(k_probes.begin(), k_probes.end(), p) == k_probes.end())
            invalid("probes", "unknown probe '" + p + "' (known: SPK, Vm, LFP-proxy, CSD-proxy)");
    for (int32_t id : d.recorded)
        if (id < 0 || id >= d.n)
            invalid("record",
                    "neuron " + std::to_string(id) + " is not in [0, " + std::to_string(d.n) + ")");
    const bool readouts = std::count(d.probes.begin(), d.probes.end(), "LFP-proxy") +
                              std::count(d.probes.begin(), d.probes.end(), "CSD-proxy") >
                          0;
    if (readouts && d.contacts < 3)
        invalid("contacts", "readouts need at least 3 contacts, not " + std::to_string(d.contacts));
}

void validate_weight(const std::string& field, const WeightDist& w) {
    if (!finite(w.w0) || !finite(w.w1)) invalid(field, "weights must be finite");
    if (w.kind == WeightDist::Kind::normal && w.w1 < 0)
        invalid(field, "the normal weights' stddev must be >= 0, not " + fmt(w.w1));
    if (w.kind == WeightDist::Kind::uniform && !(w.w0 <= w.w1))
        invalid(field,
                "the uniform weights need low <= high, not [" + fmt(w.w0) + ", " + fmt(w.w1) + ")");
}

double mean_weight(const WeightDist& w) {
    return w.kind == WeightDist::Kind::uniform ? 0.5 * (w.w0 + w.w1) : w.w0;
}

// The neuron target's name for a built-in family, or the custom target's.
std::string neuron_target_name(const ConfigurationData& d) {
    if (std::find(k_models.begin(), k_models.end(), d.model) == k_models.end())
        invalid("set_emitter",
                "unknown model '" + d.model + "' (known: izhikevich, lif_cuba, lif_coba, custom)");
    if (d.model != "custom") return "be." + d.model + "_step";
    if (d.preset.empty())
        invalid("set_emitter",
                "a custom model names its target: set_emitter(\"custom\", \"prefix.name\")");
    return d.preset;
}

// Checks the target against the calling convention (docs/simulator.md) and reads the model's
// state, parameters and attrs off its signature.
NeuronModel resolve_model(const ConfigurationData& d) {
    NeuronModel m;
    m.family = d.model;
    m.target = neuron_target_name(d);
    const std::string field = "set_emitter(" + d.model + ", " + m.target + ")";
    Registry& registry = builtin_registry();
    auto target = registry.find(m.target, d.runtime.dtype);
    if (!target)
        invalid(field, "no such target" +
                           std::string(d.model == "custom"
                                           ? " (load its file into Registry::global() first)"
                                           : ""));
    const Signature& sig = target->signature();
    std::vector<const Param*> args, rets, attrs;
    for (const Param& p : sig.params) {
        if (p.kind == ParamKind::arg)
            args.push_back(&p);
        else if (p.kind == ParamKind::ret)
            rets.push_back(&p);
        else if (p.kind == ParamKind::attr)
            attrs.push_back(&p);
        else
            invalid(field, "a neuron target takes no stream parameter");
    }
    const auto misfit = [&](const std::string& why) {
        invalid(field, "does not fit the neuron calling convention (docs/simulator.md): " + why);
    };
    if (rets.size() < 2) misfit("it needs at least one state ret and the spikes ret");
    if (rets.back()->dtype && *rets.back()->dtype != DType::bool_)
        misfit("its last ret must be the bool spikes [n], not " +
               std::string(dtype_name(*rets.back()->dtype)));
    if (args.size() < 2) misfit("its first two args must be the inputs in_e and in_i");
    for (size_t i = 0; i < args.size(); ++i)
        if (args[i]->dtype && *args[i]->dtype != d.runtime.dtype)
            misfit("arg '" + args[i]->name + "' must be " +
                   std::string(dtype_name(d.runtime.dtype)) + " (the simulation's dtype)");
    bool has_dt = false;
    for (const Param* a : attrs)
        has_dt |= a->name == "dt";
    if (!has_dt) misfit("it needs an attr 'dt' (the step in ms)");
    for (size_t i = 0; i + 1 < rets.size(); ++i) {
        const DType dt = rets[i]->dtype.value_or(d.runtime.dtype);
        if (dt != d.runtime.dtype && dt != DType::int32)
            misfit("state ret '" + rets[i]->name + "' must be " +
                   std::string(dtype_name(d.runtime.dtype)) + " or int32");
        m.state.push_back(rets[i]->name);
        m.state_dtypes.push_back(dt);
    }
    if (std::find(m.state.begin(), m.state.end(), "v") == m.state.end())
        misfit("one state ret must be the membrane potential 'v'");
    for (size_t i = 2; i < args.size(); ++i)
        m.params.push_back(args[i]->name);
    // The attrs: every one but dt must be configured; no configured attr may be unknown.
    for (const Param* a : attrs) {
        if (a->name == "dt") continue;
        auto it = d.attrs.find(a->name);
        if (it == d.attrs.end()) invalid("attr." + a->name, "the target " + m.target + " needs it");
        if (!finite(it->second)) invalid("attr." + a->name, "must be finite");
        m.attrs.emplace(a->name, it->second);
    }
    for (const auto& [name, value] : d.attrs)
        if (!m.attrs.count(name))
            invalid("attr." + name, "the target " + m.target + " has no such attr");
    return m;
}

void validate_pathway(const Model::Impl& impl, size_t index, const Pathway& p) {
    const std::string field = "connectivity[" + std::to_string(index) + "]";
    impl.range_of(p.source);
    impl.range_of(p.target);
    if (p.format != "jitc" && p.format != "csr" && p.format != "fixed-pre" &&
        p.format != "fixed-post")
        invalid(field + ".format",
                "unknown format '" + p.format + "' (known: jitc, csr, fixed-pre, fixed-post)");
    const bool fixed = p.format == "fixed-pre" || p.format == "fixed-post";
    if (!fixed && !(p.p > 0 && p.p <= 1))
        invalid(field + ".p", "the connection probability must be in (0, 1], not " + fmt(p.p));
    if (fixed) {
        const bool pre = p.format == "fixed-pre";
        const int64_t available = impl.range_of(pre ? p.source : p.target).count -
                                  (!p.autapses && p.source == p.target ? 1 : 0);
        if (p.k < 1 || p.k > available)
            invalid(field + ".k", std::string(pre ? "the in-degree" : "the out-degree") +
                                      " must be in [1, " + std::to_string(available) + "], not " +
                                      std::to_string(p.k));
    }
    validate_weight(field + ".weight", p.weight);
    if (!(p.delay_ms >= 0) || !finite(p.delay_ms))
        invalid(field + ".delay_ms", "must be >= 0, not " + fmt(p.delay_ms));
    if (!p.channel.empty() && p.channel != "e" && p.channel != "i")
        invalid(field + ".channel", "must be 'e' or 'i', not '" + p.channel + "'");
    if (p.format == "jitc" && !p.autapses && p.source == p.target)
        invalid(field + ".autapses",
                "JITC cannot leave out self-connections: use csr, fixed-pre or fixed-post");
}

void validate_input(const ConfigurationData& d, const Model::Impl& impl, size_t index,
                    const Input& in) {
    const std::string field = "inputs[" + std::to_string(index) + "]";
    impl.range_of(in.target);
    if (in.kind != "poisson" && in.kind != "noise")
        invalid(field + ".kind", "unknown input '" + in.kind + "' (known: poisson, noise)");
    if (in.channel != "e" && in.channel != "i")
        invalid(field + ".channel", "must be 'e' or 'i', not '" + in.channel + "'");
    if (in.kind == "poisson") {
        if (!(in.rate_hz >= 0) || !finite(in.rate_hz))
            invalid(field + ".rate_hz", "must be >= 0, not " + fmt(in.rate_hz));
        if (in.sources < 1) invalid(field + ".sources", "must be at least 1");
        if (!finite(in.weight)) invalid(field + ".weight", "must be finite");
        const double lambda = in.rate_hz * 1e-3 * d.dt_ms * static_cast<double>(in.sources);
        if (lambda > 500)
            invalid(field, "expects " + fmt(lambda) + " events per neuron and step; at most 500");
    } else if (!(in.stddev >= 0) || !finite(in.stddev) || !finite(in.mean)) {
        invalid(field + ".stddev", "noise needs a finite mean and a finite stddev >= 0");
    }
}

// Per-neuron parameter values of this rank's block (own): base + scale * r^power with one r per
// neuron, every draw keyed by the global neuron id.
std::vector<std::vector<double>> draw_params(const ConfigurationData& d, const Model::Impl& impl) {
    const uint64_t seed = derived_seed(d.runtime.seed, be_jitc::k_stream_neuron_params, 0);
    const NeuronRange own = impl.own;
    std::vector<double> r(static_cast<size_t>(own.count));
    for (int64_t i = own.first; i < own.first + own.count; ++i)
        r[static_cast<size_t>(i - own.first)] =
            be_jitc::KeyedDraws(seed, be_jitc::k_stream_neuron_params, static_cast<uint64_t>(i), 0)
                .uniform();
    for (const auto& [type, values] : d.params) {
        impl.range_of(type);
        for (const auto& [name, v] : values)
            if (std::find(impl.model.params.begin(), impl.model.params.end(), name) ==
                impl.model.params.end())
                invalid("param." + type + "." + name, "the target " + impl.model.target +
                                                          " has no per-neuron arg '" + name + "'");
    }
    std::vector<std::vector<double>> out;
    for (const std::string& name : impl.model.params) {
        std::vector<double> values(static_cast<size_t>(own.count));
        for (size_t p = 0; p < impl.populations.size(); ++p) {
            const std::string& type = impl.population_names[p];
            auto t = d.params.find(type);
            if (t == d.params.end() || !t->second.count(name))
                invalid("param." + type + "." + name, "the target " + impl.model.target +
                                                          " takes it per neuron; give it a value");
            const NeuronValue v = t->second.at(name);
            const NeuronRange range = impl.populations[p];
            const int64_t first = std::max(range.first, own.first);
            const int64_t end = std::min(range.first + range.count, own.first + own.count);
            for (int64_t i = first; i < end; ++i)
                values[static_cast<size_t>(i - own.first)] = neuron_value(
                    v, r[static_cast<size_t>(i - own.first)],
                    v.stddev != 0 ? be_jitc::KeyedDraws(seed, be_jitc::k_stream_neuron_params + 1,
                                                        static_cast<uint64_t>(i), out.size())
                                        .normal()
                                  : 0.0);
        }
        out.push_back(std::move(values));
    }
    return out;
}

double draw_weight(const WeightDist& w, be_jitc::KeyedDraws& draws) {
    if (w.kind == WeightDist::Kind::uniform) return w.w0 + (w.w1 - w.w0) * draws.uniform();
    if (w.kind == WeightDist::Kind::normal) return w.w0 + w.w1 * draws.normal();
    return w.w0;
}

HostArray weight_array(const std::vector<double>& weights, DType dtype) {
    auto w = HostArray::create(dtype, {static_cast<int64_t>(weights.size())});
    if (!w) throw Exception(w.error());
    for (size_t k = 0; k < weights.size(); ++k) {
        if (dtype == DType::float32)
            w->data_as<float>()[k] = static_cast<float>(weights[k]);
        else
            w->data_as<double>()[k] = weights[k];
    }
    return std::move(*w);
}

// The columns [lo, hi) of the pathway's targets (relative to b.target.first) that this rank owns.
struct Window {
    int64_t lo = 0, hi = 0;
    explicit Window(const BuiltPathway& b)
        : lo(b.local.first - b.target.first), hi(b.local.first - b.target.first + b.local.count) {}
    bool has(int64_t j) const { return j >= lo && j < hi; }
};

// Connections from `source` to `target` drawn row by row (row = source neuron, keyed by its
// global id): Bernoulli(p) per pair by geometric skips, weights from the same row's draws. A rank
// draws every row whole (the skips and weights are sequential) and keeps its window's columns.
std::shared_ptr<Csr> build_csr(const Pathway& p, const BuiltPathway& b, uint64_t seed,
                               DType dtype) {
    std::vector<int64_t> rows, cols;
    std::vector<double> weights;
    const double log_q = std::log1p(-p.p);
    const bool same = p.source == p.target && !p.autapses;
    const Window window(b);
    for (int64_t i = 0; i < b.source.count; ++i) {
        be_jitc::KeyedDraws draws(seed, k_stream_pathway_draw,
                                  static_cast<uint64_t>(b.source.first + i), 0);
        for (int64_t j = -1;;) {
            if (p.p < 1) {
                const double u = 1.0 - draws.uniform(); // (0, 1]
                const double skip = std::floor(std::log(u) / log_q);
                if (skip >= static_cast<double>(window.hi - j - 1)) break;
                j += 1 + static_cast<int64_t>(skip);
            } else if (++j >= window.hi) {
                break;
            }
            const double w = draw_weight(p.weight, draws);
            if ((same && j == i) || !window.has(j)) continue;
            rows.push_back(i);
            cols.push_back(j - window.lo);
            weights.push_back(w);
        }
    }
    return std::make_shared<Csr>(
        Csr::from_coo(b.source.count, b.local.count, rows, cols, weight_array(weights, dtype)));
}

// k distinct picks from [0, pool) by Floyd's algorithm, ascending, with `taken` all false
// before and after (a scratch of `pool` flags reused across rows).
void floyd_sample(int64_t k, int64_t pool, be_jitc::KeyedDraws& draws, std::vector<char>& taken,
                  std::vector<int64_t>& chosen) {
    chosen.clear();
    for (int64_t t = pool - k; t < pool; ++t) {
        const auto r = static_cast<int64_t>(draws.uniform() * static_cast<double>(t + 1));
        const int64_t pick = taken[static_cast<size_t>(r)] ? t : r;
        taken[static_cast<size_t>(pick)] = 1;
        chosen.push_back(pick);
    }
    std::sort(chosen.begin(), chosen.end());
    for (int64_t c : chosen)
        taken[static_cast<size_t>(c)] = 0;
}

// Every target neuron gets k distinct sources (keyed by its global id), stored by source (CSR
// rows = source neurons) so that delivery touches the active sources' rows only.
std::shared_ptr<Csr> build_fixed_pre(const Pathway& p, const BuiltPathway& b, uint64_t seed,
                                     DType dtype) {
    const bool same = p.source == p.target && !p.autapses;
    const int64_t pool = b.source.count - (same ? 1 : 0);
    std::vector<int64_t> rows, cols, chosen;
    std::vector<double> weights;
    rows.reserve(static_cast<size_t>(b.local.count * p.k));
    cols.reserve(rows.capacity());
    weights.reserve(rows.capacity());
    std::vector<char> taken(static_cast<size_t>(pool), 0);
    const Window window(b);
    for (int64_t j = window.lo; j < window.hi; ++j) {
        be_jitc::KeyedDraws draws(seed, k_stream_pathway_draw,
                                  static_cast<uint64_t>(b.target.first + j), 0);
        floyd_sample(p.k, pool, draws, taken, chosen);
        for (int64_t src : chosen) {
            rows.push_back(same && src >= j ? src + 1 : src); // skip the neuron itself
            cols.push_back(j - window.lo);
            weights.push_back(draw_weight(p.weight, draws));
        }
    }
    return std::make_shared<Csr>(
        Csr::from_coo(b.source.count, b.local.count, rows, cols, weight_array(weights, dtype)));
}

// Every source neuron gets k distinct targets (keyed by its global id): FixedPostNum, delivered
// by the fixed-number event operators. A rank owning part of the targets keeps its window's
// entries as a Csr: the same entries summed in the same (ascending source) order, sparse_rows.h.
BuiltPathway::Conn build_fixed_post(const Pathway& p, const BuiltPathway& b, uint64_t seed,
                                    DType dtype) {
    const bool same = p.source == p.target && !p.autapses;
    const int64_t pool = b.target.count - (same ? 1 : 0);
    const Window window(b);
    std::vector<int64_t> rows, cols, chosen;
    std::vector<double> weights;
    std::vector<char> taken(static_cast<size_t>(pool), 0);
    for (int64_t i = 0; i < b.source.count; ++i) {
        be_jitc::KeyedDraws draws(seed, k_stream_pathway_draw,
                                  static_cast<uint64_t>(b.source.first + i), 0);
        floyd_sample(p.k, pool, draws, taken, chosen);
        for (const int64_t c : chosen) {
            const int64_t j = same && c >= i ? c + 1 : c;
            const double w = draw_weight(p.weight, draws);
            if (!window.has(j)) continue;
            rows.push_back(i);
            cols.push_back(j - window.lo);
            weights.push_back(w);
        }
    }
    HostArray w = weight_array(weights, dtype);
    if (b.local.count != b.target.count)
        return std::make_shared<Csr>(Csr::from_coo(b.source.count, b.local.count, rows, cols, w));
    auto indices = HostArray::create(DType::int32, {b.source.count, p.k});
    auto shaped = HostArray::create(dtype, {b.source.count, p.k});
    if (!indices) throw Exception(indices.error());
    if (!shaped) throw Exception(shaped.error());
    for (size_t e = 0; e < cols.size(); ++e)
        indices->data_as<int32_t>()[e] = static_cast<int32_t>(cols[e]);
    std::memcpy(shaped->data(), w.data(), static_cast<size_t>(w.nbytes()));
    return std::make_shared<FixedPostNum>(b.source.count, b.target.count, std::move(*indices),
                                          std::move(*shaped));
}

std::shared_ptr<Jitc> build_jitc(const Pathway& p, const BuiltPathway& b, uint64_t seed,
                                 DType dtype) {
    switch (p.weight.kind) {
    case WeightDist::Kind::constant:
        return std::make_shared<JitcScalar>(b.source.count, b.target.count, p.p, p.weight.w0, seed,
                                            JitcOrientation::R, dtype);
    case WeightDist::Kind::normal:
        return std::make_shared<JitcNormal>(b.source.count, b.target.count, p.p, p.weight.w0,
                                            p.weight.w1, seed, JitcOrientation::R, dtype);
    case WeightDist::Kind::uniform:
        return std::make_shared<JitcUniform>(b.source.count, b.target.count, p.p, p.weight.w0,
                                             p.weight.w1, seed, JitcOrientation::R, dtype);
    }
    invalid("connectivity", "unknown weight kind");
}

} // namespace

uint64_t derived_seed(uint64_t seed, uint32_t stream, uint64_t index) {
    be_jitc::KeyedDraws draws(seed, stream, index, 0);
    const uint64_t hi = draws.word();
    return (hi << 32) | draws.word();
}

NeuronRange Model::Impl::range_of(const std::string& cell_type) const {
    if (cell_type == "*") return {0, n};
    for (size_t i = 0; i < population_names.size(); ++i)
        if (population_names[i] == cell_type) return populations[i];
    std::string known;
    for (const auto& name : population_names)
        known += (known.empty() ? "" : ", ") + name;
    invalid("cell type '" + cell_type + "'", "unknown (known: " + known + ", or * for all)");
}

const Configuration& Model::configuration() const {
    return impl_->configuration;
}

int64_t Model::size() const {
    return impl_->n;
}

std::vector<std::pair<std::string, int64_t>> Model::populations() const {
    std::vector<std::pair<std::string, int64_t>> out;
    for (size_t i = 0; i < impl_->populations.size(); ++i)
        out.emplace_back(impl_->population_names[i], impl_->populations[i].first);
    return out;
}

int64_t Model::synapses() const {
    double total = 0;
    for (const auto& p : impl_->pathways)
        total += p.synapses;
    return static_cast<int64_t>(std::llround(total));
}

Model construct(const Configuration& configuration) {
    return construct(configuration, *local_exchange());
}

namespace {

// Everything of construct() that one rank does alone; pathways' `synapses` hold this rank's
// stored count until construct() sums them.
std::shared_ptr<Model::Impl> construct_block(const Configuration& configuration, int rank,
                                             int ranks) {
    const ConfigurationData& d = configuration.data();
    validate_runtime(d);
    validate_column(d);
    validate_probes(d);
    if (d.n < ranks)
        invalid("column.n", std::to_string(d.n) + " neurons cannot be split across " +
                                std::to_string(ranks) + " ranks");

    auto impl = std::make_shared<Model::Impl>();
    impl->configuration = configuration;
    impl->n = d.n;
    impl->rank = rank;
    impl->ranks = ranks;
    impl->own.first = block_first(d.n, impl->ranks, impl->rank);
    impl->own.count = block_first(d.n, impl->ranks, impl->rank + 1) - impl->own.first;
    double cumulative = 0;
    for (const auto& [name, fraction] : d.cell_types) {
        const int64_t first = std::llround(static_cast<double>(d.n) * cumulative);
        cumulative += fraction;
        const int64_t end = &d.cell_types.back().first == &name
                                ? d.n
                                : std::llround(static_cast<double>(d.n) * cumulative);
        impl->population_names.push_back(name);
        impl->populations.push_back({first, end - first});
    }
    impl->model = resolve_model(d);
    for (const auto& [type, values] : d.initial) {
        impl->range_of(type);
        for (const auto& [name, v] : values)
            if (std::find(impl->model.state.begin(), impl->model.state.end(), name) ==
                impl->model.state.end())
                invalid("initial_state." + type + "." + name,
                        "the target " + impl->model.target + " has no state '" + name + "'");
    }
    impl->params = draw_params(d, *impl);
    for (size_t i = 0; i < d.inputs.size(); ++i)
        validate_input(d, *impl, i, d.inputs[i]);
    for (size_t i = 0; i < d.pathways.size(); ++i) {
        const Pathway& p = d.pathways[i];
        validate_pathway(*impl, i, p);
        // Spikes travel between ranks once per minimum delay (simulate): a delay that rounds to
        // less than one step would have to act within the step that emitted it.
        if (impl->ranks > 1 && std::llround(p.delay_ms / d.dt_ms) < 1)
            invalid("connectivity[" + std::to_string(i) + "].delay_ms",
                    fmt(p.delay_ms) + " ms is shorter than one step (dt_ms " + fmt(d.dt_ms) +
                        "); across ranks every delay must be at least one step");
        BuiltPathway b;
        b.source = impl->range_of(p.source);
        b.target = impl->range_of(p.target);
        b.local.first = std::max(b.target.first, impl->own.first);
        b.local.count = std::max<int64_t>(
            0, std::min(b.target.first + b.target.count, impl->own.first + impl->own.count) -
                   b.local.first);
        b.channel = p.channel.empty() ? (mean_weight(p.weight) >= 0 ? 0 : 1) : p.channel == "i";
        b.delay_ms = p.delay_ms;
        const uint64_t seed = derived_seed(d.runtime.seed, k_stream_pathway_seed, i);
        if (p.format == "jitc") {
            b.synapses =
                p.p * static_cast<double>(b.source.count) * static_cast<double>(b.target.count);
            if (b.local.count > 0) b.conn = build_jitc(p, b, seed, d.runtime.dtype);
        } else {
            int64_t stored = 0;
            if (b.local.count > 0) {
                if (p.format == "fixed-post")
                    b.conn = build_fixed_post(p, b, seed, d.runtime.dtype);
                else
                    b.conn = p.format == "csr" ? build_csr(p, b, seed, d.runtime.dtype)
                                               : build_fixed_pre(p, b, seed, d.runtime.dtype);
                if (auto* csr = std::get_if<std::shared_ptr<Csr>>(&b.conn))
                    stored = (*csr)->indices().numel();
                else
                    stored = std::get<std::shared_ptr<FixedPostNum>>(b.conn)->indices().numel();
            }
            b.synapses = static_cast<double>(stored);
        }
        impl->pathways.push_back(std::move(b));
    }
    const auto& probes = d.probes;
    if (std::find(probes.begin(), probes.end(), "LFP-proxy") != probes.end() ||
        std::find(probes.begin(), probes.end(), "CSD-proxy") != probes.end()) {
        if (impl->model.family == "custom" &&
            std::find(impl->model.state.begin(), impl->model.state.end(), "i_syn") ==
                impl->model.state.end())
            invalid("probes", "LFP-proxy and CSD-proxy need the synaptic current: a custom model "
                              "must have a state ret named 'i_syn'");
        impl->depths = layer_depths(d.n, d.layers, d.runtime.seed);
    }
    return impl;
}

} // namespace

// A rank that fails reports first; only then do the ranks sum (a collective none may skip).
Model construct(const Configuration& configuration, SpikeExchange& exchange) {
    std::shared_ptr<Model::Impl> impl;
    std::optional<Error> error;
    try {
        impl = construct_block(configuration, exchange.rank(), exchange.size());
    } catch (const Exception& e) {
        if (exchange.size() == 1) throw;
        error = e.error();
    }
    if (auto first = first_error(exchange, error ? &*error : nullptr)) throw Exception(*first);
    const auto& pathways = configuration.data().pathways;
    for (size_t i = 0; i < pathways.size(); ++i)
        if (pathways[i].format != "jitc")
            impl->pathways[i].synapses =
                static_cast<double>(exchange.sum(std::llround(impl->pathways[i].synapses)));
    return Model(std::move(impl));
}

} // namespace be
