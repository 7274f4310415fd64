// Just-in-time connectivity (JITC): the rows of a random matrix R(seed, rows x cols) regenerated
// from a counter-based RNG inside the kernels, never stored. Shared by the CPU built-ins
// (kernels/builtin/jitc_*.cpp, clang), the CUDA emulation and NVRTC, so it is valid C++17, includes
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
//   of the 64-bit seed) and counter {block, row, tile, stream}: each (row, tile, stream) is an
//   independent sequence of 32-bit words, 4 per block, blocks 0, 1, 2, ... taken in order.
//   A row is cut into tiles of T columns, T the smallest power of two >= 256 / p and >= 256
//   (tile_columns; a row of at most T columns is one tile, tile 0), tile t holding columns
//   [t T, min((t + 1) T, cols)). Stream 0 of a tile draws its columns: with q = 1 - p and
//   L = 1 / log(q) (both computed once in double), each word x gives u = (x + 1) * 2^-32 in
//   (0, 1] and a skip k = floor(log_fixed(u) * L); the columns are c_0 = t T + k_0,
//   c_{j+1} = c_j + 1 + k_{j+1}, up to the tile's end (exclusive). That is Bernoulli(p) per
//   entry, exact up to the 2^-32 resolution of u. p = 1 gives every column (L is taken as 0,
//   so every skip is 0). The tiles make a window of columns cheap: a process that owns columns
//   [a, b) generates the tiles that overlap them, and gets the same entries as the whole row.
//   Stream 1 of a tile draws the weights of its entries, in column order:
//     scalar   w                                          (no draws)
//     uniform  low + (high - low) * (x * 2^-32)           (one word; in [low, high))
//     normal   mean + stddev * z, z by Marsaglia's polar method: words x, y give
//              a = int32(x) * 2^-31, b = int32(y) * 2^-31, s = a*a + b*b; retry while s >= 1 or
//              s == 0; z = a * sqrt(-2 * log_fixed(s) / s) (b's normal is discarded so that each
//              entry starts at a fixed draw rule).
//   All in double, rounded to the weight dtype at the end.
// Products with scalar weights and event spikes are count * w (scaled_count below).
//
// The GPU generates one Philox block at a time and draws weights one by one (Kind::draw); the
// CPU in batches of 64 words (Kind::fill), the same values. A host translation unit that defines
// BE_JITC_SERIAL before including this header gets the GPU's generation, in namespace
// be_jitc_serial, so that tests can hold it against the CPU's batches (NVRTC alone only proves
// that it compiles).
#pragma once

#if !defined(__CUDACC_RTC__)
#include <cstdint> // NVRTC: the fixed-width types come from the pre-included tensor.h
#endif

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define BE_JITC_FN __host__ __device__ inline
#else
#define BE_JITC_FN inline
#endif

#if defined(__CUDA_ARCH__) || defined(BE_JITC_SERIAL)
#define BE_JITC_ONE_BLOCK 1
#endif

#if defined(BE_JITC_SERIAL)
namespace be_jitc_serial {
#else
namespace be_jitc {
#endif

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

// The words of one (seed, row, tile, stream) sequence, in order (rows < 2^31).
struct Stream {
    uint32_t k0, k1, row, tile, stream;
    uint32_t block = 0;
    int used = 4;
    U32x4 buffer{};

