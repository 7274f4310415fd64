// The event operators writing into a given output (*_into) and the prepared plans
// (be::prepare_event_matvec, event_plan.h): bitwise equal to the allocating operators in every
// format, encoding and direction, on cpu and cuda-emu; a plan's run allocates nothing beyond
// what the kernel itself does (this binary counts operator new: alloc_counter.h).
#include "alloc_counter.h"
#include "event_test_util.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/event_plan.h>
#include <becore/frontends/jitc.h>

#include <gtest/gtest.h>

#include <functional>

namespace be {
namespace {

using test::array;
using test::same_bits;

std::string message_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Exception& e) {
        return e.what();
    }
    return "no error";
}

// Spikes of every encoding for an input of n entries (the float ones in `dtype`).
std::vector<HostArray> spike_inputs(std::mt19937_64& rng, int64_t n, DType dtype) {
    std::vector<HostArray> inputs;
    inputs.push_back(test::random_bool(rng, 0, n, 0.3));
    inputs.push_back(pack_spikes(inputs.back()));
    inputs.push_back(test::random_float(rng, dtype, 0, n, 0.3));
    return inputs;
}

// Output filled with a sentinel, to see that the kernels overwrite every entry.
HostArray poisoned(DType dtype, std::vector<int64_t> shape) {
    HostArray out = array(dtype, std::move(shape));
    for (int64_t i = 0; i < out.numel(); ++i)
        test::put(out, i, 12345.0);
    return out;
}

// The into / plan forms against the allocating operator for one connectivity.
template <typename C> void check_connectivity(const C& conn, DType dtype, Device device) {
    std::mt19937_64 rng(5);
    for (bool transpose : {false, true}) {
        SCOPED_TRACE(transpose ? "transpose" : "forward");
        const int64_t n_in = transpose ? conn.cols() : conn.rows();
        const int64_t n_out = transpose ? conn.rows() : conn.cols();
        for (const HostArray& spikes : spike_inputs(rng, n_in, dtype)) {
            SCOPED_TRACE(std::string(dtype_name(spikes.dtype())));
            const HostArray want = event_matvec(spikes, conn, transpose, device);
            HostArray into = poisoned(dtype, {n_out});
            event_matvec_into(spikes, conn, into, transpose, device);
            EXPECT_TRUE(same_bits(into, want));
            const EventMatvecPlan plan =
                prepare_event_matvec(conn, spikes.dtype(), transpose, device);
            EXPECT_EQ(plan.n_out(), n_out);
            for (int repeat = 0; repeat < 2; ++repeat) {
                HostArray out = poisoned(dtype, {n_out});
                plan.run(spikes, out);
                EXPECT_TRUE(same_bits(out, want));
            }
        }
        // The float products and the batches.
        const HostArray x = test::random_float(rng, dtype, 0, n_in, 0.5);
        HostArray mv = poisoned(dtype, {n_out});
        matvec_into(x, conn, mv, transpose, device);
        EXPECT_TRUE(same_bits(mv, matvec(x, conn, transpose, device)));
        const HostArray xb = test::random_float(rng, dtype, 3, n_in, 0.5);
        HostArray mm = poisoned(dtype, {3, n_out});
        matmat_into(xb, conn, mm, transpose, device);
        EXPECT_TRUE(same_bits(mm, matmat(xb, conn, transpose, device)));
        const HostArray sb = test::random_bool(rng, 3, n_in, 0.3);
        HostArray em = poisoned(dtype, {3, n_out});
        event_matmat_into(sb, conn, em, transpose, device);
        EXPECT_TRUE(same_bits(em, event_matmat(sb, conn, transpose, device)));
    }
}

