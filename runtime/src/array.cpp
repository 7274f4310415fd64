#include <becore/runtime/array.h>
#include <becore/runtime/cuda_backend.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace be {

namespace {

// Element and byte count, or an error naming the dimension at fault. Shared by create() and
// make_tensor_view() so both accept exactly the same shapes.
Result<int64_t> checked_numel(const char* operation, DType dtype,
                              const std::vector<int64_t>& shape) {
    if (shape.size() > static_cast<size_t>(BE::k_max_rank)) {
        return make_error(ErrorCode::invalid_argument,
                          std::string(operation) + ": rank " + std::to_string(shape.size()) +
                              " exceeds the maximum of " + std::to_string(BE::k_max_rank) +
                              " (shape " + shape_string(shape) + ")");
    }
    bool has_zero = false;
    for (size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] < 0) {
            return make_error(ErrorCode::invalid_argument,
                              std::string(operation) + ": dimension " + std::to_string(i) +
                                  " is negative (" + std::to_string(shape[i]) + ") in shape " +
                                  shape_string(shape));
        }
        has_zero = has_zero || shape[i] == 0;
    }
    // Like numpy, the product of the non-zero dimensions (times the item size) must fit even
    // when a zero dimension makes the element count 0: BE::Tensor's numel(), is_contiguous() and
    // C strides multiply the dimensions in their own orders, and (0, 2^40, 2^40) overflowed
    // there (found by Fuzz.npy).
    int64_t product = 1;
    bool overflow = false;
    for (int64_t dim : shape) {
        overflow = overflow || (dim != 0 && __builtin_mul_overflow(product, dim, &product));
    }
    int64_t nbytes = 0;
    if (overflow || __builtin_mul_overflow(product, dtype_size(dtype), &nbytes)) {
        return make_error(ErrorCode::invalid_argument, std::string(operation) + ": shape " +
                                                           shape_string(shape) + " of " +
                                                           std::string(dtype_name(dtype)) +
                                                           " is too large (byte count overflows)");
    }
    return has_zero ? 0 : product;
}

void fill_c_strides(BE::Tensor& tensor, const std::vector<int64_t>& shape) {
    tensor.rank = static_cast<int32_t>(shape.size());
    int64_t stride = 1;
    for (int i = tensor.rank - 1; i >= 0; --i) {
        tensor.shape[i] = shape[i];
        tensor.strides[i] = stride;
        stride *= shape[i]; // cannot overflow: checked_numel bounds every partial product
    }
}

} // namespace

void HostArray::FreeDeleter::operator()(std::byte* p) const noexcept {
    std::free(p);
}

Result<HostArray> HostArray::create(DType dtype, std::vector<int64_t> shape) {
    auto numel = checked_numel("HostArray::create", dtype, shape);
    if (!numel) return numel.error();
    const int64_t nbytes = *numel * dtype_size(dtype);
    // aligned_alloc wants a multiple of the alignment; a zero-size array still gets a block so
    // that data() is never null (kernels and memcpy may receive it).
    const auto padded = (static_cast<size_t>(nbytes) + k_alignment - 1) / k_alignment * k_alignment;
    const size_t alloc = padded == 0 ? k_alignment : padded;
    auto* raw = static_cast<std::byte*>(std::aligned_alloc(k_alignment, alloc));
    if (raw == nullptr) {
        return make_error(ErrorCode::unavailable, "HostArray::create: out of memory allocating " +
                                                      std::to_string(alloc) + " bytes for " +
                                                      shape_string(shape) + " " +
                                                      std::string(dtype_name(dtype)));
    }
    std::memset(raw, 0, alloc);
    HostArray array;
    array.dtype_ = dtype;
    array.shape_ = std::move(shape);
    array.numel_ = *numel;
    array.storage_.reset(raw);
    return array;
}

HostArray::HostArray(HostArray&& other) noexcept
    : dtype_(other.dtype_), shape_(std::exchange(other.shape_, {0})),
      numel_(std::exchange(other.numel_, 0)), storage_(std::move(other.storage_)) {
    other.dtype_ = DType::float32;
}

HostArray& HostArray::operator=(HostArray&& other) noexcept {
    if (this != &other) {
        dtype_ = std::exchange(other.dtype_, DType::float32);
        shape_ = std::exchange(other.shape_, {0});
        numel_ = std::exchange(other.numel_, 0);
        storage_ = std::move(other.storage_);
    }
    return *this;
}

BE::Tensor HostArray::view() {
    return make_tensor_view(data(), dtype_, shape_);
}

const BE::Tensor HostArray::view() const { // NOLINT(readability-const-return-type)
    // The Tensor ABI has only a mutable pointer; constness is carried by the return type.
    return make_tensor_view(const_cast<void*>(data()), dtype_, shape_);
}

BE::Tensor HostArray::emu_view() {
    BE::Tensor tensor = view();
    tensor.device_ = Device::cuda_emu;
    return tensor;
}

const BE::Tensor HostArray::emu_view() const { // NOLINT(readability-const-return-type)
    BE::Tensor tensor = view();
    tensor.device_ = Device::cuda_emu;
    return tensor;
}

BE::Tensor make_tensor_view(void* data, DType dtype, const std::vector<int64_t>& shape) {
    auto numel = checked_numel("make_tensor_view", dtype, shape);
    if (!numel) throw Exception(numel.error());
    BE::Tensor tensor;
    tensor.data = data;
    tensor.dtype_ = dtype;
    tensor.device_ = Device::cpu;
    tensor.device_index = 0;
    fill_c_strides(tensor, shape);
    return tensor;
}

