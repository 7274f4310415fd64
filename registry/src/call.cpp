// Target::call: dispatch by the tensors' device, validation of a call against the chosen
// implementation's signature, then marshalling into the entry convention shared by the CPU
// trampolines and cuLaunchKernel (params[i] points at the i-th parameter's value, see
// kernels/include/be/entry.h) before the implementation runs (backend.h).
#include "backend.h"

#include <becore/registry/registry.h>
#include <becore/runtime/dtype.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

namespace be {
namespace {

// Storage for one scalar parameter, large enough for any attr type or the stream handle.
union Scalar {
    bool b;
    int8_t i8;
    int16_t i16;
    int32_t i32;
    int64_t i64;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    uint16_t bits16; // float16 / bfloat16, for .cu kernels taking __half / __nv_bfloat16
    float f32;
    double f64;
};

template <typename T> bool fits(const AttrValue& value) {
    if (auto* i = std::get_if<int64_t>(&value)) {
        if constexpr (std::is_signed_v<T>)
            return *i >= std::numeric_limits<T>::min() && *i <= std::numeric_limits<T>::max();
        else
            return *i >= 0 && static_cast<uint64_t>(*i) <= std::numeric_limits<T>::max();
    }
    if (auto* u = std::get_if<uint64_t>(&value))
        return *u <= static_cast<uint64_t>(std::numeric_limits<T>::max());
    return false;
}

template <typename T> T integer_value(const AttrValue& value) {
    if (auto* i = std::get_if<int64_t>(&value)) return static_cast<T>(*i);
    return static_cast<T>(std::get<uint64_t>(value));
}

double floating_value(const AttrValue& value) {
    if (auto* d = std::get_if<double>(&value)) return *d;
    if (auto* i = std::get_if<int64_t>(&value)) return static_cast<double>(*i);
    return static_cast<double>(std::get<uint64_t>(value));
}

std::string describe(const AttrValue& value) {
    return std::visit(
        [](auto v) {
            if constexpr (std::is_same_v<decltype(v), bool>)
                return std::string(v ? "true" : "false");
            else
                return std::to_string(v);
        },
        value);
}

// Converts `value` to the attr's declared type; an empty string means success.
std::string convert_attr(const Param& param, const AttrValue& value, Scalar& out) {
    const DType type = *param.dtype;
    const bool is_bool = std::holds_alternative<bool>(value);
    const bool is_double = std::holds_alternative<double>(value);
    auto mismatch = [&](const char* why) {
        return "attr '" + param.name + "' is " + std::string(dtype_name(type)) + " but got " +
               describe(value) + " (" + why + ")";
    };
    switch (type) {
    case DType::bool_:
        if (!is_bool) return mismatch("not a boolean");
        out.b = std::get<bool>(value);
        return {};
    case DType::float16:
    case DType::bfloat16: {
        if (is_bool) return mismatch("a boolean is not a number");
        const double d = floating_value(value);
        const double max = type == DType::float16 ? 65504.0 : std::numeric_limits<float>::max();
        if (std::isfinite(d) && std::fabs(d) > max)
            return mismatch(type == DType::float16 ? "out of float16 range" : "out of bfloat16 range");
        out.bits16 = type == DType::float16 ? float16_bits(static_cast<float>(d))
                                            : bfloat16_bits(static_cast<float>(d));
        return {};
    }
    case DType::float32:
    case DType::float64:
        if (is_bool) return mismatch("a boolean is not a number");
        if (type == DType::float32) {
            double d = floating_value(value);
            if (std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max())
                return mismatch("out of float32 range");
            out.f32 = static_cast<float>(d);
        } else {
            out.f64 = floating_value(value);
        }
        return {};
    default:
        break;
    }
    if (is_bool || is_double) return mismatch("not an integer");
#define BE_INTEGER_CASE(dtype, field, ctype)                                                       \
    case DType::dtype:                                                                             \
        if (!fits<ctype>(value)) return mismatch("out of range");                                  \
        out.field = integer_value<ctype>(value);                                                   \
        return {};
    switch (type) {
        BE_INTEGER_CASE(int8, i8, int8_t)
        BE_INTEGER_CASE(int16, i16, int16_t)
        BE_INTEGER_CASE(int32, i32, int32_t)
        BE_INTEGER_CASE(int64, i64, int64_t)
        BE_INTEGER_CASE(uint8, u8, uint8_t)
        BE_INTEGER_CASE(uint16, u16, uint16_t)
        BE_INTEGER_CASE(uint32, u32, uint32_t)
        BE_INTEGER_CASE(uint64, u64, uint64_t)
    default:
        return "attr '" + param.name + "' has type " + std::string(dtype_name(type)) +
               ", which host kernels cannot take";
    }
#undef BE_INTEGER_CASE
}

std::string check_tensor(const Param& param, const char* role, size_t index, const BE::Tensor& t) {
    std::string what = std::string(role) + " " + std::to_string(index) + " ('" + param.name + "')";
    if (param.dtype && t.dtype() != *param.dtype)
        return what + " has dtype " + std::string(dtype_name(t.dtype())) +
               " but the target requires " + std::string(dtype_name(*param.dtype));
    if (t.numel() > 0 && t.data_ptr() == nullptr) return what + " has no data";
    return {};
}

std::string tensor_name(const Signature& s, ParamKind kind, size_t index) {
    size_t seen = 0;
    for (const auto& p : s.params)
        if (p.kind == kind && seen++ == index) return p.name;
    return "?";
}

// The one device all tensors of a call are on (cpu when there are none), or why there is none.
Result<std::pair<Device, int>> call_device(const Signature& s, std::span<const BE::Tensor> args,
                                           std::span<BE::Tensor> rets) {
    std::optional<std::pair<Device, int>> device;
    std::string first;
    auto visit = [&](const BE::Tensor& t, ParamKind kind, size_t i) -> std::optional<std::string> {
        const std::pair<Device, int> here{t.device(), t.device() == Device::cpu ? 0 : t.device_index};
        const std::string what = std::string(param_kind_name(kind)) + " " + std::to_string(i) +
                                 " ('" + tensor_name(s, kind, i) + "')";
        auto where = [](const std::pair<Device, int>& d) {
            return std::string(device_name(d.first)) +
                   (d.first == Device::cpu ? "" : ":" + std::to_string(d.second));
        };
        if (!device) {
            device = here;
            first = what;
        } else if (*device != here) {
            return what + " is on device " + where(here) + " but " + first + " is on device " +
                   where(*device) + " (all tensors of a call must be on one device)";
        }
        return std::nullopt;
    };
    for (size_t i = 0; i < args.size(); ++i)
        if (auto problem = visit(args[i], ParamKind::arg, i)) return make_error(*problem);
    for (size_t i = 0; i < rets.size(); ++i)
        if (auto problem = visit(rets[i], ParamKind::ret, i)) return make_error(*problem);
    return device.value_or(std::pair<Device, int>{Device::cpu, 0});
}

// Makes `registry` the calling registry of this thread for the scope (BE::cuda_launch names).
class CallingRegistryScope {
  public:
    explicit CallingRegistryScope(const Registry* registry)
        : previous_(std::exchange(detail::calling_registry(), registry)) {}
    ~CallingRegistryScope() { detail::calling_registry() = previous_; }
    CallingRegistryScope(const CallingRegistryScope&) = delete;
    CallingRegistryScope& operator=(const CallingRegistryScope&) = delete;

