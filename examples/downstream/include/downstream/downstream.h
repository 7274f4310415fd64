// libdownstream_kernels: a library that ships its kernels as source files (kernels/), installed
// beside it by becore_add_kernels and loaded at start-up by load_kernels().
#pragma once

#include <becore/registry/registry.h>

#include <vector>

namespace downstream {

// Loads the library's kernel files (targets "downstream.<name>") into be::Registry::global(),
// from the build tree or from the install prefix, wherever it has moved. Call once at start-up.
be::Result<std::vector<be::LoadReport>> load_kernels();

// y = sum of x over a trailing window of `width` elements (float64, on the CPU).
be::Result<void> window_sum(BE::Tensor x, BE::Tensor y, int64_t width);
// y = a * x + b (float32, on cuda or cuda-emu tensors).
be::Result<void> affine(BE::Tensor x, BE::Tensor y, float a, float b);

} // namespace downstream
