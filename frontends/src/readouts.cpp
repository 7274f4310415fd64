// LFP and CSD proxies and laminar depths (readouts.h documents the definitions).
#include <becore/frontends/readouts.h>

#include <be/jitc.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <string>

namespace be {
namespace {

[[noreturn]] void fail(const std::string& message) {
    throw Exception(make_error(ErrorCode::invalid_argument, message));
}

std::string number(double value) {
    std::ostringstream out;
    out.precision(17);
    out << value;
    return out.str();
}

// u in [0, 1) from the first Philox block of (seed, k_depth_stream, neuron).
double depth_uniform(uint64_t seed, uint64_t neuron) {
    const be_jitc::U32x4 ctr{
        {0u, static_cast<uint32_t>(neuron), static_cast<uint32_t>(neuron >> 32), k_depth_stream}};
    const be_jitc::U32x4 r =
        be_jitc::philox4x32_10(ctr, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
    const uint64_t bits = (static_cast<uint64_t>(r.v[0]) << 21) | (r.v[1] >> 11);
    return static_cast<double>(bits) * 0x1p-53;
}

// Two doubles: the SSE2 register of the x86-64 baseline (a GCC/Clang vector extension; each
// lane's + and * are the scalar IEEE operations, so results equal a scalar loop's bits).
typedef double V2 __attribute__((vector_size(16)));

inline V2 load2(const double* p) {
    V2 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// The sums of B consecutive blocks of 8 contacts (b0, b0 + 1, ...) in registers, each in
// ascending neuron order from 0.0: the same bits as a scalar loop over n. Two blocks at a time
// hide the latency of the additions (each sum depends on the previous neuron's).
template <int B, typename T>
void accumulate_blocks(const double* weights, int64_t n, int64_t c, int64_t b0, const T* source,
                       double* row) {
    constexpr int64_t block = 8;
    V2 acc[4 * B] = {};
    const double* w = weights + b0 * n * block;
    for (int64_t i = 0; i < n; ++i) {
        const double s = static_cast<double>(source[i]);
        const V2 sv = {s, s};
#pragma GCC unroll 8
        for (int bb = 0; bb < B; ++bb) {
            const double* wi = w + (bb * n + i) * block;
#pragma GCC unroll 4
            for (int q = 0; q < 4; ++q)
                acc[bb * 4 + q] += load2(wi + 2 * q) * sv;
        }
    }
    double sums[8 * B];
    std::memcpy(sums, acc, sizeof sums);
    const int64_t first = b0 * block;
    std::memcpy(row + first, sums,
                static_cast<size_t>(std::min<int64_t>(8 * B, c - first)) * sizeof(double));
}

// lfp_row[c] = Σ_n w_cn s_n for every contact: blocks two at a time, then an odd one.
template <typename T>
void accumulate(const double* weights, int64_t n, int64_t c, const T* source, double* row) {
    const int64_t blocks = (c + 7) / 8;
    int64_t b = 0;
    for (; b + 2 <= blocks; b += 2)
        accumulate_blocks<2>(weights, n, c, b, source, row);
    if (b < blocks) accumulate_blocks<1>(weights, n, c, b, source, row);
}

template <typename T>
void lfp_rows(const LfpProxy& proxy, const T* sources, int64_t t, double* out) {
    const int64_t n = proxy.neurons(), c = proxy.contacts();
    for (int64_t k = 0; k < t; ++k)
        proxy.record(sources + k * n, out + k * c);
}

template <typename T> void csd_rows(const T* lfp, int64_t t, int64_t c, double* out) {
    const double dz = 1.0 / static_cast<double>(c - 1);
    const double inv_dz2 = 1.0 / (dz * dz);
    for (int64_t k = 0; k < t; ++k) {
        const T* row = lfp + k * c;
        double* o = out + k * (c - 2);
        for (int64_t j = 1; j + 1 < c; ++j) {
            const double second = (static_cast<double>(row[j + 1]) - 2.0 * row[j]) + row[j - 1];
            o[j - 1] = -second * inv_dz2;
        }
    }
}

} // namespace

std::vector<double> layer_depths(const std::vector<int64_t>& layer_sizes, uint64_t seed) {
    if (layer_sizes.empty()) fail("layer_depths: layers must be >= 1 (no layer sizes given)");
    int64_t total = 0;
    for (size_t l = 0; l < layer_sizes.size(); ++l) {
        if (layer_sizes[l] < 0)
            fail("layer_depths: layer_sizes[" + std::to_string(l) +
                 "] = " + std::to_string(layer_sizes[l]) + " is negative");
        total += layer_sizes[l];
    }
    std::vector<double> depths;
    depths.reserve(static_cast<size_t>(total));
    const double layers = static_cast<double>(layer_sizes.size());
    uint64_t neuron = 0;
    for (size_t l = 0; l < layer_sizes.size(); ++l) {
        const double lo = static_cast<double>(l) / layers;
        const double hi = static_cast<double>(l + 1) / layers;
        for (int64_t i = 0; i < layer_sizes[l]; ++i, ++neuron) {
            double z = lo + (hi - lo) * depth_uniform(seed, neuron);
            if (z >= hi) z = std::nextafter(hi, lo); // rounding must not leave the band
            depths.push_back(z);
        }
    }
    return depths;
}

std::vector<double> layer_depths(int64_t n, int64_t layers, uint64_t seed) {
    if (n < 0) fail("layer_depths: n must be >= 0 (got " + std::to_string(n) + ")");
    if (layers < 1) fail("layer_depths: layers must be >= 1 (got " + std::to_string(layers) + ")");
    std::vector<int64_t> sizes(static_cast<size_t>(layers), n / layers);
    for (int64_t l = 0; l < n % layers; ++l)
        ++sizes[static_cast<size_t>(l)];
    return layer_depths(sizes, seed);
}

LfpProxy::LfpProxy(std::vector<double> depths, const ReadoutOptions& options)
    : depths_(std::move(depths)), contacts_(options.contacts) {
    if (options.contacts < 3)
        fail("LfpProxy: contacts must be >= 3 (got " + std::to_string(options.contacts) + ")");
    if (!std::isfinite(options.sigma) || options.sigma <= 0)
        fail("LfpProxy: sigma must be > 0 and finite (got " + number(options.sigma) + ")");
    if (depths_.empty()) fail("LfpProxy: depths is empty (N >= 1 neurons needed)");
    for (size_t i = 0; i < depths_.size(); ++i)
        if (!(depths_[i] >= 0.0 && depths_[i] <= 1.0))
            fail("LfpProxy: depths[" + std::to_string(i) + "] = " + number(depths_[i]) +
                 " is outside [0, 1]");

    const int64_t n = neurons(), c = contacts_;
    static_assert(k_block == 8, "accumulate_blocks() keeps 8 sums per block");
    const int64_t blocks = (c + k_block - 1) / k_block;
    weights_.assign(static_cast<size_t>(blocks * n * k_block), 0.0);
    auto w = [&](int64_t j, int64_t i) -> double& {
        return weights_[static_cast<size_t>((j / k_block * n + i) * k_block + j % k_block)];
    };
    const double inv_two_sigma2 = 1.0 / (2.0 * options.sigma * options.sigma);
    std::vector<double> d2(static_cast<size_t>(n));
    for (int64_t j = 0; j < c; ++j) {
        const double zc = contact_depth(j);
        double nearest = INFINITY;
        for (int64_t i = 0; i < n; ++i) {
            const double d = zc - depths_[i];
            d2[i] = d * d;
            nearest = std::min(nearest, d2[i]);
        }
        // g(d) / Σ g = exp(−(d² − d²_min)/2σ²) / Σ exp(...): the nearest neuron's term is 1.
        double sum = 0.0;
        for (int64_t i = 0; i < n; ++i) {
            const double g = std::exp(-(d2[i] - nearest) * inv_two_sigma2);
            w(j, i) = g;
            sum += g;
        }
        for (int64_t i = 0; i < n; ++i)
            w(j, i) /= sum;
    }
}

double LfpProxy::contact_depth(int64_t c) const {
    return static_cast<double>(c) / static_cast<double>(contacts_ - 1);
}

double LfpProxy::weight(int64_t c, int64_t n) const {
    return weights_[static_cast<size_t>((c / k_block * neurons() + n) * k_block + c % k_block)];
}

void LfpProxy::record(const float* source, double* lfp_row) const {
    accumulate(weights_.data(), neurons(), contacts_, source, lfp_row);
}

void LfpProxy::record(const double* source, double* lfp_row) const {
    accumulate(weights_.data(), neurons(), contacts_, source, lfp_row);
}

HostArray lfp_proxy(const HostArray& sources, const std::vector<double>& depths,
                    const ReadoutOptions& options) {
    if (sources.ndim() != 2)
        fail("lfp_proxy: sources must be 2-D [T, N] (got shape " + shape_string(sources.shape()) +
             ")");
    if (sources.dtype() != DType::float32 && sources.dtype() != DType::float64)
        fail("lfp_proxy: sources must be float32 or float64 (got " +
             std::string(dtype_name(sources.dtype())) + ")");
    const int64_t t = sources.shape()[0], n = sources.shape()[1];
    if (n != static_cast<int64_t>(depths.size()))
        fail("lfp_proxy: sources has " + std::to_string(n) + " columns but depths has " +
             std::to_string(depths.size()) + " entries");
    const LfpProxy proxy(depths, options);
    auto out = HostArray::create(DType::float64, {t, proxy.contacts()}).value();
    if (sources.dtype() == DType::float32)
        lfp_rows(proxy, sources.data_as<float>(), t, out.data_as<double>());
    else
        lfp_rows(proxy, sources.data_as<double>(), t, out.data_as<double>());
    return out;
}

HostArray csd_proxy(const HostArray& lfp) {
    if (lfp.ndim() != 2)
        fail("csd_proxy: lfp must be 2-D [T, C] (got shape " + shape_string(lfp.shape()) + ")");
    if (lfp.dtype() != DType::float32 && lfp.dtype() != DType::float64)
        fail("csd_proxy: lfp must be float32 or float64 (got " +
             std::string(dtype_name(lfp.dtype())) + ")");
    const int64_t t = lfp.shape()[0], c = lfp.shape()[1];
    if (c < 3) fail("csd_proxy: lfp needs >= 3 contacts (got " + std::to_string(c) + ")");
    auto out = HostArray::create(DType::float64, {t, c - 2}).value();
    if (lfp.dtype() == DType::float32)
        csd_rows(lfp.data_as<float>(), t, c, out.data_as<double>());
    else
        csd_rows(lfp.data_as<double>(), t, c, out.data_as<double>());
    return out;
}

} // namespace be