  private:
    const Registry* previous_;
};

} // namespace

Result<AttrValue> parse_attr_value(const Param& param, std::string_view text) {
    const std::string op = "parse_attr_value(" + param.name + "=" + std::string(text) + ")";
    const std::string value(text);
    const DType type = param.dtype.value_or(DType::float64);
    if (type == DType::bool_) {
        if (value == "true" || value == "1") return AttrValue(true);
        if (value == "false" || value == "0") return AttrValue(false);
        return make_error(op + ": expected true, false, 1 or 0 for a bool attr");
    }
    size_t used = 0;
    try {
        if (type == DType::float32 || type == DType::float64 || type == DType::float16 ||
            type == DType::bfloat16) {
            double d = std::stod(value, &used);
            if (used == value.size()) return AttrValue(d);
        } else if (!value.empty() && value[0] != '-' &&
                   (type == DType::uint8 || type == DType::uint16 || type == DType::uint32 ||
                    type == DType::uint64)) {
            unsigned long long u = std::stoull(value, &used, 10);
            if (used == value.size()) return AttrValue(static_cast<uint64_t>(u));
        } else {
            long long i = std::stoll(value, &used, 10);
            if (used == value.size()) return AttrValue(static_cast<int64_t>(i));
        }
    } catch (const std::out_of_range&) {
        return make_error(op + ": out of range for " + std::string(dtype_name(type)));
    } catch (const std::invalid_argument&) {
    }
    return make_error(op + ": not a valid " + std::string(dtype_name(type)));
}

Result<void> Target::call(std::span<const BE::Tensor> args, std::span<BE::Tensor> rets,
                          const AttrMap& attrs, int64_t stream) const {
    const std::string op = "call(" + name_ + ")";
    auto device = call_device(signature(), args, rets);
    if (!device) return make_error(op + ": " + device.error().message);
    const detail::TargetImpl* impl = nullptr;
    std::string have;
    for (const auto& i : impls_) {
        if (i->device == device->first) impl = i.get();
        have += (have.empty() ? "" : ", ") + std::string(device_name(i->device)) + " (" +
                i->signature.file + ":" + std::to_string(i->signature.line) + ")";
    }
    if (impl == nullptr)
        return make_error(op + ": the tensors are on " + std::string(device_name(device->first)) +
                          ", but the target has implementations for " + have + " only");
    if (impl->load_error)
        return make_error(op + ": the target is unavailable because its source failed to load: " +
                              impl->load_error->message,
                          impl->load_error->log);
    const auto& params = impl->signature.params;
    size_t n_args = 0, n_rets = 0;
    for (const auto& p : params) {
        n_args += p.kind == ParamKind::arg;
        n_rets += p.kind == ParamKind::ret;
    }
    if (args.size() != n_args || rets.size() != n_rets)
        return make_error(op + ": expected " + std::to_string(n_args) + " args and " +
                          std::to_string(n_rets) + " rets, got " + std::to_string(args.size()) +
                          " args and " + std::to_string(rets.size()) + " rets");
    for (const auto& [attr_name, value] : attrs) {
        bool known = false;
        for (const auto& p : params)
            known |= p.kind == ParamKind::attr && p.name == attr_name;
        if (!known) return make_error(op + ": unknown attr '" + attr_name + "'");
    }

    std::vector<void*> pointers(params.size());
    std::vector<Scalar> scalars(params.size());
    size_t next_arg = 0, next_ret = 0;
    for (size_t i = 0; i < params.size(); ++i) {
        const Param& p = params[i];
        std::string problem;
        switch (p.kind) {
        case ParamKind::arg:
            problem = check_tensor(p, "arg", next_arg, args[next_arg]);
            pointers[i] = const_cast<BE::Tensor*>(&args[next_arg++]);
            break;
        case ParamKind::ret:
            problem = check_tensor(p, "ret", next_ret, rets[next_ret]);
            pointers[i] = &rets[next_ret++];
            break;
        case ParamKind::stream:
            scalars[i].i64 = stream;
            pointers[i] = &scalars[i];
            break;
        case ParamKind::attr: {
            auto found = attrs.find(p.name);
            if (found == attrs.end())
                problem = "missing attr '" + p.name + "'";
            else
                problem = convert_attr(p, found->second, scalars[i]);
            pointers[i] = &scalars[i];
            break;
        }
        }
        if (!problem.empty()) return make_error(op + ": " + problem);
    }

    CallingRegistryScope scope(registry_);
    return impl->invoke(op, pointers.data(), stream, device->second);
}

} // namespace be
