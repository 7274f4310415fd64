// CUDA's vector types, integer intrinsics, conversions and math functions for the CPU emulation;
// included by be/cuda_emu.h (read its notes first). The standard float functions (sinf, expf,
// fmaf, sincosf, exp10f, ...) come from the C library as they are; this file adds what CUDA has
// and the C library lacks. Fast intrinsics (__expf, ...) are computed at full precision.
#pragma once

#include <cmath>
#include <cstring>
#include <features.h>
#include <limits>

// ---- vector types -------------------------------------------------------------------------------
// Alignments as CUDA's vector_types.h gives them (the 3-component types have none extra). uint3 is
// the ABI type of threadIdx (cuda_emu_abi.h), so only its make_ function is defined here.

#define BE_EMU_VEC1(T, N)                                                                          \
    struct N##1 {                                                                                  \
        T x;                                                                                       \
    };                                                                                             \
    inline N##1 make_##N##1(T x) {                                                                 \
        return N##1 {x};                                                                           \
    }
#define BE_EMU_VEC2(T, N, A)                                                                       \
    struct alignas(A) N##2 {                                                                       \
        T x, y;                                                                                    \
    };                                                                                             \
    inline N##2 make_##N##2(T x, T y) {                                                            \
        return N##2 {x, y};                                                                        \
    }
#define BE_EMU_VEC3(T, N)                                                                          \
    struct N##3 {                                                                                  \
        T x, y, z;                                                                                 \
    };                                                                                             \
    inline N##3 make_##N##3(T x, T y, T z) {                                                       \
        return N##3 {x, y, z};                                                                     \
    }
#define BE_EMU_VEC4(T, N, A)                                                                       \
    struct alignas(A) N##4 {                                                                       \
        T x, y, z, w;                                                                              \
    };                                                                                             \
    inline N##4 make_##N##4(T x, T y, T z, T w) {                                                  \
        return N##4 {x, y, z, w};                                                                  \
    }
#define BE_EMU_VECTORS(T, N, A2, A4)                                                               \
    BE_EMU_VEC1(T, N) BE_EMU_VEC2(T, N, A2) BE_EMU_VEC3(T, N) BE_EMU_VEC4(T, N, A4)

BE_EMU_VECTORS(signed char, char, 2, 4)
BE_EMU_VECTORS(unsigned char, uchar, 2, 4)
BE_EMU_VECTORS(short, short, 4, 8)
BE_EMU_VECTORS(unsigned short, ushort, 4, 8)
BE_EMU_VECTORS(int, int, 8, 16)
BE_EMU_VECTORS(long, long, 16, 16)
BE_EMU_VECTORS(unsigned long, ulong, 16, 16)
BE_EMU_VECTORS(long long, longlong, 16, 16)
BE_EMU_VECTORS(unsigned long long, ulonglong, 16, 16)
BE_EMU_VECTORS(float, float, 8, 16)
BE_EMU_VECTORS(double, double, 16, 16)
BE_EMU_VEC1(unsigned int, uint)
BE_EMU_VEC2(unsigned int, uint, 8)
BE_EMU_VEC4(unsigned int, uint, 16)
inline uint3 make_uint3(unsigned int x, unsigned int y, unsigned int z) {
    return uint3{x, y, z};
}
#undef BE_EMU_VECTORS
#undef BE_EMU_VEC1
#undef BE_EMU_VEC2
#undef BE_EMU_VEC3
#undef BE_EMU_VEC4

// ---- integer intrinsics -------------------------------------------------------------------------