    BE_JITC_FN Stream(uint64_t seed, uint64_t row_, uint32_t tile_, uint32_t which)
        : k0(static_cast<uint32_t>(seed)), k1(static_cast<uint32_t>(seed >> 32)),
          row(static_cast<uint32_t>(row_)), tile(tile_), stream(which) {}
    BE_JITC_FN uint32_t next() {
        if (used == 4) {
            buffer = philox4x32_10(U32x4{{block++, row, tile, stream}}, k0, k1);
            used = 0;
        }
        return buffer.v[used++];
    }
};

// ---- batched Philox (CPU) ---------------------------------------------------------------------

// The CPU draws words k_batch_words at a time, in loops over arrays that the compiler vectorises
// (AVX-512: 8 Philox blocks per vector, two vectors in flight, 8 logs per instruction sequence).
// Each lane performs the same IEEE operations as a scalar evaluation, so values do not depend on
// the batch size (the GPU computes one block at a time to save registers). Words drawn beyond a
// row's end are simply unused. 64 words: measured ~400-500 M row entries/s on one core against
// 280 M with 32 (the Philox rounds are latency-bound with one vector in flight).
#if defined(BE_JITC_ONE_BLOCK)
constexpr int k_batch_words = 4;
#else
constexpr int k_batch_words = 64;
typedef uint64_t U64x8 __attribute__((vector_size(64))); // one Philox block per 64-bit lane

// Philox4x32-10 of 8 consecutive blocks (first, first + 1, ...) of one stream, lane b holding
// block first + b: the arithmetic of philox4x32_10 with 32-bit values in 64-bit lanes, so that a
// 32x32->64 product is one vpmuludq. (A plain loop over 8 blocks is unrolled into spilling scalar
// code by clang 16: 3.7 ns per word against 0.98.)
BE_JITC_FN void philox_8_blocks(uint32_t first, uint32_t row, uint32_t tile, uint32_t stream,
                                uint32_t k0, uint32_t k1, U64x8 (&c)[4]) {
    for (int b = 0; b < 8; ++b) {
        c[0][b] = first + static_cast<uint32_t>(b);
        c[1][b] = row;
        c[2][b] = tile;
        c[3][b] = stream;
    }
    const uint64_t low = 0xFFFFFFFFull;
    for (int round = 0; round < 10; ++round) {
        const U64x8 p0 = c[0] * 0xD2511F53ull, p1 = c[2] * 0xCD9E8D57ull;
        c[0] = (p1 >> 32) ^ c[1] ^ k0;
        c[1] = p1 & low;
        c[2] = (p0 >> 32) ^ c[3] ^ k1;
        c[3] = p0 & low;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
}
#endif

// Words [4 * first, 4 * first + k_batch_words) of stream `s` (its blocks first, first + 1, ...),
// in order.
BE_JITC_FN void stream_words(const Stream& s, uint32_t first, uint32_t (&words)[k_batch_words]) {
#if defined(BE_JITC_ONE_BLOCK)
    const U32x4 r = philox4x32_10(U32x4{{first, s.row, s.tile, s.stream}}, s.k0, s.k1);
    for (int j = 0; j < 4; ++j)
        words[j] = r.v[j];
#else
    U64x8 lo[4], hi[4]; // both halves' rounds in flight together: one alone is latency-bound
    philox_8_blocks(first, s.row, s.tile, s.stream, s.k0, s.k1, lo);
    philox_8_blocks(first + 8, s.row, s.tile, s.stream, s.k0, s.k1, hi);
    for (int j = 0; j < 4; ++j)
        for (int b = 0; b < 8; ++b) {
            words[4 * b + j] = static_cast<uint32_t>(lo[j][b]);
            words[32 + 4 * b + j] = static_cast<uint32_t>(hi[j][b]);
        }
#endif
}
constexpr uint32_t k_batch_blocks = k_batch_words / 4;

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
// [sqrt(1/2), sqrt(2)), s = (m - 1) / (m + 1), log m = 2 atanh(s) = 2 (s + s^3/3 + ... + s^19/19)
// (|s| <= 0.1716: the first omitted term is 2.3e-17 relative, below half an ulp), log x =
// e * ln2 + log m with ln2 split in two so that e * ln2_hi is exact. Accurate to a few ulp; what
// matters is that every backend computes the same bits.
BE_JITC_FN double log_fixed(double x) {
    const uint64_t bits = bits_of(x);
    int64_t e = static_cast<int64_t>((bits >> 52) & 0x7ff) - 1023;
    double m = double_of((bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
    // A select, not a branch, so that the batched skips vectorise.
    const bool high = m > 1.4142135623730951;
    m = high ? m * 0.5 : m;
    e += high ? 1 : 0;
    const double s = (m - 1.0) / (m + 1.0);
    const double s2 = mul_add(s, s, 0.0);
    double poly = 1.0 / 19.0;
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

// Weight kinds: w0, w1 are (w, unused), (mean, stddev) or (low, high). `drawn`: whether the
// weights come from stream 1 (false: one constant, w0). draw() takes the next weight from a
// Stream; fill() (CPU) computes the weights of the next k_batch_words words at once and returns
// how many there are, the same values in the same order.
struct ScalarW {
    static constexpr bool drawn = false;
    BE_JITC_FN static double draw(Stream&, double w0, double) { return w0; }
    BE_JITC_FN static int fill(const uint32_t*, double, double, double*) { return 0; }
};
struct UniformW {
    static constexpr bool drawn = true;
    BE_JITC_FN static double of(uint32_t x, double low, double high) {
        return mul_add(high - low, static_cast<double>(x) * (1.0 / 4294967296.0), low);
    }
    BE_JITC_FN static double draw(Stream& s, double low, double high) {
        return of(s.next(), low, high);
    }
    BE_JITC_FN static int fill(const uint32_t* words, double low, double high, double* out) {
        for (int q = 0; q < k_batch_words; ++q)
            out[q] = of(words[q], low, high);
        return k_batch_words;
    }
};
struct NormalW {
    static constexpr bool drawn = true;
    // The polar method's candidate from words (x, y): a = int32(x) 2^-31 and r = a^2 + b^2;
    // accepted when 0 < r < 1.
    BE_JITC_FN static bool candidate(uint32_t x, uint32_t y, double& a, double& r) {
        a = static_cast<double>(static_cast<int32_t>(x)) * (1.0 / 2147483648.0);
        const double b = static_cast<double>(static_cast<int32_t>(y)) * (1.0 / 2147483648.0);
        r = mul_add(a, a, mul_add(b, b, 0.0));
        return r < 1.0 && r != 0.0;
    }
    // The weight of an accepted candidate: mean + stddev * a sqrt(-2 log r / r).
    BE_JITC_FN static double deviate(double a, double r, double mean, double stddev) {
        return mul_add(stddev, a * sqrt_fixed(-2.0 * log_fixed(r) / r), mean);
    }
    BE_JITC_FN static double draw(Stream& s, double mean, double stddev) {
        for (;;) {
            const uint32_t x = s.next(), y = s.next();
            double a, r;
            if (candidate(x, y, a, r)) return deviate(a, r, mean, stddev);
        }
    }
    BE_JITC_FN static int fill(const uint32_t* words, double mean, double stddev, double* out) {
        constexpr int pairs = k_batch_words / 2;
        double z[pairs];
        bool ok[pairs];
        // Every pair runs the formula (rejected ones on r = 0.5) so that the loop vectorises;
        // then the accepted deviates are kept, in order.
        for (int i = 0; i < pairs; ++i) {
            double a, r;
            ok[i] = candidate(words[2 * i], words[2 * i + 1], a, r);
            z[i] = deviate(a, ok[i] ? r : 0.5, mean, stddev);
        }
        int n = 0;
        for (int i = 0; i < pairs; ++i) {
            out[n] = z[i];
            n += ok[i] ? 1 : 0;
        }
        return n;
    }
};

// Products with scalar weights and event (unweighted) spikes are defined as count * w: an output
// is the number of its connections from active inputs times T(w), the product of two doubles
// rounded to T (exact in double, so rounded once, when T is float and count < 2^29). Independent
// of summation order, so CPU threads may split rows freely and every backend gets the same bits.
template <typename T> BE_JITC_FN T scaled_count(int64_t count, double w0) {
    return static_cast<T>(static_cast<double>(count) * static_cast<double>(static_cast<T>(w0)));
}

// ---- rows -------------------------------------------------------------------------------------

// Expected entries per tile: a row is cut into tiles of the smallest power-of-two number of
// columns T >= k_tile_entries / p (and >= k_tile_entries), each drawn from its own streams, so
// that a window of columns costs the tiles it overlaps, not the row up to it. Smaller tiles cut
// a window's cost closer to its share of the row (a window that starts inside a tile walks it
// from the tile's first column, E / 2 entries on average); larger ones waste less of the last
// batch of k_batch_words words per tile (about half a batch: 12 % at E = 256).
constexpr double k_tile_entries = 256.0;

// T for (p, cols): doubling stops once T >= cols (one tile; any larger T defines the same row).
BE_JITC_FN int64_t tile_columns(double p, int64_t cols) {
    const double want = k_tile_entries / p; // correctly rounded: the same T on every backend
    int64_t t = static_cast<int64_t>(k_tile_entries);
    while (t < cols && static_cast<double>(t) < want)
        t *= 2;
    return t;
}

// The matrix's generator: R(seed, rows x cols) with connection probability p in (0, 1].
struct Params {
    uint64_t seed;
    int64_t cols;
    double p, w0, w1;
    double inv_log_q; // 1 / log(1 - p), or 0 when p == 1 (every skip 0)
    int64_t tile;     // columns per tile (tile_columns)

    BE_JITC_FN Params(uint64_t seed_, int64_t cols_, double p_, double w0_, double w1_)
        : seed(seed_), cols(cols_), p(p_), w0(w0_), w1(w1_),
          inv_log_q(p_ < 1.0 ? 1.0 / log_fixed(1.0 - p_) : 0.0), tile(tile_columns(p_, cols_)) {}
};

// The skip of a uniform word x: floor(log_fixed(u) * inv_log_q), u = (x + 1) 2^-32, as an int32
// saturated at INT32_MAX (the tile ends either way: cols < 2^31). Total: a NaN or a negative k
// (only from an invalid p, which the kernels reject) ends the tile rather than converting out of
// range.
BE_JITC_FN int32_t skip_of(uint32_t x, double inv_log_q) {
    const double u = (static_cast<double>(x) + 1.0) * (1.0 / 4294967296.0);
    const double k = log_fixed(u) * inv_log_q; // >= 0 for valid p (log u <= 0, 1/log q <= 0)
    return k >= 0.0 && k < 2147483647.0 ? static_cast<int32_t>(k) : 2147483647; // trunc = floor
}

// Walks the entries of row `row` in ascending column order, within the column window [lo, hi)
// (default: the whole row): while (g.next()) use g.col, g.weight, or g.for_each(visit), or
// g.next_columns(batch). Every window sees the entries and weights of the whole row that fall
// into it: it starts at the first tile it overlaps and discards that tile's entries (and their
// weights) before lo. p = 1 needs no special case: inv_log_q = 0 makes every skip 0.
template <typename Kind> struct RowGen {
    const Params& prm;
    uint64_t row;
    Stream skips, weights; // of the current tile (skips: only its key and counter)
    int64_t col = -1;      // the last column taken (the tile's first - 1 before its first entry)
    int64_t hi;            // the window's end
    int64_t limit = 0;     // min(the current tile's end, hi): the walk's bound
    uint32_t tile = 0;
    bool ended = false;
    bool tile_done = false; // next_columns reached the tile's end: switch at its next call
    double weight = 0.0;
    int used = k_batch_words; // skip[used, k_batch_words) are still to be taken
    uint32_t next_block = 0;  // of the skips' stream
    int32_t skip[k_batch_words];
#if !defined(BE_JITC_ONE_BLOCK)
    // The weights' stream, drawn k_batch_words words at a time from block w_block on.
    double w_buffer[k_batch_words];
    int w_used = 0, w_count = 0;
    uint32_t w_block = 0;
#endif

    BE_JITC_FN RowGen(const Params& p, int64_t row_, int64_t lo = 0, int64_t hi_ = -1)
        : prm(p), row(static_cast<uint64_t>(row_)), skips(p.seed, row, 0u, 0u),
          weights(p.seed, row, 0u, 1u), hi(hi_ < 0 || hi_ > p.cols ? p.cols : hi_) {
        if (lo < 0) lo = 0;
        if (lo >= hi) {
            ended = true;
            col = hi;
            return;
        }
        start_tile(static_cast<uint32_t>(lo / p.tile));
        // Take the tile's entries before lo without visiting them (their skips stay in the
        // batch: the entry at or after lo is left for the walk), then draw their weights.
        int64_t before = 0;
        for (;;) {
            if (used == k_batch_words) refill();
            const int64_t c = col + 1 + static_cast<int64_t>(skip[used]);
            if (c >= lo) break;
            col = c;
            ++used;
            ++before;
        }
        for (; before > 0; --before)
            draw_weight();
    }

    BE_JITC_FN void start_tile(uint32_t t) {
        tile = t;
        const int64_t first = static_cast<int64_t>(t) * prm.tile;
        const int64_t end = prm.cols - first > prm.tile ? first + prm.tile : prm.cols;
        limit = end < hi ? end : hi;
        col = first - 1;
        skips = Stream(prm.seed, row, t, 0u);
        weights = Stream(prm.seed, row, t, 1u);
        used = k_batch_words;
        next_block = 0;
#if !defined(BE_JITC_ONE_BLOCK)
        w_used = w_count = 0;
        w_block = 0;
#endif
    }

    // A skip reached `limit`: the next tile, or the end of the window.
    BE_JITC_FN void end_of_tile() {
        if (limit >= hi) {
            ended = true;
            col = hi;
        } else {
            start_tile(tile + 1);
        }
    }

    // The skips of the next k_batch_words words of the skips' stream (a whole batch: sizing it to
    // the tile's expected remainder, half a batch at its end, measured slower: 354 against 420 M
    // entries/s at 100 entries per row).
    BE_JITC_FN void refill() {
        uint32_t words[k_batch_words];
        stream_words(skips, next_block, words);
        next_block += k_batch_blocks;
        const double inv_log_q = prm.inv_log_q;
#if defined(__clang__) && !defined(BE_JITC_ONE_BLOCK)
#pragma clang loop interleave_count(2) // the logs are latency-bound chains: keep several in flight
#endif
        for (int q = 0; q < k_batch_words; ++q)
            skip[q] = skip_of(words[q], inv_log_q);
        used = 0;
    }

    BE_JITC_FN double draw_weight() {
        if (!Kind::drawn) return prm.w0;
#if defined(BE_JITC_ONE_BLOCK)
        return Kind::draw(weights, prm.w0, prm.w1);
#else
        while (w_used == w_count) { // a batch may accept no normal pair (probability 2^-70)
            uint32_t words[k_batch_words];
            stream_words(weights, w_block, words);
            w_block += k_batch_blocks;
            w_count = Kind::fill(words, prm.w0, prm.w1, w_buffer);
            w_used = 0;
        }
        return w_buffer[w_used++];
#endif
    }

    // Writes the window's next columns to out (ascending, at most k_batch_words) and returns how
    // many; 0 once the window has ended. The weights of those entries, in order, are the next
    // draw_weight() calls. The batched form of next() for the CPU kernels.
    BE_JITC_FN int next_columns(int32_t* out) {
        switch_if_done();
        while (!ended) {
            if (used == k_batch_words) refill();
            int64_t c = col; // a local, so that the stores to out cannot alias the cursor
            int n = 0;
            int q = used;
            for (; q < k_batch_words; ++q) {
                const int64_t next = c + 1 + static_cast<int64_t>(skip[q]);
                if (next >= limit) break;
                c = next;
                out[n++] = static_cast<int32_t>(c);
            }
            col = c;
            used = q;
            if (q == k_batch_words) return n;
            ++used; // the skip that left the tile
            tile_done = true;
            if (n > 0) return n; // their weights are still to be drawn from this tile
            switch_if_done();
        }
        return 0;
    }

    BE_JITC_FN void switch_if_done() {
        if (!tile_done) return;
        tile_done = false;
        end_of_tile();
    }

    // Calls visit(col, weight) for every remaining entry of the window, in column order.
    template <typename F> BE_JITC_FN void for_each(F&& visit) {
        switch_if_done();
        while (!ended) {
            walk_tile(visit);
            end_of_tile();
        }
    }

    // Visits the current tile's remaining entries. The loop of next_columns with the visit
    // inlined: 495 M entries/s against 430 M through a batch array. The cursor is a local
    // (stores made by visit cannot alias it) and the loop bound a local constant; either change
    // measured 15-20 % slower.
    template <typename F> BE_JITC_FN void walk_tile(F& visit) {
        const int64_t bound = limit;
        int64_t c = col;
        for (int q = used;;) {
            if (q == k_batch_words) {
                refill();
                q = 0;
            }
            for (; q < k_batch_words; ++q) {
                c += 1 + static_cast<int64_t>(skip[q]);
                if (c >= bound) {
                    used = q + 1;
                    return;
                }
                visit(c, draw_weight());
            }
        }
    }

    BE_JITC_FN bool next() {
        switch_if_done();
        while (!ended) {
            if (used == k_batch_words) refill();
            const int64_t c = col + 1 + static_cast<int64_t>(skip[used++]);
            if (c < limit) {
                col = c;
                weight = draw_weight();
                return true;
            }
            end_of_tile();
        }
        return false;
    }
};

} // namespace be_jitc (be_jitc_serial)
