// Just-in-time connectivity (JITC): the rows of a random matrix R(seed, rows x cols) regenerated
// from a counter-based RNG inside the kernels, never stored. Shared by the CPU built-ins
// (kernels/builtin/jitc.cpp, clang), the CUDA emulation and NVRTC, so it is valid C++17, includes
// no standard header under NVRTC and uses only operations whose IEEE results are fixed: +, -, *,
// / and sqrt (correctly rounded everywhere), integer ops and conversions of exactly representable
// integers. No libm call: `log` is implemented here (log_fixed) because host libm, CUDA's log and
// the emulation's could differ in the last bit, which would move a floor() and change a row.
// No a*b+c may become an FMA: host kernel builds use -ffp-contract=off, and every a*b+c here goes
// through mul_add, which uses the never-fused __dmul_rn on a GPU (NVRTC contracts by default).
//
// The generation algorithm (the definition of the matrices; not seed-compatible with brainevent
// or any other library):
//   Philox4x32-10 (Salmon et al., Random123) with key {seed_lo, seed_hi} (the two 32-bit halves
//   of the 64-bit seed) and counter {block, row_lo, row_hi, stream}: each (row, stream) pair is an
//   independent sequence of 32-bit words, 4 per block, blocks 0, 1, 2, ... taken in order.
//   Stream 0 draws the columns of row i: with q = 1 - p and L = 1 / log(q) (both computed once
//   in double), each word x gives u = (x + 1) * 2^-32 in (0, 1] and a skip
//   k = floor(log_fixed(u) * L); the columns are c_0 = k_0, c_{t+1} = c_t + 1 + k_{t+1}, up to
//   cols (exclusive). That is Bernoulli(p) per entry, exact up to the 2^-32 resolution of u. p = 1
//   gives every column (no draws).
//   Stream 1 draws the weights of the row's entries, in column order:
//     scalar   w                                          (no draws)
//     uniform  low + (high - low) * (x * 2^-32)           (one word; in [low, high))
//     normal   mean + stddev * z, z by Marsaglia's polar method: words x, y give
//              a = int32(x) * 2^-31, b = int32(y) * 2^-31, s = a*a + b*b; retry while s >= 1 or
//              s == 0; z = a * sqrt(-2 * log_fixed(s) / s) (b's normal is discarded so that each
//              entry starts at a fixed draw rule).
//   All in double, rounded to the weight dtype at the end.
#pragma once

#if !defined(__CUDACC_RTC__)
#include <cstdint> // NVRTC: the fixed-width types come from the pre-included tensor.h
#endif

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define BE_JITC_FN __host__ __device__ inline
#else
#define BE_JITC_FN inline
#endif

namespace be_jitc {

// ---- Philox4x32-10 ----------------------------------------------------------------------------

struct U32x4 {
    uint32_t v[4];
};

BE_JITC_FN void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
    const uint64_t product = static_cast<uint64_t>(a) * b;
    hi = static_cast<uint32_t>(product >> 32);
    lo = static_cast<uint32_t>(product);
}

// The Random123 philox4x32 with 10 rounds (known-answer tested against its published vectors).
BE_JITC_FN U32x4 philox4x32_10(U32x4 ctr, uint32_t k0, uint32_t k1) {
    for (int round = 0; round < 10; ++round) {
        uint32_t hi0, lo0, hi1, lo1;
        mulhilo(0xD2511F53u, ctr.v[0], hi0, lo0);
        mulhilo(0xCD9E8D57u, ctr.v[2], hi1, lo1);
        ctr = U32x4{{hi1 ^ ctr.v[1] ^ k0, lo1, hi0 ^ ctr.v[3] ^ k1, lo0}};
        k0 += 0x9E3779B9u; // the Weyl key schedule (unused after the last round)
        k1 += 0xBB67AE85u;
    }
    return ctr;
}

// The words of one (seed, row, stream) sequence, in order.
struct Stream {
    uint32_t k0, k1, row_lo, row_hi, stream;
    uint32_t block = 0;
    int used = 4;
    U32x4 buffer{};

    BE_JITC_FN Stream(uint64_t seed, uint64_t row, uint32_t which)
        : k0(static_cast<uint32_t>(seed)), k1(static_cast<uint32_t>(seed >> 32)),
          row_lo(static_cast<uint32_t>(row)), row_hi(static_cast<uint32_t>(row >> 32)),
          stream(which) {}
    BE_JITC_FN uint32_t next() {
        if (used == 4) {
            buffer = philox4x32_10(U32x4{{block++, row_lo, row_hi, stream}}, k0, k1);
            used = 0;
        }
        return buffer.v[used++];
    }
};

