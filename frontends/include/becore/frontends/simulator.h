// The spiking-network simulator: Configuration → construct → simulate → Signals. Every step is a
// fixed sequence of calls of registered targets (input generators, one event product per
// pathway, the neuron integrator), prepared once, so a user swaps in a kernel of their own by
// name (set_emitter("custom", "mylab.adex_step")). docs/simulator.md documents the step, the
// calling convention of neuron targets and the presets.
//
//   auto cfg = be::Configuration::preset("coba-auryn").runtime(7, be::DType::float32, 1000, 0.1);
//   be::Model model = be::construct(cfg);
//   be::Signals s = be::simulate(model);
//
// A Configuration is immutable: every setter returns a changed copy. construct() validates it
// and throws be::Exception naming the field; simulate() runs it. Same configuration and seed →
// bitwise the same Signals across runs, processes, thread counts, and on cuda-emu as on cpu.
#pragma once

#include <becore/frontends/signals.h>
#include <becore/runtime/runtime_config.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace be {

// A value per neuron: base + scale * r^power + stddev * z, r uniform in [0, 1) and z standard
// normal, drawn per neuron (r is shared by all of a neuron's parameters, as Izhikevich 2003 does:
// c = -65 + 15 r², d = 8 - 6 r²); scale = stddev = 0 gives the constant `base`. For initial
// states, each variable draws its own r and z.
struct NeuronValue {
    double base = 0.0;
    double scale = 0.0;
    double power = 1.0;
    double stddev = 0.0;
};

// Connection weights: constant w0; normal (mean w0, stddev w1); uniform [w0, w1).
struct WeightDist {
    enum class Kind { constant, normal, uniform };
    Kind kind = Kind::constant;
    double w0 = 0.0, w1 = 0.0;
};

// "constant", "normal" or "uniform" (TOML's and Python's weight.kind); nullopt for anything else.
std::optional<WeightDist::Kind> parse_weight_kind(const std::string& text);

// One pathway from a cell type to a cell type ("*" = every neuron).
struct Pathway {
    std::string source, target;
    // "jitc": regenerated in the kernels, never stored (JITC R matrix, Bernoulli(p) per pair);
    // "csr": Bernoulli(p) per pair drawn once and stored;
    // "fixed-pre": every target neuron has k sources (fixed in-degree), stored by source like
    // csr, so that delivery is event-driven;
    // "fixed-post": every source neuron has k targets (fixed out-degree), delivered by the
    // fixed-number event operators (FixedPostNum).
    std::string format = "jitc";
    double p = 0.0;
    WeightDist weight;
    double delay_ms = 0.0; // rounded to whole steps; at least one step
    std::string channel;   // "e" or "i"; empty: "e" if the mean weight is >= 0, else "i"
    int64_t k = 0;         // fixed-pre: the in-degree; fixed-post: the out-degree
    bool autapses = true;  // false: no i -> i synapse when source == target (not jitc)
};

// External input to a cell type ("*" = every neuron), added to its input channel every step:
// "poisson": `sources` independent Poisson trains of `rate_hz`, each through `weight`;
// "noise": a Gaussian current mean + stddev * N(0, 1) drawn afresh every step.
struct Input {
    std::string target = "*";
    std::string kind = "poisson";
    std::string channel = "e";
    double rate_hz = 0.0;
    int64_t sources = 1;
    double weight = 0.0;
    double mean = 0.0, stddev = 0.0;
};

struct ConfigurationData {
    RuntimeConfig runtime;
    double duration_ms = 1000.0;
    double dt_ms = 0.1;
    std::string column_name = "column";
    int64_t layers = 1;
    std::vector<std::string> layer_names; // the layers' names, if given (then layers = their count)
    int64_t n = 0;
    std::vector<std::pair<std::string, double>> cell_types; // in order: ids are contiguous
    std::vector<Pathway> pathways;
    std::vector<Input> inputs;
    std::string model;  // "izhikevich", "lif_cuba", "lif_coba" or "custom"
    std::string preset; // the parameter set of a built-in model, or the custom target's name
    std::map<std::string, double> attrs; // the neuron target's scalar attrs (besides dt)
    // Per-neuron parameter arrays (args of the neuron target) and initial states, by cell type.
    std::map<std::string, std::map<std::string, NeuronValue>> params, initial;
    std::vector<std::string> probes{"SPK"}; // SPK, Vm, LFP-proxy, CSD-proxy
    std::vector<int32_t> recorded;          // V_m neurons; empty: up to 100, evenly spaced
    int64_t contacts = 16;                  // readout contacts
    std::string name;                       // the preset it came from, if any
};

