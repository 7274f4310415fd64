// Helpers for the event-operator tests: seeded random connectivity in every format, spike
// vectors in every encoding, and the dense reference products. The reference sums each output
// from 0 in ascending input order, the order the kernels promise, so results compare bitwise.
#pragma once

#include <becore/frontends/event_ops.h>

#include <gtest/gtest.h>

#include <cstring>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace be::test {

inline HostArray array(DType dtype, std::vector<int64_t> shape) {
    return HostArray::create(dtype, std::move(shape)).value();
}

inline double get(const HostArray& a, int64_t i) {
    return a.dtype() == DType::float32 ? a.data_as<float>()[i] : a.data_as<double>()[i];
}
inline void put(HostArray& a, int64_t i, double v) {
    if (a.dtype() == DType::float32)
        a.data_as<float>()[i] = static_cast<float>(v);
    else
        a.data_as<double>()[i] = v;
}

// A connectivity pattern as a list of (row, col) plus the matching dense weights [rows, cols].
struct Pattern {
    int64_t rows = 0, cols = 0;
    std::vector<int64_t> r, c; // one entry per connection
    std::vector<double> w;     // its weight (all equal when homogeneous)
};

// Bernoulli(p) entries, or exactly k per row (per column with per_col), with random weights in
// [0.1, 1.1) (one shared weight when homogeneous).
inline Pattern random_pattern(std::mt19937_64& rng, int64_t rows, int64_t cols, double p, int64_t k,
                              bool per_col, bool homogeneous) {
    Pattern pat{rows, cols, {}, {}, {}};
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const double shared = 0.1 + u(rng);
    auto add = [&](int64_t i, int64_t j) {
        pat.r.push_back(i);
        pat.c.push_back(j);
        pat.w.push_back(homogeneous ? shared : 0.1 + u(rng));
    };
    if (k == 0) {
        // Bernoulli(p) per entry by geometric skips: cost proportional to the connections.
        std::geometric_distribution<int64_t> skip(p);
        for (int64_t i = 0; i < rows; ++i)
            for (int64_t j = skip(rng); j < cols; j += 1 + skip(rng))
                add(i, j);
        return pat;
    }
    const int64_t outer = per_col ? cols : rows, inner = per_col ? rows : cols;
    std::vector<int64_t> pool(inner);
    for (int64_t o = 0; o < outer; ++o) {
        for (int64_t q = 0; q < inner; ++q)
            pool[q] = q;
        std::shuffle(pool.begin(), pool.end(), rng); // k distinct, in random order
        for (int64_t q = 0; q < k; ++q)
            per_col ? add(pool[q], o) : add(o, pool[q]);
    }
    return pat;
}

inline HostArray dense_of(const Pattern& pat, DType dtype) {
    HostArray d = array(dtype, {pat.rows, pat.cols});
    for (size_t e = 0; e < pat.r.size(); ++e)
        put(d, pat.r[e] * pat.cols + pat.c[e], get(d, pat.r[e] * pat.cols + pat.c[e]) + pat.w[e]);
    return d;
}

// Weights of the pattern's entries as an array: [n] or, homogeneous, [1].
inline HostArray weights_of(const Pattern& pat, DType dtype, bool homogeneous,
                            std::vector<int64_t> shape) {
    HostArray w = array(dtype, homogeneous ? std::vector<int64_t>{1} : std::move(shape));
    if (homogeneous)
        put(w, 0, pat.w.empty() ? 0.0 : pat.w[0]);
    else
        for (size_t e = 0; e < pat.w.size(); ++e)
            put(w, static_cast<int64_t>(e), pat.w[e]);
    return w;
}

// Indices [outer, k] for a fixed-number pattern (per row, or per column with per_col).
inline HostArray fixed_indices(const Pattern& pat, int64_t outer, int64_t k, bool per_col) {
    HostArray idx = array(DType::int32, {outer, k});
    for (size_t e = 0; e < pat.r.size(); ++e)
        idx.data_as<int32_t>()[e] = static_cast<int32_t>(per_col ? pat.r[e] : pat.c[e]);
    return idx;
}

// Inputs [batch, n] (or [n] with batch 0): bool spikes, and float values in [-1, 1) of which
// about `active` are > 0 (float spikes and float matvec inputs).
inline HostArray random_bool(std::mt19937_64& rng, int64_t batch, int64_t n, double active) {
    HostArray s =
        array(DType::bool_, batch ? std::vector<int64_t>{batch, n} : std::vector<int64_t>{n});
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int64_t i = 0; i < s.numel(); ++i)
        s.data_as<bool>()[i] = u(rng) < active;
    return s;
}
inline HostArray random_float(std::mt19937_64& rng, DType dtype, int64_t batch, int64_t n,
                              double active) {
    HostArray s = array(dtype, batch ? std::vector<int64_t>{batch, n} : std::vector<int64_t>{n});
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int64_t i = 0; i < s.numel(); ++i)
        put(s, i, u(rng) < active ? u(rng) + 1e-3 : -u(rng));
    return s;
}

