// The CUDA emulation running `.cu`-style kernels, compared with CPU references. Every kernel here
// depends on other threads' writes made before a barrier or on other lanes' values, so running
// the threads one after another without honouring barriers and warp rendezvous fails it; each
// test says why.
#include "cuda_emu_test_util.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <numeric>

namespace be {
namespace {

using test::EmuModule;
using test::geometry;
using test::make_array;

// Thread 0 runs first: without the barriers it would add partial[128], partial[64], ... before
// the threads owning them stored their elements (it would read the previous block's values).
TEST(EmuKernels, BlockReductionThroughSharedMemory) {
    EMU_BUILD(m, R"(
// @BE block_sum
__global__ void block_sum(const BE::Tensor x, BE::Tensor sums, BE::Tensor seen) {
    __shared__ float partial[256];
    const unsigned t = threadIdx.x;
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + t;
    partial[t] = i < x.numel() ? x.at<float>(i) : 0.0f;
    __syncthreads();
    for (unsigned stride = blockDim.x / 2; stride > 0; stride /= 2) {
        if (t < stride) partial[t] += partial[t + stride];
        __syncthreads();
    }
    if (t == 0) sums.at<float>(blockIdx.x) = partial[0];
    seen.at<float>(i) = partial[0]; // every thread sees the total after the last barrier
}
)",
              "block_sum.cu");
    const int blocks = 8, threads = 256, n = blocks * threads;
    auto x = make_array(DType::float32, {n}), sums = make_array(DType::float32, {blocks}),
         seen = make_array(DType::float32, {n});
    for (int i = 0; i < n; ++i)
        x.data_as<float>()[i] = float(i % 97 + i / threads);
    BE::Tensor xv = x.view(), sv = sums.view(), seenv = seen.view();
    auto r = m.launch("block_sum", geometry(blocks, threads), {&xv, &sv, &seenv});
    ASSERT_TRUE(r.ok()) << r.error().full();
    for (int b = 0; b < blocks; ++b) {
        float expected = 0;
        for (int t = 0; t < threads; ++t)
            expected += x.data_as<float>()[b * threads + t];
        EXPECT_EQ(sums.data_as<float>()[b], expected) << "block " << b;
        for (int t = 0; t < threads; ++t)
            ASSERT_EQ(seen.data_as<float>()[b * threads + t], expected)
                << "block " << b << " " << t;
    }
}

// Lane 0 runs first: without a warp rendezvous its first __shfl_down_sync would read lane 16's
// value before lane 16 ran; the butterfly, segment, scan and broadcast results likewise read
// lanes that have not computed their values yet.
TEST(EmuKernels, WarpReductionWithShuffles) {
    EMU_BUILD(m, R"(
// @BE warp_sums
__global__ void warp_sums(const BE::Tensor x, BE::Tensor down, BE::Tensor butterfly,
                          BE::Tensor segments, BE::Tensor scan, BE::Tensor broadcast) {
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    const unsigned lane = threadIdx.x % warpSize;
    const int v = x.at<int>(i);
    float d = float(v);
    for (int offset = 16; offset > 0; offset /= 2) d += __shfl_down_sync(0xffffffffu, d, offset);
    if (lane == 0) down.at<float>(i / 32) = d;
    int b = v;
    for (int m = 16; m > 0; m /= 2) b += __shfl_xor_sync(0xffffffffu, b, m);
    butterfly.at<int>(i) = b;
    int s = v;
    for (int m = 4; m > 0; m /= 2) s += __shfl_xor_sync(0xffffffffu, s, m, 8);
    segments.at<int>(i) = s;
    int inclusive = v;
    for (unsigned o = 1; o < 32; o *= 2) {
        const int other = __shfl_up_sync(0xffffffffu, inclusive, o);
        if (lane >= o) inclusive += other;
    }
    scan.at<int>(i) = inclusive;
    broadcast.at<double>(i) = __shfl_sync(0xffffffffu, double(v) / 4, 7 + 32); // srcLane % 32
}
)",
              "warp_sums.cu");
    const int blocks = 3, threads = 128, n = blocks * threads;
    auto x = make_array(DType::int32, {n});
    auto down = make_array(DType::float32, {n / 32}), butterfly = make_array(DType::int32, {n}),
         segments = make_array(DType::int32, {n}), scan = make_array(DType::int32, {n}),
         broadcast = make_array(DType::float64, {n});
    const int* xs = x.data_as<int>();
    for (int i = 0; i < n; ++i)
        x.data_as<int>()[i] = (i * 37) % 101 - 50;
    BE::Tensor v[] = {x.view(),        down.view(), butterfly.view(),
                      segments.view(), scan.view(), broadcast.view()};
    auto r = m.launch("warp_sums", geometry(blocks, threads),
                      {&v[0], &v[1], &v[2], &v[3], &v[4], &v[5]});
    ASSERT_TRUE(r.ok()) << r.error().full();
    for (int w = 0; w < n / 32; ++w) {
        const int total = std::accumulate(xs + 32 * w, xs + 32 * w + 32, 0);
        EXPECT_EQ(down.data_as<float>()[w], float(total)) << "warp " << w;
        for (int l = 0; l < 32; ++l) {
            const int i = 32 * w + l;
            EXPECT_EQ(butterfly.data_as<int>()[i], total) << i;
            const int g = 32 * w + l / 8 * 8;
            EXPECT_EQ(segments.data_as<int>()[i], std::accumulate(xs + g, xs + g + 8, 0)) << i;
            EXPECT_EQ(scan.data_as<int>()[i], std::accumulate(xs + 32 * w, xs + i + 1, 0)) << i;
            EXPECT_EQ(broadcast.data_as<double>()[i], xs[32 * w + 7] / 4.0) << i;
        }
    }
}

