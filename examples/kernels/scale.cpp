// Example kernels: elementwise operations on float tensors, one template serving two dtypes.
#include <cstdint>

// @BE scale_f32 = scale<float> arg:float32 ret:float32 attr.alpha:float64
// @BE scale_f64 = scale<double> arg:float64 ret:float64 attr.alpha:float64
template <typename T> void scale(const BE::Tensor& x, BE::Tensor& y, double alpha) {
    BE_CHECK(x.numel() == y.numel(), "x and y must have the same number of elements");
    const T* in = x.data_ptr<T>();
    T* out = y.data_ptr<T>();
    for (int64_t i = 0; i < x.numel(); ++i) out[i] = static_cast<T>(alpha * in[i]);
}

// @BE axpy
void axpy(const BE::Tensor& x, BE::Tensor& y, float a) {
    BE_CHECK(x.dtype() == BE::DType::float32 && y.dtype() == BE::DType::float32, "axpy takes float32");
    BE_CHECK(x.numel() == y.numel(), "x and y must have the same number of elements");
    const float* in = x.data_ptr<float>();
    float* out = y.data_ptr<float>();
    for (int64_t i = 0; i < x.numel(); ++i) out[i] += a * in[i];
}
