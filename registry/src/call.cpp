// Target::call: validation of a call against the target's signature, then marshalling into the
// entry trampoline's convention (params[i] points at the i-th parameter's value, see
// kernels/include/be/entry.h).
#include <becore/registry/registry.h>
#include <becore/runtime/dtype.h>

#include <be/entry.h>

#include <cmath>
#include <cstring>
#include <limits>

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
    if (t.device() != BE::Device::cpu)
        return what + " is on device " + std::string(device_name(t.device())) +
               " but the target runs on cpu";
    if (param.dtype && t.dtype() != *param.dtype)
        return what + " has dtype " + std::string(dtype_name(t.dtype())) +
               " but the target requires " + std::string(dtype_name(*param.dtype));
    if (t.numel() > 0 && t.data_ptr() == nullptr) return what + " has no data";
    return {};
}

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
    if (load_error_)
        return make_error(op + ": the target is unavailable because its source failed to load: " +
                              load_error_->message,
                          load_error_->log);
    const auto& params = signature_.params;
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

    char message[4096] = {};
    BE::detail::ErrorSink sink{message, sizeof message};
    if (entry_(pointers.data(), &sink) != 0) return make_error(op + ": " + message);
    return {};
}

} // namespace be