inline int __popc(unsigned int x) {
    return __builtin_popcount(x);
}
inline int __popcll(unsigned long long x) {
    return __builtin_popcountll(x);
}
inline int __ffs(int x) {
    return __builtin_ffs(x);
}
inline int __ffsll(long long x) {
    return __builtin_ffsll(x);
}
inline int __clz(int x) {
    return x == 0 ? 32 : __builtin_clz(unsigned(x));
}
inline int __clzll(long long x) {
    return x == 0 ? 64 : __builtin_clzll((unsigned long long)x);
}
inline unsigned int __brev(unsigned int x) {
    return __builtin_bitreverse32(x);
}
inline unsigned long long __brevll(unsigned long long x) {
    return __builtin_bitreverse64(x);
}
inline unsigned int __byte_perm(unsigned int x, unsigned int y, unsigned int s) {
    const unsigned long long bytes = (unsigned long long)y << 32 | x;
    unsigned int result = 0;
    for (int i = 0; i < 4; ++i)
        result |= unsigned((bytes >> (8 * ((s >> (4 * i)) & 7))) & 0xff) << (8 * i);
    return result;
}
inline int __mul24(int x, int y) {
    return int(unsigned(x << 8 >> 8) * unsigned(y << 8 >> 8));
}
inline unsigned int __umul24(unsigned int x, unsigned int y) {
    return (x & 0xffffffu) * (y & 0xffffffu);
}
inline int __mulhi(int x, int y) {
    return int((long long)x * y >> 32);
}
inline unsigned int __umulhi(unsigned int x, unsigned int y) {
    return unsigned((unsigned long long)x * y >> 32);
}
inline long long __mul64hi(long long x, long long y) {
    return (long long)((__int128)x * y >> 64);
}
inline unsigned long long __umul64hi(unsigned long long x, unsigned long long y) {
    return (unsigned long long)((unsigned __int128)x * y >> 64);
}
inline unsigned int __funnelshift_l(unsigned int lo, unsigned int hi, unsigned int shift) {
    return unsigned(((unsigned long long)hi << 32 | lo) << (shift & 31) >> 32);
}
inline unsigned int __funnelshift_lc(unsigned int lo, unsigned int hi, unsigned int shift) {
    return unsigned(((unsigned long long)hi << 32 | lo) << (shift > 32 ? 32 : shift) >> 32);
}
inline unsigned int __funnelshift_r(unsigned int lo, unsigned int hi, unsigned int shift) {
    return unsigned(((unsigned long long)hi << 32 | lo) >> (shift & 31));
}
inline unsigned int __funnelshift_rc(unsigned int lo, unsigned int hi, unsigned int shift) {
    return unsigned(((unsigned long long)hi << 32 | lo) >> (shift > 32 ? 32 : shift));
}
inline int __hadd(int x, int y) {
    return int(((long long)x + y) >> 1);
}
inline int __rhadd(int x, int y) {
    return int(((long long)x + y + 1) >> 1);
}
inline unsigned int __uhadd(unsigned int x, unsigned int y) {
    return unsigned(((unsigned long long)x + y) >> 1);
}
inline unsigned int __urhadd(unsigned int x, unsigned int y) {
    return unsigned(((unsigned long long)x + y + 1) >> 1);
}
inline unsigned int __sad(int x, int y, unsigned int z) {
    return z + unsigned(x > y ? (long long)x - y : (long long)y - x);
}
inline unsigned int __usad(unsigned int x, unsigned int y, unsigned int z) {
    return z + (x > y ? x - y : y - x);
}

// ---- reinterpretation and conversions -----------------------------------------------------------

namespace BE::emu {
template <typename To, typename From> To bit_cast(From from) {
    static_assert(sizeof(To) == sizeof(From));
    To to;
    std::memcpy(&to, &from, sizeof to);
    return to;
}
// float → integer as the GPU converts: NaN gives 0, out-of-range values saturate.
template <typename I, typename F> I saturate_to(F value) {
    if (value != value) return 0;
    if (value <= F(std::numeric_limits<I>::min())) return std::numeric_limits<I>::min();
    if (value >= F(std::numeric_limits<I>::max())) return std::numeric_limits<I>::max();
    return I(value);
}
} // namespace BE::emu

inline float __int_as_float(int x) {
    return BE::emu::bit_cast<float>(x);
}
inline int __float_as_int(float x) {
    return BE::emu::bit_cast<int>(x);
}
inline float __uint_as_float(unsigned int x) {
    return BE::emu::bit_cast<float>(x);
}
inline unsigned int __float_as_uint(float x) {
    return BE::emu::bit_cast<unsigned int>(x);
}
inline double __longlong_as_double(long long x) {
    return BE::emu::bit_cast<double>(x);
}
inline long long __double_as_longlong(double x) {
    return BE::emu::bit_cast<long long>(x);
}
inline int __double2hiint(double x) {
    return int(__double_as_longlong(x) >> 32);
}
inline int __double2loint(double x) {
    return int(__double_as_longlong(x));
}
inline double __hiloint2double(int hi, int lo) {
    return __longlong_as_double((long long)((unsigned long long)unsigned(hi) << 32 | unsigned(lo)));
}

