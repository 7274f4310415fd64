// dlopen of libcuda and libnvrtc through their symbol tables (cuda_symbols.h).
#include "cuda_symbols.h"

#include <becore/runtime/log.h>

#include <cstdlib>
#include <dlfcn.h>
#include <filesystem>
#include <vector>

namespace be::cuda_abi {
namespace {

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr ? value : "";
}

// Opens the first candidate that loads; `tried` collects each failure for the message.
void* open_first(const std::vector<std::string>& candidates, std::string& tried) {
    for (const auto& candidate : candidates) {
        // RTLD_LOCAL: the libraries' symbols must not be interposed into kernel code or into
        // each other; RTLD_NOW: a broken library fails here, not at some later call.
        if (void* handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
        const char* why = dlerror();
        tried += (tried.empty() ? "" : "; ") + std::string(why ? why : candidate);
    }
    return nullptr;
}

// Resolves every symbol of a table into `api`; the first missing one fails the whole table.
template <typename Api> void resolve(Api& api, void* handle, const char* symbol, void** slot) {
    if (!api.failure.empty()) return;
    *slot = dlsym(handle, symbol);
    if (*slot == nullptr) api.failure = api.library + " lacks the symbol " + symbol;
}

std::string opened_file(void* symbol, const std::string& fallback) {
    Dl_info info{};
    if (symbol != nullptr && dladdr(symbol, &info) != 0 && info.dli_fname != nullptr)
        return info.dli_fname;
    return fallback;
}

std::vector<std::string> nvrtc_candidates() {
    if (auto path = env("BECORE_LIBNVRTC_PATH"); !path.empty()) return {path};
    std::vector<std::string> candidates;
    for (const char* root : {"CUDA_HOME", "CUDA_PATH"}) {
        auto dir = env(root);
        if (dir.empty()) continue;
        for (const char* lib : {"lib64", "lib"}) {
            auto file = std::filesystem::path(dir) / lib / "libnvrtc.so";
            if (std::filesystem::exists(file)) candidates.push_back(file.string());
        }
    }
#ifdef BECORE_DEFAULT_LIBNVRTC
    if (std::string(BECORE_DEFAULT_LIBNVRTC).size() > 0)
        candidates.push_back(BECORE_DEFAULT_LIBNVRTC);
#endif
    candidates.push_back("libnvrtc.so");
    return candidates;
}

// Opens the first loadable candidate and lets `resolve_all` fill the table from it.
template <typename Api, typename ResolveAll>
Api load_table(const std::vector<std::string>& candidates, const std::string& what,
               const std::string& hint, ResolveAll resolve_all) {
    Api api;
    api.library = candidates.front();
    std::string tried;
    if (void* handle = open_first(candidates, tried))
        resolve_all(api, handle);
    else
        api.failure = "cannot load " + what + ": " + tried + hint;
    if (!api.ok()) log_info("CUDA backend: " + api.failure);
    return api;
}

#define BECORE_RESOLVE(member, symbol, result, params)                                             \
    resolve(api, handle, symbol, reinterpret_cast<void**>(&api.member));

} // namespace

// Both tables are never destroyed: kernels' modules and device arrays are released during static
// destruction (e.g. the global registry's), after which a plain static here would be gone.
const DriverApi& driver_api() {
    static const DriverApi* table = new DriverApi(load_table<DriverApi>(
        {env("BECORE_LIBCUDA_PATH").empty() ? "libcuda.so.1" : env("BECORE_LIBCUDA_PATH")},
        "the CUDA driver", "", [](DriverApi& api, void* handle) {
            BECORE_CUDA_DRIVER_SYMBOLS(BECORE_RESOLVE)
            api.library = opened_file(reinterpret_cast<void*>(api.cuInit), api.library);
        }));
    return *table;
}

const NvrtcApi& nvrtc_api() {
    static const NvrtcApi* table = new NvrtcApi(load_table<NvrtcApi>(
        nvrtc_candidates(), "NVRTC", " (install the CUDA toolkit or set BECORE_LIBNVRTC_PATH)",
        [](NvrtcApi& api, void* handle) {
            BECORE_NVRTC_SYMBOLS(BECORE_RESOLVE)
            api.library = opened_file(reinterpret_cast<void*>(api.nvrtcVersion), api.library);
        }));
    return *table;
}

#undef BECORE_RESOLVE

std::string nvrtc_library_file() {
    for (const auto& candidate : nvrtc_candidates()) {
        std::error_code ec;
        if (candidate.find('/') != std::string::npos &&
            std::filesystem::is_regular_file(candidate, ec))
            return candidate;
    }
    return {};
}

std::string driver_error_text(CUresult code) {
    const char* name = nullptr;
    const DriverApi& api = driver_api();
    if (api.ok() && api.cuGetErrorName(code, &name) != k_success) name = nullptr;
    if (name == nullptr) {
        switch (code) {
        case k_error_not_initialized:
            name = "CUDA_ERROR_NOT_INITIALIZED";
            break;
        case k_error_stub_library:
            name = "CUDA_ERROR_STUB_LIBRARY";
            break;
        case k_error_no_device:
            name = "CUDA_ERROR_NO_DEVICE";
            break;
        default:
            name = "CUDA error";
        }
    }
    return std::string(name) + " (" + std::to_string(code) + ")";
}

} // namespace be::cuda_abi
