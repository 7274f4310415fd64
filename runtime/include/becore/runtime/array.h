// HostArray: an owning host buffer that hands out BE::Tensor views, for rets that start
// zero-filled, `.npy` files, tests and benchmarks. Plus the shape helpers that go with it.
#pragma once

#include <becore/runtime/dtype.h>
#include <becore/runtime/error.h>

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace be {

// C-contiguous, zero-initialised, 64-byte aligned (a cache line and the widest SIMD load, so
// kernels may use aligned vector loads on any array the runtime allocates). Move-only: a copy
// of a large buffer should be explicit, never an accident of passing by value.
class HostArray {
  public:
    static constexpr size_t k_alignment = 64;

    // Checks rank <= BE::k_max_rank, every dimension >= 0 and that the byte count fits in
    // int64; the error names the offending dimension and the whole shape.
    static Result<HostArray> create(DType dtype, std::vector<int64_t> shape);

    // An empty float32 array of shape {0} with no storage; also the state a move leaves behind.
    HostArray() = default;
    HostArray(HostArray&& other) noexcept;
    HostArray& operator=(HostArray&& other) noexcept;
    HostArray(const HostArray&) = delete;
    HostArray& operator=(const HostArray&) = delete;
    ~HostArray() = default;

    DType dtype() const { return dtype_; }
    const std::vector<int64_t>& shape() const { return shape_; }
    int64_t ndim() const { return static_cast<int64_t>(shape_.size()); }
    int64_t numel() const { return numel_; }
    int64_t nbytes() const { return numel_ * dtype_size(dtype_); }

    void* data() { return storage_.get(); }
    const void* data() const { return storage_.get(); }
    template <typename T> T* data_as() {
        assert(sizeof(T) == static_cast<size_t>(dtype_size(dtype_)));
        return static_cast<T*>(data());
    }
    template <typename T> const T* data_as() const {
        assert(sizeof(T) == static_cast<size_t>(dtype_size(dtype_)));
        return static_cast<const T*>(data());
    }

    // A view on device cpu with C-order strides in elements. BE::Tensor has no const flavour,
    // so the const overload returns a const Tensor: a reminder that the data must not be
    // written through it, as far as the kernel ABI lets us say so.
    BE::Tensor view();
    const BE::Tensor view() const; // NOLINT(readability-const-return-type)
    // The same view on device cuda-emu: calls with it run a `.cu` target's CUDA emulation (on
    // the CPU, in this host memory) instead of a CPU twin.
    BE::Tensor emu_view();
    const BE::Tensor emu_view() const; // NOLINT(readability-const-return-type)

  private:
    struct FreeDeleter {
        void operator()(std::byte* p) const noexcept;
    };

    DType dtype_ = DType::float32;
    std::vector<int64_t> shape_{0};
    int64_t numel_ = 0;
    std::unique_ptr<std::byte, FreeDeleter> storage_;
};

// DeviceArray: an owning buffer in CUDA device memory (the primary context of `device`), for rets
// that start zero-filled and for tests, with explicit copies to and from HostArray. C-contiguous
// like HostArray; move-only. Every method returns an Error (e.g. "no CUDA device: ...") when no
// CUDA device is present; nothing here needs the CUDA toolkit to build.
class DeviceArray {
  public:
    static Result<DeviceArray> create(DType dtype, std::vector<int64_t> shape, int device = 0);
    // A device copy of `host`.
    static Result<DeviceArray> from_host(const HostArray& host, int device = 0);

    DeviceArray() = default;
    DeviceArray(DeviceArray&& other) noexcept;
    DeviceArray& operator=(DeviceArray&& other) noexcept;
    DeviceArray(const DeviceArray&) = delete;
    DeviceArray& operator=(const DeviceArray&) = delete;
    ~DeviceArray();

    DType dtype() const { return dtype_; }
    const std::vector<int64_t>& shape() const { return shape_; }
    int64_t numel() const { return numel_; }
    int64_t nbytes() const { return numel_ * dtype_size(dtype_); }
    int device() const { return device_; }
    void* data() const { return data_; } // a device pointer; nullptr when empty

    // Copies between equal dtypes and shapes; a mismatch is an error naming both.
    Result<void> copy_from(const HostArray& host);
    Result<void> copy_to(HostArray& host) const;
    Result<HostArray> to_host() const;

    // A view on device cuda (device_index = device()) with C-order strides.
    BE::Tensor view() const;

  private:
    void release() noexcept;
    DType dtype_ = DType::float32;
    std::vector<int64_t> shape_{0};
    int64_t numel_ = 0;
    int device_ = 0;
    void* data_ = nullptr;
};

// A C-contiguous cpu view of memory owned elsewhere. Throws be::Exception if the shape has
// more than BE::k_max_rank dimensions or a negative one: a Tensor cannot represent either, and
// callers build views from shapes they have already validated.
BE::Tensor make_tensor_view(void* data, DType dtype, const std::vector<int64_t>& shape);

// "4x8", "7", "0x3"; "scalar" for rank 0. The inverse of parse_shape.
std::string shape_string(const std::vector<int64_t>& shape);

// Parses "8", "4x8", "2x3x4" (and "scalar" as rank 0): non-negative decimal dimensions
// separated by 'x', at most BE::k_max_rank of them. Errors quote the text.
Result<std::vector<int64_t>> parse_shape(std::string_view text);

} // namespace be
