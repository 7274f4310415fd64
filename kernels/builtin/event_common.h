// Shared by the event-driven built-ins (dense.cpp, sparse_rows.h for csr.cpp and fixed_num.cpp,
// stdp.cpp): spike encodings, active-index collection and the fixed output partition that makes
// results independent of the number of threads. Host (.cpp) kernels only (event_device.h is the
// CUDA side).
//
// Spike encodings (a template parameter of every event kernel; the target name says which):
//   SpikeBool      bool[n]                      active if true
//   SpikeFloat<T>  T[n] (T = the weight dtype)  active if > 0; the value itself is not used
//   SpikeBits      uint32[ceil(n/32)]           bit i of word w is neuron 32w+i (LSB first)
//   Values<T>      T[n]                         every entry, weighted by its value: the
//                                               float (non-event) matvec/matmat
// An event contributes its weight; a Values entry contributes value * weight.
//
// Determinism: every output element is produced by exactly one task, which sums its terms in a
// fixed order (ascending active index, then stored order). The partition into tasks is derived
// from the sizes only (chunk_count), never from the thread count, so the result is
// bitwise the same for any BECORE_THREADS.
#pragma once

#include "be/check.h"
#include "be/tensor.h"
#include "parallel.h"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

namespace be_event {

struct SpikeBool {
    using Elem = bool;
    static constexpr bool weighted = false;
    static int64_t words(int64_t n) { return n; }
    static bool active(const Elem* s, int64_t i) { return s[i]; }
};
template <typename T> struct SpikeFloat {
    using Elem = T;
    static constexpr bool weighted = false;
    static int64_t words(int64_t n) { return n; }
    static bool active(const Elem* s, int64_t i) { return s[i] > T(0); }
};
struct SpikeBits {
    using Elem = uint32_t;
    static constexpr bool weighted = false;
    static int64_t words(int64_t n) { return (n + 31) / 32; }
    static bool active(const Elem* s, int64_t i) { return (s[i >> 5] >> (i & 31)) & 1u; }
};
template <typename T> struct Values {
    using Elem = T;
    static constexpr bool weighted = true;
    static int64_t words(int64_t n) { return n; }
    static bool active(const Elem*, int64_t) { return true; }
};

// The active indices of s[0, n) in ascending order. For SpikeBits whole zero words are skipped,
// so a sparse bit vector costs n/32 word tests plus one step per spike.
template <typename Enc>
void collect_active(const typename Enc::Elem* s, int64_t n, std::vector<int32_t>& out) {
    out.clear();
    if constexpr (std::is_same_v<Enc, SpikeBits>) {
        const int64_t words = Enc::words(n);
        for (int64_t w = 0; w < words; ++w) {
            uint32_t bits = s[w];
            if (w == words - 1 && (n & 31)) bits &= (1u << (n & 31)) - 1u; // ignore padding
            while (bits) {
                out.push_back(static_cast<int32_t>(w * 32 + __builtin_ctz(bits)));
                bits &= bits - 1;
            }
        }
    } else if constexpr (std::is_same_v<Enc, SpikeBool>) {
        // Eight flags per 64-bit load, so that the zero stretches of a sparse spike vector cost
        // one test per 8 neurons (a JITC event_matvec call over 10k silent neurons: 9 µs -> 5).
        int64_t i = 0;
        for (; i + 8 <= n; i += 8) {
            uint64_t flags;
            std::memcpy(&flags, s + i, 8);
            while (flags) {
                const int byte = __builtin_ctzll(flags) / 8;
                out.push_back(static_cast<int32_t>(i + byte));
                flags &= ~(0xFFull << (8 * byte));
            }
        }
        for (; i < n; ++i)
            if (s[i]) out.push_back(static_cast<int32_t>(i));
    } else {
        for (int64_t i = 0; i < n; ++i)
            if (Enc::active(s, i)) out.push_back(static_cast<int32_t>(i));
    }
}

// The gathers (M @ spikes) test each stored entry's input, so they take the event encodings as
// one: a SpikeBool view of the event vectors s [batches, Enc::words(n)], [batches, n] with the
// same entries active: s itself for SpikeBool, else a copy made into `storage`. O(batches * n),
// little next to a gather's walk over the matrix, and each gather is compiled once for the
// three encodings instead of once each.
template <typename Enc>
const bool* as_spike_bool(const typename Enc::Elem* s, int64_t batches, int64_t n,
                          std::unique_ptr<bool[]>& storage) {
    static_assert(!Enc::weighted, "only event encodings have a SpikeBool form");
    if constexpr (std::is_same_v<Enc, SpikeBool>) {
        return s;
    } else {
        storage.reset(new bool[static_cast<size_t>(batches * n)]);
        for (int64_t b = 0; b < batches; ++b) {
            const auto* sb = s + b * Enc::words(n);
            bool* flags = storage.get() + b * n;
            for (int64_t i = 0; i < n; ++i)
                flags[i] = Enc::active(sb, i);
        }
        return storage.get();
    }
}

// The checks every event product makes of spikes [batch,] Enc::words(n_in) and out [batch,]
// n_out (contiguous; rank 2: the same batch). Returns the batch (1 for rank 1).
// The rank is a run-time value so that one instantiation of a product serves the matvec and the
// matmat targets: their loops are the same, and a second copy of each doubled its compile time.
template <typename Enc>
int64_t checked_batches(const BE::Tensor& spikes, const BE::Tensor& out, int rank, int64_t n_in,
                        int64_t n_out) {
    BE_CHECK(spikes.ndim() == rank && spikes.is_contiguous(),
             rank == 1 ? "spikes must be a contiguous vector" : "spikes must be [batch, n]");
    BE_CHECK(out.ndim() == rank && out.is_contiguous(), "out must have the rank of spikes");
    BE_CHECK(spikes.size(rank - 1) == Enc::words(n_in), "spikes has the wrong length for M");
    BE_CHECK(out.size(rank - 1) == n_out, "out has the wrong length for M");
    BE_CHECK(rank == 1 || out.size(0) == spikes.size(0), "out and spikes must have the same batch");
    return rank == 1 ? 1 : spikes.size(0);
}

// The factor an active entry i contributes with: 1 for events, its value for Values.
template <typename Enc, typename T> inline T factor(const typename Enc::Elem* s, int64_t i) {
    if constexpr (Enc::weighted)
        return static_cast<T>(s[i]);
    else
        return T(1);
}

// The output partition: one chunk up to k_chunk_min outputs, else an even number of equal
// chunks of at most k_chunk_max / 2 outputs (128 KiB of float32: L2-resident, and few enough that
// the scatter's per-row binary searches stay cheap). An even count balances two workers exactly
// (and 4, 8, ...). The partition depends on n alone, never on the thread count.
constexpr int64_t k_chunk_min = 4096;
constexpr int64_t k_chunk_max = 65536;
inline int64_t chunk_count(int64_t n) {
    if (n <= 0) return 0;
    if (n <= k_chunk_min) return 1;
    return 2 * ((n + k_chunk_max - 1) / k_chunk_max);
}

// Runs body(batch, begin, end) over [0, batches) x `chunks` equal chunks of [0, n) in parallel.
template <typename F>
void for_each_chunk(int64_t batches, int64_t n, int64_t chunks, const F& body) {
    const int64_t width = chunks == 0 ? 0 : (n + chunks - 1) / chunks;
    const int64_t pieces = batches * chunks;
    if (pieces == 0) return;
    if (pieces == 1) { // one piece (outputs up to k_chunk_min): no task to schedule
        body(int64_t{0}, int64_t{0}, n);
        return;
    }
    be_parallel::for_each_task(pieces, [&](int64_t p) {
        const int64_t b = p / chunks, c = p % chunks;
        body(b, std::min(n, c * width), std::min(n, (c + 1) * width));
    });
}

// The same over the fixed partition chunk_count(n): it depends on (batches, n) alone, and the
// thread count only decides which thread runs which piece.
template <typename F> void for_each_chunk(int64_t batches, int64_t n, const F& body) {
    for_each_chunk(batches, n, chunk_count(n), body);
}

// How many threads may run the kernel's parallel loops (BECORE_THREADS and any
// tbb::global_control limit included). For choosing between code paths that give bitwise equal
// results, never for the partition itself.
inline int worker_count() {
    const auto limit =
        tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
    return static_cast<int>(
        std::min<size_t>(limit, static_cast<size_t>(tbb::this_task_arena::max_concurrency())));
}

// First position in idx[lo, hi) whose value is >= key (idx sorted ascending). Branchless: the
// searches per active row and chunk are the price of the owner-computes scatter.
inline int64_t lower_bound_pos(const int32_t* idx, int64_t lo, int64_t hi, int64_t key) {
    int64_t len = hi - lo;
    if (len <= 0) return lo;
    const int32_t* base = idx + lo;
    while (len > 1) {
        const int64_t half = len / 2;
        base = (base[half] < key) ? base + half : base;
        len -= half;
    }
    return (base - idx) + (*base < key);
}

} // namespace be_event
