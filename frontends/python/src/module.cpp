// becore._becore: the nanobind extension under the Python package (frontends/python/becore). It
// binds the process registry (builtin_registry(): user targets and the built-ins by need), the
// kernel cache's report and the process settings; the package's Python code gives them their
// public signatures (docs/python.md).
//
// Arrays arrive as NumPy arrays already C-contiguous (the package copies others) and become
// BE::Tensor views of the same memory: no copy here. Every check of a call (target, counts,
// dtypes, devices, attrs) is the registry's; the only ones here are those a BE::Tensor cannot
// hold (a dtype becore has no code for, a rank over 8). The GIL is released while becore works,
// so kernels' TBB threads and other Python threads run meanwhile. A be::Exception becomes the
// package's exception class for its ErrorCode (becore.errors), with the message unchanged.
#include <becore/cache/kernel_cache.h>
#include <becore/frontends/builtins.h>
#include <becore/frontends/op_table.h>
#include <becore/frontends/runtime_report.h>
#include <becore/registry/registry.h>
#include <becore/runtime/paths.h>
#include <becore/runtime/settings.h>

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <memory>
#include <string>
#include <vector>

namespace nb = nanobind;

namespace be {
namespace {

using ArgArray = nb::ndarray<nb::ro, nb::device::cpu>;
using RetArray = nb::ndarray<nb::device::cpu>;

[[noreturn]] void invalid(const std::string& message) {
    throw Exception(make_error(ErrorCode::invalid_argument, message));
}

template <typename T> T value_or_throw(Result<T> result) {
    if (!result) throw Exception(result.error());
    return std::move(result.value());
}

void value_or_throw(const Result<void>& result) {
    if (!result) throw Exception(result.error());
}

// json → Python through the json module: the reports are small and this keeps one encoder.
nb::object to_python(const nlohmann::json& value) {
    return nb::module_::import_("json").attr("loads")(value.dump());
}

std::optional<DType> dtype_of(nb::dlpack::dtype t) {
    using Code = nb::dlpack::dtype_code;
    if (t.lanes != 1) return std::nullopt;
    const auto code = static_cast<Code>(t.code);
    switch (t.bits) {
    case 8:
        if (code == Code::Bool) return DType::bool_;
        if (code == Code::Int) return DType::int8;
        if (code == Code::UInt) return DType::uint8;
        break;
    case 16:
        if (code == Code::Int) return DType::int16;
        if (code == Code::UInt) return DType::uint16;
        if (code == Code::Float) return DType::float16;
        if (code == Code::Bfloat) return DType::bfloat16;
        break;
    case 32:
        if (code == Code::Int) return DType::int32;
        if (code == Code::UInt) return DType::uint32;
        if (code == Code::Float) return DType::float32;
        break;
    case 64:
        if (code == Code::Int) return DType::int64;
        if (code == Code::UInt) return DType::uint64;
        if (code == Code::Float) return DType::float64;
        break;
    }
    return std::nullopt;
}

// Array `index` of its kind ("arg", "ret") of a call of `target`; messages start with
// "call(<target>): <kind> <index>", formatted on failure only.
template <typename Array>
BE::Tensor view_of(const Array& a, Device device, const std::string& target, const char* kind,
                   size_t index) {
    auto what = [&] { return "call(" + target + "): " + kind + " " + std::to_string(index); };
    auto dtype = dtype_of(a.dtype());
    if (!dtype) invalid(what() + " has an element type becore has no dtype for");
    if (a.ndim() > static_cast<size_t>(BE::k_max_rank))
        invalid(what() + " has " + std::to_string(a.ndim()) +
                " dimensions; becore tensors have at "
                "most " +
                std::to_string(BE::k_max_rank));
    BE::Tensor t;
    t.data = const_cast<void*>(static_cast<const void*>(a.data())); // args: the kernel reads only
    t.dtype_ = *dtype;
    t.device_ = device;
    t.rank = static_cast<int32_t>(a.ndim());
    for (size_t i = 0; i < a.ndim(); ++i) {
        t.shape[i] = static_cast<int64_t>(a.shape(i));
        t.strides[i] = a.stride(i);
    }
    return t;
}

AttrValue attr_of(const std::string& name, const std::string& target, nb::handle value) {
    // bool first: Python's bool is an int. NumPy scalars arrive through __index__/__float__.
    if (nb::isinstance<nb::bool_>(value) ||
        nb::hasattr(value, "dtype") && nb::str(value.attr("dtype")).equal(nb::str("bool")))
        return PyObject_IsTrue(value.ptr()) == 1; // NumPy's bool is no Python bool
    if (nb::hasattr(value, "__index__")) {
        nb::object number = value.attr("__index__")();
        if (int64_t i = 0; nb::try_cast(number, i)) return i;
        if (uint64_t u = 0; nb::try_cast(number, u)) return u; // [2^63, 2^64): for uint64 attrs
        invalid("call(" + target + "): attr " + name + " = " +
                nb::cast<std::string>(nb::str(number)) + " does not fit in 64 bits");
    }
    if (nb::hasattr(value, "__float__")) return nb::cast<double>(value.attr("__float__")());
    invalid("call(" + target + "): attr " + name + " is a " +
            nb::cast<std::string>(nb::type_name(value.type())) +
            ", not a bool, an integer or a float");
}

nb::dict param_dict(const Param& p) {
    nb::dict d;
    d["kind"] = param_kind_name(p.kind);
    d["name"] = p.name;
    d["dtype"] = p.dtype ? nb::cast(std::string(dtype_name(*p.dtype))) : nb::none();
    return d;
}

nb::dict target_dict(const Target& t) {
    const Signature& s = t.signature();
    nb::list params, devices;
    for (const auto& p : s.params)
        params.append(param_dict(p));
    for (Device d : t.devices())
        devices.append(std::string(device_name(d)));
    nb::dict d;
    d["name"] = t.name();
    d["file"] = s.file;
    d["line"] = s.line;
    d["params"] = params;
    d["devices"] = devices;
    d["launch"] = s.launch ? nb::cast(s.launch->text) : nb::none();
    d["load_error"] = t.load_error() ? nb::cast(t.load_error()->full()) : nb::none();
    return d;
}

nb::dict report_dict(const LoadReport& r) {
    nb::dict d;
    d["file"] = r.file;
    d["targets"] = r.targets;
    d["backend"] = r.backend;
    d["arch"] = r.arch;
    d["cache_hit"] = r.cache_hit;
    d["unchanged"] = r.unchanged;
    d["milliseconds"] = r.milliseconds;
    d["deferred"] = r.deferred ? nb::cast(r.deferred->message) : nb::none();
    return d;
}

// The Python layer's load keywords: replace, include_dirs, flags, cuda_arch.
LoadOptions load_options(const std::string& prefix, const nb::dict& given) {
    LoadOptions o;
    o.prefix = prefix;
    o.replace = nb::cast<bool>(given["replace"]);
    o.include_dirs = nb::cast<std::vector<std::filesystem::path>>(given["include_dirs"]);
    o.flags = nb::cast<std::vector<std::string>>(given["flags"]);
    o.cuda_arch = nb::cast<std::string>(given["cuda_arch"]);
    return o;
}

nb::list load_file(const std::filesystem::path& path, const std::string& prefix,
                   const nb::dict& given) {
    const LoadOptions options = load_options(prefix, given);
    LoadReport report;
    {
        nb::gil_scoped_release release;
        report = value_or_throw(builtin_registry().load_file(path, options));
    }
    // A file that failed to compile registers its targets with the error; from Python the load
    // itself fails, as a C++ caller checking LoadReport::error would.
    if (report.error) throw Exception(*report.error);
    nb::list out;
    out.append(report_dict(report));
    return out;
}

nb::list load_dir(const std::filesystem::path& dir, const std::string& prefix,
                  const nb::dict& given) {
    const LoadOptions options = load_options(prefix, given);
    std::vector<LoadReport> reports;
    {
        nb::gil_scoped_release release;
        reports = value_or_throw(builtin_registry().load_dir(dir, options.prefix, options));
    }
    for (const auto& r : reports)
        if (r.error) throw Exception(*r.error);
    nb::list out;
    for (const auto& r : reports)
        out.append(report_dict(r));
    return out;
}

AttrMap attr_map_of(const std::string& target, const nb::dict& attrs) {
    AttrMap attr_map;
    for (auto [key, value] : attrs) {
        const std::string attr = nb::cast<std::string>(key);
        attr_map.emplace(attr, attr_of(attr, target, value));
    }
    return attr_map;
}

std::vector<BE::Tensor> views_of(const auto& arrays, Device device, const std::string& target,
                                 const char* kind) {
    std::vector<BE::Tensor> views;
    for (size_t i = 0; i < arrays.size(); ++i)
        views.push_back(view_of(arrays[i], device, target, kind, i));
    return views;
}

void call(const std::string& name, const std::vector<ArgArray>& args,
          const std::vector<RetArray>& rets, const nb::dict& attrs,
          const std::string& device_text) {
    const Device device = value_or_throw(parse_device(device_text));
    if (device == Device::cuda)
        invalid("call(" + name +
                "): NumPy arrays live in host memory; device cuda needs device "
                "arrays (use cpu, or cuda-emu for .cu kernels on the CPU)");
    std::vector<BE::Tensor> arg_views = views_of(args, device, name, "arg");
    std::vector<BE::Tensor> ret_views = views_of(rets, device, name, "ret");
    const AttrMap attr_map = attr_map_of(name, attrs);
    nb::gil_scoped_release release;
    // The op table's shape rules catch what only a kernel's BE_CHECK would (or would not: a
    // spike vector longer than the matrix), before anything runs.
    value_or_throw(call_target(name, arg_views, ret_views, attr_map));
}

// The rets' (shape, dtype) of an op-table target for these args and attrs: what `call` needs
// when the caller gives no rets.
nb::list op_rets(const std::string& name, const std::vector<ArgArray>& args,
                 const nb::dict& attrs) {
    auto found = find_op(name); // the built-in event and JITC targets only
    if (!found)
        invalid("call(" + name +
                "): rets are needed: only the built-in event and JITC targets (becore.ops()) "
                "have known output shapes");
    const OpDesc* op = *found;
    for (size_t i = 0; i < op->rets.size(); ++i)
        if (op->rets[i].in_place)
            invalid("call(" + name + "): ret " + std::to_string(i) + " '" + op->rets[i].name +
                    "' is updated in place: pass the array to update in rets");
    std::vector<TensorSpec> specs;
    for (const auto& view : views_of(args, Device::cpu, name, "arg"))
        specs.push_back(tensor_spec(view));
    nb::list out;
    for (const TensorSpec& spec : value_or_throw(check_op(*op, specs, attr_map_of(name, attrs))))
        out.append(
            nb::make_tuple(nb::tuple(nb::cast(spec.shape)), std::string(dtype_name(spec.dtype))));
    return out;
}

// The op table (op_table.h), for bindings and for users looking for a target.
nb::list ops() {
    nb::list out;
    for (const OpDesc& op : op_table()) {
        nb::dict d;
        d["target"] = op.target;
        d["format"] = op.format;
        d["op"] = op.op;
        d["encoding"] = op.encoding;
        d["dtype"] = std::string(dtype_name(op.dtype));
        nb::list args, rets, attrs;
        for (const auto& a : op.args)
            args.append(nb::make_tuple(a.name, std::string(dtype_name(a.dtype))));
        for (const auto& r : op.rets)
            rets.append(nb::make_tuple(r.name, std::string(dtype_name(r.dtype)), r.in_place));
        for (const auto& a : op.attrs)
            attrs.append(nb::make_tuple(a.name, std::string(dtype_name(a.type))));
        d["args"] = args;
        d["rets"] = rets;
        d["attrs"] = attrs;
        out.append(d);
    }
    return out;
}

nb::list targets(bool pending) {
    std::vector<std::shared_ptr<const Target>> found;
    {
        nb::gil_scoped_release release;
        Registry& registry = builtin_registry();
        if (pending)
            for (const auto& r : registry.load_pending())
                if (r.error) throw Exception(*r.error);
        for (const auto& name : registry.names())
            if (auto t = registry.find(name)) found.push_back(std::move(t));
    }
    nb::list out;
    for (const auto& t : found)
        out.append(target_dict(*t));
    return out;
}

nb::dict cache_info() {
    KernelCache& cache = builtin_registry().cache();
    CacheStats s;
    std::vector<CacheLayerInfo> layers;
    {
        nb::gil_scoped_release release;
        s = cache.stats();
        layers = cache.layers();
    }
    nb::dict stats;
    stats["entries"] = s.entries;
    stats["bytes"] = s.bytes;
    stats["hits"] = s.hits;
    stats["misses"] = s.misses;
    stats["compiles"] = s.compiles;
    stats["corrupt_recovered"] = s.corrupt_recovered;
    stats["compile_seconds_saved"] = s.compile_seconds_saved;
    nb::list layer_list;
    for (const auto& l : layers) {
        nb::dict d;
        d["directory"] = l.directory.string();
        d["usable"] = l.usable;
        d["reason"] = l.reason;
        d["entries"] = l.entries;
        d["bytes"] = l.bytes;
        layer_list.append(d);
    }
    nb::dict d;
    d["directory"] = cache.persistent() ? nb::cast(cache.directory().string()) : nb::none();
    d["persistent"] = cache.persistent();
    d["writable"] = cache.writable();
    d["warning"] = cache.warning();
    d["max_size"] = cache.max_size();
    d["stats"] = stats;
    d["layers"] = layer_list;
    return d;
}

// The Python log sink: called from any thread, it takes the GIL; the callable is released under
// the GIL too, whichever thread drops the last copy of the sink.
LogSink python_sink(nb::object callable) {
    auto held = std::shared_ptr<nb::object>(new nb::object(std::move(callable)), [](nb::object* o) {
        nb::gil_scoped_acquire gil;
        delete o;
    });
    return [held](LogLevel level, std::string_view text) {
        nb::gil_scoped_acquire gil;
        try {
            (*held)(log_level_name(level), nb::str(text.data(), text.size()));
        } catch (nb::python_error& e) {
            e.restore();
            PyErr_WriteUnraisable(held->ptr()); // a failing sink must not unwind into becore
        }
    };
}

LogLevel parse_log_level(const std::string& text) {
    for (LogLevel l : {LogLevel::warn, LogLevel::info, LogLevel::debug})
        if (text == log_level_name(l)) return l;
    invalid("configure: log_level must be warn, info or debug, not '" + text + "'");
}

void configure_from(const nb::dict& given) {
    Settings s;
    for (auto [key, value] : given) {
        const std::string k = nb::cast<std::string>(key);
        if (value.is_none()) continue;
        if (k == "cache_dir")
            s.cache_dir = nb::cast<std::filesystem::path>(value);
        else if (k == "disk_cache")
            s.disk_cache = nb::cast<bool>(value);
        else if (k == "cache_max_size")
            s.cache_max_size = nb::cast<uint64_t>(value);
        else if (k == "kernel_path")
            s.kernel_path = nb::cast<std::string>(value);
        else if (k == "log_level")
            s.log_level = parse_log_level(nb::cast<std::string>(value));
        else if (k == "threads")
            s.threads = nb::cast<int>(value);
        else if (k == "cpu_target")
            s.cpu_target = nb::cast<std::string>(value);
        else if (k == "log_sink")
            s.log_sink = python_sink(nb::borrow(value));
        else
            invalid("configure: unknown setting '" + k + "'");
    }
    nb::gil_scoped_release release;
    value_or_throw(be::configure(s));
}

nb::dict configured_dict() {
    const Settings s = be::configured();
    nb::dict d;
    if (s.cache_dir) d["cache_dir"] = s.cache_dir->string();
    if (s.disk_cache) d["disk_cache"] = *s.disk_cache;
    if (s.cache_max_size) d["cache_max_size"] = *s.cache_max_size;
    if (s.kernel_path) d["kernel_path"] = *s.kernel_path;
    if (s.log_level) d["log_level"] = log_level_name(*s.log_level);
    if (s.threads) d["threads"] = *s.threads;
    if (s.cpu_target) d["cpu_target"] = *s.cpu_target;
    return d;
}

// be::Exception → the class becore.errors.class_for_code(code) names, with the message as is and
// the code and compiler log as attributes.
void translate(const std::exception_ptr& p, void*) {
    try {
        std::rethrow_exception(p);
    } catch (const Exception& e) {
        const Error& error = e.error();
        nb::object cls =
            nb::module_::import_("becore.errors").attr("class_for_code")(error.code_name());
        nb::object exc = cls(error.full());
        exc.attr("code") = error.code_name();
        exc.attr("message") = error.message;
        exc.attr("log") = error.log;
        PyErr_SetObject(cls.ptr(), exc.ptr());
    }
}

} // namespace

void register_simulator(nb::module_& m); // sim_module.cpp
} // namespace be

NB_MODULE(_becore, m) {
    using namespace be;
    nb::register_exception_translator(&translate);
    m.def("runtime_report", [] {
        nb::gil_scoped_release release;
        auto report = to_json(runtime_report(builtin_registry()));
        nb::gil_scoped_acquire gil;
        return to_python(report);
    });
    m.def("load_file", &load_file, nb::arg("path"), nb::arg("prefix"), nb::arg("options"));
    m.def("load_dir", &load_dir, nb::arg("dir"), nb::arg("prefix"), nb::arg("options"));
    m.def("call", &call, nb::arg("name"), nb::arg("args"), nb::arg("rets"), nb::arg("attrs"),
          nb::arg("device"));
    m.def("op_rets", &op_rets, nb::arg("name"), nb::arg("args"), nb::arg("attrs"));
    m.def("ops", &ops);
    m.def("targets", &targets, nb::arg("pending"));
    m.def("cache_info", &cache_info);
    m.def("configure", &configure_from, nb::arg("settings"));
    m.def("configured", &configured_dict);
    m.def("shutdown", [] {
        nb::gil_scoped_release release;
        shutdown();
    });
    m.def("home", [] { return becore_home(); });
    register_simulator(m);
}
