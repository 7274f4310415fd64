#include <becore/runtime/dtype.h>

#include <array>
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
    return make_error("parse_device: unknown device '" + std::string(text) +
                      "' (expected cpu, cuda, gpu or cuda-emu)");
}

} // namespace be