// Lane 0 of each warp publishes its warp's count in shared memory; after the barrier every lane
// sums the counts of the warps before its own. Run sequentially, warp 0's lanes would compute
// their own offsets fine but a thread of warp 3 would read warp counts of warps still to run,
// and the first lane's ballot would see no other lane's predicate.
TEST(EmuKernels, BallotStreamCompaction) {
    EMU_BUILD(m, R"(
// @BE compact
__global__ void compact(const BE::Tensor x, BE::Tensor out, BE::Tensor counts, float threshold) {
    __shared__ unsigned warp_counts[32];
    const unsigned t = threadIdx.x, lane = t % 32, warp = t / 32;
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + t;
    const float v = x.at<float>(i);
    const bool keep = v > threshold;
    const unsigned ballot = __ballot_sync(0xffffffffu, keep);
    const unsigned rank = __popc(ballot & ((1u << lane) - 1));
    if (lane == 0) warp_counts[warp] = __popc(ballot);
    __syncthreads();
    unsigned offset = 0;
    for (unsigned w = 0; w < warp; ++w) offset += warp_counts[w];
    if (keep) out.at<float>(int64_t(blockIdx.x) * blockDim.x + offset + rank) = v;
    if (t == 0) {
        unsigned total = 0;
        for (unsigned w = 0; w < blockDim.x / 32; ++w) total += warp_counts[w];
        counts.at<int>(blockIdx.x) = int(total);
    }
}
)",
              "compact.cu");
    const int blocks = 4, threads = 256, n = blocks * threads;
    auto x = make_array(DType::float32, {n}), out = make_array(DType::float32, {n}),
         counts = make_array(DType::int32, {blocks});
    for (int i = 0; i < n; ++i)
        x.data_as<float>()[i] = float((i * 7919) % 1000) / 10.0f;
    std::fill_n(out.data_as<float>(), n, -1.0f);
    float threshold = 61.5f;
    BE::Tensor xv = x.view(), ov = out.view(), cv = counts.view();
    auto r = m.launch("compact", geometry(blocks, threads), {&xv, &ov, &cv, &threshold});
    ASSERT_TRUE(r.ok()) << r.error().full();
    for (int b = 0; b < blocks; ++b) {
        std::vector<float> expected;
        for (int t = 0; t < threads; ++t)
            if (x.data_as<float>()[b * threads + t] > threshold)
                expected.push_back(x.data_as<float>()[b * threads + t]);
        ASSERT_EQ(counts.data_as<int>()[b], int(expected.size())) << "block " << b;
        for (size_t k = 0; k < expected.size(); ++k)
            EXPECT_EQ(out.data_as<float>()[b * threads + k], expected[k]) << b << " " << k;
    }
}

