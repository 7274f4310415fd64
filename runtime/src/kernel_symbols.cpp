#include "kernel_symbols.h"

#include <be/cuda_emu_abi.h>
#include <be/cuda_launch.h>

#include <cmath>
#include <cstring>
#include <dlfcn.h>
#include <exception>
#include <gnu/libc-version.h>
#include <link.h>
#include <oneapi/tbb/global_control.h>
#include <string>
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

// The path of the mapped library whose file name starts with "<name>.so", or empty.
std::string mapped_library(const char* name) {
    struct Search {
        std::string prefix, path;
    } search{std::string(name) + ".so", {}};
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void* data) {
            auto* s = static_cast<Search*>(data);
            const char* path = info->dlpi_name;
            if (path == nullptr || *path == '\0') return 0;
            const char* slash = std::strrchr(path, '/');
            const char* file = slash != nullptr ? slash + 1 : path;
            if (std::strncmp(file, s->prefix.c_str(), s->prefix.size()) != 0) return 0;
            s->path = path;
            return 1;
        },
        &search);
    return search.path;
}

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
        std::string path;
        if (dladdr(anchor, &info) != 0 && info.dli_fname != nullptr) path = info.dli_fname;
        // RTLD_NOLOAD: mapped already, as a dependency of the runtime; without RTLD_GLOBAL the
        // handle leaves the process's global scope as it is.
        void* handle = path.empty() ? nullptr : dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
        if (handle == nullptr) {
            // A non-PIE executable that calls a library function holds its canonical address
            // (Debian's python3 calls expm1), so dladdr names the executable: find the library
            // among the mapped objects by its file name instead.
            path = mapped_library(name);
            handle = path.empty() ? nullptr : dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
        }
        if (handle == nullptr) {
            const char* why = dlerror();
            return make_error(ErrorCode::unavailable,
                              std::string("cpu backend: cannot find ") + name +
                                  " among the mapped libraries, for JIT-compiled kernels" +
                                  (why != nullptr ? std::string(": ") + why : std::string()));
        }
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
