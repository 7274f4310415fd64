// What JIT-compiled kernels may call in the host, and at which address (cpu_jit.cpp asks here for
// every symbol a kernel object leaves undefined).
//
// Kernels may call, and nothing else:
//   - what libstdc++, libgcc_s (unwinding), libm, libc (with the dynamic loader) and libtbb
//     define, each library looked up through its own handle, opened by the path it was mapped
//     from (RTLD_NOLOAD; never the process's global scope, which lacks them when becore was
//     dlopen'ed with RTLD_LOCAL, as CPython loads extension modules, and which holds much more);
//   - becore's C entry points for kernels (be/cuda_emu_abi.h and be/cuda_launch.h); the rest of
//     the kernel-side API (BE_CHECK, BE::Tensor, ...) is header-only, and becore's C++ API is
//     not for kernels.
// A permitted name resolves to the definition the dynamic linker binds for becore's runtime
// itself (dlsym(RTLD_DEFAULT) from this library: the global scope, then the runtime's own
// dependencies), so the kernel shares the host's interposers (a sanitizer's malloc, an
// executable's replacement operator new) and copy-relocated data (an executable's std::cout).
// Any other name fails the kernel's load with an error naming it and the file. Widening the list
// widens what every kernel may use: update docs/architecture.md ("Host symbols") with it.
#pragma once

#include <becore/runtime/error.h>

#include <string>
#include <vector>

namespace be {

class KernelSymbols {
  public:
    // Opens the libraries above; fails naming one that is not mapped (cannot happen while the
    // runtime links them).
    static Result<KernelSymbols> open();
    // The address a kernel's reference to `name` binds to, or nullptr: kernels may not call it.
    void* find(const char* name) const;

  private:
    std::vector<void*> handles_; // held for the process's life, never dlclosed
};

} // namespace be
