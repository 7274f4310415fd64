// The CUDA emulation beyond the kernels of the issue: per-thread intrinsics against their
// definitions, launches from several OS threads (serialised, which `__shared__` = static relies
// on), the launch counters, and the checked accessors in `.cpp` kernels.
#include "cuda_emu_test_util.h"

#include <becore/runtime/cpu_backend.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>
#include <cstring>
#include <thread>

namespace be {
namespace {

using test::EmuModule;
using test::geometry;
using test::make_array;

int float_bits(float f) {
    return std::bit_cast<int>(f);
}

// Per-thread results, each compared with the definition in CUDA's documentation computed here.
TEST(EmuIntrinsics, MatchTheirDefinitions) {
    EMU_BUILD(m, R"(
// @BE intrinsics
__global__ void intrinsics(const BE::Tensor x, BE::Tensor out) {
    const unsigned t = threadIdx.x;
    const float v = __ldg(x.data_ptr<float>() + t);
    const unsigned u = __float_as_uint(v);
    long long* o = &out.at<long long>(t, 0);
    o[0] = __popc(u);
    o[1] = __ffs(int(u));
    o[2] = __clz(int(u));
    o[3] = __brev(u);
    o[4] = __byte_perm(u, 0x01234567u, 0x5140);
    o[5] = __float2int_rn(v * 1e9f);
    o[6] = __float2int_rz(v);
    o[7] = __float2int_rd(v);
    o[8] = __float2uint_ru(v);
    o[9] = __float_as_int(__saturatef(v / 10));
    o[10] = __float_as_int(rsqrtf(fabsf(v) + 1));
    o[11] = max(int(t) - 20, 3);
    o[12] = min(t, 7u);
    o[13] = __float_as_int(max(v, 0.5f));
    const float4 f = make_float4(v, 1, 2, 3);
    o[14] = __float_as_int(f.x + f.w);
    o[15] = __umulhi(u, 0x9e3779b9u);
    o[16] = __popcll(0xffffffffffull << (t % 20));
    o[17] = __clzll(t);
    o[18] = __funnelshift_l(u, 0xdeadbeefu, t);
    o[19] = __mul24(int(u), -3);
    auto* zero = reinterpret_cast<unsigned long long*>(&out.at<long long>(0, 21));
    o[20] = atomicAdd_block(zero, 0) + __float2ull_rz(-v); // saturates to 0 for v > 0
}
)",
              "intrinsics.cu");
    const int n = 64, k = 22;
    auto x = make_array(DType::float32, {n}), out = make_array(DType::int64, {n, k});
    std::memset(out.data(), 0, n * k * sizeof(long long));
    for (int t = 0; t < n; ++t)
        x.data_as<float>()[t] = float(t) * 1.37f - 5.0f;
    BE::Tensor xv = x.view(), ov = out.view();
    auto r = m.launch("intrinsics", geometry(1, n), {&xv, &ov});
    ASSERT_TRUE(r.ok()) << r.error().full();
    for (int t = 0; t < n; ++t) {
        const float v = x.data_as<float>()[t];
        const unsigned u = std::bit_cast<unsigned>(v);
        const long long* o = out.data_as<long long>() + k * t;
        unsigned brev = 0;
        for (int b = 0; b < 32; ++b)
            brev |= ((u >> b) & 1u) << (31 - b);
        const unsigned long long pair = 0x01234567ull << 32 | u;
        unsigned perm = 0;
        for (int b = 0; b < 4; ++b)
            perm |= unsigned(pair >> (8 * ((0x5140u >> (4 * b)) & 7)) & 0xff) << (8 * b);
        const double big = double(v * 1e9f);
        const long long rn = big >= INT_MAX   ? INT_MAX
                             : big <= INT_MIN ? INT_MIN
                                              : std::nearbyint(big);
        EXPECT_EQ(o[0], std::popcount(u)) << t;
        EXPECT_EQ(o[1], u == 0 ? 0 : std::countr_zero(u) + 1) << t;
        EXPECT_EQ(o[2], std::countl_zero(u)) << t;
        EXPECT_EQ(o[3], brev) << t;
        EXPECT_EQ(o[4], perm) << t;
        EXPECT_EQ(o[5], rn) << t;
        EXPECT_EQ(o[6], (long long)std::trunc(v)) << t;
        EXPECT_EQ(o[7], (long long)std::floor(v)) << t;
        EXPECT_EQ(o[8], v <= 0 ? 0 : (long long)std::ceil(v)) << t;
        EXPECT_EQ(o[9], float_bits(std::clamp(v / 10, 0.0f, 1.0f))) << t;
        EXPECT_EQ(o[10], float_bits(1.0f / std::sqrt(std::fabs(v) + 1))) << t;
        EXPECT_EQ(o[11], std::max(t - 20, 3)) << t;
        EXPECT_EQ(o[12], std::min(t, 7)) << t;
        EXPECT_EQ(o[13], float_bits(std::max(v, 0.5f))) << t;
        EXPECT_EQ(o[14], float_bits(v + 3)) << t;
        EXPECT_EQ(o[15], (unsigned long long)u * 0x9e3779b9u >> 32) << t;
        EXPECT_EQ(o[16], std::popcount(0xffffffffffull << (t % 20))) << t;
        EXPECT_EQ(o[17], std::countl_zero((unsigned long long)t)) << t;
        EXPECT_EQ(o[18], (unsigned)((0xdeadbeefull << 32 | u) << (t % 32) >> 32)) << t;
        EXPECT_EQ(o[19], (int)(unsigned)((long long)(int(u << 8) >> 8) * -3)) << t;
        EXPECT_EQ(o[20], v > 0 ? 0 : (long long)std::trunc(-v)) << t;
    }
}

// Two OS threads launch at once; launches wait for each other, so the `__shared__` statics of
// one never see the other's blocks.
TEST(EmuRuntime, ConcurrentLaunchesAreSerialised) {
    EMU_BUILD(m, R"(
// @BE block_max
__global__ void block_max(const BE::Tensor x, BE::Tensor out) {
    __shared__ int best[128];
    const unsigned t = threadIdx.x;
    best[t] = x.at<int>(int64_t(blockIdx.x) * blockDim.x + t);
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s /= 2) {
        if (t < s) best[t] = max(best[t], best[t + s]);
        __syncthreads();
    }
    if (t == 0) out.at<int>(blockIdx.x) = best[0];
}
)",
              "block_max.cu");
    auto run = [&](int seed, bool* ok) {
        const int blocks = 16, threads = 128;
        auto x = make_array(DType::int32, {blocks * threads}),
             out = make_array(DType::int32, {blocks});
        for (int i = 0; i < blocks * threads; ++i)
            x.data_as<int>()[i] = (i * seed) % 1009;
        BE::Tensor xv = x.view(), ov = out.view();
        *ok = true;
        for (int round = 0; round < 20 && *ok; ++round) {
            *ok = m.launch("block_max", geometry(blocks, threads), {&xv, &ov}).ok();
            for (int b = 0; b < blocks && *ok; ++b) {
                int best = INT_MIN;
                for (int t = 0; t < threads; ++t)
                    best = std::max(best, x.data_as<int>()[b * threads + t]);
                *ok = out.data_as<int>()[b] == best;
            }
        }
    };
    bool ok1 = false, ok2 = false;
    std::thread a(run, 7, &ok1), b(run, 13, &ok2);
    a.join();
    b.join();
    EXPECT_TRUE(ok1);
    EXPECT_TRUE(ok2);
}

