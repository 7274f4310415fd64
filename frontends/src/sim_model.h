// The constructed network (Model::Impl), shared by construct (sim_model.cpp) and simulate
// (simulator.cpp). Private to frontends/.
#pragma once

#include <becore/frontends/connectivity.h>
#include <becore/frontends/jitc.h>
#include <becore/frontends/simulator.h>
#include <becore/registry/registry.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace be {

struct NeuronRange {
    int64_t first = 0, count = 0;
};

// One built pathway: the connectivity from the source range to the target range, which input
// channel (0 = e, 1 = i) it feeds, its delay in ms (steps are fixed by simulate's dt). Split
// across ranks (sim_exchange.h), `local` is the part of `target` this rank owns; stored
// connectivity then has local.count columns, JITC keeps the whole pathway's generator
// (target.count columns) and the delivery generates only the columns of `local`.
struct BuiltPathway {
    NeuronRange source, target, local;
    int channel = 0;
    double delay_ms = 0;
    using Conn =
        std::variant<std::shared_ptr<Jitc>, std::shared_ptr<Csr>, std::shared_ptr<FixedPostNum>>;
    Conn conn;           // fixed-pre: a Csr too; none when `local` is empty
    double synapses = 0; // stored (over all ranks), or expected for JITC
};

// How the neuron target is called: the state variables (its rets but the last, `spikes`), the
// per-neuron parameter arrays (its args after in_e and in_i) and its scalar attrs.
struct NeuronModel {
    std::string target; // registry name, e.g. "be.lif_coba_step" or "mylab.adex_step"
    std::string family; // "izhikevich", "lif_cuba", "lif_coba" or "custom"
    std::vector<std::string> state;
    std::vector<DType> state_dtypes;
    std::vector<std::string> params;
    AttrMap attrs; // without dt, which simulate sets
};

struct Model::Impl {
    Configuration configuration;
    std::vector<std::string> population_names;
    std::vector<NeuronRange> populations;
    int64_t n = 0;
    NeuronModel model;
    // params[p][i - own.first]: the value of per-neuron parameter model.params[p] for neuron i of
    // this rank's block
    std::vector<std::vector<double>> params;
    std::vector<BuiltPathway> pathways;
    std::vector<double> depths; // for the readouts (empty when not probed)
    // The block of neurons this rank integrates (sim_exchange.h); every neuron in one process.
    NeuronRange own;
    int rank = 0, ranks = 1;

    NeuronRange range_of(const std::string& cell_type) const; // "*" = every neuron
};

// base + scale * r^power + stddev * z (NeuronValue).
inline double neuron_value(const NeuronValue& v, double r, double z) {
    double value = v.base;
    if (v.scale != 0) value += v.scale * std::pow(r, v.power);
    if (v.stddev != 0) value += v.stddev * z;
    return value;
}

// Whether duration / dt is a whole number of steps (to 1e-9 relative).
inline bool whole_steps(double duration_ms, double dt_ms) {
    const double steps = duration_ms / dt_ms;
    return std::abs(steps - std::round(steps)) <= 1e-9 * std::max(1.0, steps);
}

// The seed of a structure element (a pathway, a parameter table) derived from the
// configuration's seed: keyed, so it depends on the element's index alone.
uint64_t derived_seed(uint64_t seed, uint32_t stream, uint64_t index);

// An error as int32 words, the exchange's element: its message's length in bytes (0: no error;
// an error's message is never empty), its ErrorCode, then the message's bytes (sim_exchange.cpp).
void pack_error(const Error* error, std::vector<int32_t>& out);
Error unpack_error(const int32_t* words);

} // namespace be
