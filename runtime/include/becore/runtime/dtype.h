// Names of element types and devices, as users type them on command lines, in configuration
// files and in `// @BE` annotations. The enums themselves live in the kernel-side header
// because their numeric codes are part of the ABI shared with JIT-compiled kernels.
#pragma once

#include <be/tensor.h>
#include <becore/runtime/error.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace be {

using DType = BE::DType;
using Device = BE::Device;

// Canonical name: "bool", "int8".."int64", "uint8".."uint64", "float16", "bfloat16",
// "float32", "float64". An out-of-range value gives "invalid".
std::string_view dtype_name(DType dtype);

// Accepts the canonical names and the suffix aliases used in target names ("f16", "bf16",
// "f32", "f64"); nothing else, so that a typo is never silently taken for a type.
std::optional<DType> parse_dtype(std::string_view text);

// "cpu", "cuda" or "cuda-emu". An out-of-range value gives "invalid".
std::string_view device_name(Device device);

// Accepts "cpu", "cuda", "gpu" (an alias of cuda) and "cuda-emu".
Result<Device> parse_device(std::string_view text);

// IEEE binary16 and bfloat16 bit patterns of `value`, rounded to nearest even (NaN stays NaN,
// overflow gives infinity). For float16/bfloat16 attrs of `.cu` kernels, which take them by
// value as __half / __nv_bfloat16.
uint16_t float16_bits(float value);
uint16_t bfloat16_bits(float value);

// Bytes per element: int64_t dtype_size(DType), constexpr. A using-declaration rather than a
// forwarding function: DType lives in namespace BE, so argument-dependent lookup always finds
// BE::dtype_size too, and a second overload here would make every unqualified call ambiguous.
using BE::dtype_size;

} // namespace be
