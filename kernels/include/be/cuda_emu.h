// be/cuda_emu.h — the device-emulation header (device `cuda-emu`). Pre-included after be/be.h
// when a `.cu` source is compiled by the in-process clang as C++20 host code, after the source
// went through be::prepare_emulation_source (runtime/include/becore/runtime/cuda_emu.h), which
// rewrites `extern __shared__ T name[];` and rejects what cannot be emulated.
//
// Execution model (runtime/src/cuda_emu_scheduler.cpp): every kernel thread is a fiber; the
// threads of a block run cooperatively on one OS thread, blocks one after another, launches
// serialised by a process-wide mutex. Hence:
// - `__shared__` is `static`: one instance per running block, because exactly one block runs at a
//   time in the process. It is not cleared between blocks (CUDA leaves it undefined too); the
//   dynamic shared memory is refilled with 0xff bytes for every block, so code that assumes it
//   starts at zero fails here as it may on a GPU.
// - A thread switches only inside __syncthreads*, warp intrinsics, failed atomicCAS and
//   __nanosleep. Atomics are therefore trivially atomic (they still use __atomic builtins, so they
//   stay correct should blocks ever run in parallel). A spin-wait on a plain or volatile load
//   never lets the awaited thread run: it hangs, so spin with atomicCAS or __nanosleep.
// - Warp intrinsics follow CUDA for full warps of 32. A lane that exited, or that does not exist
//   because blockDim is not a multiple of 32 (the last warp is partial), does not participate:
//   shuffles reading it return the caller's own value (CUDA: undefined), ballots see it as 0,
//   __all_sync ignores it. Divergence is not modelled: __activemask() is the mask of lanes that
//   exist and have not exited.
// - Fast-math intrinsics (__expf, __sinf, __fdividef, ...) are computed at full precision, so
//   emulated results can differ from a GPU's in the last bits.
// - The checked BE::Tensor accessors (at(...)) are bounds-checked unless BE_BOUNDS_CHECK=0;
//   writes through raw data_ptr() pointers are not checked.
// Errors (BE_CHECK, an out-of-bounds at(...), assert, __trap, a misused intrinsic, a deadlock) end
// the launch with a message naming the kernel, the block and the thread.
#pragma once

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#error "be/cuda_emu.h emulates CUDA on the CPU; it is not for a CUDA compiler"
#endif

#include <assert.h>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "cuda_emu_abi.h"
#include "tensor.h"

#define BE_CUDA_EMU 1

// Qualifiers. __shared__ is explained above; `extern __shared__` never reaches the compiler.
#define __global__
#define __device__
#define __host__
#define __constant__
#define __managed__
#define __grid_constant__
#define __shared__ static
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)

typedef becore_emu_uint3 uint3;

struct dim3 {
    unsigned int x, y, z;
    constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1)
        : x(vx), y(vy), z(vz) {}
    constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
    constexpr operator uint3() const { return uint3{x, y, z}; }
};

// Built-in variables: read-only lvalues of the running thread.
#define threadIdx (::becore_emu_current_thread()->thread_idx)
#define blockIdx (::becore_emu_current_thread()->block_idx)
#define blockDim (::becore_emu_current_thread()->block_dim)
#define gridDim (::becore_emu_current_thread()->grid_dim)
constexpr int warpSize = 32;

// Every emulated object defines glibc's assert hook, so a failed assert() in a kernel ends the
// launch with an error instead of aborting the process. It binds only within this object.
extern "C" void __assert_fail(const char* assertion, const char* file, unsigned int line,
                              const char* function) noexcept {
    char message[512];
    std::snprintf(message, sizeof message, "%s:%u: %s: assertion '%s' failed", file, line, function,
                  assertion);
    becore_emu_abort(message);
}

[[noreturn]] inline void __trap() {
    becore_emu_abort("__trap() called");
}
[[noreturn]] inline void __brkpt() {
    becore_emu_abort("__brkpt() called");
}

// ---- barriers and fences ------------------------------------------------------------------------
// The defaulted `line` arguments record the call site for error messages (deadlocks).