// __float2int_rn, __double2ull_rd, ...: rn rounds to nearest even, rz towards zero, ru up, rd down.
#define BE_EMU_CONVERT(F, FN, I, IN)                                                               \
    inline I __##FN##2##IN##_rn(F x) {                                                             \
        return BE::emu::saturate_to<I>(std::nearbyint(x));                                         \
    }                                                                                              \
    inline I __##FN##2##IN##_rz(F x) {                                                             \
        return BE::emu::saturate_to<I>(std::trunc(x));                                             \
    }                                                                                              \
    inline I __##FN##2##IN##_ru(F x) {                                                             \
        return BE::emu::saturate_to<I>(std::ceil(x));                                              \
    }                                                                                              \
    inline I __##FN##2##IN##_rd(F x) {                                                             \
        return BE::emu::saturate_to<I>(std::floor(x));                                             \
    }
BE_EMU_CONVERT(float, float, int, int)
BE_EMU_CONVERT(float, float, unsigned int, uint)
BE_EMU_CONVERT(float, float, long long, ll)
BE_EMU_CONVERT(float, float, unsigned long long, ull)
BE_EMU_CONVERT(double, double, int, int)
BE_EMU_CONVERT(double, double, unsigned int, uint)
BE_EMU_CONVERT(double, double, long long, ll)
BE_EMU_CONVERT(double, double, unsigned long long, ull)
#undef BE_EMU_CONVERT
inline float __int2float_rn(int x) {
    return float(x);
}
inline float __uint2float_rn(unsigned int x) {
    return float(x);
}
inline float __ll2float_rn(long long x) {
    return float(x);
}
inline float __ull2float_rn(unsigned long long x) {
    return float(x);
}
inline double __int2double_rn(int x) {
    return double(x);
}
inline double __uint2double_rn(unsigned int x) {
    return double(x);
}
inline double __ll2double_rn(long long x) {
    return double(x);
}
inline double __ull2double_rn(unsigned long long x) {
    return double(x);
}
inline float __double2float_rn(double x) {
    return float(x);
}

// ---- floating point -----------------------------------------------------------------------------
// The _rn arithmetic intrinsics are the plain IEEE operations (kernels compile with
// -ffp-contract=off, so nothing fuses them).

inline float __fadd_rn(float a, float b) {
    return a + b;
}
inline float __fsub_rn(float a, float b) {
    return a - b;
}
inline float __fmul_rn(float a, float b) {
    return a * b;
}
inline float __fdiv_rn(float a, float b) {
    return a / b;
}
inline float __fmaf_rn(float a, float b, float c) {
    return std::fma(a, b, c);
}
inline float __frcp_rn(float a) {
    return 1.0f / a;
}
inline float __fsqrt_rn(float a) {
    return std::sqrt(a);
}
inline float __frsqrt_rn(float a) {
    return 1.0f / std::sqrt(a);
}
inline double __dadd_rn(double a, double b) {
    return a + b;
}
inline double __dsub_rn(double a, double b) {
    return a - b;
}
inline double __dmul_rn(double a, double b) {
    return a * b;
}
inline double __ddiv_rn(double a, double b) {
    return a / b;
}
inline double __fma_rn(double a, double b, double c) {
    return std::fma(a, b, c);
}
inline double __drcp_rn(double a) {
    return 1.0 / a;
}
inline double __dsqrt_rn(double a) {
    return std::sqrt(a);
}

