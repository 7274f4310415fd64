// CUDA binaries in the kernel cache: what invalidates an entry (architecture, NVRTC flags, user
// headers), recovery from a damaged blob and from a CUBIN the driver rejects, and the offline
// and lazy-architecture paths (subprocesses without a driver). Each test has its own cache.
#include "cuda_test_util.h"

#include <becore/cache/kernel_cache.h>
#include <becore/registry/registry.h>
#include <becore/runtime/array.h>

#include <gtest/gtest.h>

#include <fstream>
#include <set>

namespace be {
namespace {

using test::k_examples;

class CudaCacheTest : public ::testing::Test {
  protected:
    test::TempDir cache_dir, src;
    test::FakeLog log;

    // A fresh registry over the same cache directory, as a new process would have.
    LoadReport load(const std::filesystem::path& file, const LoadOptions& options = {}) {
        Registry registry(KernelCache::open(cache_dir.path()));
        auto report = registry.load_cuda_file(file, options);
        EXPECT_TRUE(report) << report.error().full();
        if (report) {
            // Every load ends with a launchable kernel on the (fake) device.
            auto out = DeviceArray::create(DType::float32, {1}).value();
            BE::Tensor rets[] = {out.view()};
            auto called = registry.call(file.stem().string() + ".get", {}, rets);
            EXPECT_TRUE(called) << called.error().full();
        }
        return report ? report.value() : LoadReport{};
    }
    std::vector<CacheEntryInfo> entries() { return KernelCache::open(cache_dir.path())->list(); }
    void write_kernel(const std::string& extra = "") {
        test::write_file(src / "k.cu", extra + "// @BE get launch(threads=1)\n"
                                               "__global__ void get(BE::Tensor o) {}\n");
    }
    // Module loads as (kind, result) pairs, in order.
    std::vector<std::pair<std::string, int>> module_loads() {
        std::vector<std::pair<std::string, int>> loads;
        for (const auto& m : log.calls("cuModuleLoadData"))
            loads.emplace_back(m["kind"].get<std::string>(), m["result"].get<int>());
        return loads;
    }
};

using Loads = std::vector<std::pair<std::string, int>>;

TEST_F(CudaCacheTest, WarmLoadHitsAndNvrtcFlagChangeInvalidates) {
    write_kernel("#ifndef V\n#define V 1\n#endif\n");
    EXPECT_FALSE(load(src / "k.cu").cache_hit);
    EXPECT_TRUE(load(src / "k.cu").cache_hit);
    LoadOptions fmad;
    fmad.flags = {"--fmad=false"};
    EXPECT_FALSE(load(src / "k.cu", fmad).cache_hit);
    EXPECT_TRUE(load(src / "k.cu", fmad).cache_hit);
    LoadOptions define;
    define.flags = {"-DV=2"};
    EXPECT_FALSE(load(src / "k.cu", define).cache_hit);
    EXPECT_TRUE(load(src / "k.cu").cache_hit);
    auto list = entries();
    ASSERT_EQ(list.size(), 3u);
    for (const auto& e : list) {
        EXPECT_EQ(e.backend, "cuda");
        EXPECT_EQ(e.target, "sm_90");
        EXPECT_EQ(e.toolchain.rfind("nvrtc ", 0), 0u) << e.toolchain;
        EXPECT_EQ(e.metadata, "k.get"); // the target names, prefix included
    }
}

TEST_F(CudaCacheTest, UserHeaderChangeInvalidates) {
    test::write_file(src / "inc" / "value.h", "#define K_VALUE 1\n");
    write_kernel("#include \"inc/value.h\"\n");
    EXPECT_FALSE(load(src / "k.cu").cache_hit);
    EXPECT_TRUE(load(src / "k.cu").cache_hit);
    test::write_file(src / "inc" / "value.h", "#define K_VALUE 2\n");
    EXPECT_FALSE(load(src / "k.cu").cache_hit);
    EXPECT_TRUE(load(src / "k.cu").cache_hit);
}

TEST_F(CudaCacheTest, DamagedBlobIsRecompiled) {
    write_kernel();
    load(src / "k.cu");
    auto list = entries();
    ASSERT_EQ(list.size(), 1u);
    auto blob = cache_dir.path() / "v1" / "blobs" / list[0].key.substr(0, 2) / list[0].key;
    {
        // Flip a byte inside the CUBIN (the container's fields come first, the PTX last).
        std::fstream f(blob, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(200);
        char c = 0;
        f.read(&c, 1);
        c ^= 0x40;
        f.seekp(200);
        f.write(&c, 1);
    }
    log.clear();
    EXPECT_FALSE(load(src / "k.cu").cache_hit);
    EXPECT_EQ(module_loads(), (Loads{{"cubin", 0}}));
    EXPECT_TRUE(load(src / "k.cu").cache_hit);
    EXPECT_EQ(KernelCache::open(cache_dir.path())->stats().corrupt_recovered, 1u);
}

TEST_F(CudaCacheTest, RejectedCubinFallsBackToThePtx) {
    write_kernel();
    load(src / "k.cu");
    test::ScopedEnv reject("FAKE_CUDA_REJECT", "cubin");
    log.clear();
    EXPECT_TRUE(load(src / "k.cu").cache_hit);
    // 209 = CUDA_ERROR_NO_BINARY_FOR_GPU; the driver then JIT-compiles the PTX.
    EXPECT_EQ(module_loads(), (Loads{{"cubin", 209}, {"ptx", 0}}));
    EXPECT_EQ(log.calls("cuLaunchKernel").size(), 1u);
}

TEST_F(CudaCacheTest, CachedBinaryTheDriverRejectsIsRecompiled) {
    write_kernel();
    load(src / "k.cu");
    // The cached CUBIN and PTX are both refused once; the recompiled CUBIN is accepted.
    test::ScopedEnv reject("FAKE_CUDA_REJECT", "cubin:1,ptx:1");
    log.clear();
    EXPECT_FALSE(load(src / "k.cu").cache_hit);
    EXPECT_EQ(module_loads(), (Loads{{"cubin", 209}, {"ptx", 218}, {"cubin", 0}}));
    EXPECT_EQ(log.calls("cuLaunchKernel").size(), 1u);
}

TEST_F(CudaCacheTest, BinaryTheDriverAlwaysRejectsIsALoadError) {
    write_kernel();
    test::ScopedEnv reject("FAKE_CUDA_REJECT", "cubin,ptx");
    Registry registry(KernelCache::open(cache_dir.path()));
    auto report = registry.load_cuda_file(src / "k.cu");
    ASSERT_FALSE(report);
    EXPECT_NE(report.error().message.find("the driver rejected the binary"), std::string::npos)
        << report.error().message;
    EXPECT_NE(report.error().log.find("CUDA_ERROR_NO_BINARY_FOR_GPU (209)"), std::string::npos)
        << report.error().log;
    EXPECT_NE(report.error().log.find("CUDA_ERROR_INVALID_PTX (218)"), std::string::npos);
}

// Subprocesses without a driver: compiling needs only NVRTC and an architecture.
class CudaOfflineTest : public ::testing::Test {
  protected:
    test::TempDir cache, work;
    const std::string no_driver = "BECORE_LIBCUDA_PATH=/nonexistent/libcuda.so.1 BECORE_CUDA_ARCH=";

    nlohmann::json build(const std::string& arguments, int expected_exit = 0) {
        auto r = test::run_command("{ env BECORE_CACHE_DIR=" + cache.path().string() + " " +
                                   no_driver + " " + (test::bin_dir() / "kernelctl").string() +
                                   " build --json " + arguments + " 2>/dev/null; }");
        EXPECT_EQ(r.exit_code, expected_exit) << r.output;
        return nlohmann::json::parse(r.output);
    }
};

TEST_F(CudaOfflineTest, ArchChangeInvalidatesAndEachArchIsCachedOnItsOwn) {
    const std::string file = (k_examples / "rows.cu").string();
    for (const auto& [arch, status] : std::vector<std::pair<std::string, std::string>>{
             {"sm_80", "compiled"}, {"sm_90", "compiled"}, {"sm_80", "hit"}, {"90", "hit"}}) {
        auto rows = build("--arch " + arch + " " + file);
        ASSERT_EQ(rows.size(), 2u);
        for (const auto& row : rows) {
            EXPECT_EQ(row["status"], status) << arch << ": " << row.dump();
            EXPECT_EQ(row["backend"], "cuda");
            EXPECT_EQ(row["arch"], arch.size() == 2 ? "sm_" + arch : arch);
        }
    }
    auto listed = test::kernelctl_stdout(cache.path(), no_driver, "ls --json");
    auto entries = nlohmann::json::parse(listed.output);
    ASSERT_EQ(entries.size(), 2u);
    std::set<std::string> archs;
    for (const auto& e : entries) {
        EXPECT_EQ(e["backend"], "cuda");
        archs.insert(e["target"].get<std::string>());
    }
    EXPECT_EQ(archs, (std::set<std::string>{"sm_80", "sm_90"}));
    auto text = test::kernelctl(cache.path(), no_driver, "ls");
    EXPECT_NE(text.output.find("cuda sm_80"), std::string::npos) << text.output;
    // BECORE_CUDA_ARCH is the default when no --arch is given.
    auto env_arch = test::kernelctl_stdout(
        cache.path(), "BECORE_LIBCUDA_PATH=/nonexistent BECORE_CUDA_ARCH=sm_80",
        "build --json " + file);
    EXPECT_EQ(nlohmann::json::parse(env_arch.output)[0]["status"], "hit") << env_arch.output;
}

TEST_F(CudaOfflineTest, WithoutAnArchTargetsAreRegisteredAndCompilingSaysAnArchIsNeeded) {
    const std::string file = (k_examples / "rows.cu").string();
    // Nothing failed: the targets are skipped (deferred), exit code 0, one line per file.
    auto rows = build(file, 0);
    ASSERT_EQ(rows.size(), 2u);
    for (const auto& row : rows) {
        EXPECT_EQ(row["status"], "skipped");
        EXPECT_FALSE(row.contains("error")) << row.dump();
        EXPECT_NE(row["reason"].get<std::string>().find(
                      "no CUDA architecture: there is no CUDA device to take it from; set "
                      "BECORE_CUDA_ARCH or pass --arch"),
                  std::string::npos)
            << row.dump();
    }
    auto text = test::kernelctl(cache.path(), no_driver, "build " + file);
    EXPECT_EQ(text.exit_code, 0) << text.output;
    EXPECT_NE(text.output.find("skipped   " + file +
                               ": 2 CUDA targets not compiled: no CUDA "
                               "device to take an architecture from; compile with --arch sm_XX"),
              std::string::npos)
        << text.output;
    EXPECT_NE(text.output.find("BECORE_CUDA_ARCH=sm_XX, or run them on the CPU with --device "
                               "cuda-emu"),
              std::string::npos)
        << text.output;
    EXPECT_EQ(text.output.find("failed"), std::string::npos) << text.output;
    EXPECT_EQ(text.output.find("rows.iota"), std::string::npos)
        << "one line per file, not per target\n"
        << text.output;
    auto invalid = test::kernelctl(cache.path(), no_driver, "build --arch sm_5x " + file);
    EXPECT_EQ(invalid.exit_code, 2) << invalid.output;
    EXPECT_NE(invalid.output.find("'sm_5x' is not a CUDA architecture"), std::string::npos);
    auto unsupported = test::kernelctl(cache.path(), no_driver, "build --arch sm_52 " + file);
    EXPECT_EQ(unsupported.exit_code, 1) << unsupported.output;
    EXPECT_NE(unsupported.output.find("cannot compile for 'sm_52' (supported: "), std::string::npos)
        << unsupported.output;

    // Through the library: the load succeeds, the targets exist, calling them says why not.
    auto probe =
        test::run_command("env BECORE_CACHE_DIR=" + cache.path().string() + " " + no_driver + " " +
                          (test::bin_dir() / "becore_probe").string() + " " + file);
    EXPECT_EQ(probe.exit_code, 0) << probe.output;
    auto json = nlohmann::json::parse(probe.output.substr(probe.output.rfind("{\"hits\"")));
    EXPECT_EQ(json["deferred"], 1);
    EXPECT_EQ(json["targets"], (std::vector<std::string>{"rows.clamp_rows", "rows.iota"}));
    EXPECT_EQ(json["compiled"], 0);
}

// A warm process that loads only cached `.cu` files finds NVRTC's identity in its ELF notes and
// never maps libnvrtc; a compile does (which shows the probe can see it).
TEST_F(CudaOfflineTest, AWarmLoadOfCachedCuFilesDoesNotMapNvrtc) {
    const std::string file = (k_examples / "rows.cu").string();
    build("--arch sm_80 " + file);
    auto probe = [&](const std::string& arch) {
        auto r =
            test::run_command("env BECORE_CACHE_DIR=" + cache.path().string() +
                              " BECORE_LIBCUDA_PATH=/nonexistent BECORE_CUDA_ARCH=" + arch + " " +
                              (test::bin_dir() / "becore_probe").string() + " " + file + " 2>&1");
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return nlohmann::json::parse(r.output.substr(r.output.rfind("{\"hits\"")));
    };
    auto warm = probe("sm_80");
    EXPECT_EQ(warm["hits"], 1) << warm.dump();
    EXPECT_EQ(warm["compiled"], 0) << warm.dump();
    EXPECT_EQ(warm["nvrtc_mapped"], false) << warm.dump();
    auto cold = probe("sm_90");
    EXPECT_EQ(cold["compiled"], 1) << cold.dump();
    EXPECT_EQ(cold["nvrtc_mapped"], true) << cold.dump();
}

} // namespace
} // namespace be