TEST(EmuRuntime, StatsCountLaunchesBlocksAndThreads) {
    EMU_BUILD(m, "// @BE nothing\n__global__ void nothing(BE::Tensor y) {}\n", "nothing.cu");
    auto y = make_array(DType::float32, {1});
    BE::Tensor yv = y.view();
    const EmuStats before = emulation_stats();
    ASSERT_TRUE(m.launch("nothing", EmuLaunch{{3, 2, 1}, {40, 1, 1}, 0}, {&yv}).ok());
    const EmuStats after = emulation_stats();
    EXPECT_EQ(after.launches - before.launches, 1u);
    EXPECT_EQ(after.blocks - before.blocks, 6u);
    EXPECT_EQ(after.threads - before.threads, 240u);
    EXPECT_EQ(after.switches - before.switches, 240u); // each thread runs once, to its end
}

// The checked accessors work in `.cpp` kernels too (BE_BOUNDS_CHECK defaults to 1 on the CPU)
// and -DBE_BOUNDS_CHECK=0 removes the check. The view is shorter than its buffer, so the
// unchecked read of element `numel` stays inside the allocation.
TEST(EmuAccessors, CheckedInCppKernelsUnlessTurnedOff) {
    const std::string source =
        "extern \"C\" int read_at(const BE::Tensor* t, long i, float* out) {\n"
        "    try { *out = t->at<float>(i); return 0; } catch (const BE::CheckFailure& e) {\n"
        "        return std::string(e.what()).find(\"at(i): i = 4 is out of bounds\") == 0 ? 1 : "
        "2;\n"
        "    }\n}\n";
    auto buffer = make_array(DType::float32, {8});
    for (int i = 0; i < 8; ++i)
        buffer.data_as<float>()[i] = float(i);
    BE::Tensor view = buffer.view();
    view.shape[0] = 4;
    for (bool checked : {true, false}) {
        std::vector<std::string> flags;
        if (!checked) flags.push_back("-DBE_BOUNDS_CHECK=0");
        auto compiled = compile_cpp({"/becore-test/read_at.cpp", source, {}, flags});
        ASSERT_TRUE(compiled.ok()) << compiled.error().full();
        auto module = load_cpu_object(compiled->object, "read_at");
        ASSERT_TRUE(module.ok()) << module.error().full();
        auto read_at = reinterpret_cast<int (*)(const BE::Tensor*, long, float*)>(
            (*module)->symbol("read_at").value());
        float value = -1;
        EXPECT_EQ(read_at(&view, 3, &value), 0);
        EXPECT_EQ(value, 3.0f);
        EXPECT_EQ(read_at(&view, 4, &value), checked ? 1 : 0);
        if (!checked) EXPECT_EQ(value, 4.0f);
    }
}

} // namespace
} // namespace be