void check_formats(Device device) {
    builtin_registry();
    std::mt19937_64 rng(11);
    for (DType dtype : {DType::float32, DType::float64})
        for (auto format : {test::Format::dense, test::Format::csr, test::Format::fixed_post,
                            test::Format::fixed_pre})
            for (bool homogeneous : {false, true}) {
                if (format == test::Format::dense && homogeneous) continue;
                if (device == Device::cuda_emu && (dtype == DType::float64 || homogeneous))
                    continue; // the emulation is slow; one case per format is enough
                const test::Case c{format, homogeneous, dtype, false};
                SCOPED_TRACE(::testing::PrintToString(c) + " on " +
                             std::string(device_name(device)));
                test::Built built = test::build(c, rng, test::k_rows, test::k_cols, 0.2);
                std::visit([&](const auto& conn) { check_connectivity(conn, dtype, device); },
                           built.conn);
            }
}

TEST(PreparedEvent, IntoAndPlanEqualTheAllocatingOperators) {
    check_formats(Device::cpu);
}

TEST(PreparedEvent, IntoAndPlanEqualTheAllocatingOperatorsOnCudaEmu) {
    check_formats(Device::cuda_emu);
}

TEST(PreparedEvent, JitcIntoAndPlanEqualTheAllocatingOperators) {
    const JitcScalar scalar(41, 29, 0.3, 0.25, 3);
    const JitcNormal normal(41, 29, 0.3, 0.5, 0.1, 4, JitcOrientation::C);
    const JitcUniform uniform(41, 29, 0.3, -0.5, 1.0, 5, JitcOrientation::R, DType::float64);
    for (Device device : {Device::cpu, Device::cuda_emu})
        for (const Jitc* conn :
             {static_cast<const Jitc*>(&scalar), static_cast<const Jitc*>(&normal),
              static_cast<const Jitc*>(&uniform)}) {
            SCOPED_TRACE(conn->kind() + " on " + std::string(device_name(device)));
            check_connectivity(*conn, conn->dtype(), device);
        }
}

TEST(PreparedEvent, IntoAndPlanRejectWrongOutputsAndSpikes) {
    const Csr conn = Csr::from_dense([] {
        HostArray d = array(DType::float32, {4, 6});
        for (int64_t i = 0; i < 24; i += 5)
            d.data_as<float>()[i] = 1.0f;
        return d;
    }());
    const HostArray spikes = array(DType::bool_, {4});
    HostArray wrong_size = array(DType::float32, {5}), wrong_dtype = array(DType::float64, {6});
    EXPECT_NE(message_of([&] {
                  event_matvec_into(spikes, conn, wrong_size);
              }).find("out must be float32 [6]"),
              std::string::npos);
    EXPECT_NE(message_of([&] {
                  event_matvec_into(spikes, conn, wrong_dtype);
              }).find("out must be float32 [6]"),
              std::string::npos);

    const EventMatvecPlan plan = prepare_event_matvec(conn, DType::bool_);
    EXPECT_EQ(plan.prepared().target_name(), "be.csr_event_matvec_bool_f32");
    EXPECT_NE(message_of([&] { plan.run(spikes, wrong_size); }).find("out a contiguous [6]"),
              std::string::npos);
    const HostArray wrong_spikes = array(DType::uint32, {4}); // the plan is for bool spikes
    HostArray out = array(DType::float32, {6});
    const std::string dtype_error = message_of([&] { plan.run(wrong_spikes, out); });
    EXPECT_NE(dtype_error.find("call(be.csr_event_matvec_bool_f32): arg 3"), std::string::npos)
        << dtype_error;
    EXPECT_NE(dtype_error.find("has dtype uint32 but the target requires bool"), std::string::npos)
        << dtype_error;
    EXPECT_NE(message_of([&] { EventMatvecPlan().run(spikes, out); }).find("empty"),
              std::string::npos);
    EXPECT_NE(
        message_of([&] { prepare_event_matvec(conn, DType::int32); }).find("spikes must be bool"),
        std::string::npos);
    EXPECT_NE(message_of([&] {
                  prepare_event_matvec(conn, DType::bool_, false, Device::cuda);
              }).find("device must be cpu or cuda-emu"),
              std::string::npos);
}

