// The CUDA twins' check on machines without a GPU: `kernelctl build --prefix be --arch sm_80` of
// built-in .cu files into a fresh cache, so NVRTC compiles every target to PTX and CUBIN; the
// tests then look for target names in the output.
#pragma once

#include "test_support.h"

#include <becore/frontends/runtime_report.h>
#include <becore/runtime/paths.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

// Skips the calling test, with the reason, where NVRTC is missing (a macro: GTEST_SKIP returns
// from the test body).
#define BE_SKIP_WITHOUT_NVRTC()                                                                    \
    do {                                                                                           \
        const auto nvrtc_report = ::be::runtime_report();                                          \
        if (!nvrtc_report.cuda.nvrtc_available)                                                    \
            GTEST_SKIP() << "NVRTC is not available: " << nvrtc_report.cuda.nvrtc_reason;          \
    } while (false)

namespace be::test {

inline CommandResult build_builtin_cu(const std::vector<std::string>& files) {
    TempDir cache;
    std::string paths;
    for (const auto& f : files)
        paths += " " + (builtin_kernel_dir() / f).string();
    return run_command("BECORE_CACHE_DIR=" + cache.path().string() + " " +
                       (bin_dir() / "kernelctl").string() + " build --prefix be --arch sm_80" +
                       paths + " 2>&1");
}

} // namespace be::test
