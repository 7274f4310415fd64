// becore._becore's simulator part (registered by module.cpp): be::Configuration, be::Model,
// be::RuntimeConfig and be::TraceSpec as Python classes, construct, simulate and the trace
// bridge. becore/simulator.py turns the Signals dicts into becore.Signals (docs/python.md).
//
// The setters keep the C++ semantics (each returns a changed copy; construct() validates the
// whole) and take keywords checked here one by one, as the TOML reader does, so that a misspelt
// or mistyped field is an InvalidArgument naming it rather than nanobind's overload listing.
// Arrays come back without a copy: each NumPy array owns the C++ vector or HostArray it views.
#include <becore/frontends/simulator.h>
#include <becore/frontends/trace_bridge.h>

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/string_view.h>
#include <nanobind/stl/vector.h>

#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace nb = nanobind;

namespace be {
namespace {

[[noreturn]] void invalid(const std::string& message) {
    throw Exception(make_error(ErrorCode::invalid_argument, message));
}

std::string type_of(nb::handle value) {
    return nb::cast<std::string>(nb::type_name(value.type()));
}

// The field converters: `path` names the field in the message ("connectivity: p").
double number(nb::handle value, const std::string& path) {
    if (nb::isinstance<nb::bool_>(value) || !nb::hasattr(value, "__float__"))
        invalid(path + ": expected a number, got " + type_of(value));
    return nb::cast<double>(value.attr("__float__")());
}

// An int that does not fit the C++ type is reported like one out of range.
int64_t integer(nb::handle value, const std::string& path, int64_t min,
                int64_t max = std::numeric_limits<int64_t>::max()) {
    if (nb::isinstance<nb::bool_>(value) || !nb::hasattr(value, "__index__"))
        invalid(path + ": expected an integer, got " + type_of(value));
    nb::object i = value.attr("__index__")();
    int64_t out = 0;
    if (!nb::try_cast(i, out) || out < min || out > max)
        invalid(path + ": must be in [" + std::to_string(min) + ", " + std::to_string(max) +
                "], not " + nb::cast<std::string>(nb::str(i)));
    return out;
}

uint64_t seed_of(nb::handle value, const std::string& path) {
    if (nb::isinstance<nb::bool_>(value) || !nb::hasattr(value, "__index__"))
        invalid(path + ": expected an integer, got " + type_of(value));
    nb::object i = value.attr("__index__")();
    int64_t as_signed = 0;
    uint64_t out = 0;
    if ((nb::try_cast(i, as_signed) && as_signed < 0) || !nb::try_cast(i, out))
        invalid(path + ": must be in [0, 2^64), not " + nb::cast<std::string>(nb::str(i)));
    return out;
}

std::string string(nb::handle value, const std::string& path) {
    if (!nb::isinstance<nb::str>(value))
        invalid(path + ": expected a string, got " + type_of(value));
    return nb::cast<std::string>(value);
}

bool boolean(nb::handle value, const std::string& path) {
    if (!nb::isinstance<nb::bool_>(value))
        invalid(path + ": expected a bool, got " + type_of(value));
    return nb::cast<bool>(value);
}

std::vector<std::string> strings(nb::handle value, const std::string& path) {
    if (nb::isinstance<nb::str>(value) || !nb::hasattr(value, "__iter__"))
        invalid(path + ": expected a list of strings, got " + type_of(value));
    std::vector<std::string> out;
    for (nb::handle item : value)
        out.push_back(string(item, path + "[" + std::to_string(out.size()) + "]"));
    return out;
}

using FieldSetter = std::function<void(nb::handle, const std::string&)>;

// Applies each keyword through its setter; an unknown keyword names the known ones.
void apply_fields(const std::string& what, const nb::kwargs& given,
                  const std::vector<std::pair<std::string, FieldSetter>>& fields) {
    for (auto [key, value] : given) {
        const std::string name = nb::cast<std::string>(key);
        const FieldSetter* setter = nullptr;
        std::string known;
        for (const auto& [field, set] : fields) {
            known += (known.empty() ? "" : ", ") + field;
            if (field == name) setter = &set;
        }
        if (!setter) invalid(what + ": unknown field '" + name + "' (known: " + known + ")");
        (*setter)(value, what + ": " + name);
    }
}

DType dtype_of(const std::string& text, const std::string& path) {
    auto dtype = parse_dtype(text);
    if (!dtype || (*dtype != DType::float32 && *dtype != DType::float64))
        invalid(path + ": must be float32 or float64, not '" + text + "'");
    return *dtype;
}

Device device_of(const std::string& text, const std::string& path) {
    auto device = parse_device(text);
    if (!device) invalid(path + ": " + device.error().message);
    return *device;
}

// A table {name: number} or a NeuronValue {base, scale, power, stddev}.
NeuronValue neuron_value(nb::handle value, const std::string& path) {
    if (!nb::isinstance<nb::dict>(value)) return {number(value, path), 0.0, 1.0, 0.0};
    NeuronValue v;
    apply_fields(
        path, nb::borrow<nb::kwargs>(value),
        {{"base", [&](nb::handle x, const std::string& p) { v.base = number(x, p); }},
         {"scale", [&](nb::handle x, const std::string& p) { v.scale = number(x, p); }},
         {"power", [&](nb::handle x, const std::string& p) { v.power = number(x, p); }},
         {"stddev", [&](nb::handle x, const std::string& p) { v.stddev = number(x, p); }}});
    return v;
}

WeightDist weight_of(nb::handle value, const std::string& path) {
    if (!nb::isinstance<nb::dict>(value)) return {WeightDist::Kind::constant, number(value, path)};
    WeightDist w;
    apply_fields(path, nb::borrow<nb::kwargs>(value),
                 {{"kind",
                   [&](nb::handle x, const std::string& p) {
                       const std::string kind = string(x, p);
                       const auto parsed = parse_weight_kind(kind);
                       if (!parsed)
                           invalid(p + ": unknown kind '" + kind +
                                   "' (known: constant, normal, uniform)");
                       w.kind = *parsed;
                   }},
                  {"w0", [&](nb::handle x, const std::string& p) { w.w0 = number(x, p); }},
                  {"w1", [&](nb::handle x, const std::string& p) { w.w1 = number(x, p); }}});
    return w;
}

Configuration runtime(const Configuration& c, nb::handle config, const nb::kwargs& given) {
    const ConfigurationData& d = c.data();
    if (!config.is_none() && !nb::isinstance<RuntimeConfig>(config))
        invalid("runtime: config: expected a RuntimeConfig, got " + type_of(config));
    RuntimeConfig rt = config.is_none() ? d.runtime : nb::cast<RuntimeConfig>(config);
    double duration_ms = d.duration_ms, dt_ms = d.dt_ms;
    apply_fields(
        "runtime", given,
        {{"seed", [&](nb::handle v, const std::string& p) { rt.seed = seed_of(v, p); }},
         {"dtype",
          [&](nb::handle v, const std::string& p) { rt.dtype = dtype_of(string(v, p), p); }},
         {"duration_ms", [&](nb::handle v, const std::string& p) { duration_ms = number(v, p); }},
         {"dt_ms", [&](nb::handle v, const std::string& p) { dt_ms = number(v, p); }},
         {"device",
          [&](nb::handle v, const std::string& p) { rt.device = device_of(string(v, p), p); }},
         {"threads", [&](nb::handle v, const std::string& p) {
              rt.threads = static_cast<int>(integer(v, p, 0, std::numeric_limits<int>::max()));
          }}});
    return c.runtime(rt).runtime(rt.seed, rt.dtype, duration_ms, dt_ms, rt.device);
}

Configuration connectivity(const Configuration& c, const nb::kwargs& given) {
    Pathway w;
    const std::string what = "connectivity[" + std::to_string(c.data().pathways.size()) + "]";
    // The seed's bare connectivity() has no meaning here: there is no default network.
    if (given.size() == 0)
        invalid(what + ": a pathway needs its fields (source, target, format, p or k, weight, "
                       "delay_ms, ...); there is no default connectivity");
    apply_fields(
        what, given,
        {{"source", [&](nb::handle v, const std::string& p) { w.source = string(v, p); }},
         {"target", [&](nb::handle v, const std::string& p) { w.target = string(v, p); }},
         {"format", [&](nb::handle v, const std::string& p) { w.format = string(v, p); }},
         {"p", [&](nb::handle v, const std::string& p) { w.p = number(v, p); }},
         {"weight", [&](nb::handle v, const std::string& p) { w.weight = weight_of(v, p); }},
         {"delay_ms", [&](nb::handle v, const std::string& p) { w.delay_ms = number(v, p); }},
         {"channel", [&](nb::handle v, const std::string& p) { w.channel = string(v, p); }},
         {"k", [&](nb::handle v, const std::string& p) { w.k = integer(v, p, 0); }},
         {"autapses", [&](nb::handle v, const std::string& p) { w.autapses = boolean(v, p); }}});
    return c.connectivity(std::move(w));
}

Configuration input(const Configuration& c, const nb::kwargs& given) {
    Input in;
    const std::string what = "inputs[" + std::to_string(c.data().inputs.size()) + "]";
    apply_fields(
        what, given,
        {{"target", [&](nb::handle v, const std::string& p) { in.target = string(v, p); }},
         {"kind", [&](nb::handle v, const std::string& p) { in.kind = string(v, p); }},
         {"channel", [&](nb::handle v, const std::string& p) { in.channel = string(v, p); }},
         {"rate_hz", [&](nb::handle v, const std::string& p) { in.rate_hz = number(v, p); }},
         {"sources", [&](nb::handle v, const std::string& p) { in.sources = integer(v, p, 0); }},
         {"weight", [&](nb::handle v, const std::string& p) { in.weight = number(v, p); }},
         {"mean", [&](nb::handle v, const std::string& p) { in.mean = number(v, p); }},
         {"stddev", [&](nb::handle v, const std::string& p) { in.stddev = number(v, p); }}});
    return c.input(std::move(in));
}

Configuration column(const Configuration& c, const std::string& name, nb::handle layers,
                     nb::handle n) {
    const int64_t neurons = integer(n, "column: n", std::numeric_limits<int64_t>::min());
    if (nb::hasattr(layers, "__index__") && !nb::isinstance<nb::bool_>(layers))
        return c.column(
            name, integer(layers, "column: layers", std::numeric_limits<int64_t>::min()), neurons);
    return c.column(name, strings(layers, "column: layers"), neurons);
}

Configuration cell_types(const Configuration& c, nb::handle fractions) {
    std::vector<std::pair<std::string, double>> out;
    const auto add = [&](nb::handle name, nb::handle fraction) {
        const std::string n = string(name, "cell_types: name");
        out.emplace_back(n, number(fraction, "cell_types: " + n));
    };
    if (nb::isinstance<nb::dict>(fractions)) {
        for (auto [name, fraction] : nb::borrow<nb::dict>(fractions))
            add(name, fraction); // a dict keeps its order: the cell types' order
    } else if (nb::hasattr(fractions, "__iter__") && !nb::isinstance<nb::str>(fractions)) {
        for (nb::handle pair : fractions) {
            if (nb::len(pair) != 2)
                invalid("cell_types: expected (name, fraction) pairs, got " + type_of(pair));
            add(pair[0], pair[1]);
        }
    } else {
        invalid("cell_types: expected a dict {name: fraction}, got " + type_of(fractions));
    }
    return c.cell_types(std::move(out));
}

Configuration record(const Configuration& c, nb::handle ids) {
    if (nb::isinstance<nb::str>(ids) || !nb::hasattr(ids, "__iter__"))
        invalid("record: expected a list of neuron ids, got " + type_of(ids));
    std::vector<int32_t> out;
    for (nb::handle id : ids)
        out.push_back(static_cast<int32_t>(integer(id, "record[" + std::to_string(out.size()) + "]",
                                                   0, std::numeric_limits<int32_t>::max())));
    return c.record(std::move(out));
}

nb::object json_value(const nlohmann::json& value) {
    return nb::module_::import_("json").attr("loads")(value.dump());
}

template <typename T> nb::object owned(std::vector<T>&& values) {
    auto* held = new std::vector<T>(std::move(values));
    nb::capsule owner(held, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
    const size_t shape[1] = {held->size()};
    return nb::cast(nb::ndarray<nb::numpy, T>(held->data(), 1, shape, owner));
}

// None when not probed (HostArray's empty {0}); else the array, owning the HostArray.
nb::object owned(HostArray&& array) {
    if (array.ndim() == 1 && array.shape()[0] == 0) return nb::none();
    auto* held = new HostArray(std::move(array));
    nb::capsule owner(held, [](void* p) noexcept { delete static_cast<HostArray*>(p); });
    std::vector<size_t> shape(held->shape().begin(), held->shape().end());
    const nb::dlpack::dtype dtype =
        held->dtype() == DType::float32 ? nb::dtype<float>() : nb::dtype<double>();
    return nb::cast(
        nb::ndarray<nb::numpy>(held->data(), shape.size(), shape.data(), owner, nullptr, dtype));
}

nb::dict signals_dict(Signals&& s, int64_t units) {
    nb::dict d;
    d["time_ms"] = owned(std::move(s.time_ms));
    d["spike_times_ms"] = owned(std::move(s.spike_times_ms));
    d["spike_ids"] = owned(std::move(s.spike_ids));
    d["v_m"] = owned(std::move(s.v_m));
    d["recorded"] = owned(std::move(s.recorded));
    d["lfp_proxy"] = owned(std::move(s.lfp_proxy));
    d["csd_proxy"] = owned(std::move(s.csd_proxy));
    d["metadata"] = json_value(s.metadata);
    d["units"] = units;
    return d;
}

nb::dict simulate_model(const Model& model, nb::handle duration_ms, nb::handle dt_ms,
                        nb::handle seed) {
    SimulateOptions options;
    if (!duration_ms.is_none()) options.duration_ms = number(duration_ms, "simulate: duration_ms");
    if (!dt_ms.is_none()) options.dt_ms = number(dt_ms, "simulate: dt_ms");
    if (!seed.is_none()) options.seed = seed_of(seed, "simulate: seed");
    Signals s;
    {
        nb::gil_scoped_release release;
        s = simulate(model, options);
    }
    return signals_dict(std::move(s), model.size());
}

// The trace, copied into a HostArray of the dtype NumPy names (becore's names are NumPy's):
// trace_to_signals checks it is one it takes.
nb::dict trace(nb::ndarray<nb::ro, nb::device::cpu, nb::c_contig> array,
               const std::string& dtype_text, const TraceSpec& spec) {
    auto dtype = parse_dtype(dtype_text);
    if (!dtype)
        invalid("trace_to_signals: the trace must be float32 or float64, got " + dtype_text);
    std::vector<int64_t> shape;
    for (size_t i = 0; i < array.ndim(); ++i)
        shape.push_back(static_cast<int64_t>(array.shape(i)));
    HostArray host = HostArray::create(*dtype, shape).value();
    if (static_cast<size_t>(host.nbytes()) != array.nbytes())
        invalid("trace_to_signals: the trace's " + dtype_text + " elements are " +
                std::to_string(array.itemsize()) + " bytes, not becore's");
    std::memcpy(host.data(), array.data(), array.nbytes());
    Signals s;
    {
        nb::gil_scoped_release release;
        s = trace_to_signals(host, spec);
    }
    const auto units = s.v_m.shape().size() == 2 ? s.v_m.shape()[1] : 0;
    return signals_dict(std::move(s), units);
}

std::string runtime_repr(const RuntimeConfig& r) {
    return "RuntimeConfig(seed=" + std::to_string(r.seed) + ", dtype='" +
           std::string(dtype_name(r.dtype)) + "', device='" + std::string(device_name(r.device)) +
           "', threads=" + std::to_string(r.threads) + ")";
}

void bind_runtime_config(nb::module_& m) {
    const RuntimeConfig defaults;
    nb::class_<RuntimeConfig>(m, "RuntimeConfig")
        .def(
            "__init__",
            [](RuntimeConfig* self, nb::handle seed, const std::string& dtype,
               const std::string& device, nb::handle threads) {
                RuntimeConfig r;
                r.seed = seed.is_none() ? 0 : seed_of(seed, "RuntimeConfig: seed");
                r.dtype = dtype_of(dtype, "RuntimeConfig: dtype");
                r.device = device_of(device, "RuntimeConfig: device");
                r.threads = static_cast<int>(
                    integer(threads, "RuntimeConfig: threads", 0, std::numeric_limits<int>::max()));
                new (self) RuntimeConfig(r);
            },
            nb::arg("seed") = nb::none(), nb::arg("dtype") = dtype_name(defaults.dtype),
            nb::arg("device") = device_name(defaults.device), nb::arg("threads") = defaults.threads)
        .def_prop_ro("seed", [](const RuntimeConfig& r) { return r.seed; })
        .def_prop_ro("dtype", [](const RuntimeConfig& r) { return dtype_name(r.dtype); })
        .def_prop_ro("device", [](const RuntimeConfig& r) { return device_name(r.device); })
        .def_prop_ro("threads", [](const RuntimeConfig& r) { return r.threads; })
        .def("with_seed",
             [](const RuntimeConfig& r, nb::handle seed) {
                 return r.with_seed(seed_of(seed, "RuntimeConfig.with_seed: seed"));
             })
        .def("with_dtype",
             [](const RuntimeConfig& r, const std::string& dtype) {
                 return r.with_dtype(dtype_of(dtype, "RuntimeConfig.with_dtype: dtype"));
             })
        .def("with_device",
             [](const RuntimeConfig& r, const std::string& device) {
                 return r.with_device(device_of(device, "RuntimeConfig.with_device: device"));
             })
        .def("with_threads",
             [](const RuntimeConfig& r, nb::handle threads) {
                 return r.with_threads(
                     static_cast<int>(integer(threads, "RuntimeConfig.with_threads: threads", 0,
                                              std::numeric_limits<int>::max())));
             })
        .def("__eq__",
             [](const RuntimeConfig& a, const RuntimeConfig& b) {
                 return a.seed == b.seed && a.dtype == b.dtype && a.device == b.device &&
                        a.threads == b.threads;
             })
        .def("__repr__", &runtime_repr);
}

void bind_configuration(nb::module_& m) {
    nb::class_<Configuration>(m, "Configuration")
        .def(nb::init<>())
        .def_static("preset", &Configuration::preset, nb::arg("name"))
        .def_static("preset_names", &Configuration::preset_names)
        .def_static("from_toml", &Configuration::from_toml_file, nb::arg("path"))
        .def_static("from_toml_string", &Configuration::from_toml_string, nb::arg("text"),
                    nb::arg("origin") = "<string>")
        .def("runtime", &runtime, nb::arg("config") = nb::none(), nb::arg("fields"))
        .def(
            "duration",
            [](const Configuration& c, nb::handle ms) {
                return c.duration(number(ms, "duration: duration_ms"));
            },
            nb::arg("duration_ms"))
        .def(
            "threads",
            [](const Configuration& c, nb::handle k) {
                return c.threads(static_cast<int>(
                    integer(k, "threads: threads", 0, std::numeric_limits<int>::max())));
            },
            nb::arg("threads"))
        .def("column", &column, nb::arg("name"), nb::arg("layers"), nb::arg("n"))
        .def("cell_types", &cell_types, nb::arg("fractions"))
        .def("connectivity", &connectivity, nb::arg("fields"))
        .def("clear_connectivity", &Configuration::clear_connectivity)
        .def("input", &input, nb::arg("fields"))
        .def("clear_inputs", &Configuration::clear_inputs)
        .def("set_emitter", &Configuration::set_emitter, nb::arg("model"), nb::arg("preset") = "")
        .def(
            "attr",
            [](const Configuration& c, const std::string& name, nb::handle value) {
                return c.attr(name, number(value, "attr." + name));
            },
            nb::arg("name"), nb::arg("value"))
        .def(
            "param",
            [](const Configuration& c, const std::string& type, const std::string& name,
               nb::handle value) {
                return c.param(type, name, neuron_value(value, "param." + type + "." + name));
            },
            nb::arg("cell_type"), nb::arg("name"), nb::arg("value"))
        .def(
            "initial_state",
            [](const Configuration& c, const std::string& type, const std::string& name,
               nb::handle value) {
                return c.initial_state(type, name,
                                       neuron_value(value, "initial_state." + type + "." + name));
            },
            nb::arg("cell_type"), nb::arg("name"), nb::arg("value"))
        .def(
            "probes",
            [](const Configuration& c, nb::handle names) {
                return c.probes(strings(names, "probes"));
            },
            nb::arg("names"))
        .def("record", &record, nb::arg("neuron_ids"))
        .def(
            "contacts",
            [](const Configuration& c, nb::handle count) {
                return c.contacts(integer(count, "contacts", std::numeric_limits<int64_t>::min()));
            },
            nb::arg("count"))
        .def("to_dict", [](const Configuration& c) { return json_value(c.to_json()); })
        .def("__repr__",
             [](const Configuration& c) { return "Configuration(" + c.to_json().dump() + ")"; });
}

} // namespace

void register_simulator(nb::module_& m) {
    bind_runtime_config(m);
    bind_configuration(m);
    nb::class_<Model>(m, "Model")
        .def_prop_ro("configuration", &Model::configuration)
        .def_prop_ro("size", &Model::size)
        .def_prop_ro("populations", &Model::populations)
        .def_prop_ro("synapses", &Model::synapses)
        .def("__repr__", [](const Model& model) {
            return "Model(" + std::to_string(model.size()) + " neurons, " +
                   std::to_string(model.synapses()) + " synapses)";
        });
    m.def(
        "construct",
        [](const Configuration& c) {
            nb::gil_scoped_release release;
            return construct(c);
        },
        nb::arg("configuration"));
    m.def("simulate", &simulate_model, nb::arg("model"), nb::arg("duration_ms") = nb::none(),
          nb::arg("dt_ms") = nb::none(), nb::arg("seed") = nb::none());

    const TraceSpec defaults;
    nb::class_<TraceSpec>(m, "TraceSpec")
        .def(
            "__init__",
            [](TraceSpec* self, nb::handle dt_ms, const std::string& layout, nb::handle threshold,
               nb::handle contacts, nb::handle sigma, nb::handle seed, nb::handle layers,
               nb::handle t0_ms) {
                TraceSpec s;
                s.dt_ms = number(dt_ms, "TraceSpec: dt_ms");
                s.layout = parse_trace_layout(layout);
                s.threshold_mv = number(threshold, "TraceSpec: threshold_mv");
                s.readouts.contacts =
                    integer(contacts, "TraceSpec: contacts", std::numeric_limits<int64_t>::min());
                s.readouts.sigma = number(sigma, "TraceSpec: sigma");
                s.seed = seed_of(seed, "TraceSpec: seed");
                s.layers =
                    integer(layers, "TraceSpec: layers", std::numeric_limits<int64_t>::min());
                s.t0_ms = number(t0_ms, "TraceSpec: t0_ms");
                new (self) TraceSpec(s);
            },
            nb::kw_only(), nb::arg("dt_ms"), nb::arg("layout") = trace_layout_name(defaults.layout),
            nb::arg("threshold_mv") = defaults.threshold_mv,
            nb::arg("contacts") = defaults.readouts.contacts,
            nb::arg("sigma") = defaults.readouts.sigma, nb::arg("seed") = defaults.seed,
            nb::arg("layers") = defaults.layers, nb::arg("t0_ms") = defaults.t0_ms)
        .def_ro("dt_ms", &TraceSpec::dt_ms)
        .def_prop_ro("layout", [](const TraceSpec& s) { return trace_layout_name(s.layout); })
        .def_ro("threshold_mv", &TraceSpec::threshold_mv)
        .def_prop_ro("contacts", [](const TraceSpec& s) { return s.readouts.contacts; })
        .def_prop_ro("sigma", [](const TraceSpec& s) { return s.readouts.sigma; })
        .def_ro("seed", &TraceSpec::seed)
        .def_ro("layers", &TraceSpec::layers)
        .def_ro("t0_ms", &TraceSpec::t0_ms)
        .def("__repr__", [](const TraceSpec& s) {
            return "TraceSpec(dt_ms=" + nb::cast<std::string>(nb::repr(nb::float_(s.dt_ms))) +
                   ", layout='" + std::string(trace_layout_name(s.layout)) + "', threshold_mv=" +
                   nb::cast<std::string>(nb::repr(nb::float_(s.threshold_mv))) +
                   ", contacts=" + std::to_string(s.readouts.contacts) +
                   ", sigma=" + nb::cast<std::string>(nb::repr(nb::float_(s.readouts.sigma))) +
                   ", seed=" + std::to_string(s.seed) + ", layers=" + std::to_string(s.layers) +
                   ", t0_ms=" + nb::cast<std::string>(nb::repr(nb::float_(s.t0_ms))) + ")";
        });
    m.def("trace_to_signals", &trace, nb::arg("trace"), nb::arg("dtype"), nb::arg("spec"));
    // What DLPack cannot carry (object, string arrays) falls through to here.
    m.def(
        "trace_to_signals",
        [](nb::handle, const std::string& dtype, const TraceSpec&) {
            invalid("trace_to_signals: the trace must be float32 or float64, got " + dtype);
        },
        nb::arg("trace"), nb::arg("dtype"), nb::arg("spec"));
}

} // namespace be
