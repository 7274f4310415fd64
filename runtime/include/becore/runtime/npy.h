// NumPy `.npy` files: how arrays enter and leave becore (kernelctl call, tests, readouts).
// The format and what this implementation accepts are described at the top of npy.cpp.
#pragma once

#include <becore/runtime/array.h>
#include <becore/runtime/error.h>

#include <be/tensor.h>

#include <filesystem>
#include <span>
#include <string>

namespace be {

// Reads format versions 1.0, 2.0 and 3.0, C order, dtypes bool, int8..int64, uint8..uint64,
// float16, float32, float64, either byte order (big-endian data is swapped on load). Errors
// start with "read_npy(<path>): ".
Result<HostArray> read_npy(const std::filesystem::path& path);

// read_npy over the bytes of a whole file (no I/O); `name` stands for the path in messages.
Result<HostArray> parse_npy(std::span<const char> bytes, const std::string& name);

// Writes `tensor` (on cpu, contiguous) exactly as numpy.save would: version 1.0 unless the
// header does not fit, little-endian descr. bfloat16 is refused (no numpy descr; see
// npy.cpp). Errors start with "write_npy(<path>): "; a failed write leaves no file behind.
Result<void> write_npy(const std::filesystem::path& path, const BE::Tensor& tensor);

// The header write_npy puts before the tensor's bytes (magic to the padding's final '\n').
// Errors start with "npy_header: ".
Result<std::string> npy_header(const BE::Tensor& tensor);

} // namespace be