class Configuration {
  public:
    Configuration() = default;
    // The named network: izhikevich2003, coba, cuba, brunel2000, coba-auryn (docs/simulator.md
    // cites the source of each). Throws be::Exception for an unknown name, listing the known.
    static Configuration preset(const std::string& name);
    static std::vector<std::string> preset_names();
    // A configuration written in TOML (docs/simulator-config.md; sim_toml.cpp): `preset = "..."`
    // starts from a preset, the tables after it override. Throws be::Exception; an unknown key or
    // a wrong type names the key's full path and origin:line ("runtime.dt_ms: expected a number,
    // got a string (coba.toml:7)"). `origin` names the text in messages.
    static Configuration from_toml_file(const std::string& path);
    static Configuration from_toml_string(const std::string& text,
                                          const std::string& origin = "<string>");

    Configuration runtime(uint64_t seed, DType dtype, double duration_ms, double dt_ms,
                          Device device = Device::cpu) const;
    Configuration runtime(const RuntimeConfig& runtime) const;
    Configuration duration(double duration_ms) const;
    Configuration threads(int threads) const;
    Configuration column(std::string name, int64_t layers, int64_t n) const;
    // Layers by name (the seed's column("V1", layers=["L2/3"], n=100)): one depth band per name,
    // in order; the names are carried into to_json() and the Signals' metadata.
    Configuration column(std::string name, std::vector<std::string> layer_names, int64_t n) const;
    Configuration cell_types(std::vector<std::pair<std::string, double>> fractions) const;
    Configuration connectivity(Pathway pathway) const; // appends
    Configuration clear_connectivity() const;
    Configuration input(Input input) const; // appends
    Configuration clear_inputs() const;
    Configuration set_emitter(std::string model, std::string preset) const;
    Configuration attr(const std::string& name, double value) const;
    Configuration param(const std::string& cell_type, const std::string& name,
                        NeuronValue value) const;
    Configuration initial_state(const std::string& cell_type, const std::string& name,
                                NeuronValue value) const;
    Configuration probes(std::vector<std::string> names) const;
    Configuration record(std::vector<int32_t> neuron_ids) const;
    Configuration contacts(int64_t count) const;

    const ConfigurationData& data() const { return data_; }
    nlohmann::json to_json() const;

  private:
    template <typename F> Configuration with(F&& change) const {
        Configuration copy = *this;
        change(copy.data_);
        return copy;
    }
    ConfigurationData data_;
};

// The network built from a configuration: populations, connectivity (JITC generators, stored
// CSR / fixed-in-degree matrices), per-neuron parameters and depths, and the neuron target with
// its signature checked. Structure (connectivity, parameters, depths) comes from the
// configuration's seed; a simulate() seed changes the trial (initial state and input draws) only.
class Model {
  public:
    const Configuration& configuration() const;
    int64_t size() const;                                             // neurons
    std::vector<std::pair<std::string, int64_t>> populations() const; // (cell type, first id)...
    int64_t synapses() const; // stored or expected (JITC) synapses over all pathways

    struct Impl;
    explicit Model(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
    const Impl& impl() const { return *impl_; }

  private:
    std::shared_ptr<const Impl> impl_;
};

Model construct(const Configuration& configuration);

// Progress: called about once per percent of the run with (steps done, steps in all).
using ProgressCallback = std::function<void(int64_t, int64_t)>;

struct SimulateOptions {
    std::optional<double> duration_ms, dt_ms;
    std::optional<uint64_t> seed;
    ProgressCallback progress;
};

// Runs the model; arguments override the configuration's runtime(...). The step: inputs are
// generated into this step's input slot, the neuron target integrates (and emits spikes), each
// pathway delivers the spikes into the slot `delay` steps ahead, probes are recorded.
Signals simulate(const Model& model, const SimulateOptions& options = {});

} // namespace be
