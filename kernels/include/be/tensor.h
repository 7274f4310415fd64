// BE::Tensor: the non-owning tensor view every kernel receives, and the host passes.
//
// This header is compiled by the host compiler (becore itself), by clang in-process for `.cpp`
// kernels, and later by NVRTC for `.cu` kernels, so it stays valid C++17, includes no standard
// header under NVRTC, and its layout is the ABI between the runtime and JIT-compiled code:
// any change to the struct below must bump becore's cache format version.
#pragma once

#if defined(__CUDACC_RTC__)
typedef signed char int8_t;
typedef short int16_t;
typedef int int32_t;
typedef long long int64_t;
typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
#else
#include <cstddef>
#include <cstdint>
#endif

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define BE_HOST_DEVICE __host__ __device__
#else
#define BE_HOST_DEVICE
#endif

// Bounds checks of the checked accessors (Tensor::at): on by default on the CPU (`.cpp` kernels
// and the CUDA emulation, device cuda-emu), where -DBE_BOUNDS_CHECK=0 turns them off; always off
// under a CUDA compiler (NVRTC, nvcc), where at(...) is a plain unchecked access.
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#undef BE_BOUNDS_CHECK
#define BE_BOUNDS_CHECK 0
#elif !defined(BE_BOUNDS_CHECK)
#define BE_BOUNDS_CHECK 1
#endif
#if BE_BOUNDS_CHECK
#include "check.h"
#endif

namespace BE {

// Numeric codes are part of the ABI (stored in Tensor::dtype) and of `.npy` mapping tables.
enum class DType : int32_t {
    bool_ = 0,
    int8 = 1,
    int16 = 2,
    int32 = 3,
    int64 = 4,
    uint8 = 5,
    uint16 = 6,
    uint32 = 7,
    uint64 = 8,
    float16 = 9,
    bfloat16 = 10,
    float32 = 11,
    float64 = 12,
};

enum class Device : int32_t {
    cpu = 0,
    cuda = 1,
    cuda_emu = 2,
};

constexpr int k_max_rank = 8;

BE_HOST_DEVICE constexpr int64_t dtype_size(DType t) {
    switch (t) {
    case DType::bool_:
    case DType::int8:
    case DType::uint8:
        return 1;
    case DType::int16:
    case DType::uint16:
    case DType::float16:
    case DType::bfloat16:
        return 2;
    case DType::int32:
    case DType::uint32:
    case DType::float32:
        return 4;
    case DType::int64:
    case DType::uint64:
    case DType::float64:
        return 8;
    }
    return 0;
}

struct Tensor {
    void* data = nullptr;
    DType dtype_ = DType::float32;
    Device device_ = Device::cpu;
    int32_t rank = 0;
    int32_t device_index = 0;
    int64_t shape[k_max_rank] = {};
    int64_t strides[k_max_rank] = {}; // in elements, not bytes

    BE_HOST_DEVICE void* data_ptr() const { return data; }
    template <typename T> BE_HOST_DEVICE T* data_ptr() const { return static_cast<T*>(data); }
    BE_HOST_DEVICE int ndim() const { return rank; }
    BE_HOST_DEVICE int64_t size(int i) const { return shape[i]; }
    BE_HOST_DEVICE int64_t stride(int i) const { return strides[i]; }
    BE_HOST_DEVICE DType dtype() const { return dtype_; }
    BE_HOST_DEVICE Device device() const { return device_; }
    BE_HOST_DEVICE int64_t element_size() const { return dtype_size(dtype_); }
    BE_HOST_DEVICE int64_t numel() const {
        int64_t n = 1;
        for (int i = 0; i < rank; ++i) n *= shape[i];
        return n;
    }
    BE_HOST_DEVICE int64_t nbytes() const { return numel() * element_size(); }
    BE_HOST_DEVICE bool is_contiguous() const {
        int64_t expected = 1;
        for (int i = rank - 1; i >= 0; --i) {
            if (shape[i] != 1 && strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    // Checked element access. at<T>(i) is element i of the flat storage, like data_ptr<T>()[i]
    // (row-major order for a contiguous tensor, any rank); at<T>(i, j) and at<T>(i, j, k) index a
    // tensor of rank 2 or 3 through its strides. With BE_BOUNDS_CHECK every index, the rank and
    // sizeof(T) against the dtype are checked, and a failure throws BE::CheckFailure naming the
    // accessor, the offending index and the shape. Accesses through data_ptr() are never checked.
    template <typename T> BE_HOST_DEVICE T& at(int64_t i) const {
#if BE_BOUNDS_CHECK
        const int64_t index[] = {i};
        check_access("at(i)", 1, sizeof(T), index);
#endif
        return data_ptr<T>()[i];
    }
    template <typename T> BE_HOST_DEVICE T& at(int64_t i, int64_t j) const {
#if BE_BOUNDS_CHECK
        const int64_t index[] = {i, j};
        check_access("at(i, j)", 2, sizeof(T), index);
#endif
        return data_ptr<T>()[i * strides[0] + j * strides[1]];
    }
    template <typename T> BE_HOST_DEVICE T& at(int64_t i, int64_t j, int64_t k) const {
#if BE_BOUNDS_CHECK
        const int64_t index[] = {i, j, k};
        check_access("at(i, j, k)", 3, sizeof(T), index);
#endif
        return data_ptr<T>()[i * strides[0] + j * strides[1] + k * strides[2]];
    }

#if BE_BOUNDS_CHECK
  private:
    void check_access(const char* accessor, int indices, unsigned long type_size,
                      const int64_t* index) const {
        if ((indices > 1 && rank != indices) || int64_t(type_size) != element_size())
            detail::access_failed(accessor, rank, indices, element_size(), type_size);
        if (indices == 1) {
            if (index[0] < 0 || index[0] >= numel())
                detail::index_failed(accessor, -1, index[0], shape, rank, numel());
            return;
        }
        for (int d = 0; d < indices; ++d)
            if (index[d] < 0 || index[d] >= shape[d])
                detail::index_failed(accessor, d, index[d], shape, rank, numel());
    }
#endif
};

} // namespace BE