// Thread 0 initialises the shared accumulators and, after the second barrier, every thread reads
// them: sequentially, thread 0 would see only its own contribution, and the other threads
// would add to accumulators thread 0 has not reset (the previous block's values).
TEST(EmuKernels, FloatAndIntegerAtomics) {
    EMU_BUILD(m, R"(
// @BE atomics
__global__ void atomics(const BE::Tensor x, BE::Tensor seen, BE::Tensor block_out,
                        BE::Tensor global_i, BE::Tensor global_d, BE::Tensor global_f) {
    __shared__ float total;
    __shared__ int lo, hi;
    __shared__ unsigned wrap;
    const unsigned t = threadIdx.x;
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + t;
    const int v = x.at<int>(i);
    if (t == 0) {
        total = 0.0f;
        lo = INT_MAX;
        hi = INT_MIN;
        wrap = 0;
    }
    __syncthreads();
    atomicAdd(&total, 0.5f * float(v));
    atomicMin(&lo, v);
    atomicMax(&hi, v);
    atomicInc(&wrap, 9u); // counts modulo 10
    __syncthreads();
    seen.at<float>(i) = total;
    if (t == 0) {
        block_out.at<int>(blockIdx.x, 0) = lo;
        block_out.at<int>(blockIdx.x, 1) = hi;
        block_out.at<int>(blockIdx.x, 2) = int(wrap);
    }
    // Across blocks, on global memory.
    int* g = global_i.data_ptr<int>();
    atomicAdd(&g[0], v);
    atomicSub(&g[1], v);
    atomicOr(reinterpret_cast<unsigned*>(&g[2]), 1u << (i % 32));
    atomicXor(reinterpret_cast<unsigned*>(&g[3]), unsigned(v));
    atomicAnd(reinterpret_cast<unsigned*>(&g[4]), ~(1u << (i % 31)));
    atomicExch(&g[5], int(i));
    atomicAdd(reinterpret_cast<unsigned long long*>(global_d.data_ptr<double>() + 1), 3ull);
    atomicAdd(global_d.data_ptr<double>(), double(v) / 8);
    // A float maximum through atomicCAS, as CUDA code writes it.
    int* as_int = reinterpret_cast<int*>(global_f.data_ptr<float>());
    int old = *as_int, assumed;
    do {
        assumed = old;
        old = atomicCAS(as_int, assumed, __float_as_int(fmaxf(__int_as_float(assumed), float(v))));
    } while (assumed != old);
}
)",
              "atomics.cu");
    const int blocks = 5, threads = 192, n = blocks * threads;
    auto x = make_array(DType::int32, {n}), seen = make_array(DType::float32, {n}),
         block_out = make_array(DType::int32, {blocks, 3}), gi = make_array(DType::int32, {6}),
         gd = make_array(DType::float64, {2}), gf = make_array(DType::float32, {1});
    const int* xs = x.data_as<int>();
    for (int i = 0; i < n; ++i)
        x.data_as<int>()[i] = (i * 7907) % 2001 - 1000;
    int* g = gi.data_as<int>();
    std::fill_n(g, 6, 0);
    g[4] = -1;
    g[5] = -1;
    gd.data_as<double>()[0] = gd.data_as<double>()[1] = 0;
    gf.data_as<float>()[0] = -1e30f;
    BE::Tensor v[] = {x.view(), seen.view(), block_out.view(), gi.view(), gd.view(), gf.view()};
    auto r =
        m.launch("atomics", geometry(blocks, threads), {&v[0], &v[1], &v[2], &v[3], &v[4], &v[5]});
    ASSERT_TRUE(r.ok()) << r.error().full();
    int sum = 0, xr = 0, hi_all = INT_MIN;
    for (int b = 0; b < blocks; ++b) {
        const int* bx = xs + b * threads;
        float total = 0;
        for (int t = 0; t < threads; ++t)
            total += 0.5f * float(bx[t]); // exact: halves of ints
        for (int t = 0; t < threads; ++t)
            ASSERT_EQ(seen.data_as<float>()[b * threads + t], total) << b << " " << t;
        EXPECT_EQ(block_out.data_as<int>()[3 * b], *std::min_element(bx, bx + threads));
        EXPECT_EQ(block_out.data_as<int>()[3 * b + 1], *std::max_element(bx, bx + threads));
        EXPECT_EQ(block_out.data_as<int>()[3 * b + 2], threads % 10);
    }
    unsigned and_mask = ~0u;
    for (int i = 0; i < n; ++i) {
        sum += xs[i];
        xr ^= xs[i];
        hi_all = std::max(hi_all, xs[i]);
        and_mask &= ~(1u << (i % 31));
    }
    EXPECT_EQ(g[0], sum);
    EXPECT_EQ(g[1], -sum);
    EXPECT_EQ(unsigned(g[2]), 0xffffffffu);
    EXPECT_EQ(g[3], xr);
    EXPECT_EQ(unsigned(g[4]), and_mask);
    EXPECT_TRUE(g[5] >= 0 && g[5] < n);
    EXPECT_EQ(gd.data_as<double>()[0], double(sum) / 8);
    unsigned long long count;
    std::memcpy(&count, gd.data_as<double>() + 1, sizeof count);
    EXPECT_EQ(count, 3ull * n);
    EXPECT_EQ(gf.data_as<float>()[0], float(hi_all));
}

