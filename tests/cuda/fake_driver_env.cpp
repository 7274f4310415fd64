// Selects the fake CUDA driver for this whole test binary before any test (or static object)
// can load a driver: becore probes the driver once per process.
#include "cuda_test_util.h"

#include <cstdlib>

namespace {
const bool k_fake_driver_selected = [] {
    setenv("BECORE_LIBCUDA_PATH", BECORE_FAKE_CUDA, 1);
    return true;
}();
} // namespace
