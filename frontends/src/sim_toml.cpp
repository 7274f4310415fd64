// Configuration::from_toml_file / from_toml_string: the simulator's TOML configurations
// (docs/simulator-config.md has the schema and a complete example; examples/sim/ runnable ones).
// Each table maps onto one Configuration setter:
//
//   preset = "coba-auryn"        Configuration::preset(name), applied first; the rest override
//   probes, record, contacts     probes(...), record(...), contacts(...)
//   [runtime]                    seed, dtype, duration_ms, dt_ms, device, threads (each optional)
//   [column]                     name, layers (a count or the names), n (each optional)
//   [cell_types]                 NAME = fraction, in the file's order; replaces the preset's
//   [emitter]                    model, preset; a model other than the preset's drops the
//                                preset's attrs, params and initial states
//   [emitter.attrs]              NAME = number, merged into the attrs
//   [params.TYPE], [initial.TYPE]  NAME = number or {base, scale, power, stddev}, merged
//   [[pathway]]                  source, target, format, p, k, weight, delay_ms, channel,
//                                autapses; weight = number or {kind, w0, w1}. Present (even as
//                                `pathway = []`): replaces the preset's pathways
//   [[input]]                    target, kind, channel, rate_hz, sources, weight, mean, stddev;
//                                replaces the preset's inputs likewise
//
// Strict: an unknown key at any level, or a value of the wrong type, is an error naming the key's
// full path and where it is ("pathway[1].wieght: unknown key (coba.toml:23; known: ...)"). What
// only the whole configuration can tell (fractions summing to 1, a known model) is construct()'s.
#include <becore/frontends/simulator.h>
#include <becore/runtime/error.h>

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <utility>

namespace be {

namespace {

// Where a node or key is: "origin:line".
std::string where(const std::string& origin, const toml::source_region& source) {
    return origin + ":" + std::to_string(source.begin.line);
}

struct Reader {
    std::string origin;

    [[noreturn]] void fail(const std::string& path, const std::string& what,
                           const toml::source_region& source, const std::string& extra = "") const {
        throw Exception(make_error(ErrorCode::invalid_argument, "from_toml: " + path + ": " + what +
                                                                    " (" + where(origin, source) +
                                                                    extra + ")"));
    }

    static std::string type_of(const toml::node& node) {
        switch (node.type()) {
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a floating-point number";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        default:
            return "nothing";
        }
    }

    [[noreturn]] void wrong_type(const std::string& path, const char* expected,
                                 const toml::node& node) const {
        fail(path, std::string("expected ") + expected + ", got " + type_of(node), node.source());
    }

    double number(const toml::node& node, const std::string& path) const {
        if (auto v = node.as_integer()) return static_cast<double>(v->get());
        if (auto v = node.as_floating_point()) return v->get();
        wrong_type(path, "a number", node);
    }

    int64_t integer(const toml::node& node, const std::string& path, int64_t low = 0,
                    int64_t high = std::numeric_limits<int64_t>::max()) const {
        auto v = node.as_integer();
        if (!v) wrong_type(path, "an integer", node);
        if (v->get() < low || v->get() > high)
            fail(path,
                 "must be in [" + std::to_string(low) + ", " + std::to_string(high) + "], not " +
                     std::to_string(v->get()),
                 node.source());
        return v->get();
    }

    std::string string(const toml::node& node, const std::string& path) const {
        auto v = node.as_string();
        if (!v) wrong_type(path, "a string", node);
        return v->get();
    }

    bool boolean(const toml::node& node, const std::string& path) const {
        auto v = node.as_boolean();
        if (!v) wrong_type(path, "a boolean", node);
        return v->get();
    }

    const toml::table& table(const toml::node& node, const std::string& path) const {
        auto t = node.as_table();
        if (!t) wrong_type(path, "a table", node);
        return *t;
    }

    const toml::array& array(const toml::node& node, const std::string& path) const {
        auto a = node.as_array();
        if (!a) wrong_type(path, "an array", node);
        return *a;
    }

