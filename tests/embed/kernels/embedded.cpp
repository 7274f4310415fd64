// A host kernel that needs libstdc++ (std::vector: operator new/delete), libm and TBB, loaded by
// a library that was itself dlopen'ed with RTLD_LOCAL (tests/embed/embed_main.c).
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

#include <cmath>
#include <cstdint>
#include <vector>

// @BE softplus_cumsum
// y[i] = Σ_{j ≤ i} alpha · log1p(exp(x[j])), the terms computed in parallel, summed in order.
void softplus_cumsum(const BE::Tensor& x, BE::Tensor& y, double alpha) {
    BE_CHECK(x.numel() == y.numel(), "x and y must have the same number of elements");
    const double* in = x.data_ptr<double>();
    std::vector<double> terms(static_cast<size_t>(x.numel()));
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, x.numel(), 64),
                      [&](const tbb::blocked_range<int64_t>& range) {
                          for (int64_t i = range.begin(); i < range.end(); ++i)
                              terms[i] = alpha * std::log1p(std::exp(in[i]));
                      });
    double sum = 0;
    double* out = y.data_ptr<double>();
    for (int64_t i = 0; i < x.numel(); ++i)
        out[i] = sum += terms[i];
}