// A spin lock on atomicCAS around a plain read-modify-write that yields (__nanosleep) while
// holding the lock: the count is only right if the failed compare-and-swaps let the holder run
// and the lock excludes the others. Thread 0 reads the count after the barrier.
TEST(EmuKernels, SpinLockOnAtomicCas) {
    EMU_BUILD(m, R"(
// @BE locked_count
__global__ void locked_count(BE::Tensor counts) {
    __shared__ int lock;
    __shared__ int count;
    if (threadIdx.x == 0) {
        lock = 0;
        count = 0;
    }
    __syncthreads();
    while (atomicCAS(&lock, 0, 1) != 0) {
    }
    const int seen = count;
    __nanosleep(100);
    count = seen + 1;
    __threadfence_block();
    atomicExch(&lock, 0);
    __syncthreads();
    if (threadIdx.x == 0) counts.at<int>(blockIdx.x) = count;
}
)",
              "locked_count.cu");
    auto counts = make_array(DType::int32, {3});
    BE::Tensor cv = counts.view();
    auto r = m.launch("locked_count", geometry(3, 96), {&cv});
    ASSERT_TRUE(r.ok()) << r.error().full();
    for (int b = 0; b < 3; ++b)
        EXPECT_EQ(counts.data_as<int>()[b], 96);
}

// Each thread stores its element in dynamic shared memory and, after the barrier, reads another
// thread's: sequentially, thread 0 would read slot blockDim-1 before its owner wrote it (it
// holds the 0xff poison, a NaN). Covers `extern __shared__` at namespace and at block scope,
// with an alignment specifier, and the poison itself.
TEST(EmuKernels, DynamicSharedMemory) {
    EMU_BUILD(m, R"(
extern __shared__ float reversed[];

// @BE reverse
__global__ void reverse(const BE::Tensor x, BE::Tensor y) {
    const unsigned t = threadIdx.x;
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + t;
    reversed[t] = x.at<float>(i);
    __syncthreads();
    y.at<float>(i) = reversed[blockDim.x - 1 - t];
}

// @BE rotate
__global__ void rotate(const BE::Tensor x, BE::Tensor y, BE::Tensor poison) {
    extern __shared__ __align__(16) int scratch[];
    const unsigned t = threadIdx.x;
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + t;
    poison.at<int>(i) = scratch[blockDim.x + t]; // beyond what this kernel writes
    scratch[t] = 2 * x.at<int>(i);
    __syncthreads();
    y.at<int>(i) = scratch[(t + 1) % blockDim.x];
}
)",
              "dynamic_shared.cu");
    const int blocks = 3, threads = 128, n = blocks * threads;
    auto x = make_array(DType::float32, {n}), y = make_array(DType::float32, {n});
    for (int i = 0; i < n; ++i)
        x.data_as<float>()[i] = float(i);
    BE::Tensor xv = x.view(), yv = y.view();
    auto r = m.launch("reverse", geometry(blocks, threads, threads * sizeof(float)), {&xv, &yv});
    ASSERT_TRUE(r.ok()) << r.error().full();
    for (int i = 0; i < n; ++i)
        ASSERT_EQ(y.data_as<float>()[i], float(i / threads * threads + threads - 1 - i % threads));

    auto xi = make_array(DType::int32, {n}), yi = make_array(DType::int32, {n}),
         poison = make_array(DType::int32, {n});
    for (int i = 0; i < n; ++i)
        xi.data_as<int>()[i] = i;
    BE::Tensor xiv = xi.view(), yiv = yi.view(), pv = poison.view();
    r = m.launch("rotate", geometry(blocks, threads, 2 * threads * sizeof(int)), {&xiv, &yiv, &pv});
    ASSERT_TRUE(r.ok()) << r.error().full();
    for (int i = 0; i < n; ++i) {
        ASSERT_EQ(yi.data_as<int>()[i], 2 * (i / threads * threads + (i % threads + 1) % threads));
        ASSERT_EQ(poison.data_as<int>()[i], -1);
    }
}

