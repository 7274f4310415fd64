// RuntimeConfig: where and how a simulation runs — seed, floating-point dtype, device and worker
// threads. Immutable in use: the with_* functions return a changed copy, so a configuration
// handed to a model is never altered behind its back.
//
//   auto rt = be::RuntimeConfig{}.with_seed(42).with_dtype(be::DType::float64);
//   auto on_two = rt.with_threads(2);   // rt itself is unchanged
#pragma once

#include <becore/runtime/dtype.h>
#include <becore/runtime/error.h>

#include <cstdint>

namespace be {

struct RuntimeConfig {
    uint64_t seed = 0;
    DType dtype = DType::float32; // float32 or float64
    Device device = Device::cpu;  // cpu, cuda (alias "gpu") or cuda-emu
    int threads = 0;              // 0: BECORE_THREADS, else all cores

    RuntimeConfig with_seed(uint64_t value) const;
    RuntimeConfig with_dtype(DType value) const;
    RuntimeConfig with_device(Device value) const;
    RuntimeConfig with_threads(int value) const;

    // An error naming the field: a dtype other than float32/float64, a negative thread count,
    // an out-of-range device.
    Result<void> validate() const;
};

} // namespace be
