// A kernel file shipped with libdownstream_kernels (becore_add_kernels in ../CMakeLists.txt):
// y[i] = x[i - width + 1] + ... + x[i], the sum over a trailing window (shorter at the start).
#include <cstdint>

// @BE window_sum arg:float64 ret:float64 attr.width:int64
void window_sum(const BE::Tensor& x, BE::Tensor& y, int64_t width) {
    BE_CHECK(x.numel() == y.numel(), "x and y must have the same number of elements");
    BE_CHECK(width > 0, "width must be positive");
    const double* in = x.data_ptr<double>();
    double* out = y.data_ptr<double>();
    double sum = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
        sum += in[i];
        if (i >= width) sum -= in[i - width];
        out[i] = sum;
    }
}