Result<DeviceArray> DeviceArray::create(DType dtype, std::vector<int64_t> shape, int device) {
    auto numel = checked_numel("DeviceArray::create", dtype, shape);
    if (!numel) return numel.error();
    auto memory = cuda_malloc(static_cast<size_t>(*numel * dtype_size(dtype)), device);
    if (!memory)
        return make_error(memory.error().code(), "DeviceArray::create(" + shape_string(shape) +
                                                     " " + std::string(dtype_name(dtype)) +
                                                     "): " + memory.error().message);
    DeviceArray array;
    array.dtype_ = dtype;
    array.shape_ = std::move(shape);
    array.numel_ = *numel;
    array.device_ = device;
    array.data_ = *memory;
    return array;
}

Result<DeviceArray> DeviceArray::from_host(const HostArray& host, int device) {
    auto array = create(host.dtype(), host.shape(), device);
    if (!array) return array.error();
    if (auto copied = array->copy_from(host); !copied) return copied.error();
    return array;
}

DeviceArray::DeviceArray(DeviceArray&& other) noexcept
    : dtype_(std::exchange(other.dtype_, DType::float32)), shape_(std::exchange(other.shape_, {0})),
      numel_(std::exchange(other.numel_, 0)), device_(std::exchange(other.device_, 0)),
      data_(std::exchange(other.data_, nullptr)) {}

DeviceArray& DeviceArray::operator=(DeviceArray&& other) noexcept {
    if (this != &other) {
        release();
        dtype_ = std::exchange(other.dtype_, DType::float32);
        shape_ = std::exchange(other.shape_, {0});
        numel_ = std::exchange(other.numel_, 0);
        device_ = std::exchange(other.device_, 0);
        data_ = std::exchange(other.data_, nullptr);
    }
    return *this;
}

DeviceArray::~DeviceArray() {
    release();
}

void DeviceArray::release() noexcept {
    cuda_free(data_, device_);
    data_ = nullptr;
}

namespace {
Result<void> same_layout(const char* op, const DeviceArray& device, const HostArray& host) {
    if (device.dtype() == host.dtype() && device.shape() == host.shape()) return {};
    return make_error(ErrorCode::invalid_argument,
                      std::string(op) + ": the device array is " + shape_string(device.shape()) +
                          " " + std::string(dtype_name(device.dtype())) +
                          " but the host array is " + shape_string(host.shape()) + " " +
                          std::string(dtype_name(host.dtype())));
}
} // namespace

Result<void> DeviceArray::copy_from(const HostArray& host) {
    if (auto ok = same_layout("DeviceArray::copy_from", *this, host); !ok) return ok;
    auto copied = cuda_copy_to_device(data_, host.data(), static_cast<size_t>(nbytes()), device_);
    if (!copied)
        return make_error(copied.error().code(),
                          "DeviceArray::copy_from: " + copied.error().message);
    return {};
}

Result<void> DeviceArray::copy_to(HostArray& host) const {
    if (auto ok = same_layout("DeviceArray::copy_to", *this, host); !ok) return ok;
    auto copied = cuda_copy_to_host(host.data(), data_, static_cast<size_t>(nbytes()), device_);
    if (!copied)
        return make_error(copied.error().code(), "DeviceArray::copy_to: " + copied.error().message);
    return {};
}

Result<HostArray> DeviceArray::to_host() const {
    auto host = HostArray::create(dtype_, shape_);
    if (!host) return host.error();
    if (auto copied = copy_to(*host); !copied) return copied.error();
    return host;
}

BE::Tensor DeviceArray::view() const {
    BE::Tensor tensor;
    tensor.data = data_;
    tensor.dtype_ = dtype_;
    tensor.device_ = Device::cuda;
    tensor.device_index = device_;
    fill_c_strides(tensor, shape_);
    return tensor;
}

std::string shape_string(const std::vector<int64_t>& shape) {
    if (shape.empty()) return "scalar";
    std::string text;
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i > 0) text += 'x';
        text += std::to_string(shape[i]);
    }
    return text;
}

Result<std::vector<int64_t>> parse_shape(std::string_view text) {
    const auto fail = [&](const std::string& why) {
        return make_error(ErrorCode::invalid_argument,
                          "parse_shape: invalid shape '" + std::string(text) + "': " + why +
                              " (expected dimensions separated by 'x', e.g. 8, 4x8 or 2x3x4)");
    };
    if (text == "scalar") return std::vector<int64_t>{};
    if (text.empty()) return fail("empty");
    std::vector<int64_t> shape;
    size_t pos = 0;
    while (true) {
        const size_t end = std::min(text.find('x', pos), text.size());
        const std::string_view part = text.substr(pos, end - pos);
        if (part.empty()) return fail("empty dimension");
        // from_chars would take a leading '-'; only plain digits are dimensions.
        if (part.find_first_not_of("0123456789") != std::string_view::npos) {
            return fail("'" + std::string(part) + "' is not a non-negative integer");
        }
        int64_t dim = 0;
        const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), dim);
        if (ec != std::errc() || ptr != part.data() + part.size()) {
            return fail("dimension '" + std::string(part) + "' is out of range");
        }
        shape.push_back(dim);
        if (end == text.size()) break;
        pos = end + 1;
    }
    if (shape.size() > static_cast<size_t>(BE::k_max_rank)) {
        return fail("rank " + std::to_string(shape.size()) + " exceeds the maximum of " +
                    std::to_string(BE::k_max_rank));
    }
    return shape;
}

} // namespace be
