// Configuration: the chainable setters (each returns a changed copy) and the JSON form that
// Signals' metadata and `besim` carry. Validation is construct()'s (sim_model.cpp): a
// Configuration may be built in any order and is checked whole.
#include <becore/frontends/simulator.h>

namespace be {

namespace {

const char* weight_kind_name(WeightDist::Kind kind) {
    switch (kind) {
    case WeightDist::Kind::constant:
        return "constant";
    case WeightDist::Kind::normal:
        return "normal";
    case WeightDist::Kind::uniform:
        return "uniform";
    }
    return "invalid";
}

nlohmann::json value_json(const NeuronValue& v) {
    return {{"base", v.base}, {"scale", v.scale}, {"power", v.power}, {"stddev", v.stddev}};
}

} // namespace

std::optional<WeightDist::Kind> parse_weight_kind(const std::string& text) {
    for (auto kind :
         {WeightDist::Kind::constant, WeightDist::Kind::normal, WeightDist::Kind::uniform})
        if (text == weight_kind_name(kind)) return kind;
    return std::nullopt;
}

Configuration Configuration::runtime(uint64_t seed, DType dtype, double duration_ms, double dt_ms,
                                     Device device) const {
    return with([&](ConfigurationData& d) {
        d.runtime = d.runtime.with_seed(seed).with_dtype(dtype).with_device(device);
        d.duration_ms = duration_ms;
        d.dt_ms = dt_ms;
    });
}

Configuration Configuration::runtime(const RuntimeConfig& runtime) const {
    return with([&](ConfigurationData& d) { d.runtime = runtime; });
}

Configuration Configuration::duration(double duration_ms) const {
    return with([&](ConfigurationData& d) { d.duration_ms = duration_ms; });
}

Configuration Configuration::threads(int threads) const {
    return with([&](ConfigurationData& d) { d.runtime = d.runtime.with_threads(threads); });
}

Configuration Configuration::column(std::string name, int64_t layers, int64_t n) const {
    return with([&](ConfigurationData& d) {
        d.column_name = std::move(name);
        d.layers = layers;
        d.layer_names.clear();
        d.n = n;
    });
}

Configuration Configuration::column(std::string name, std::vector<std::string> layer_names,
                                    int64_t n) const {
    return with([&](ConfigurationData& d) {
        d.column_name = std::move(name);
        d.layers = static_cast<int64_t>(layer_names.size());
        d.layer_names = std::move(layer_names);
        d.n = n;
    });
}

Configuration
Configuration::cell_types(std::vector<std::pair<std::string, double>> fractions) const {
    return with([&](ConfigurationData& d) { d.cell_types = std::move(fractions); });
}

Configuration Configuration::connectivity(Pathway pathway) const {
    return with([&](ConfigurationData& d) { d.pathways.push_back(std::move(pathway)); });
}

Configuration Configuration::clear_connectivity() const {
    return with([](ConfigurationData& d) { d.pathways.clear(); });
}

Configuration Configuration::input(Input input) const {
    return with([&](ConfigurationData& d) { d.inputs.push_back(std::move(input)); });
}

Configuration Configuration::clear_inputs() const {
    return with([](ConfigurationData& d) { d.inputs.clear(); });
}

Configuration Configuration::set_emitter(std::string model, std::string preset) const {
    return with([&](ConfigurationData& d) {
        d.model = std::move(model);
        d.preset = std::move(preset);
    });
}

Configuration Configuration::attr(const std::string& name, double value) const {
    return with([&](ConfigurationData& d) { d.attrs[name] = value; });
}

Configuration Configuration::param(const std::string& cell_type, const std::string& name,
                                   NeuronValue value) const {
    return with([&](ConfigurationData& d) { d.params[cell_type][name] = value; });
}

Configuration Configuration::initial_state(const std::string& cell_type, const std::string& name,
                                           NeuronValue value) const {
    return with([&](ConfigurationData& d) { d.initial[cell_type][name] = value; });
}

Configuration Configuration::probes(std::vector<std::string> names) const {
    return with([&](ConfigurationData& d) { d.probes = std::move(names); });
}

Configuration Configuration::record(std::vector<int32_t> neuron_ids) const {
    return with([&](ConfigurationData& d) { d.recorded = std::move(neuron_ids); });
}

Configuration Configuration::contacts(int64_t count) const {
    return with([&](ConfigurationData& d) { d.contacts = count; });
}

nlohmann::json Configuration::to_json() const {
    const ConfigurationData& d = data_;
    nlohmann::json j;
    if (!d.name.empty()) j["preset"] = d.name;
    j["runtime"] = {{"seed", d.runtime.seed},
                    {"dtype", std::string(dtype_name(d.runtime.dtype))},
                    {"device", std::string(device_name(d.runtime.device))},
                    {"threads", d.runtime.threads},
                    {"duration_ms", d.duration_ms},
                    {"dt_ms", d.dt_ms}};
    j["column"] = {{"name", d.column_name}, {"layers", d.layers}, {"n", d.n}};
    if (!d.layer_names.empty()) j["column"]["layer_names"] = d.layer_names;
    j["cell_types"] = nlohmann::json::array();
    for (const auto& [name, fraction] : d.cell_types)
        j["cell_types"].push_back({{"name", name}, {"fraction", fraction}});
    j["connectivity"] = nlohmann::json::array();
    for (const Pathway& p : d.pathways)
        j["connectivity"].push_back({{"source", p.source},
                                     {"target", p.target},
                                     {"format", p.format},
                                     {"p", p.p},
                                     {"k", p.k},
                                     {"weight",
                                      {{"kind", weight_kind_name(p.weight.kind)},
                                       {"w0", p.weight.w0},
                                       {"w1", p.weight.w1}}},
                                     {"delay_ms", p.delay_ms},
                                     {"channel", p.channel},
                                     {"autapses", p.autapses}});
    j["inputs"] = nlohmann::json::array();
    for (const Input& in : d.inputs)
        j["inputs"].push_back({{"target", in.target},
                               {"kind", in.kind},
                               {"channel", in.channel},
                               {"rate_hz", in.rate_hz},
                               {"sources", in.sources},
                               {"weight", in.weight},
                               {"mean", in.mean},
                               {"stddev", in.stddev}});
    j["emitter"] = {{"model", d.model}, {"preset", d.preset}, {"attrs", d.attrs}};
    using Table = std::map<std::string, std::map<std::string, NeuronValue>>;
    for (const auto& [key, table] : {std::pair<const char*, const Table*>{"params", &d.params},
                                     std::pair<const char*, const Table*>{"initial", &d.initial}}) {
        nlohmann::json t = nlohmann::json::object();
        for (const auto& [type, values] : *table)
            for (const auto& [name, value] : values)
                t[type][name] = value_json(value);
        j["emitter"][key] = t;
    }
    j["probes"] = d.probes;
    j["recorded"] = d.recorded;
    j["contacts"] = d.contacts;
    return j;
}

} // namespace be