inline float __expf(float x) {
    return std::exp(x);
}
inline float __exp10f(float x) {
    return std::pow(10.0f, x);
}
inline float __logf(float x) {
    return std::log(x);
}
inline float __log2f(float x) {
    return std::log2(x);
}
inline float __log10f(float x) {
    return std::log10(x);
}
inline float __sinf(float x) {
    return std::sin(x);
}
inline float __cosf(float x) {
    return std::cos(x);
}
inline float __tanf(float x) {
    return std::tan(x);
}
inline void __sincosf(float x, float* s, float* c) {
    *s = std::sin(x);
    *c = std::cos(x);
}
inline float __powf(float x, float y) {
    return std::pow(x, y);
}
inline float __fdividef(float x, float y) {
    return x / y;
}
inline float fdividef(float x, float y) {
    return x / y;
}
inline float __saturatef(float x) {
    return x >= 1.0f ? 1.0f : (x > 0.0f ? x : 0.0f);
} // NaN → 0
inline float rsqrtf(float x) {
    return 1.0f / std::sqrt(x);
}
inline double rsqrt(double x) {
    return 1.0 / std::sqrt(x);
}
inline float rcbrtf(float x) {
    return 1.0f / std::cbrt(x);
}
inline double rcbrt(double x) {
    return 1.0 / std::cbrt(x);
}
inline float rhypotf(float x, float y) {
    return 1.0f / std::hypot(x, y);
}
inline float norm3df(float a, float b, float c) {
    return float(std::sqrt(double(a) * a + double(b) * b + double(c) * c));
}
inline float normcdff(float x) {
    return 0.5f * std::erfc(-x / std::sqrt(2.0f));
}
inline double normcdf(double x) {
    return 0.5 * std::erfc(-x / std::sqrt(2.0));
}
// C23's sinpi/cospi arrived in glibc 2.41; older C libraries get these.
#if defined(__GLIBC_PREREQ)
#if !__GLIBC_PREREQ(2, 41)
#define BE_EMU_DEFINE_SINPI 1
#endif
#else
#define BE_EMU_DEFINE_SINPI 1
#endif
#ifdef BE_EMU_DEFINE_SINPI
inline double sinpi(double x) {
    return std::sin(M_PI * x);
}
inline double cospi(double x) {
    return std::cos(M_PI * x);
}
inline float sinpif(float x) {
    return float(std::sin(M_PI * double(x)));
}
inline float cospif(float x) {
    return float(std::cos(M_PI * double(x)));
}
#undef BE_EMU_DEFINE_SINPI
#endif
inline void sincospif(float x, float* s, float* c) {
    *s = sinpif(x);
    *c = cospif(x);
}
inline void sincospi(double x, double* s, double* c) {
    *s = sinpi(x);
    *c = cospi(x);
}

// ---- min / max as CUDA overloads them (mixed signedness converts to unsigned) -------------------

#define BE_EMU_MINMAX(A, B, R)                                                                     \
    inline R min(A a, B b) {                                                                       \
        const R x = static_cast<R>(a), y = static_cast<R>(b);                                      \
        return x < y ? x : y;                                                                      \
    }                                                                                              \
    inline R max(A a, B b) {                                                                       \
        const R x = static_cast<R>(a), y = static_cast<R>(b);                                      \
        return x > y ? x : y;                                                                      \
    }
BE_EMU_MINMAX(int, int, int)
BE_EMU_MINMAX(unsigned int, unsigned int, unsigned int)
BE_EMU_MINMAX(int, unsigned int, unsigned int)
BE_EMU_MINMAX(unsigned int, int, unsigned int)
BE_EMU_MINMAX(long, long, long)
BE_EMU_MINMAX(unsigned long, unsigned long, unsigned long)
BE_EMU_MINMAX(long long, long long, long long)
BE_EMU_MINMAX(unsigned long long, unsigned long long, unsigned long long)
BE_EMU_MINMAX(long long, unsigned long long, unsigned long long)
BE_EMU_MINMAX(unsigned long long, long long, unsigned long long)
#undef BE_EMU_MINMAX
inline float min(float a, float b) {
    return std::fmin(a, b);
}
inline float max(float a, float b) {
    return std::fmax(a, b);
}
inline double min(double a, double b) {
    return std::fmin(a, b);
}
inline double max(double a, double b) {
    return std::fmax(a, b);
}
inline double min(float a, double b) {
    return std::fmin(double(a), b);
}
inline double max(float a, double b) {
    return std::fmax(double(a), b);
}
inline double min(double a, float b) {
    return std::fmin(a, double(b));
}
inline double max(double a, float b) {
    return std::fmax(a, double(b));
}
inline unsigned int umin(unsigned int a, unsigned int b) {
    return a < b ? a : b;
}
inline unsigned int umax(unsigned int a, unsigned int b) {
    return a > b ? a : b;
}
inline long long llmin(long long a, long long b) {
    return a < b ? a : b;
}
inline long long llmax(long long a, long long b) {
    return a > b ? a : b;
}
inline unsigned long long ullmin(unsigned long long a, unsigned long long b) {
    return a < b ? a : b;
}
inline unsigned long long ullmax(unsigned long long a, unsigned long long b) {
    return a > b ? a : b;
}