    // The entries of a table in the order the file wrote them (toml++ keeps tables sorted by
    // key), so that [cell_types] keeps its order.
    static std::vector<std::pair<std::string, const toml::node*>> entries(const toml::table& t) {
        struct Entry {
            toml::source_position at;
            std::string key;
            const toml::node* node;
        };
        std::vector<Entry> list;
        for (const auto& [key, node] : t)
            list.push_back({key.source().begin, std::string(key.str()), &node});
        std::stable_sort(list.begin(), list.end(), [](const Entry& a, const Entry& b) {
            return std::pair(a.at.line, a.at.column) < std::pair(b.at.line, b.at.column);
        });
        std::vector<std::pair<std::string, const toml::node*>> out;
        for (auto& e : list)
            out.emplace_back(std::move(e.key), e.node);
        return out;
    }

    static std::string join(const std::string& prefix, const std::string& key) {
        return prefix.empty() ? key : prefix + "." + key;
    }

    using Handler = std::function<void(const toml::node&, const std::string& path)>;

    // Calls the handler of every key of `t` in the file's order; a key without one is an error
    // naming it, where it is, and the keys that are known there.
    void walk(const toml::table& t, const std::string& prefix,
              const std::vector<std::pair<std::string, Handler>>& handlers) const {
        for (const auto& [key, node] : entries(t)) {
            auto h = std::find_if(handlers.begin(), handlers.end(),
                                  [&](const auto& entry) { return entry.first == key; });
            if (h == handlers.end()) {
                std::string known;
                for (const auto& entry : handlers)
                    known += (known.empty() ? "" : ", ") + entry.first;
                fail(join(prefix, key), "unknown key", key_source(t, key), "; known: " + known);
            }
            h->second(*node, join(prefix, key));
        }
    }

    static toml::source_region key_source(const toml::table& t, const std::string& key) {
        for (const auto& [k, node] : t)
            if (k.str() == key) return k.source();
        return t.source();
    }

    // A number (the constant) or {base, scale, power, stddev}.
    NeuronValue neuron_value(const toml::node& node, const std::string& path) const {
        NeuronValue v;
        if (node.is_number()) {
            v.base = number(node, path);
            return v;
        }
        if (!node.is_table())
            wrong_type(path, "a number or a table {base, scale, power, stddev}", node);
        walk(*node.as_table(), path,
             {{"base", [&](const toml::node& n, const std::string& p) { v.base = number(n, p); }},
              {"scale", [&](const toml::node& n, const std::string& p) { v.scale = number(n, p); }},
              {"power", [&](const toml::node& n, const std::string& p) { v.power = number(n, p); }},
              {"stddev",
               [&](const toml::node& n, const std::string& p) { v.stddev = number(n, p); }}});
        return v;
    }

    // A number (a constant weight) or {kind = "constant" | "normal" | "uniform", w0, w1}.
    WeightDist weight(const toml::node& node, const std::string& path) const {
        WeightDist w;
        if (node.is_number()) {
            w.w0 = number(node, path);
            return w;
        }
        if (!node.is_table()) wrong_type(path, "a number or a table {kind, w0, w1}", node);
        walk(*node.as_table(), path,
             {{"kind",
               [&](const toml::node& n, const std::string& p) {
                   const std::string kind = string(n, p);
                   const auto parsed = parse_weight_kind(kind);
                   if (!parsed)
                       fail(p, "unknown kind '" + kind + "' (known: constant, normal, uniform)",
                            n.source());
                   w.kind = *parsed;
               }},
              {"w0", [&](const toml::node& n, const std::string& p) { w.w0 = number(n, p); }},
              {"w1", [&](const toml::node& n, const std::string& p) { w.w1 = number(n, p); }}});
        return w;
    }

