// downstream_demo: loads the kernels libdownstream_kernels ships, calls them, checks the results
// against references computed here, and prints what the kernel cache did. Exit status 0 when
// every result is right, 1 otherwise.
#include <downstream/downstream.h>

#include <becore/cache/kernel_cache.h>
#include <becore/runtime/array.h>
#include <becore/runtime/cuda_backend.h>

#include <cstdio>

namespace {

bool check_window_sum() {
    const int64_t n = 1000, width = 7;
    auto x = be::HostArray::create(be::DType::float64, {n}).value();
    auto y = be::HostArray::create(be::DType::float64, {n}).value();
    // Small integers: every sum is exact, whatever the order of the additions.
    for (int64_t i = 0; i < n; ++i)
        x.data_as<double>()[i] = static_cast<double>(i * 7 % 13 - 6);
    downstream::window_sum(x.view(), y.view(), width).value();
    int64_t wrong = 0;
    for (int64_t i = 0; i < n; ++i) {
        double expected = 0;
        for (int64_t j = i - width + 1 < 0 ? 0 : i - width + 1; j <= i; ++j)
            expected += x.data_as<double>()[j];
        wrong += y.data_as<double>()[i] != expected;
    }
    std::printf("window_sum (cpu): %s\n", wrong ? "WRONG" : "ok");
    return wrong == 0;
}

bool check_affine() {
    const int64_t n = 4096;
    const float a = 2.0f, b = -3.0f;
    auto x = be::HostArray::create(be::DType::float32, {n}).value();
    auto y = be::HostArray::create(be::DType::float32, {n}).value();
    // Quarters: a * x + b is exact in float32, fused or not.
    for (int64_t i = 0; i < n; ++i)
        x.data_as<float>()[i] = 0.25f * static_cast<float>(i);
    const bool gpu = be::cuda_status().available;
    if (gpu) {
        auto dx = be::DeviceArray::from_host(x).value();
        auto dy = be::DeviceArray::from_host(y).value();
        downstream::affine(dx.view(), dy.view(), a, b).value();
        be::cuda_synchronize(0).value();
        dy.copy_to(y).value();
    } else {
        downstream::affine(x.emu_view(), y.emu_view(), a, b).value();
    }
    int64_t wrong = 0;
    for (int64_t i = 0; i < n; ++i)
        wrong += y.data_as<float>()[i] != 0.5f * static_cast<float>(i) - 3.0f;
    std::printf("affine (%s): %s\n", gpu ? "cuda" : "cuda-emu", wrong ? "WRONG" : "ok");
    return wrong == 0;
}

} // namespace

int main() {
    try {
        const auto reports = downstream::load_kernels().value();
        for (const auto& report : reports)
            std::printf("loaded %s: %s\n", report.file.c_str(),
                        report.cache_hit  ? "cache hit"
                        : report.deferred ? "CUDA binary deferred (no architecture known)"
                                          : "compiled");
        const bool ok = check_window_sum() & check_affine();
        const be::CacheStats stats = be::Registry::global().cache().stats();
        std::printf("kernel cache: %llu hits, %llu compiles\n",
                    static_cast<unsigned long long>(stats.hits),
                    static_cast<unsigned long long>(stats.compiles));
        return ok ? 0 : 1;
    } catch (const be::Exception& e) {
        std::fprintf(stderr, "downstream_demo: %s\n", e.what());
        return 1;
    }
}