inline void __syncthreads(unsigned int line = __builtin_LINE()) {
    becore_emu_syncthreads(0, 0, line);
}
inline int __syncthreads_count(int predicate, unsigned int line = __builtin_LINE()) {
    return becore_emu_syncthreads(1, predicate, line);
}
inline int __syncthreads_and(int predicate, unsigned int line = __builtin_LINE()) {
    return becore_emu_syncthreads(2, predicate, line);
}
inline int __syncthreads_or(int predicate, unsigned int line = __builtin_LINE()) {
    return becore_emu_syncthreads(3, predicate, line);
}
inline void __threadfence() {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
inline void __threadfence_block() {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
inline void __threadfence_system() {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
inline void __nanosleep(unsigned int) {
    becore_emu_yield();
}

// ---- warp intrinsics ----------------------------------------------------------------------------

namespace BE::emu {

template <typename T> unsigned long long to_bits(T value) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>,
                  "warp intrinsics exchange values of at most 8 bytes");
    unsigned long long bits = 0;
    std::memcpy(&bits, &value, sizeof value);
    return bits;
}
template <typename T> T from_bits(unsigned long long bits) {
    T value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

struct Gathered {
    unsigned long long values[32];
    unsigned int participants;
    unsigned int lane;
};
inline Gathered gather(const char* op, unsigned int mask, unsigned long long value,
                       unsigned int line) {
    Gathered g;
    g.lane = becore_emu_current_thread()->lane;
    g.participants = becore_emu_warp_gather(op, mask, value, line, g.values);
    return g;
}

enum class Shfl { idx, up, down, bfly };

// PTX shfl.sync semantics, with c = ((32 - width) << 8) | clamp as CUDA's headers pass it: the
// warp splits into segments of `width` lanes; a source outside the allowed range, or one that
// does not participate, yields the caller's own value.
template <typename T>
T shuffle(const char* op, Shfl mode, unsigned int mask, T var, unsigned int b, int width,
          unsigned int line) {
    if (width < 1 || width > 32 || (width & (width - 1)) != 0) {
        char message[128];
        std::snprintf(message, sizeof message, "%s: width %d is not a power of 2 in [1, 32]", op,
                      width);
        becore_emu_abort(message);
    }
    const Gathered g = gather(op, mask, to_bits(var), line);
    const int lane = int(g.lane), bval = int(b & 31u), segmask = (32 - width) & 31;
    const int clamp = mode == Shfl::up ? 0 : 31;
    const int max_lane = (lane & segmask) | (clamp & ~segmask), min_lane = lane & segmask;
    int j = lane;
    bool in_range = true;
    switch (mode) {
    case Shfl::up:
        j = lane - bval;
        in_range = j >= max_lane;
        break;
    case Shfl::down:
        j = lane + bval;
        in_range = j <= max_lane;
        break;
    case Shfl::bfly:
        j = lane ^ bval;
        in_range = j <= max_lane;
        break;
    case Shfl::idx:
        j = min_lane | (bval & ~segmask);
        in_range = j <= max_lane;
        break;
    }
    if (!in_range || ((g.participants >> j) & 1u) == 0) j = lane;
    return from_bits<T>(g.values[j]);
}

inline unsigned int ballot(const char* op, unsigned int mask, int predicate, unsigned int line) {
    const Gathered g = gather(op, mask, predicate != 0, line);
    unsigned int result = 0;
    for (int l = 0; l < 32; ++l)
        if (((g.participants >> l) & 1u) && g.values[l]) result |= 1u << l;
    return result;
}

template <typename T> struct Matched {
    unsigned int equal; // participants whose value equals the caller's
    unsigned int participants;
};
template <typename T>
Matched<T> match(const char* op, unsigned int mask, T value, unsigned int line) {
    const Gathered g = gather(op, mask, to_bits(value), line);
    unsigned int equal = 0;
    for (int l = 0; l < 32; ++l)
        if (((g.participants >> l) & 1u) && g.values[l] == g.values[g.lane]) equal |= 1u << l;
    return {equal, g.participants};
}

template <typename T, typename Op>
T reduce(const char* op, unsigned int mask, T value, unsigned int line, Op combine) {
    const Gathered g = gather(op, mask, to_bits(value), line);
    T result = value;
    for (int l = 0; l < 32; ++l)
        if (((g.participants >> l) & 1u) && l != int(g.lane))
            result = combine(result, from_bits<T>(g.values[l]));
    return result;
}

} // namespace BE::emu

template <typename T>
T __shfl_sync(unsigned int mask, T var, int src_lane, int width = warpSize,
              unsigned int line = __builtin_LINE()) {
    return BE::emu::shuffle("__shfl_sync", BE::emu::Shfl::idx, mask, var, unsigned(src_lane), width,
                            line);
}
template <typename T>
T __shfl_up_sync(unsigned int mask, T var, unsigned int delta, int width = warpSize,
                 unsigned int line = __builtin_LINE()) {
    return BE::emu::shuffle("__shfl_up_sync", BE::emu::Shfl::up, mask, var, delta, width, line);
}
template <typename T>
T __shfl_down_sync(unsigned int mask, T var, unsigned int delta, int width = warpSize,
                   unsigned int line = __builtin_LINE()) {
    return BE::emu::shuffle("__shfl_down_sync", BE::emu::Shfl::down, mask, var, delta, width, line);
}
template <typename T>
T __shfl_xor_sync(unsigned int mask, T var, int lane_mask, int width = warpSize,
                  unsigned int line = __builtin_LINE()) {
    return BE::emu::shuffle("__shfl_xor_sync", BE::emu::Shfl::bfly, mask, var, unsigned(lane_mask),
                            width, line);
}
inline unsigned int __ballot_sync(unsigned int mask, int predicate,
                                  unsigned int line = __builtin_LINE()) {
    return BE::emu::ballot("__ballot_sync", mask, predicate, line);
}
inline int __any_sync(unsigned int mask, int predicate, unsigned int line = __builtin_LINE()) {
    return BE::emu::ballot("__any_sync", mask, predicate, line) != 0;
}
inline int __all_sync(unsigned int mask, int predicate, unsigned int line = __builtin_LINE()) {
    const BE::emu::Gathered g = BE::emu::gather("__all_sync", mask, predicate != 0, line);
    for (int l = 0; l < 32; ++l)
        if (((g.participants >> l) & 1u) && !g.values[l]) return 0;
    return 1;
}
inline int __uni_sync(unsigned int mask, int predicate, unsigned int line = __builtin_LINE()) {
    const auto m = BE::emu::match("__uni_sync", mask, predicate != 0, line);
    return m.equal == m.participants;
}
inline void __syncwarp(unsigned int mask = 0xffffffffu, unsigned int line = __builtin_LINE()) {
    BE::emu::gather("__syncwarp", mask, 0, line);
}
inline unsigned int __activemask() {
    return becore_emu_active_mask();
}
template <typename T>
unsigned int __match_any_sync(unsigned int mask, T value, unsigned int line = __builtin_LINE()) {
    return BE::emu::match("__match_any_sync", mask, value, line).equal;
}
template <typename T>
unsigned int __match_all_sync(unsigned int mask, T value, int* pred,
                              unsigned int line = __builtin_LINE()) {
    const auto m = BE::emu::match("__match_all_sync", mask, value, line);
    *pred = m.equal == m.participants;
    return *pred ? m.participants : 0u;
}

#define BE_EMU_WARP_REDUCE(name, T, expr)                                                          \
    inline T name(unsigned int mask, T value, unsigned int line = __builtin_LINE()) {              \
        return BE::emu::reduce(#name, mask, value, line, [](T a, T b) { return expr; });           \
    }
BE_EMU_WARP_REDUCE(__reduce_add_sync, unsigned int, a + b)
BE_EMU_WARP_REDUCE(__reduce_add_sync, int, int(unsigned(a) + unsigned(b)))
BE_EMU_WARP_REDUCE(__reduce_min_sync, unsigned int, a < b ? a : b)
BE_EMU_WARP_REDUCE(__reduce_min_sync, int, a < b ? a : b)
BE_EMU_WARP_REDUCE(__reduce_max_sync, unsigned int, a > b ? a : b)
BE_EMU_WARP_REDUCE(__reduce_max_sync, int, a > b ? a : b)
BE_EMU_WARP_REDUCE(__reduce_and_sync, unsigned int, a& b)
BE_EMU_WARP_REDUCE(__reduce_or_sync, unsigned int, a | b)
BE_EMU_WARP_REDUCE(__reduce_xor_sync, unsigned int, a ^ b)
#undef BE_EMU_WARP_REDUCE

// ---- atomics ------------------------------------------------------------------------------------
// The overloads CUDA declares, plus `long` / `unsigned long` next to `long long` / `unsigned long
// long`: tensor.h makes int64_t `long long` under NVRTC, while it is `long` here.

namespace BE::emu {

template <typename T, typename... U> inline constexpr bool one_of = (std::is_same_v<T, U> || ...);
template <typename T>
inline constexpr bool bitwise_type =
    one_of<T, int, unsigned int, unsigned long long, unsigned long>;
template <typename T>
inline constexpr bool minmax_type = bitwise_type<T> || one_of<T, long long, long>;

// Applies `update` atomically; returns the old value.
template <typename T, typename F> T atomic_update(T* address, F update) {
    T old;
    __atomic_load(address, &old, __ATOMIC_RELAXED);
    T desired;
    do {
        desired = update(old);
    } while (!__atomic_compare_exchange(address, &old, &desired, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_RELAXED));
    return old;
}

} // namespace BE::emu

template <typename T>
requires BE::emu::one_of<T, int, unsigned int, unsigned long long, unsigned long, float, double>
    T atomicAdd(T* address, std::type_identity_t<T> val) {
    return BE::emu::atomic_update(address, [val](T old) { return T(old + val); });
}
template <typename T>
requires BE::emu::one_of<T, int, unsigned int> T atomicSub(T* address,
                                                           std::type_identity_t<T> val) {
    return BE::emu::atomic_update(address, [val](T old) { return T(old - val); });
}
template <typename T>
requires(BE::emu::bitwise_type<T> || std::is_same_v<T, float>) T
    atomicExch(T* address, std::type_identity_t<T> val) {
    return BE::emu::atomic_update(address, [val](T) { return val; });
}
template <typename T>
requires BE::emu::minmax_type<T> T atomicMin(T* address, std::type_identity_t<T> val) {
    return BE::emu::atomic_update(address, [val](T old) { return val < old ? val : old; });
}
template <typename T>
requires BE::emu::minmax_type<T> T atomicMax(T* address, std::type_identity_t<T> val) {
    return BE::emu::atomic_update(address, [val](T old) { return val > old ? val : old; });
}
template <typename T>
requires BE::emu::bitwise_type<T> T atomicAnd(T* address, std::type_identity_t<T> val) {
    return BE::emu::atomic_update(address, [val](T old) { return T(old & val); });
}
template <typename T>
requires BE::emu::bitwise_type<T> T atomicOr(T* address, std::type_identity_t<T> val) {
    return BE::emu::atomic_update(address, [val](T old) { return T(old | val); });
}
template <typename T>
requires BE::emu::bitwise_type<T> T atomicXor(T* address, std::type_identity_t<T> val) {
    return BE::emu::atomic_update(address, [val](T old) { return T(old ^ val); });
}
inline unsigned int atomicInc(unsigned int* address, unsigned int val) {
    return BE::emu::atomic_update(address,
                                  [val](unsigned int old) { return old >= val ? 0u : old + 1; });
}
inline unsigned int atomicDec(unsigned int* address, unsigned int val) {
    return BE::emu::atomic_update(
        address, [val](unsigned int old) { return old == 0 || old > val ? val : old - 1; });
}
// A failed compare lets the other threads run, so a spin lock built on atomicCAS makes progress.
template <typename T>
requires(BE::emu::bitwise_type<T> || std::is_same_v<T, unsigned short>) T
    atomicCAS(T* address, std::type_identity_t<T> compare, std::type_identity_t<T> val) {
    T expected = compare;
    __atomic_compare_exchange(address, &expected, &val, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    if (expected != compare) becore_emu_yield();
    return expected;
}

// The _block and _system scopes are the same operation here.
#define BE_EMU_ATOMIC_SCOPES(name)                                                                 \
    template <typename... A> auto name##_block(A... a)->decltype(name(a...)) {                     \
        return name(a...);                                                                         \
    }                                                                                              \
    template <typename... A> auto name##_system(A... a)->decltype(name(a...)) {                    \
        return name(a...);                                                                         \
    }
BE_EMU_ATOMIC_SCOPES(atomicAdd)
BE_EMU_ATOMIC_SCOPES(atomicSub)
BE_EMU_ATOMIC_SCOPES(atomicExch)
BE_EMU_ATOMIC_SCOPES(atomicMin)
BE_EMU_ATOMIC_SCOPES(atomicMax)
BE_EMU_ATOMIC_SCOPES(atomicAnd)
BE_EMU_ATOMIC_SCOPES(atomicOr)
BE_EMU_ATOMIC_SCOPES(atomicXor)
BE_EMU_ATOMIC_SCOPES(atomicInc)
BE_EMU_ATOMIC_SCOPES(atomicDec)
BE_EMU_ATOMIC_SCOPES(atomicCAS)
#undef BE_EMU_ATOMIC_SCOPES

// ---- loads and stores with cache hints: plain accesses here ------------------------------------

template <typename T> T __ldg(const T* p) {
    return *p;
}
template <typename T> T __ldcg(const T* p) {
    return *p;
}
template <typename T> T __ldca(const T* p) {
    return *p;
}
template <typename T> T __ldcs(const T* p) {
    return *p;
}
template <typename T> T __ldlu(const T* p) {
    return *p;
}
template <typename T> T __ldcv(const T* p) {
    return *p;
}
template <typename T> void __stwb(T* p, T v) {
    *p = v;
}
template <typename T> void __stcg(T* p, T v) {
    *p = v;
}
template <typename T> void __stcs(T* p, T v) {
    *p = v;
}
template <typename T> void __stwt(T* p, T v) {
    *p = v;
}

#include "cuda_emu_math.h"