// A plan writes into a row of a larger array (a delay ring buffer's slot) through views.
TEST(PreparedEvent, PlanRunsOnViewsOfARingBufferSlot) {
    std::mt19937_64 rng(3);
    const test::Case c{test::Format::csr, false, DType::float32, false};
    test::Built built = test::build(c, rng, 30, 20, 0.3);
    const Csr& conn = std::get<Csr>(built.conn);
    const HostArray spikes = test::random_bool(rng, 0, 30, 0.5);
    const HostArray want = event_matvec(spikes, conn);
    HostArray ring = array(DType::float32, {4, 20});
    const EventMatvecPlan plan = prepare_event_matvec(conn, DType::bool_);
    BE::Tensor slot = ring.view();
    slot.rank = 1;
    slot.shape[0] = 20;
    slot.strides[0] = 1;
    slot.data = ring.data_as<float>() + 2 * 20;
    plan.run(spikes.view(), slot);
    for (int64_t j = 0; j < 20; ++j) {
        EXPECT_EQ(ring.data_as<float>()[2 * 20 + j], want.data_as<float>()[j]) << j;
        EXPECT_EQ(ring.data_as<float>()[j], 0.0f); // the other slots untouched
    }
}

// Heap allocations per run: the plan and the prepared call add none; what remains is the kernel's
// own (the scatter collects the active rows into std::vectors; the gather allocates nothing).
TEST(PreparedEvent, PlanRunAllocatesNothingBeyondTheKernel) {
    std::mt19937_64 rng(9);
    const test::Case c{test::Format::csr, false, DType::float32, false};
    test::Built built = test::build(c, rng, 200, 200, 0.05);
    const Csr& conn = std::get<Csr>(built.conn);
    const HostArray spikes = test::random_bool(rng, 0, 200, 0.05);
    HostArray out = array(DType::float32, {200});
    constexpr int k_runs = 200;
    for (bool transpose : {false, true}) {
        SCOPED_TRACE(transpose ? "gather" : "scatter");
        const EventMatvecPlan plan = prepare_event_matvec(conn, DType::bool_, transpose);
        plan.run(spikes, out); // warm
        uint64_t before = test::allocations();
        for (int i = 0; i < k_runs; ++i)
            plan.run(spikes, out);
        const uint64_t by_plan = test::allocations() - before;
        // The same kernel invoked directly through the prepared call.
        BE::Tensor args[] = {conn.indptr().view(), conn.indices().view(), conn.weights().view(),
                             spikes.view()};
        BE::Tensor rets[] = {out.view()};
        before = test::allocations();
        for (int i = 0; i < k_runs; ++i)
            ASSERT_TRUE(plan.prepared().invoke(args, rets));
        const uint64_t by_kernel = test::allocations() - before;
        before = test::allocations();
        for (int i = 0; i < k_runs; ++i)
            event_matvec_into(spikes, conn, out, transpose);
        const uint64_t by_into = test::allocations() - before;
        before = test::allocations();
        for (int i = 0; i < k_runs; ++i)
            (void)event_matvec(spikes, conn, transpose);
        const uint64_t by_event_matvec = test::allocations() - before;
        std::printf("%s: allocations per run: plan %.1f, the kernel alone %.1f, event_matvec_into "
                    "%.1f, event_matvec %.1f\n",
                    transpose ? "gather" : "scatter", double(by_plan) / k_runs,
                    double(by_kernel) / k_runs, double(by_into) / k_runs,
                    double(by_event_matvec) / k_runs);
        EXPECT_EQ(by_plan, by_kernel);
        if (transpose) EXPECT_EQ(by_plan, 0u);
        EXPECT_GT(by_event_matvec, by_plan);
    }
}

} // namespace
} // namespace be
