// A library that ships a kernel file (becore_add_kernels in tests/CMakeLists.txt). The registry's
// KernelsBeside* tests dlopen it, and copies of it, and find its kernels from this address.
namespace {
const int anchor = 0;
}

extern "C" const void* beside_anchor() {
    return &anchor;
}
