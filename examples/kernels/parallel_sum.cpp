// Example kernel using TBB: a deterministic parallel row sum (each row is summed by one task in
// index order, so the result does not depend on the number of threads).
#include <oneapi/tbb/parallel_for.h>

// @BE row_sum arg:float64 ret:float64
void row_sum(const BE::Tensor& matrix, BE::Tensor& sums) {
    BE_CHECK(matrix.ndim() == 2, "matrix must be 2-D");
    BE_CHECK(sums.ndim() == 1 && sums.size(0) == matrix.size(0), "sums must have one entry per row");
    BE_CHECK(matrix.is_contiguous(), "matrix must be contiguous");
    const int64_t rows = matrix.size(0), cols = matrix.size(1);
    const double* m = matrix.data_ptr<double>();
    double* out = sums.data_ptr<double>();
    tbb::parallel_for(int64_t{0}, rows, [&](int64_t r) {
        double s = 0;
        for (int64_t c = 0; c < cols; ++c) s += m[r * cols + c];
        out[r] = s;
    });
}
