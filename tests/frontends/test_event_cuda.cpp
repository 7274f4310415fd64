// The CUDA twins (kernels/builtin/{dense,csr,fixed_num,stdp}.cu): executed in the CUDA emulation
// (device cuda-emu, the same host memory) and compared bitwise with their CPU twins, for every
// format, operation, spike encoding, dtype and transpose; and compiled by NVRTC for sm_80.
#include "event_test_util.h"
#include "nvrtc_build.h"
#include "test_support.h"

#include <becore/frontends/builtins.h>
#include <becore/frontends/runtime_report.h>
#include <becore/runtime/paths.h>

#include <algorithm>

namespace be::test {
namespace {

// Skips unless the registry has a cuda-emu implementation of the event targets.
#define SKIP_WITHOUT_EMULATION()                                                                   \
    do {                                                                                           \
        auto target = builtin_registry().find("be.csr_event_matvec_bool_f32");                     \
        ASSERT_NE(target, nullptr);                                                                \
        const auto devices = target->devices();                                                    \
        if (std::find(devices.begin(), devices.end(), Device::cuda_emu) == devices.end())          \
            GTEST_SKIP()                                                                           \
                << "the registry reports no cuda-emu implementation of the event targets";         \
    } while (0)

TEST(EventCudaTwin, EmulationIsBitwiseEqualToTheCpuKernels) {
    SKIP_WITHOUT_EMULATION();
    std::mt19937_64 rng(11);
    for (Format format : {Format::dense, Format::csr, Format::fixed_post, Format::fixed_pre})
        for (bool homogeneous : {false, true})
            for (DType dtype : {DType::float32, DType::float64})
                for (bool transpose : {false, true}) {
                    if (format == Format::dense && homogeneous) continue;
                    const Case c{format, homogeneous, dtype, transpose};
                    SCOPED_TRACE(std::to_string(static_cast<int>(format)) + " homogeneous " +
                                 std::to_string(homogeneous) + " " +
                                 std::string(dtype_name(dtype)) + " transpose " +
                                 std::to_string(transpose));
                    const Built built = build(c, rng, 19, 45, 0.3);
                    const int64_t n_in = transpose ? 45 : 19;
                    const HostArray bools = random_bool(rng, 0, n_in, 0.3);
                    const HostArray batch = random_bool(rng, 3, n_in, 0.3);
                    const HostArray floats = random_float(rng, dtype, 0, n_in, 0.3);
                    const HostArray values = random_float(rng, dtype, 2, n_in, 0.5);
                    std::visit(
                        [&](const auto& conn) {
                            auto both = [&](auto&& op, const char* what) {
                                EXPECT_TRUE(same_bits(op(Device::cuda_emu), op(Device::cpu)))
                                    << what;
                            };
                            both([&](Device d) { return event_matvec(bools, conn, transpose, d); },
                                 "bool");
                            both(
                                [&](Device d) {
                                    return event_matvec(pack_spikes(bools), conn, transpose, d);
                                },
                                "bits");
                            both([&](Device d) { return event_matvec(floats, conn, transpose, d); },
                                 "float");
                            both([&](Device d) { return event_matmat(batch, conn, transpose, d); },
                                 "matmat");
                            both(
                                [&](Device d) {
                                    return event_matmat(pack_spikes(batch), conn, transpose, d);
                                },
                                "matmat bits");
                            both([&](Device d) { return matvec(floats, conn, transpose, d); },
                                 "matvec");
                            both([&](Device d) { return matmat(values, conn, transpose, d); },
                                 "float matmat");
                            both([&](Device d) { return todense(conn, transpose, d); }, "todense");
                        },
                        built.conn);
                }
}

TEST(EventCudaTwin, StdpEmulationIsBitwiseEqualToTheCpuKernel) {
    SKIP_WITHOUT_EMULATION();
    std::mt19937_64 rng(12);
    for (DType dtype : {DType::float32, DType::float64}) {
        const Pattern pat = random_pattern(rng, 23, 31, 0.3, 0, false, false);
        const int64_t n = static_cast<int64_t>(pat.r.size());
        Csr cpu = Csr::from_coo(23, 31, pat.r, pat.c, weights_of(pat, dtype, false, {n}));
        Csr emu = Csr::from_coo(23, 31, pat.r, pat.c, weights_of(pat, dtype, false, {n}));
        const StdpParams params{.a_plus = 0.3, .a_minus = 0.35, .w_min = 0.2, .w_max = 0.9};
        for (int step = 0; step < 3; ++step) {
            const HostArray pre = random_bool(rng, 0, 23, 0.3), post = random_bool(rng, 0, 31, 0.3);
            const HostArray x_pre = random_float(rng, dtype, 0, 23, 1.0);
            const HostArray x_post = random_float(rng, dtype, 0, 31, 1.0);
            stdp_update(cpu, pre, post, x_pre, x_post, params);
            stdp_update(emu, pack_spikes(pre), pack_spikes(post), x_pre, x_post, params,
                        Device::cuda_emu);
        }
        EXPECT_TRUE(same_bits(emu.weights(), cpu.weights())) << dtype_name(dtype);
    }
}

TEST(EventCudaTwin, CompilesWithNvrtc) {
    BE_SKIP_WITHOUT_NVRTC();
    const auto result = build_builtin_cu({"dense.cu", "csr.cu", "fixed_num.cu", "stdp.cu"});
    EXPECT_EQ(result.exit_code, 0) << result.output;
    for (const char* name : {"be.dense_event_matmat_bits_f64", "be.csr_event_matvec_float_f32",
                             "be.fixed_todense_f64", "be.csr_stdp_bits_f32"})
        EXPECT_NE(result.output.find(name), std::string::npos) << name << "\n" << result.output;
}

} // namespace
} // namespace be::test
