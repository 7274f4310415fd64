#include <becore/runtime/dtype.h>

#include <array>
#include <cstring>
#include <string>
#include <utility>

namespace be {

namespace {

// Indexed by the numeric code of BE::DType, which is dense from 0.
constexpr std::array<std::string_view, 13> k_dtype_names = {
    "bool",   "int8",   "int16",   "int32",    "int64",   "uint8",   "uint16",
    "uint32", "uint64", "float16", "bfloat16", "float32", "float64",
};

// The suffixes that target names carry (`_f32`, ...), so the same spelling works everywhere.
constexpr std::array<std::pair<std::string_view, DType>, 4> k_dtype_aliases = {{
    {"f16", DType::float16},
    {"bf16", DType::bfloat16},
    {"f32", DType::float32},
    {"f64", DType::float64},
}};

} // namespace

std::string_view dtype_name(DType dtype) {
    const auto code = static_cast<size_t>(dtype);
    return code < k_dtype_names.size() ? k_dtype_names[code] : std::string_view("invalid");
}

std::optional<DType> parse_dtype(std::string_view text) {
    for (size_t i = 0; i < k_dtype_names.size(); ++i) {
        if (k_dtype_names[i] == text) return static_cast<DType>(i);
    }
    for (const auto& [alias, dtype] : k_dtype_aliases) {
        if (alias == text) return dtype;
    }
    return std::nullopt;
}

std::string_view device_name(Device device) {
    switch (device) {
    case Device::cpu:
        return "cpu";
    case Device::cuda:
        return "cuda";
    case Device::cuda_emu:
        return "cuda-emu";
    }
    return "invalid";
}

Result<Device> parse_device(std::string_view text) {
    if (text == "cpu") return Device::cpu;
    if (text == "cuda" || text == "gpu") return Device::cuda;
    if (text == "cuda-emu") return Device::cuda_emu;
    return make_error(ErrorCode::invalid_argument, "parse_device: unknown device '" +
                                                       std::string(text) +
                                                       "' (expected cpu, cuda, gpu or cuda-emu)");
}

uint16_t float16_bits(float value) {
    uint32_t f = 0;
    std::memcpy(&f, &value, sizeof f);
    const uint32_t sign = (f >> 16) & 0x8000u;
    const uint32_t exponent = (f >> 23) & 0xffu;
    uint32_t mantissa = f & 0x7fffffu;
    if (exponent == 0xff) // infinity, or NaN with a quiet bit kept
        return static_cast<uint16_t>(sign | 0x7c00u | (mantissa != 0 ? 0x200u | (mantissa >> 13) : 0));
    const int e = static_cast<int>(exponent) - 127 + 15;
    if (e >= 0x1f) return static_cast<uint16_t>(sign | 0x7c00u); // overflow → infinity
    if (e <= 0) {                                                 // subnormal half, or zero
        if (e < -10) return static_cast<uint16_t>(sign);
        mantissa |= 0x800000u;
        const int shift = 14 - e;
        uint32_t half = mantissa >> shift;
        const uint32_t rest = mantissa & ((1u << shift) - 1), midpoint = 1u << (shift - 1);
        if (rest > midpoint || (rest == midpoint && (half & 1u))) ++half;
        return static_cast<uint16_t>(sign | half);
    }
    uint32_t half = (static_cast<uint32_t>(e) << 10) | (mantissa >> 13);
    const uint32_t rest = mantissa & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half; // may carry into infinity
    return static_cast<uint16_t>(sign | half);
}

uint16_t bfloat16_bits(float value) {
    uint32_t f = 0;
    std::memcpy(&f, &value, sizeof f);
    if ((f & 0x7f800000u) == 0x7f800000u && (f & 0x7fffffu) != 0)
        return static_cast<uint16_t>((f >> 16) | 0x40u); // NaN stays NaN (quiet)
    f += 0x7fffu + ((f >> 16) & 1u);
    return static_cast<uint16_t>(f >> 16);
}

} // namespace be
