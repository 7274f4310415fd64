// The kernel file the test library ships: y = x³ elementwise.
#include <cstdint>

// @BE cube
void cube(const BE::Tensor& x, BE::Tensor& y) {
    BE_CHECK(x.numel() == y.numel(), "x and y must have the same number of elements");
    const double* in = x.data_ptr<double>();
    double* out = y.data_ptr<double>();
    for (int64_t i = 0; i < x.numel(); ++i)
        out[i] = in[i] * in[i] * in[i];
}