// ---- fixed IEEE math --------------------------------------------------------------------------

BE_JITC_FN uint64_t bits_of(double x) {
#if defined(__CUDA_ARCH__)
    return static_cast<uint64_t>(__double_as_longlong(x));
#else
    return __builtin_bit_cast(uint64_t, x);
#endif
}
BE_JITC_FN double double_of(uint64_t bits) {
#if defined(__CUDA_ARCH__)
    return __longlong_as_double(static_cast<long long>(bits));
#else
    return __builtin_bit_cast(double, bits);
#endif
}
BE_JITC_FN double sqrt_fixed(double x) {
#if defined(__CUDA_ARCH__)
    return __dsqrt_rn(x);
#else
    return __builtin_sqrt(x); // sqrtsd: correctly rounded (no -ffast-math in kernel builds)
#endif
}

// a * b + c as two roundings, never an FMA: NVRTC contracts by default (--fmad=true) and the
// built-ins are loaded without --fmad=false, so on a GPU the product goes through __dmul_rn,
// which is never fused. Host compilers (the CPU kernels, the emulation) use -ffp-contract=off.
BE_JITC_FN double mul_add(double a, double b, double c) {
#if defined(__CUDA_ARCH__)
    return __dmul_rn(a, b) + c;
#else
    return a * b + c;
#endif
}

