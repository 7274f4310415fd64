#include "kernel_symbols.h"

#include <be/cuda_emu_abi.h>
#include <be/cuda_launch.h>

#include <cmath>
#include <cstring>
#include <dlfcn.h>
#include <exception>
#include <gnu/libc-version.h>
#include <oneapi/tbb/global_control.h>
#include <unwind.h>

namespace be {
namespace {

struct EntryPoint {
    const char* name;
    void* address;
};

template <typename F> EntryPoint entry(const char* name, F* function) {
    return {name, reinterpret_cast<void*>(function)};
}

const EntryPoint k_entry_points[] = {
    entry("becore_emu_current_thread", &becore_emu_current_thread),
    entry("becore_emu_syncthreads", &becore_emu_syncthreads),
    entry("becore_emu_warp_gather", &becore_emu_warp_gather),
    entry("becore_emu_active_mask", &becore_emu_active_mask),
    entry("becore_emu_yield", &becore_emu_yield),
    entry("becore_emu_dynamic_shared", &becore_emu_dynamic_shared),
    entry("becore_emu_abort", &becore_emu_abort),
    entry("becore_cuda_function", &becore_cuda_function),
    entry("becore_cuda_launch", &becore_cuda_launch),
};

} // namespace

Result<KernelSymbols> KernelSymbols::open() {
    // A function of each library that no sanitizer or allocator interposes, so that dladdr names
    // the library itself.
    const std::pair<const char*, void*> anchors[] = {
        {"libstdc++", reinterpret_cast<void*>(&std::terminate)},
        {"libgcc_s", reinterpret_cast<void*>(&_Unwind_GetIP)},
        {"libm", reinterpret_cast<void*>(static_cast<double (*)(double)>(&::expm1))},
        {"libc", reinterpret_cast<void*>(&gnu_get_libc_version)},
        {"libtbb", reinterpret_cast<void*>(&tbb::detail::r1::global_control_active_value)},
    };
    KernelSymbols symbols;
    for (auto [name, anchor] : anchors) {
        Dl_info info{};
        if (dladdr(anchor, &info) == 0 || info.dli_fname == nullptr)
            return make_error(ErrorCode::unavailable,
                              std::string("cpu backend: cannot find where ") + name +
                                  " is mapped, for JIT-compiled kernels (dladdr failed)");
        // RTLD_NOLOAD: mapped already, as a dependency of the runtime; without RTLD_GLOBAL the
        // handle leaves the process's global scope as it is.
        void* handle = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
        if (handle == nullptr)
            return make_error(ErrorCode::unavailable,
                              std::string("cpu backend: cannot open ") + name + " (" +
                                  info.dli_fname + ") for JIT-compiled kernels: " + dlerror());
        symbols.handles_.push_back(handle);
    }
    return symbols;
}

void* KernelSymbols::find(const char* name) const {
    for (const auto& entry : k_entry_points)
        if (std::strcmp(entry.name, name) == 0) return entry.address;
    for (void* handle : handles_)
        if (dlsym(handle, name) != nullptr) return dlsym(RTLD_DEFAULT, name);
    return nullptr;
}

} // namespace be