    // [[NAME]] (or NAME = [...]): the array's tables, each read by `read` with its path NAME[i].
    void each_table(const toml::node& node, const std::string& path,
                    const std::function<void(const toml::table&, const std::string&)>& read) const {
        const toml::array& list = array(node, path);
        for (size_t i = 0; i < list.size(); ++i) {
            const std::string item = path + "[" + std::to_string(i) + "]";
            read(table(list[i], item), item);
        }
    }
};

} // namespace

Configuration Configuration::from_toml_string(const std::string& text, const std::string& origin) {
    const Reader r{origin};
    toml::table doc;
    try {
        doc = toml::parse(text, origin);
    } catch (const toml::parse_error& e) {
        throw Exception(make_error(
            ErrorCode::invalid_argument,
            "from_toml: " + origin + ":" + std::to_string(e.source().begin.line) + ":" +
                std::to_string(e.source().begin.column) + ": " + std::string(e.description())));
    }

    // Which top-level keys are there (every unknown one is an error), then applied in a fixed
    // order: the preset first, the emitter before the parameters it owns.
    std::map<std::string, const toml::node*> top;
    auto keep = [&](const toml::node& n, const std::string& p) { top[p] = &n; };
    r.walk(doc, "",
           {{"preset", keep},
            {"runtime", keep},
            {"column", keep},
            {"cell_types", keep},
            {"emitter", keep},
            {"params", keep},
            {"initial", keep},
            {"pathway", keep},
            {"input", keep},
            {"probes", keep},
            {"record", keep},
            {"contacts", keep}});
    auto at = [&](const char* key) -> const toml::node* {
        auto it = top.find(key);
        return it == top.end() ? nullptr : it->second;
    };

    Configuration c;
    if (const auto* n = at("preset")) {
        try {
            c = Configuration::preset(r.string(*n, "preset"));
        } catch (const Exception& e) {
            std::string message = e.error().message;
            const std::string op = "Configuration::preset: ";
            if (message.rfind(op, 0) == 0) message.erase(0, op.size());
            r.fail("preset", message, n->source());
        }
    }
    ConfigurationData& d = c.data_;

    if (const auto* n = at("runtime"))
        r.walk(r.table(*n, "runtime"), "runtime",
               {{"seed",
                 [&](const toml::node& v, const std::string& p) {
                     d.runtime = d.runtime.with_seed(static_cast<uint64_t>(r.integer(v, p)));
                 }},
                {"dtype",
                 [&](const toml::node& v, const std::string& p) {
                     const std::string name = r.string(v, p);
                     auto dtype = parse_dtype(name);
                     if (!dtype || (*dtype != DType::float32 && *dtype != DType::float64))
                         r.fail(p, "unknown dtype '" + name + "' (known: float32, float64)",
                                v.source());
                     d.runtime = d.runtime.with_dtype(*dtype);
                 }},
                {"duration_ms", [&](const toml::node& v,
                                    const std::string& p) { d.duration_ms = r.number(v, p); }},
                {"dt_ms",
                 [&](const toml::node& v, const std::string& p) { d.dt_ms = r.number(v, p); }},
                {"device",
                 [&](const toml::node& v, const std::string& p) {
                     const std::string name = r.string(v, p);
                     auto device = parse_device(name);
                     if (!device)
                         r.fail(p,
                                "unknown device '" + name + "' (known: cpu, cuda, gpu, cuda-emu)",
                                v.source());
                     d.runtime = d.runtime.with_device(*device);
                 }},
                {"threads", [&](const toml::node& v, const std::string& p) {
                     d.runtime = d.runtime.with_threads(
                         static_cast<int>(r.integer(v, p, 0, std::numeric_limits<int>::max())));
                 }}});

    if (const auto* n = at("column"))
        r.walk(r.table(*n, "column"), "column",
               {{"name", [&](const toml::node& v,
                             const std::string& p) { d.column_name = r.string(v, p); }},
                {"layers",
                 [&](const toml::node& v, const std::string& p) {
                     d.layer_names.clear();
                     if (v.is_integer()) {
                         d.layers = r.integer(v, p, std::numeric_limits<int64_t>::min());
                         return;
                     }
                     if (!v.is_array()) r.wrong_type(p, "an integer or an array of names", v);
                     const toml::array& names = r.array(v, p);
                     for (size_t i = 0; i < names.size(); ++i)
                         d.layer_names.push_back(
                             r.string(names[i], p + "[" + std::to_string(i) + "]"));
                     d.layers = static_cast<int64_t>(names.size());
                 }},
                {"n", [&](const toml::node& v, const std::string& p) {
                     d.n = r.integer(v, p, std::numeric_limits<int64_t>::min());
                 }}});

    if (const auto* n = at("cell_types")) {
        std::vector<std::pair<std::string, double>> fractions;
        for (const auto& [name, value] : Reader::entries(r.table(*n, "cell_types")))
            fractions.emplace_back(name, r.number(*value, "cell_types." + name));
        d.cell_types = std::move(fractions);
    }

    if (const auto* n = at("emitter")) {
        const toml::table& emitter = r.table(*n, "emitter");
        std::optional<std::string> model;
        const toml::node* attrs = nullptr;
        r.walk(
            emitter, "emitter",
            {{"model", [&](const toml::node& v, const std::string& p) { model = r.string(v, p); }},
             {"preset",
              [&](const toml::node& v, const std::string& p) { d.preset = r.string(v, p); }},
             {"attrs", [&](const toml::node& v, const std::string&) { attrs = &v; }}});
        if (model && *model != d.model) {
            // The preset's attrs, parameters and initial states belong to its model.
            d.attrs.clear();
            d.params.clear();
            d.initial.clear();
            d.model = *model;
        }
        if (attrs)
            for (const auto& [name, value] : Reader::entries(r.table(*attrs, "emitter.attrs")))
                d.attrs[name] = r.number(*value, "emitter.attrs." + name);
    }

    for (const char* key : {"params", "initial"})
        if (const auto* n = at(key)) {
            auto& target = std::string(key) == "params" ? d.params : d.initial;
            for (const auto& [type, values] : Reader::entries(r.table(*n, key))) {
                const std::string path = std::string(key) + "." + type;
                for (const auto& [name, value] : Reader::entries(r.table(*values, path)))
                    target[type][name] = r.neuron_value(*value, path + "." + name);
            }
        }

    if (const auto* n = at("pathway")) {
        d.pathways.clear();
        r.each_table(*n, "pathway", [&](const toml::table& t, const std::string& path) {
            Pathway pw;
            auto str = [&](std::string& field) {
                return [&](const toml::node& v, const std::string& p) { field = r.string(v, p); };
            };
            auto num = [&](double& field) {
                return [&](const toml::node& v, const std::string& p) { field = r.number(v, p); };
            };
            r.walk(t, path,
                   {{"source", str(pw.source)},
                    {"target", str(pw.target)},
                    {"format", str(pw.format)},
                    {"p", num(pw.p)},
                    {"k",
                     [&](const toml::node& v, const std::string& p) {
                         pw.k = r.integer(v, p, std::numeric_limits<int64_t>::min());
                     }},
                    {"weight", [&](const toml::node& v,
                                   const std::string& p) { pw.weight = r.weight(v, p); }},
                    {"delay_ms", num(pw.delay_ms)},
                    {"channel", str(pw.channel)},
                    {"autapses", [&](const toml::node& v, const std::string& p) {
                         pw.autapses = r.boolean(v, p);
                     }}});
            d.pathways.push_back(std::move(pw));
        });
    }

    if (const auto* n = at("input")) {
        d.inputs.clear();
        r.each_table(*n, "input", [&](const toml::table& t, const std::string& path) {
            Input in;
            auto str = [&](std::string& field) {
                return [&](const toml::node& v, const std::string& p) { field = r.string(v, p); };
            };
            auto num = [&](double& field) {
                return [&](const toml::node& v, const std::string& p) { field = r.number(v, p); };
            };
            r.walk(t, path,
                   {{"target", str(in.target)},
                    {"kind", str(in.kind)},
                    {"channel", str(in.channel)},
                    {"rate_hz", num(in.rate_hz)},
                    {"sources",
                     [&](const toml::node& v, const std::string& p) {
                         in.sources = r.integer(v, p, std::numeric_limits<int64_t>::min());
                     }},
                    {"weight", num(in.weight)},
                    {"mean", num(in.mean)},
                    {"stddev", num(in.stddev)}});
            d.inputs.push_back(std::move(in));
        });
    }

    if (const auto* n = at("probes")) {
        const toml::array& list = r.array(*n, "probes");
        d.probes.clear();
        for (size_t i = 0; i < list.size(); ++i)
            d.probes.push_back(r.string(list[i], "probes[" + std::to_string(i) + "]"));
    }
    if (const auto* n = at("record")) {
        const toml::array& list = r.array(*n, "record");
        d.recorded.clear();
        for (size_t i = 0; i < list.size(); ++i)
            d.recorded.push_back(
                static_cast<int32_t>(r.integer(list[i], "record[" + std::to_string(i) + "]", 0,
                                               std::numeric_limits<int32_t>::max())));
    }
    if (const auto* n = at("contacts"))
        d.contacts = r.integer(*n, "contacts", std::numeric_limits<int64_t>::min());
    return c;
}

Configuration Configuration::from_toml_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw Exception(make_error(ErrorCode::io, "from_toml_file: cannot read " + path));
    std::ostringstream text;
    text << file.rdbuf();
    if (file.bad())
        throw Exception(make_error(ErrorCode::io, "from_toml_file: cannot read " + path));
    return from_toml_string(text.str(), path);
}

} // namespace be
