// Errors inside emulated kernels: each ends the launch with an Error naming the kernel, the block
// and the thread (or, for a deadlock, what every thread waits for), never a crash or a hang; the
// next launch runs normally.
#include "cuda_emu_test_util.h"

namespace be {
namespace {

using test::EmuModule;
using test::geometry;
using test::make_array;

void expect_contains(const std::string& text, const std::string& part) {
    EXPECT_NE(text.find(part), std::string::npos) << "missing: " << part << "\nin: " << text;
}

const char* k_faults = R"(
// @BE write_oob
__global__ void write_oob(BE::Tensor y) {
    const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    y.at<float>(i) = 1.0f; // no `if (i < n)`: the last block runs past the end
}

// @BE write_oob_2d
__global__ void write_oob_2d(BE::Tensor y) {
    y.at<int>(blockIdx.x, threadIdx.x) = 1;
}

// @BE wrong_type
__global__ void wrong_type(BE::Tensor y) {
    y.at<double>(threadIdx.x) = 1.0;
}

// @BE check_fails
__global__ void check_fails(BE::Tensor y) {
    BE_CHECK(!(blockIdx.x == 1 && threadIdx.x == 77), "thread 77 of block 1 refuses");
    __syncthreads();
    y.at<float>(int64_t(blockIdx.x) * blockDim.x + threadIdx.x) = 2.0f;
}

// @BE throws
__global__ void throws(BE::Tensor y) {
    if (threadIdx.x == 5) throw std::runtime_error("a C++ exception in thread 5");
}

// @BE asserts
__global__ void asserts(BE::Tensor y) {
    assert(threadIdx.x != 9);
}

// @BE traps
__global__ void traps(BE::Tensor y) {
    if (threadIdx.x == 3) __trap();
}

// Thread 0 waits at the barrier while lanes 1-31 of its warp wait for it in __syncwarp.
// @BE deadlock
__global__ void deadlock(BE::Tensor y) {
    if (threadIdx.x == 0) __syncthreads();
    __syncwarp();
}

// @BE divergent
__global__ void divergent(BE::Tensor y) {
    if (threadIdx.x % 2) __ballot_sync(0xffffffffu, 1);
    else __shfl_sync(0xffffffffu, 1, 0);
}

// @BE foreign_mask
__global__ void foreign_mask(BE::Tensor y) {
    if (threadIdx.x == 4) __shfl_sync(0x0000000fu, 1, 0);
}

// @BE bad_width
__global__ void bad_width(BE::Tensor y) {
    __shfl_xor_sync(0xffffffffu, 1, 1, 12);
}
)";

class EmuErrors : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        auto built = EmuModule::build(k_faults, "faults.cu");
        ASSERT_TRUE(built.ok()) << built.error().full();
        module_ = new EmuModule(std::move(*built));
    }
    static void TearDownTestSuite() {
        delete module_;
        module_ = nullptr;
    }

    // Launches `name` on a float32 tensor of `n` elements and returns the error message.
    std::string failure(const std::string& name, const EmuLaunch& launch, int64_t n,
                        DType dtype = DType::float32) {
        auto y = make_array(dtype, {n});
        BE::Tensor view = y.view();
        auto r = module_->launch(name, launch, {&view});
        EXPECT_FALSE(r.ok()) << name << " succeeded";
        return r.ok() ? std::string() : r.error().message;
    }

    static EmuModule* module_;
};
EmuModule* EmuErrors::module_ = nullptr;

TEST_F(EmuErrors, OutOfBoundsAccessorWriteReportsIndices) {
    const std::string m = failure("write_oob", geometry(2, 256), 300);
    expect_contains(m, "emulate_launch(write_oob): block (1,0,0) thread (44,0,0): ");
    expect_contains(m, "at(i): i = 300 is out of bounds for 300 elements (shape [300])");
}

TEST_F(EmuErrors, OutOfBoundsTwoDimensionalAccessorNamesTheDimension) {
    auto y = make_array(DType::int32, {4, 30});
    BE::Tensor view = y.view();
    auto r = module_->launch("write_oob_2d", geometry(4, 32), {&view});
    ASSERT_FALSE(r.ok());
    expect_contains(r.error().message, "block (0,0,0) thread (30,0,0)");
    expect_contains(r.error().message,
                    "at(i, j): j = 30 is out of bounds for dimension 1 of size 30 (shape [4, 30])");
}

TEST_F(EmuErrors, AccessorChecksTheElementType) {
    expect_contains(failure("wrong_type", geometry(1, 4), 4),
                    "at(i): element type of 8 bytes, but the tensor's dtype has 4");
}

TEST_F(EmuErrors, BeCheckFailureReportsBlockAndThread) {
    const std::string m = failure("check_fails", geometry(2, 128), 256);
    expect_contains(m, "emulate_launch(check_fails): block (1,0,0) thread (77,0,0): ");
    expect_contains(m, "thread 77 of block 1 refuses");
}

TEST_F(EmuErrors, ExceptionAssertAndTrapAreReported) {
    expect_contains(failure("throws", geometry(1, 32), 1),
                    "thread (5,0,0): a C++ exception in thread 5");
    const std::string a = failure("asserts", geometry(1, 32), 1);
    expect_contains(a, "thread (9,0,0): ");
    expect_contains(a, "assertion 'threadIdx.x != 9' failed");
    expect_contains(failure("traps", geometry(1, 32), 1), "thread (3,0,0): __trap() called");
}

TEST_F(EmuErrors, BarrierDeadlockIsReportedNotHung) {
    const std::string m = failure("deadlock", geometry(1, 64), 1);
    expect_contains(m, "emulate_launch(deadlock): deadlock in block (0,0,0): ");
    expect_contains(m, "thread (0,0,0) wait at __syncthreads (line 43)");
    expect_contains(m, "threads (1,0,0)..(31,0,0) wait in __syncwarp (line 44, mask 0xffffffff) "
                       "for lane 0 of warp 0");
}

TEST_F(EmuErrors, MisusedWarpIntrinsicsAreReported) {
    expect_contains(failure("divergent", geometry(1, 32), 1), "divergent warp intrinsics");
    expect_contains(failure("foreign_mask", geometry(1, 32), 1),
                    "thread (4,0,0): __shfl_sync (line 55): the mask 0x0000000f does not include "
                    "the calling lane 4");
    expect_contains(failure("bad_width", geometry(1, 32), 1),
                    "__shfl_xor_sync: width 12 is not a power of 2 in [1, 32]");
}

TEST_F(EmuErrors, InvalidConfigurationIsAnError) {
    expect_contains(failure("traps", geometry(1, 2048), 1), "invalid launch configuration");
    expect_contains(failure("traps", geometry(0, 32), 1), "a grid or block dimension is 0");
    expect_contains(failure("traps", EmuLaunch{{1, 1, 1}, {1, 1, 65}, 0}, 1), "exceed");
    expect_contains(failure("traps", geometry(1, 32, k_emu_max_dynamic_shared_bytes + 1), 1),
                    "dynamic shared memory");
}

TEST_F(EmuErrors, LaunchesAfterAFailureRunNormally) {
    (void)failure("deadlock", geometry(1, 64), 1);
    (void)failure("check_fails", geometry(2, 128), 256);
    auto y = make_array(DType::float32, {256});
    BE::Tensor view = y.view();
    auto r = module_->launch("check_fails", geometry(1, 256), {&view}); // block 0 only: no failure
    ASSERT_TRUE(r.ok()) << r.error().full();
    for (int i = 0; i < 256; ++i)
        ASSERT_EQ(y.data_as<float>()[i], 2.0f);
}

} // namespace
} // namespace be