// Natural log of a positive normal double, as a fixed operation sequence: x = m * 2^e with m in
// [sqrt(1/2), sqrt(2)), s = (m - 1) / (m + 1), log m = 2 atanh(s) = 2 (s + s^3/3 + ... + s^23/23)
// (|s| <= 0.1716: the first omitted term is below 2^-60 relative), log x = e * ln2 + log m with
// ln2 split in two so that e * ln2_hi is exact. Accurate to a few ulp; what matters is that
// every backend computes the same bits.
BE_JITC_FN double log_fixed(double x) {
    const uint64_t bits = bits_of(x);
    int64_t e = static_cast<int64_t>((bits >> 52) & 0x7ff) - 1023;
    double m = double_of((bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
    if (m > 1.4142135623730951) {
        m = m * 0.5;
        e += 1;
    }
    const double s = (m - 1.0) / (m + 1.0);
    const double s2 = mul_add(s, s, 0.0);
    double poly = 1.0 / 23.0;
    poly = mul_add(poly, s2, 1.0 / 21.0);
    poly = mul_add(poly, s2, 1.0 / 19.0);
    poly = mul_add(poly, s2, 1.0 / 17.0);
    poly = mul_add(poly, s2, 1.0 / 15.0);
    poly = mul_add(poly, s2, 1.0 / 13.0);
    poly = mul_add(poly, s2, 1.0 / 11.0);
    poly = mul_add(poly, s2, 1.0 / 9.0);
    poly = mul_add(poly, s2, 1.0 / 7.0);
    poly = mul_add(poly, s2, 1.0 / 5.0);
    poly = mul_add(poly, s2, 1.0 / 3.0);
    const double log_m = mul_add(2.0 * s, mul_add(s2, poly, 0.0), 2.0 * s);
    const double ln2_hi = 6.93147180369123816490e-01; // 32 significant bits: e * ln2_hi exact
    const double ln2_lo = 1.90821492927058770002e-10;
    const double de = static_cast<double>(e);
    return mul_add(de, ln2_hi, mul_add(de, ln2_lo, log_m));
}

// ---- weights ----------------------------------------------------------------------------------

// Weight kinds: w0, w1 are (w, unused), (mean, stddev) or (low, high).
struct ScalarW {
    BE_JITC_FN static double draw(Stream&, double w0, double) { return w0; }
};
struct UniformW {
    BE_JITC_FN static double draw(Stream& s, double low, double high) {
        const double u = static_cast<double>(s.next()) * (1.0 / 4294967296.0);
        return mul_add(high - low, u, low);
    }
};
struct NormalW {
    BE_JITC_FN static double draw(Stream& s, double mean, double stddev) {
        for (;;) {
            const double a =
                static_cast<double>(static_cast<int32_t>(s.next())) * (1.0 / 2147483648.0);
            const double b =
                static_cast<double>(static_cast<int32_t>(s.next())) * (1.0 / 2147483648.0);
            const double r = mul_add(a, a, mul_add(b, b, 0.0));
            if (r >= 1.0 || r == 0.0) continue;
            return mul_add(stddev, a * sqrt_fixed(-2.0 * log_fixed(r) / r), mean);
        }
    }
};

// ---- rows -------------------------------------------------------------------------------------

// The matrix's generator: R(seed, rows x cols) with connection probability p in (0, 1].
struct Params {
    uint64_t seed;
    int64_t cols;
    double p, w0, w1;
    double inv_log_q; // 1 / log(1 - p); unused when p == 1

    BE_JITC_FN Params(uint64_t seed_, int64_t cols_, double p_, double w0_, double w1_)
        : seed(seed_), cols(cols_), p(p_), w0(w0_), w1(w1_),
          inv_log_q(p_ < 1.0 ? 1.0 / log_fixed(1.0 - p_) : 0.0) {}
};

// Skips are computed k_skip_batch at a time, in a loop over an array that the CPU compiler
// vectorises (AVX-512: 8 logs per instruction sequence); each lane performs the same IEEE
// operations as a scalar evaluation, so the values do not depend on the batch size (the GPU uses
// a smaller one to save registers). Words drawn beyond the row's end are simply unused.
#if defined(__CUDA_ARCH__)
constexpr int k_skip_batch = 4;
#else
constexpr int k_skip_batch = 32;
#endif

// Walks the entries of row `row` in ascending column order: while (g.next()) use g.col, g.weight.
template <typename Kind> struct RowGen {
    const Params& prm;
    Stream skips, weights;
    int64_t col = -1;
    double weight = 0.0;
    int used = k_skip_batch;
    uint32_t next_block = 0; // of stream 0 (the skips' Stream only holds the key and row)
    double skip[k_skip_batch];

    BE_JITC_FN RowGen(const Params& p, int64_t row)
        : prm(p), skips(p.seed, static_cast<uint64_t>(row), 0u),
          weights(p.seed, static_cast<uint64_t>(row), 1u) {}

    // The next k_skip_batch words of stream 0 (blocks in order, as Stream::next would give them),
    // Philox lanes side by side so that the rounds vectorise too, then their skips.
    BE_JITC_FN void refill() {
        constexpr int blocks = k_skip_batch / 4;
        uint32_t c0[blocks], c1[blocks], c2[blocks], c3[blocks];
        for (int b = 0; b < blocks; ++b) {
            c0[b] = next_block + static_cast<uint32_t>(b);
            c1[b] = skips.row_lo;
            c2[b] = skips.row_hi;
            c3[b] = 0u;
        }
        next_block += blocks;
        uint32_t k0 = skips.k0, k1 = skips.k1;
        for (int round = 0; round < 10; ++round) {
            for (int b = 0; b < blocks; ++b) {
                uint32_t hi0, lo0, hi1, lo1;
                mulhilo(0xD2511F53u, c0[b], hi0, lo0);
                mulhilo(0xCD9E8D57u, c2[b], hi1, lo1);
                c0[b] = hi1 ^ c1[b] ^ k0;
                c1[b] = lo1;
                c2[b] = hi0 ^ c3[b] ^ k1;
                c3[b] = lo0;
            }
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        uint32_t words[k_skip_batch];
        for (int b = 0; b < blocks; ++b) {
            words[4 * b] = c0[b];
            words[4 * b + 1] = c1[b];
            words[4 * b + 2] = c2[b];
            words[4 * b + 3] = c3[b];
        }
        const double inv_log_q = prm.inv_log_q;
        for (int q = 0; q < k_skip_batch; ++q) {
            const double u = (static_cast<double>(words[q]) + 1.0) * (1.0 / 4294967296.0);
            skip[q] = log_fixed(u) * inv_log_q; // >= 0 (log u <= 0, 1/log q < 0)
        }
        used = 0;
    }

    BE_JITC_FN bool next() {
        int64_t step = 1;
        if (prm.p < 1.0) {
            if (used == k_skip_batch) refill();
            const double k = skip[used++];
            // Compare before converting: a huge skip would overflow the integer.
            if (k >= static_cast<double>(prm.cols - col)) {
                col = prm.cols;
                return false;
            }
            step += static_cast<int64_t>(k); // truncation = floor for k >= 0
        }
        col += step;
        if (col >= prm.cols) return false;
        weight = Kind::draw(weights, prm.w0, prm.w1);
        return true;
    }
};

} // namespace be_jitc
