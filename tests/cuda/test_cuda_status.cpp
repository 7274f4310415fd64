// "No CUDA device" in all its forms — no driver library, the driver stub (cuInit → 34), a library
// without the driver's symbols, cuInit failing, zero devices — is a state reported once by
// runtime_report() (`kernelctl report`), never a crash; NVRTC missing disables compiling only.
// No becore binary links libcuda or libnvrtc. Each case runs in a fresh process.
#include "cuda_test_util.h"

#include <becore/runtime/cuda_backend.h>

#include <gtest/gtest.h>

namespace be {
namespace {

class CudaStatusTest : public ::testing::Test {
  protected:
    test::TempDir cache;

    nlohmann::json report(const std::string& env) {
        auto r = test::kernelctl_stdout(cache.path(), env, "report --json");
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return nlohmann::json::parse(r.output);
    }
    void expect_no_device(const std::string& env, const std::string& reason) {
        auto json = report(env);
        EXPECT_EQ(json["cuda"]["available"], false) << json.dump(2);
        EXPECT_EQ(json["devices"], (std::vector<std::string>{"cpu", "cuda-emu"}));
        EXPECT_NE(json["cuda"]["reason"].get<std::string>().find(reason), std::string::npos)
            << json.dump(2);
        // Calling a .cu kernel says the same, once, and fails cleanly.
        auto call =
            test::kernelctl(cache.path(), env + " BECORE_CUDA_ARCH=sm_90",
                            "call " + (test::k_examples / "rows.cu").string() +
                                " iota --attr count=4 --attr start=0 --ret 4:float32 --out " +
                                (cache / "out").string());
        EXPECT_EQ(call.exit_code, 1) << call.output;
        EXPECT_NE(call.output.find("kernelctl: call: no CUDA device: "), std::string::npos)
            << call.output;
        EXPECT_NE(call.output.find(reason), std::string::npos) << call.output;
    }
};

TEST_F(CudaStatusTest, NoDriverLibraryMeansNoDevice) {
    expect_no_device("BECORE_LIBCUDA_PATH=/nonexistent/libcuda.so.1",
                     "cannot load the CUDA driver: /nonexistent/libcuda.so.1");
}

TEST_F(CudaStatusTest, TheDriverStubMeansNoDevice) {
    const std::string stub = "/usr/local/cuda/lib64/stubs/libcuda.so";
    if (!std::filesystem::exists(stub)) GTEST_SKIP() << "no CUDA driver stub at " << stub;
    expect_no_device("BECORE_LIBCUDA_PATH=" + stub,
                     "cuInit failed with CUDA_ERROR_STUB_LIBRARY (34)");
}

TEST_F(CudaStatusTest, ALibraryWithoutTheDriversSymbolsMeansNoDevice) {
    auto nvrtc = nvrtc_status();
    ASSERT_TRUE(nvrtc.available) << nvrtc.reason;
    expect_no_device("BECORE_LIBCUDA_PATH=" + nvrtc.library, "lacks the symbol cuInit");
}

TEST_F(CudaStatusTest, InitFailureAndZeroDevicesMeanNoDevice) {
    const std::string fake = "BECORE_LIBCUDA_PATH=" + test::k_fake_cuda;
    expect_no_device(fake + " FAKE_CUDA_INIT_RESULT=100",
                     "cuInit failed with CUDA_ERROR_NO_DEVICE (100)");
    expect_no_device(fake + " FAKE_CUDA_DEVICES=0", "the driver reports no CUDA device");
}

TEST_F(CudaStatusTest, TheFakeDriverIsADevice) {
    auto json = report("BECORE_LIBCUDA_PATH=" + test::k_fake_cuda + " FAKE_CUDA_ARCH=86");
    EXPECT_EQ(json["cuda"]["available"], true) << json.dump(2);
    EXPECT_EQ(json["devices"], (std::vector<std::string>{"cpu", "cuda", "cuda-emu"}));
    ASSERT_EQ(json["cuda"]["devices"].size(), 1u);
    EXPECT_EQ(json["cuda"]["devices"][0]["arch"], "sm_86");
    EXPECT_EQ(json["cuda"]["driver_library"], test::k_fake_cuda);
    EXPECT_EQ(json["cuda"]["nvrtc"]["available"], true);
}

TEST_F(CudaStatusTest, MissingNvrtcDisablesCompilingOnly) {
    const std::string env =
        "BECORE_LIBCUDA_PATH=/nonexistent BECORE_LIBNVRTC_PATH=/nonexistent/libnvrtc.so";
    auto json = report(env);
    EXPECT_EQ(json["cuda"]["nvrtc"]["available"], false);
    EXPECT_NE(json["cuda"]["nvrtc"]["reason"].get<std::string>().find("cannot load NVRTC"),
              std::string::npos);
    auto build = test::kernelctl(cache.path(), env,
                                 "build --arch sm_90 " + (test::k_examples / "rows.cu").string());
    EXPECT_EQ(build.exit_code, 1) << build.output;
    EXPECT_NE(build.output.find("NVRTC unavailable: cannot load NVRTC"), std::string::npos)
        << build.output;
    // CPU kernels are unaffected.
    auto cpu =
        test::kernelctl(cache.path(), env, "build " + (test::k_examples / "scale.cpp").string());
    EXPECT_EQ(cpu.exit_code, 0) << cpu.output;
}

TEST(CudaLinkage, NoBecoreBinaryNeedsLibcudaOrLibnvrtc) {
    const auto lib = std::filesystem::path(BECORE_BUILD_LIBDIR);
    int checked = 0;
    for (const auto& dir : {test::bin_dir(), lib, lib / "becore"}) {
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            if (!entry.is_regular_file()) continue;
            const auto name = entry.path().filename().string();
            const bool executable =
                (entry.status().permissions() & std::filesystem::perms::owner_exec) !=
                std::filesystem::perms::none;
            if (name.find(".so") == std::string::npos && !executable) continue;
            auto r = test::run_command("readelf -d " + entry.path().string());
            if (r.exit_code != 0) continue; // not an ELF file (e.g. a static archive member list)
            ++checked;
            EXPECT_EQ(r.output.find("libcuda"), std::string::npos) << name << ":\n" << r.output;
            EXPECT_EQ(r.output.find("libnvrtc"), std::string::npos) << name << ":\n" << r.output;
        }
    }
    EXPECT_GE(checked, 5);
}

} // namespace
} // namespace be
