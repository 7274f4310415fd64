// Calls: Target::call, and the prepared call (PreparedCall, docs/prepared-call.md) it is built on.
// One code path validates both: prepare resolves the implementation for a device, checks counts
// and dtypes against the signature and converts the attrs into a per-parameter layout (State);
// invoke checks the tensors against that layout with integer compares, marshals them into the
// entry convention shared by the CPU trampolines and cuLaunchKernel (params[i] points at the
// i-th parameter's value, see kernels/include/be/entry.h) and runs the implementation
// (backend.h). Target::call is prepare + invoke on a State on its stack, after checking that all
// tensors are on one device. Text is formatted only on failure (the cold functions below).
#include "backend.h"

#include <becore/registry/registry.h>
#include <becore/runtime/dtype.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace be {
namespace detail {

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

// n values of T, inline up to N and in one heap allocation beyond: the per-call lists of
// Target::call (dtypes, slots), so that it allocates nothing for the usual target. Copies are
// deep (data() is computed, not stored).
template <typename T, size_t N> class InlineArray {
  public:
    InlineArray() = default;
    explicit InlineArray(size_t n) : size_(n) {
        if (n > N) heap_.resize(n);
    }
    void assign(size_t n, const T& value) {
        size_ = n;
        if (n > N)
            heap_.assign(n, value);
        else
            std::fill_n(inline_, n, value);
    }
    size_t size() const { return size_; }
    T* data() { return size_ > N ? heap_.data() : inline_; }
    const T* data() const { return size_ > N ? heap_.data() : inline_; }
    T& operator[](size_t i) { return data()[i]; }
    const T& operator[](size_t i) const { return data()[i]; }
    T* begin() { return data(); }
    T* end() { return data() + size_; }
    std::span<const T> span() const { return {data(), size_}; }

  private:
    T inline_[N]{}; // value-initialised: a copy never reads an indeterminate enum
    std::vector<T> heap_;
    size_t size_ = 0;
};

} // namespace detail
namespace {

using detail::Scalar;

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
            return mismatch(type == DType::float16 ? "out of float16 range"
                                                   : "out of bfloat16 range");
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

// "cpu", or "cuda:<index>" for the other devices.
std::string place_name(Device device, int index) {
    return std::string(device_name(device)) +
           (device == Device::cpu ? "" : ":" + std::to_string(index));
}

std::string tensor_what(ParamKind kind, size_t index, const std::string& name) {
    return std::string(param_kind_name(kind)) + " " + std::to_string(index) + " ('" + name + "')";
}

std::string tensor_name(const Signature& s, ParamKind kind, size_t index) {
    size_t seen = 0;
    for (const auto& p : s.params)
        if (p.kind == kind && seen++ == index) return p.name;
    return "?";
}

std::string count_message(size_t n_args, size_t n_rets, size_t got_args, size_t got_rets) {
    return "expected " + std::to_string(n_args) + " args and " + std::to_string(n_rets) +
           " rets, got " + std::to_string(got_args) + " args and " + std::to_string(got_rets) +
           " rets";
}

// The one device all tensors of a call are on (cpu when there are none), or why there is none.
Result<std::pair<Device, int>> call_device(const Signature& s, std::span<const BE::Tensor> args,
                                           std::span<const BE::Tensor> rets) {
    const size_t n = args.size() + rets.size();
    auto at = [&](size_t k) -> const BE::Tensor& {
        return k < args.size() ? args[k] : rets[k - args.size()];
    };
    auto place = [](const BE::Tensor& t) {
        return std::pair<Device, int>{t.device(), t.device() == Device::cpu ? 0 : t.device_index};
    };
    if (n == 0) return std::pair<Device, int>{Device::cpu, 0};
    const std::pair<Device, int> first = place(at(0));
    for (size_t k = 1; k < n; ++k) {
        const std::pair<Device, int> here = place(at(k));
        if (here == first) continue;
        auto what = [&](size_t j) {
            const bool arg = j < args.size();
            const ParamKind kind = arg ? ParamKind::arg : ParamKind::ret;
            const size_t i = arg ? j : j - args.size();
            return tensor_what(kind, i, tensor_name(s, kind, i));
        };
        return make_error(ErrorCode::invalid_argument,
                          what(k) + " is on device " + place_name(here.first, here.second) +
                              " but " + what(0) + " is on device " +
                              place_name(first.first, first.second) +
                              " (all tensors of a call must be on one device)");
    }
    return first;
}

using DTypeList = detail::InlineArray<DType, 16>;

// The dtypes of a call's tensors.
DTypeList dtypes_of(std::span<const BE::Tensor> tensors) {
    DTypeList dtypes(tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i)
        dtypes[i] = tensors[i].dtype();
    return dtypes;
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

// What a prepared call fixed: the implementation and one slot per parameter of its signature.
struct PreparedCall::State {
    struct Slot {
        detail::Scalar value{}; // attr, stream: the converted value
        ParamKind kind = ParamKind::arg;
        DType dtype = DType::float32; // arg, ret: the dtype prepared for
        int32_t rank = -1;            // arg, ret: the rank prepared for; -1: any
    };
    std::shared_ptr<const detail::TargetImpl> impl;
    const Registry* registry = nullptr;
    // The target's (empty on Target::call's path, which passes the target's own name to run).
    std::string name;
    Device device = Device::cpu;
    int64_t stream = 0;
    size_t n_args = 0, n_rets = 0;
    detail::InlineArray<Slot, 16> slots;
};

namespace detail {

struct PreparedAccess {
    using State = PreparedCall::State;
    using Slot = State::Slot;

    // prepare: validates and fixes the layout; error messages start with "prepare(<target>)"
    // when `preparing`, else with "call(<target>)".
    static Result<void> build(State& s, const Target& target, bool preparing, Device device,
                              std::span<const DType> arg_dtypes, std::span<const DType> ret_dtypes,
                              const AttrMap& attrs, int64_t stream) {
        auto fail = [&](const std::string& why) {
            return make_error(ErrorCode::invalid_argument,
                              (preparing ? "prepare(" : "call(") + target.name() + "): " + why);
        };
        std::shared_ptr<const TargetImpl> impl;
        for (const auto& i : TargetAccess::impls(target))
            if (i->device == device) impl = i;
        if (!impl) {
            std::string have;
            for (const auto& i : TargetAccess::impls(target))
                have += (have.empty() ? "" : ", ") + std::string(device_name(i->device)) + " (" +
                        i->signature.file + ":" + std::to_string(i->signature.line) + ")";
            return fail("the tensors are on " + std::string(device_name(device)) +
                        ", but the target has implementations for " + have + " only");
        }
        if (const Error* failed = impl->ensure_ready())
            return make_error(failed->code(),
                              fail("the target is unavailable because its source failed to load: " +
                                   failed->message)
                                  .message,
                              failed->log);
        const auto& params = impl->signature.params;
        size_t n_args = 0, n_rets = 0;
        for (const auto& p : params) {
            n_args += p.kind == ParamKind::arg;
            n_rets += p.kind == ParamKind::ret;
        }
        if (arg_dtypes.size() != n_args || ret_dtypes.size() != n_rets)
            return fail(count_message(n_args, n_rets, arg_dtypes.size(), ret_dtypes.size()));
        for (const auto& [attr_name, value] : attrs) {
            bool known = false;
            for (const auto& p : params)
                known |= p.kind == ParamKind::attr && p.name == attr_name;
            if (!known) return fail("unknown attr '" + attr_name + "'");
        }
        s.slots.assign(params.size(), Slot{});
        size_t next_arg = 0, next_ret = 0;
        for (size_t i = 0; i < params.size(); ++i) {
            const Param& p = params[i];
            Slot& slot = s.slots[i];
            slot.kind = p.kind;
            switch (p.kind) {
            case ParamKind::arg:
            case ParamKind::ret: {
                const bool arg = p.kind == ParamKind::arg;
                const size_t index = arg ? next_arg++ : next_ret++;
                slot.dtype = arg ? arg_dtypes[index] : ret_dtypes[index];
                if (p.dtype && slot.dtype != *p.dtype)
                    return fail(tensor_what(p.kind, index, p.name) + " has dtype " +
                                std::string(dtype_name(slot.dtype)) + " but the target requires " +
                                std::string(dtype_name(*p.dtype)));
                break;
            }
            case ParamKind::stream:
                slot.value.i64 = stream;
                break;
            case ParamKind::attr: {
                auto found = attrs.find(p.name);
                if (found == attrs.end()) return fail("missing attr '" + p.name + "'");
                if (std::string problem = convert_attr(p, found->second, slot.value);
                    !problem.empty())
                    return fail(problem);
                break;
            }
            }
        }
        s.impl = std::move(impl);
        s.registry = TargetAccess::registry(target);
        if (preparing) s.name = target.name();
        s.device = device;
        s.stream = stream;
        s.n_args = n_args;
        s.n_rets = n_rets;
        return {};
    }

    static bool matches(const Slot& slot, const BE::Tensor& t, Device device, int index) {
        return t.dtype_ == slot.dtype && (slot.rank < 0 || t.rank == slot.rank) &&
               t.device_ == device && (device == Device::cpu || t.device_index == index) &&
               (t.data != nullptr || t.numel() == 0);
    }

    // Why tensor `index` of its kind, for parameter `param`, does not match (matches() failed).
    [[gnu::cold, gnu::noinline]] static Error mismatch(const State& s, const std::string& target,
                                                       size_t param, size_t index,
                                                       const BE::Tensor& t, int device_index) {
        const Param& p = s.impl->signature.params[param];
        const Slot& slot = s.slots[param];
        std::string why;
        if (t.dtype() != slot.dtype)
            why = " has dtype " + std::string(dtype_name(t.dtype())) +
                  (p.dtype ? " but the target requires " : " but the call was prepared for ") +
                  std::string(dtype_name(slot.dtype));
        else if (slot.rank >= 0 && t.rank != slot.rank)
            why = " has rank " + std::to_string(t.rank) + " but the call was prepared for rank " +
                  std::to_string(slot.rank);
        else if (t.device() != s.device)
            why = " is on device " + place_name(t.device(), t.device_index) +
                  " but the call was prepared for " + std::string(device_name(s.device));
        else if (s.device != Device::cpu && t.device_index != device_index)
            why = " is on device " + place_name(t.device(), t.device_index) +
                  " but the first tensor is on device " + place_name(s.device, device_index) +
                  " (all tensors of a call must be on one device)";
        else
            why = " has no data";
        return make_error(ErrorCode::invalid_argument,
                          call_prefix(target) + tensor_what(slot.kind, index, p.name) + why);
    }

    // invoke: integer checks, marshalling, the implementation; messages start with
    // "call(<target>)".
    static Result<void> run(const State& s, const std::string& target,
                            std::span<const BE::Tensor> args, std::span<BE::Tensor> rets) {
        if (args.size() != s.n_args || rets.size() != s.n_rets) [[unlikely]]
            return make_error(ErrorCode::invalid_argument,
                              call_prefix(target) +
                                  count_message(s.n_args, s.n_rets, args.size(), rets.size()));
        void* inline_params[32];
        std::vector<void*> many; // a target with more parameters than that: one allocation
        void** params = inline_params;
        if (s.slots.size() > std::size(inline_params)) {
            many.resize(s.slots.size());
            params = many.data();
        }
        const BE::Tensor* first = !args.empty()   ? args.data()
                                  : !rets.empty() ? rets.data()
                                                  : nullptr;
        const int device_index = s.device == Device::cpu || !first ? 0 : first->device_index;
        size_t next_arg = 0, next_ret = 0;
        for (size_t i = 0; i < s.slots.size(); ++i) {
            const Slot& slot = s.slots[i];
            switch (slot.kind) {
            case ParamKind::arg: {
                const BE::Tensor& t = args[next_arg];
                if (!matches(slot, t, s.device, device_index)) [[unlikely]]
                    return mismatch(s, target, i, next_arg, t, device_index);
                params[i] = const_cast<BE::Tensor*>(&t);
                ++next_arg;
                break;
            }
            case ParamKind::ret: {
                BE::Tensor& t = rets[next_ret];
                if (!matches(slot, t, s.device, device_index)) [[unlikely]]
                    return mismatch(s, target, i, next_ret, t, device_index);
                params[i] = &t;
                ++next_ret;
                break;
            }
            default: // attr, stream: read only by the entry
                params[i] = const_cast<detail::Scalar*>(&slot.value);
                break;
            }
        }
        CallingRegistryScope scope(s.registry);
        return s.impl->invoke(target, params, s.stream, device_index);
    }

    static Result<void> call(const Target& target, std::span<const BE::Tensor> args,
                             std::span<BE::Tensor> rets, const AttrMap& attrs, int64_t stream) {
        auto device = call_device(target.signature(), args, rets);
        if (!device)
            return make_error(device.error().code(),
                              "call(" + target.name() + "): " + device.error().message);
        const DTypeList arg_dtypes = dtypes_of(args), ret_dtypes = dtypes_of(rets);
        State s;
        if (auto built = build(s, target, false, device->first, arg_dtypes.span(),
                               ret_dtypes.span(), attrs, stream);
            !built)
            return built;
        return run(s, target.name(), args, rets);
    }

    static Result<PreparedCall> prepare(const Target& target, Device device,
                                        std::span<const DType> arg_dtypes,
                                        std::span<const DType> ret_dtypes, const AttrMap& attrs,
                                        int64_t stream) {
        PreparedCall prepared;
        prepared.state_ = std::make_unique<State>();
        if (auto built = build(*prepared.state_, target, true, device, arg_dtypes, ret_dtypes,
                               attrs, stream);
            !built)
            return built.error();
        return prepared;
    }

    static Result<PreparedCall> prepare(const Target& target, std::span<const BE::Tensor> args,
                                        std::span<const BE::Tensor> rets, const AttrMap& attrs,
                                        int64_t stream) {
        auto device = call_device(target.signature(), args, rets);
        if (!device)
            return make_error(device.error().code(),
                              "prepare(" + target.name() + "): " + device.error().message);
        const DTypeList arg_dtypes = dtypes_of(args), ret_dtypes = dtypes_of(rets);
        auto prepared =
            prepare(target, device->first, arg_dtypes.span(), ret_dtypes.span(), attrs, stream);
        if (!prepared) return prepared;
        size_t next_arg = 0, next_ret = 0;
        for (Slot& slot : prepared->state_->slots) {
            if (slot.kind == ParamKind::arg) slot.rank = args[next_arg++].rank;
            if (slot.kind == ParamKind::ret) slot.rank = rets[next_ret++].rank;
        }
        return prepared;
    }

    // The attr `value` into parameter `param`'s slot, with call's checks.
    static Result<void> assign(State& s, size_t param, const AttrValue& value) {
        Scalar converted{};
        if (std::string problem = convert_attr(s.impl->signature.params[param], value, converted);
            !problem.empty())
            return make_error(ErrorCode::invalid_argument, "set_attr(" + s.name + "): " + problem);
        s.slots[param].value = converted;
        return {};
    }
};

} // namespace detail

Result<AttrValue> parse_attr_value(const Param& param, std::string_view text) {
    const std::string op = "parse_attr_value(" + param.name + "=" + std::string(text) + ")";
    const std::string value(text);
    const DType type = param.dtype.value_or(DType::float64);
    if (type == DType::bool_) {
        if (value == "true" || value == "1") return AttrValue(true);
        if (value == "false" || value == "0") return AttrValue(false);
        return make_error(ErrorCode::invalid_argument,
                          op + ": expected true, false, 1 or 0 for a bool attr");
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
        return make_error(ErrorCode::invalid_argument,
                          op + ": out of range for " + std::string(dtype_name(type)));
    } catch (const std::invalid_argument&) {
    }
    return make_error(ErrorCode::invalid_argument,
                      op + ": not a valid " + std::string(dtype_name(type)));
}

// ---- PreparedCall -----------------------------------------------------------------------------

namespace {
const char* const k_empty_call = "the prepared call is empty (default-constructed or moved from)";
}

PreparedCall::PreparedCall() = default;
PreparedCall::~PreparedCall() = default;
PreparedCall::PreparedCall(PreparedCall&&) noexcept = default;
PreparedCall& PreparedCall::operator=(PreparedCall&&) noexcept = default;
PreparedCall::PreparedCall(const PreparedCall& other)
    : state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr) {}
PreparedCall& PreparedCall::operator=(const PreparedCall& other) {
    if (this != &other) state_ = other.state_ ? std::make_unique<State>(*other.state_) : nullptr;
    return *this;
}

Result<void> PreparedCall::invoke(std::span<const BE::Tensor> args,
                                  std::span<BE::Tensor> rets) const {
    if (!state_) [[unlikely]]
        return make_error(ErrorCode::invalid_argument,
                          std::string("PreparedCall::invoke: ") + k_empty_call);
    return detail::PreparedAccess::run(*state_, state_->name, args, rets);
}

Result<size_t> PreparedCall::attr_index(std::string_view name) const {
    if (!state_)
        return make_error(ErrorCode::invalid_argument,
                          std::string("PreparedCall::attr_index: ") + k_empty_call);
    size_t index = 0;
    for (const auto& p : state_->impl->signature.params) {
        if (p.kind != ParamKind::attr) continue;
        if (p.name == name) return index;
        ++index;
    }
    return make_error(ErrorCode::invalid_argument,
                      "attr_index(" + state_->name + "): unknown attr '" + std::string(name) + "'");
}

Result<void> PreparedCall::set_attr(std::string_view name, const AttrValue& value) {
    if (!state_)
        return make_error(ErrorCode::invalid_argument,
                          std::string("PreparedCall::set_attr: ") + k_empty_call);
    const auto& params = state_->impl->signature.params;
    for (size_t i = 0; i < params.size(); ++i)
        if (params[i].kind == ParamKind::attr && params[i].name == name)
            return detail::PreparedAccess::assign(*state_, i, value);
    return make_error(ErrorCode::invalid_argument,
                      "set_attr(" + state_->name + "): unknown attr '" + std::string(name) + "'");
}

Result<void> PreparedCall::set_attr(size_t attr_index, const AttrValue& value) {
    if (!state_)
        return make_error(ErrorCode::invalid_argument,
                          std::string("PreparedCall::set_attr: ") + k_empty_call);
    const auto& params = state_->impl->signature.params;
    size_t seen = 0;
    for (size_t i = 0; i < params.size(); ++i)
        if (params[i].kind == ParamKind::attr && seen++ == attr_index)
            return detail::PreparedAccess::assign(*state_, i, value);
    return make_error(ErrorCode::invalid_argument,
                      "set_attr(" + state_->name + "): attr index " + std::to_string(attr_index) +
                          " is out of range (the target has " + std::to_string(seen) + " attrs)");
}

const std::string& PreparedCall::target_name() const {
    static const std::string none;
    return state_ ? state_->name : none;
}

Device PreparedCall::device() const {
    return state_ ? state_->device : Device::cpu;
}

// ---- Target and Registry ----------------------------------------------------------------------

Result<void> Target::call(std::span<const BE::Tensor> args, std::span<BE::Tensor> rets,
                          const AttrMap& attrs, int64_t stream) const {
    return detail::PreparedAccess::call(*this, args, rets, attrs, stream);
}

Result<PreparedCall> Target::prepare(Device device, std::span<const DType> arg_dtypes,
                                     std::span<const DType> ret_dtypes, const AttrMap& attrs,
                                     int64_t stream) const {
    return detail::PreparedAccess::prepare(*this, device, arg_dtypes, ret_dtypes, attrs, stream);
}

Result<PreparedCall> Target::prepare(std::span<const BE::Tensor> args,
                                     std::span<const BE::Tensor> rets, const AttrMap& attrs,
                                     int64_t stream) const {
    return detail::PreparedAccess::prepare(*this, args, rets, attrs, stream);
}

Result<PreparedCall> Registry::prepare(std::string_view name, Device device,
                                       std::span<const DType> arg_dtypes,
                                       std::span<const DType> ret_dtypes, const AttrMap& attrs,
                                       int64_t stream) const {
    auto target =
        lookup(name, ret_dtypes.empty() ? std::nullopt : std::optional(ret_dtypes[0]), "prepare");
    if (!target) return target.error();
    return (*target)->prepare(device, arg_dtypes, ret_dtypes, attrs, stream);
}

Result<PreparedCall> Registry::prepare(std::string_view name, std::span<const BE::Tensor> args,
                                       std::span<const BE::Tensor> rets, const AttrMap& attrs,
                                       int64_t stream) const {
    auto target =
        lookup(name, rets.empty() ? std::nullopt : std::optional(rets[0].dtype()), "prepare");
    if (!target) return target.error();
    return (*target)->prepare(args, rets, attrs, stream);
}

} // namespace be