// blockIdx/threadIdx/blockDim/gridDim in three dimensions, dim3 and uint3, and the 2-D checked
// accessor. The neighbour read after the barrier makes it depend on other threads.
TEST(EmuKernels, ThreeDimensionalIndices) {
    EMU_BUILD(m, R"(
// @BE grid_ids
__global__ void grid_ids(BE::Tensor out) {
    __shared__ int ids[8][4][2];
    const uint3 t = threadIdx;
    const dim3 b = blockDim;
    ids[t.x][t.y][t.z] = int(t.x + 10 * t.y + 100 * t.z);
    __syncthreads();
    const int64_t row = int64_t(blockIdx.y) * b.y + t.y;
    const int64_t col = (int64_t(blockIdx.x) * b.x + t.x) * b.z + t.z;
    const int neighbour = ids[(t.x + 1) % b.x][t.y][t.z];
    out.at<int>(row, col) = int(blockIdx.z * 100000 + gridDim.x * 10000 + neighbour);
}
)",
              "grid_ids.cu");
    const EmuLaunch launch{{3, 2, 1}, {8, 4, 2}, 0};
    auto out = make_array(DType::int32, {2 * 4, 3 * 8 * 2});
    BE::Tensor ov = out.view();
    auto r = m.launch("grid_ids", launch, {&ov});
    ASSERT_TRUE(r.ok()) << r.error().full();
    for (int row = 0; row < 8; ++row)
        for (int col = 0; col < 48; ++col) {
            const int tz = col % 2, tx = col / 2 % 8, ty = row % 4;
            EXPECT_EQ(out.data_as<int>()[row * 48 + col], 30000 + (tx + 1) % 8 + 10 * ty + 100 * tz)
                << row << " " << col;
        }
}

// Votes, match, warp reductions and the reducing barriers on a block of 48 threads, whose second
// warp is partial (16 lanes): absent lanes do not participate, and a shuffle from one returns the
// caller's own value. Each result combines the other lanes' (or threads') predicates.
TEST(EmuKernels, VotesMatchAndPartialWarps) {
    EMU_BUILD(m, R"(
// @BE votes
__global__ void votes(const BE::Tensor x, BE::Tensor out) {
    const unsigned t = threadIdx.x;
    const int v = x.at<int>(t);
    const unsigned active = __activemask();
    long long* o = &out.at<long long>(t, 0);
    o[0] = active;
    o[1] = __ballot_sync(active, v % 2 == 0);
    o[2] = __any_sync(active, v > 40);
    o[3] = __all_sync(active, v >= 0);
    o[4] = __match_any_sync(active, v / 10);
    o[5] = __reduce_add_sync(active, unsigned(v));
    o[6] = __shfl_down_sync(active, v, 16);
    o[7] = __syncthreads_count(v % 3 == 0);
    o[8] = __syncthreads_and(v < 47);
    o[9] = __syncthreads_or(v == 45);
}
)",
              "votes.cu");
    const int n = 48;
    auto x = make_array(DType::int32, {n}), out = make_array(DType::int64, {n, 10});
    const int* xs = x.data_as<int>();
    for (int i = 0; i < n; ++i)
        x.data_as<int>()[i] = (i * 13) % 47;
    BE::Tensor xv = x.view(), ov = out.view();
    auto r = m.launch("votes", geometry(1, n), {&xv, &ov});
    ASSERT_TRUE(r.ok()) << r.error().full();
    int count3 = 0;
    for (int i = 0; i < n; ++i)
        count3 += xs[i] % 3 == 0;
    for (int t = 0; t < n; ++t) {
        const int base = t / 32 * 32, lanes = t < 32 ? 32 : 16;
        const unsigned active = lanes == 32 ? ~0u : 0xffffu;
        unsigned even = 0, match = 0, sum = 0;
        bool any = false;
        for (int l = 0; l < lanes; ++l) {
            even |= unsigned(xs[base + l] % 2 == 0) << l;
            match |= unsigned(xs[base + l] / 10 == xs[t] / 10) << l;
            sum += unsigned(xs[base + l]);
            any = any || xs[base + l] > 40;
        }
        const int lane = t % 32, source = lane + 16 < lanes ? t + 16 : t;
        const long long* o = out.data_as<long long>() + 10 * t;
        EXPECT_EQ(o[0], active) << t;
        EXPECT_EQ(o[1], even) << t;
        EXPECT_EQ(o[2], any) << t;
        EXPECT_EQ(o[3], 1) << t;
        EXPECT_EQ(o[4], match) << t;
        EXPECT_EQ(o[5], sum) << t;
        EXPECT_EQ(o[6], xs[source]) << t;
        EXPECT_EQ(o[7], count3) << t;
        EXPECT_EQ(o[8], 1) << t; // every value is < 47
        EXPECT_EQ(o[9], 1) << t; // some thread holds 45
    }
}

