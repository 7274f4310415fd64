// BE::cuda_launch: host `.cpp` entries that orchestrate several `.cu` kernels launch them with
// explicit geometry through becore's runtime (host side only; not for NVRTC).
//
//   // @BE two_step
//   void two_step(const BE::Tensor& x, BE::Tensor& y, float a) {   // x, y on device cuda
//       static const BE::CudaFunction scale = BE::cuda_function("ops.scale");
//       BE::cuda_launch(scale, BE::Dim3(blocks), BE::Dim3(256), 0, 0, x, y, a);
//       BE::cuda_launch("ops.finish", 1, 32, 0, 0, y);
//   }
//
// A `.cpp` source whose code calls cuda_launch or cuda_function is host orchestration of CUDA
// kernels: its targets take tensors on the cuda device (device pointers) and run on the host.
// They also take tensors on cuda-emu (host memory): each launch then runs the kernel's CUDA
// emulation on the CPU, synchronously. A launch goes to the device of its tensor arguments.
// Targets are named in full ("prefix.name"); a handle from cuda_function skips the name lookup.
// The arguments are checked against the kernel's signature (count, tensor or scalar, scalar
// type) before the launch; a failure throws BE::CheckFailure, which the entry trampoline returns
// to the caller as an error. Launches are asynchronous on `stream` (0: the default stream).
#pragma once

#include <cstdint>
#include <type_traits>

#include "check.h"
#include "tensor.h"

extern "C" {
// Implemented by libbecore_runtime.so; runtime/src/kernel_symbols.h lets kernels call them. Both
// return 0 on success, else write a NUL-terminated message into `error`.
int becore_cuda_function(const char* target, const void** handle, char* error,
                         unsigned long capacity);
int becore_cuda_launch(const void* handle, const char* target, const unsigned* grid,
                       const unsigned* block, unsigned shared_bytes, int64_t stream,
                       void* const* params, const int* codes, int count, char* error,
                       unsigned long capacity);
}

namespace BE {

struct Dim3 {
    unsigned x = 1, y = 1, z = 1;
    constexpr Dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

// A resolved `.cu` target; valid for the life of the process.
class CudaFunction {
  public:
    const void* handle = nullptr;
};

namespace detail {

// -1 for a BE::Tensor, else the DType code of the scalar (the codes of BE::DType).
template <typename T> constexpr int launch_code() {
    using U = std::remove_cv_t<std::remove_reference_t<T>>;
    if constexpr (std::is_same_v<U, Tensor>)
        return -1;
    else if constexpr (std::is_same_v<U, bool>)
        return static_cast<int>(DType::bool_);
    else if constexpr (std::is_same_v<U, float>)
        return static_cast<int>(DType::float32);
    else if constexpr (std::is_same_v<U, double>)
        return static_cast<int>(DType::float64);
    else if constexpr (std::is_integral_v<U>) {
        constexpr DType s[] = {DType::int8, DType::int16, DType::int32, DType::int64};
        constexpr DType u[] = {DType::uint8, DType::uint16, DType::uint32, DType::uint64};
        constexpr int i = sizeof(U) == 1 ? 0 : sizeof(U) == 2 ? 1 : sizeof(U) == 4 ? 2 : 3;
        return static_cast<int>(std::is_signed_v<U> ? s[i] : u[i]);
    } else {
        static_assert(sizeof(U) == 0, "BE::cuda_launch takes BE::Tensor and scalar arguments");
        return 0;
    }
}

template <typename... A>
void cuda_launch(const void* handle, const char* target, Dim3 grid, Dim3 block,
                 unsigned shared_bytes, int64_t stream, const A&... args) {
    void* params[sizeof...(A) + 1] = {const_cast<void*>(static_cast<const void*>(&args))...};
    const int codes[sizeof...(A) + 1] = {launch_code<A>()...};
    const unsigned g[3] = {grid.x, grid.y, grid.z}, b[3] = {block.x, block.y, block.z};
    char error[1024] = {};
    if (becore_cuda_launch(handle, target, g, b, shared_bytes, stream, params, codes,
                           static_cast<int>(sizeof...(A)), error, sizeof error) != 0)
        throw CheckFailure(error);
}

} // namespace detail

inline CudaFunction cuda_function(const char* target) {
    CudaFunction f;
    char error[1024] = {};
    if (becore_cuda_function(target, &f.handle, error, sizeof error) != 0)
        throw CheckFailure(error);
    return f;
}

template <typename... A>
void cuda_launch(const char* target, Dim3 grid, Dim3 block, unsigned shared_bytes, int64_t stream,
                 const A&... args) {
    detail::cuda_launch(nullptr, target, grid, block, shared_bytes, stream, args...);
}

template <typename... A>
void cuda_launch(CudaFunction function, Dim3 grid, Dim3 block, unsigned shared_bytes,
                 int64_t stream, const A&... args) {
    detail::cuda_launch(function.handle, nullptr, grid, block, shared_bytes, stream, args...);
}

} // namespace BE
