// Kernels for the Python tests (tests/python/test_call.py), loaded with becore.load_file.

// clang-format off
// @BE axpby_f32 = axpby<float> arg:float32 arg:float32 ret:float32 attr.alpha:float64 attr.beta:float64
// @BE axpby_f64 = axpby<double> arg:float64 arg:float64 ret:float64 attr.alpha:float64 attr.beta:float64
// clang-format on
// out = alpha * x + beta * y, in T (no FMA: kernels compile with -ffp-contract=off), so NumPy's
// float32/float64 arithmetic gives the same bits.
template <typename T>
void axpby(const BE::Tensor& x, const BE::Tensor& y, BE::Tensor& out, double alpha, double beta) {
    BE_CHECK(x.numel() == y.numel() && x.numel() == out.numel(),
             "x, y and out must have the same number of elements");
    const T a = static_cast<T>(alpha), b = static_cast<T>(beta);
    for (int64_t i = 0; i < x.numel(); ++i)
        out.data_ptr<T>()[i] = a * x.data_ptr<T>()[i] + b * y.data_ptr<T>()[i];
}

// Where the arg's data is and its strides: shows whether the caller's memory was passed as is.
// @BE address_of arg ret:int64
void address_of(const BE::Tensor& x, BE::Tensor& out) {
    BE_CHECK(out.numel() == 1 + x.ndim(), "out needs 1 + ndim elements");
    out.data_ptr<int64_t>()[0] = reinterpret_cast<int64_t>(x.data_ptr());
    for (int d = 0; d < x.ndim(); ++d) out.data_ptr<int64_t>()[1 + d] = x.stride(d);
}

// Adds `n` to every element of `acc` in place; `n` must not be negative.
// @BE accumulate ret:int64 attr.n:int64 attr.twice:bool
void accumulate(BE::Tensor& acc, int64_t n, bool twice) {
    BE_CHECK(n >= 0, "n must not be negative");
    for (int64_t i = 0; i < acc.numel(); ++i) acc.data_ptr<int64_t>()[i] += twice ? 2 * n : n;
}