// A thread that returns before a barrier counts as arrived, as on the GPU (documented): the
// remaining threads pass the barrier and read each other's stores.
TEST(EmuKernels, ExitedThreadsCountAsArrived) {
    EMU_BUILD(m, R"(
// @BE early_exit
__global__ void early_exit(const BE::Tensor x, BE::Tensor y) {
    __shared__ float s[256];
    const int64_t t = threadIdx.x, n = x.numel();
    if (t >= n) return;
    s[t] = x.at<float>(t);
    __syncthreads();
    y.at<float>(t) = s[n - 1 - t];
}
)",
              "early_exit.cu");
    const int n = 200;
    auto x = make_array(DType::float32, {n}), y = make_array(DType::float32, {n});
    for (int i = 0; i < n; ++i)
        x.data_as<float>()[i] = float(i);
    BE::Tensor xv = x.view(), yv = y.view();
    auto r = m.launch("early_exit", geometry(1, 256), {&xv, &yv});
    ASSERT_TRUE(r.ok()) << r.error().full();
    for (int i = 0; i < n; ++i)
        ASSERT_EQ(y.data_as<float>()[i], float(n - 1 - i));
}

// Not a check: prints what a barrier costs (the issue asks for the number; bench programs, not
// tests, would own a table of it). 256-thread blocks, 9 barriers per thread.
TEST(EmuKernels, ReportsBarrierOverhead) {
    EMU_BUILD(m, R"(
// @BE reduce256
__global__ void reduce256(const BE::Tensor x, BE::Tensor sums) {
    __shared__ float partial[256];
    const unsigned t = threadIdx.x;
    partial[t] = x.data_ptr<float>()[blockIdx.x * 256 + t];
    __syncthreads();
    for (unsigned stride = 128; stride > 0; stride /= 2) {
        if (t < stride) partial[t] += partial[t + stride];
        __syncthreads();
    }
    if (t == 0) sums.data_ptr<float>()[blockIdx.x] = partial[0];
}
// @BE copy256
__global__ void copy256(const BE::Tensor x, BE::Tensor y) {
    y.data_ptr<float>()[blockIdx.x * 256 + threadIdx.x] = x.data_ptr<float>()[blockIdx.x * 256 + threadIdx.x];
}
)",
              "overhead.cu");
    const int blocks = 512, threads = 256;
    auto x = make_array(DType::float32, {blocks * threads}),
         y = make_array(DType::float32, {blocks * threads}),
         sums = make_array(DType::float32, {blocks});
    std::fill_n(x.data_as<float>(), blocks * threads, 1.0f);
    BE::Tensor xv = x.view(), yv = y.view(), sv = sums.view();
    auto time = [&](const char* name, std::vector<void*> params) {
        EXPECT_TRUE(m.launch(name, geometry(blocks, threads), params).ok()); // warm the stacks
        const auto start = std::chrono::steady_clock::now();
        EXPECT_TRUE(m.launch(name, geometry(blocks, threads), params).ok());
        const std::chrono::duration<double> s = std::chrono::steady_clock::now() - start;
        std::printf("[emu] %-9s %d blocks x %d threads: %.2f ms, %.3f us per thread\n", name,
                    blocks, threads, s.count() * 1e3, s.count() * 1e6 / (blocks * threads));
        return s.count();
    };
    const double copy = time("copy256", {&xv, &yv});
    const double reduce = time("reduce256", {&xv, &sv});
    std::printf("[emu] barrier cost: %.3f us per thread per __syncthreads\n",
                (reduce - copy) * 1e6 / (double(blocks) * threads * 9));
    EXPECT_EQ(sums.data_as<float>()[0], 256.0f);
}

} // namespace
} // namespace be
