// becore._jax_ffi: one XLA FFI handler that calls any becore target by name, for
// becore.jax.call (frontends/python/becore/jax.py wraps jax.ffi.ffi_call around it). Built
// against the FFI headers jaxlib ships (jax.ffi.include_dir()) when CMake finds JAX in the
// build's Python; a separate extension from _becore so that the package imports without JAX.
//
// The call's attributes: `target` (the target's name, a string) and the target's own attrs by
// name (bool, integer and float scalars, converted to the declared types by the registry). XLA
// buffers are dense row-major (ffi_call's default layout), so each becomes a contiguous
// BE::Tensor view of XLA's memory: no copy. The call is call_target's, as becore.call's: a
// target of the op table (op_table.h) through call_op, so bad shapes and dtypes get check_op's
// message before any kernel runs; any other target through the registry's call, with its checks
// and its BE_CHECKs. A becore error becomes an XLA FFI error with the message unchanged and the
// code mapped by be::ErrorCode (ffi_code).
#include <becore/frontends/op_table.h>
#include <becore/registry/registry.h>

#include <nanobind/nanobind.h>

#include <xla/ffi/api/ffi.h>

#include <optional>
#include <string>
#include <vector>

namespace ffi = xla::ffi;
namespace nb = nanobind;

namespace be {
namespace {

// Each becore code to a distinct XLA code, so that the kind survives the trip through XLA.
ffi::ErrorCode ffi_code(ErrorCode code) {
    switch (code) {
    case ErrorCode::invalid_argument:
        return ffi::ErrorCode::kInvalidArgument;
    case ErrorCode::not_found:
        return ffi::ErrorCode::kNotFound;
    case ErrorCode::unavailable:
        return ffi::ErrorCode::kUnavailable;
    case ErrorCode::compile_failed:
        return ffi::ErrorCode::kFailedPrecondition;
    case ErrorCode::kernel_failed:
        return ffi::ErrorCode::kInternal;
    case ErrorCode::io:
        return ffi::ErrorCode::kDataLoss;
    }
    return ffi::ErrorCode::kUnknown;
}

ffi::Error ffi_error(const Error& e) {
    return ffi::Error(ffi_code(e.code()), e.full());
}

ffi::Error invalid(const std::string& target, const std::string& problem) {
    return ffi::Error(ffi::ErrorCode::kInvalidArgument,
                      "becore.jax.call(" + target + "): " + problem);
}

std::optional<DType> dtype_of(ffi::DataType t) {
    switch (t) {
    case ffi::DataType::PRED:
        return DType::bool_;
    case ffi::DataType::S8:
        return DType::int8;
    case ffi::DataType::S16:
        return DType::int16;
    case ffi::DataType::S32:
        return DType::int32;
    case ffi::DataType::S64:
        return DType::int64;
    case ffi::DataType::U8:
        return DType::uint8;
    case ffi::DataType::U16:
        return DType::uint16;
    case ffi::DataType::U32:
        return DType::uint32;
    case ffi::DataType::U64:
        return DType::uint64;
    case ffi::DataType::F16:
        return DType::float16;
    case ffi::DataType::BF16:
        return DType::bfloat16;
    case ffi::DataType::F32:
        return DType::float32;
    case ffi::DataType::F64:
        return DType::float64;
    default:
        return std::nullopt;
    }
}

// A contiguous cpu view of an XLA buffer; empty with `problem` set when becore cannot hold it.
BE::Tensor view_of(const ffi::AnyBuffer& b, std::string& problem) {
    BE::Tensor t;
    const auto dtype = dtype_of(b.element_type());
    const auto dims = b.dimensions();
    if (!dtype) {
        problem = "has an element type becore has no dtype for";
        return t;
    }
    if (dims.size() > static_cast<size_t>(BE::k_max_rank)) {
        problem = "has " + std::to_string(dims.size()) +
                  " dimensions; becore tensors have at most " + std::to_string(BE::k_max_rank);
        return t;
    }
    t.data = b.untyped_data();
    t.dtype_ = *dtype;
    t.device_ = Device::cpu;
    t.rank = static_cast<int32_t>(dims.size());
    int64_t stride = 1;
    for (int i = t.rank - 1; i >= 0; --i) {
        t.shape[i] = dims[i];
        t.strides[i] = stride;
        stride *= dims[i];
    }
    return t;
}

// The call's attrs but `target`, as the registry takes them. Values are read by name: jaxlib
// 0.10's Dictionary::get<T>(iterator) returns the value through std::optional<size_t>, which
// truncates a float attr (2.5 -> 2).
std::optional<ffi::Error> attrs_of(const ffi::Dictionary& attrs, const std::string& target,
                                   AttrMap& out) {
    for (auto it = attrs.begin(); it != attrs.end(); ++it) {
        const std::string name(*it);
        if (name == "target") continue;
        if (attrs.isa<bool>(it))
            out.emplace(name, *attrs.get<bool>(name));
        else if (attrs.isa<int64_t>(it))
            out.emplace(name, *attrs.get<int64_t>(name));
        else if (attrs.isa<int32_t>(it))
            out.emplace(name, int64_t{*attrs.get<int32_t>(name)});
        else if (attrs.isa<uint64_t>(it))
            out.emplace(name, *attrs.get<uint64_t>(name));
        else if (attrs.isa<double>(it))
            out.emplace(name, *attrs.get<double>(name));
        else if (attrs.isa<float>(it))
            out.emplace(name, double{*attrs.get<float>(name)});
        else
            return invalid(target, "attr " + name + " is not a bool, an integer or a float scalar");
    }
    return std::nullopt;
}

ffi::Error handle_call(ffi::RemainingArgs args, ffi::RemainingRets rets, ffi::Dictionary attrs) {
    const auto name = attrs.get<std::string_view>("target");
    if (name.has_error())
        return ffi::Error(ffi::ErrorCode::kInvalidArgument,
                          "becore.jax.call: the call has no string attribute 'target'");
    const std::string target(*name);
    std::vector<BE::Tensor> arg_views, ret_views;
    std::string problem;
    for (size_t i = 0; i < args.size(); ++i) {
        arg_views.push_back(view_of(*args.get<ffi::AnyBuffer>(i), problem));
        if (!problem.empty()) return invalid(target, "arg " + std::to_string(i) + " " + problem);
    }
    for (size_t i = 0; i < rets.size(); ++i) {
        ret_views.push_back(view_of(**rets.get<ffi::AnyBuffer>(i), problem));
        if (!problem.empty()) return invalid(target, "ret " + std::to_string(i) + " " + problem);
    }
    AttrMap attr_map;
    if (auto error = attrs_of(attrs, target, attr_map)) return *error;
    if (auto done = call_target(target, arg_views, ret_views, attr_map); !done)
        return ffi_error(done.error());
    return ffi::Error::Success();
}

} // namespace
} // namespace be

XLA_FFI_DEFINE_HANDLER_SYMBOL(becore_call_cpu, be::handle_call,
                              ffi::Ffi::Bind().RemainingArgs().RemainingRets().Attrs());

NB_MODULE(_jax_ffi, m) {
    // The handler for jax.ffi.register_ffi_target(..., platform="cpu"). XLA's CPU client hands
    // buffers in host memory; a CUDA handler (device memory, the stream) is not built here.
    m.def("cpu_handler", [] { return nb::capsule(reinterpret_cast<void*>(&becore_call_cpu)); });
}