// The reference: out[b] = in[b] @ D (transpose: D @ in[b]); events (weighted = false) add the
// weight of every input > 0 (bool true), values add in * weight for every input.
inline HostArray reference(const HostArray& dense, const HostArray& in, bool transpose,
                           bool weighted) {
    const int64_t rows = dense.shape()[0], cols = dense.shape()[1];
    const int64_t n_in = transpose ? cols : rows, n_out = transpose ? rows : cols;
    const int64_t batch = in.ndim() == 2 ? in.shape()[0] : 1;
    HostArray out = array(dense.dtype(), in.ndim() == 2 ? std::vector<int64_t>{batch, n_out}
                                                        : std::vector<int64_t>{n_out});
    const bool f32 = dense.dtype() == DType::float32;
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t o = 0; o < n_out; ++o) {
            float acc32 = 0;
            double acc64 = 0;
            for (int64_t i = 0; i < n_in; ++i) {
                const int64_t e = transpose ? o * cols + i : i * cols + o;
                const double x = in.dtype() == DType::bool_
                                     ? (in.data_as<bool>()[b * n_in + i] ? 1 : 0)
                                     : get(in, b * n_in + i);
                if (!weighted && !(x > 0)) continue;
                if (f32) {
                    const float wv = dense.data_as<float>()[e];
                    acc32 += weighted ? static_cast<float>(x) * wv : wv;
                } else {
                    const double wv = dense.data_as<double>()[e];
                    acc64 += weighted ? x * wv : wv;
                }
            }
            put(out, b * n_out + o, f32 ? acc32 : acc64);
        }
    return out;
}

// Bitwise comparison with the first differing element in the message.
inline ::testing::AssertionResult same_bits(const HostArray& got, const HostArray& want) {
    if (got.dtype() != want.dtype() || got.shape() != want.shape())
        return ::testing::AssertionFailure() << "shape/dtype " << shape_string(got.shape())
                                             << " vs " << shape_string(want.shape());
    const int64_t size = dtype_size(got.dtype());
    for (int64_t i = 0; i < got.numel(); ++i)
        if (std::memcmp(static_cast<const char*>(got.data()) + i * size,
                        static_cast<const char*>(want.data()) + i * size, size) != 0)
            return ::testing::AssertionFailure()
                   << "element " << i << ": " << get(got, i) << " vs " << get(want, i);
    return ::testing::AssertionSuccess();
}

// One connectivity of every format over the same kind of random pattern, and its dense M.
inline constexpr int64_t k_rows = 37, k_cols = 53, k_batch = 3;
inline constexpr int64_t k_fixed_post = 5, k_fixed_pre = 4;

enum class Format { dense, csr, csc, fixed_post, fixed_pre };

struct Case {
    Format format;
    bool homogeneous;
    DType dtype;
    bool transpose;
};

// Short names in test listings (ctest shows the parameter).
inline void PrintTo(const Case& c, std::ostream* os) {
    const char* formats[] = {"dense", "csr", "csc", "fixed_post", "fixed_pre"};
    *os << formats[static_cast<int>(c.format)] << (c.homogeneous ? " homogeneous " : " ")
        << dtype_name(c.dtype) << (c.transpose ? " transpose" : "");
}

using Conn = std::variant<Dense, Csr, FixedPostNum, FixedPreNum>;

// The connectivity under test and the dense M it stands for. For csc the stored Csr is the one
// of Mᵀ, so its operators are called with the opposite transpose.
struct Built {
    Conn conn;
    HostArray dense;
};

inline Built build(const Case& c, std::mt19937_64& rng, int64_t rows, int64_t cols, double p) {
    const bool fixed = c.format == Format::fixed_post || c.format == Format::fixed_pre;
    const bool per_col = c.format == Format::fixed_pre;
    const int64_t k = !fixed ? 0 : per_col ? k_fixed_pre : k_fixed_post;
    Pattern pat = random_pattern(rng, rows, cols, p, k, per_col, c.homogeneous);
    HostArray dense = dense_of(pat, c.dtype);
    const int64_t n = static_cast<int64_t>(pat.r.size());
    switch (c.format) {
    case Format::dense:
        return {Dense(dense_of(pat, c.dtype)), std::move(dense)};
    case Format::csr: {
        // Triplets in reverse order: from_coo must sort them.
        std::vector<int64_t> r(pat.r.rbegin(), pat.r.rend()), cc(pat.c.rbegin(), pat.c.rend());
        Pattern rev = pat;
        rev.w.assign(pat.w.rbegin(), pat.w.rend());
        return {Csr::from_coo(rows, cols, r, cc, weights_of(rev, c.dtype, c.homogeneous, {n})),
                std::move(dense)};
    }
    case Format::csc:
        return {
            Csr::from_coo(cols, rows, pat.c, pat.r, weights_of(pat, c.dtype, c.homogeneous, {n})),
            std::move(dense)};
    case Format::fixed_post:
        return {FixedPostNum(rows, cols, fixed_indices(pat, rows, k, false),
                             weights_of(pat, c.dtype, c.homogeneous, {rows, k})),
                std::move(dense)};
    case Format::fixed_pre:
        return {FixedPreNum(rows, cols, fixed_indices(pat, cols, k, true),
                            weights_of(pat, c.dtype, c.homogeneous, {cols, k})),
                std::move(dense)};
    }
    throw std::logic_error("format");
}

} // namespace be::test
