// The driver half of the CUDA backend: probing for devices, primary contexts, modules, launches
// and device memory, all through the dlopened driver table (cuda_symbols.h).
//
// Contexts: every operation on device d first makes d's primary context current on the calling
// thread (cuCtxSetCurrent is cheap and per-thread, so any thread may launch). Primary contexts
// are retained once and never released: modules and device arrays may outlive any owner we
// could give them, and the driver tears contexts down at process exit.
#include "cuda_symbols.h"

#include <becore/runtime/cuda_backend.h>
#include <becore/runtime/log.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

namespace be {

using namespace cuda_abi;

namespace {

std::string arch_of(int major, int minor) {
    return "sm_" + std::to_string(major) + std::to_string(minor);
}

CudaStatus probe() {
    CudaStatus status;
    const DriverApi& api = driver_api();
    status.driver_library = api.library;
    if (!api.ok()) {
        status.reason = api.failure;
        return status;
    }
    if (CUresult r = api.cuInit(0); r != k_success) {
        status.reason = "cuInit failed with " + driver_error_text(r);
        if (r == k_error_stub_library)
            status.reason += ": " + api.library + " is the driver stub, not a real driver";
        return status;
    }
    int count = 0;
    if (CUresult r = api.cuDeviceGetCount(&count); r != k_success) {
        status.reason = "cuDeviceGetCount failed with " + driver_error_text(r);
        return status;
    }
    if (count <= 0) {
        status.reason = "the driver reports no CUDA device";
        return status;
    }
    for (int i = 0; i < count; ++i) {
        CUdevice device = 0;
        int major = 0, minor = 0;
        char name[256] = {};
        if (api.cuDeviceGet(&device, i) != k_success ||
            api.cuDeviceGetAttribute(&major, k_attribute_compute_capability_major, device) !=
                k_success ||
            api.cuDeviceGetAttribute(&minor, k_attribute_compute_capability_minor, device) !=
                k_success) {
            status.reason = "cannot query CUDA device " + std::to_string(i);
            status.devices.clear();
            return status;
        }
        api.cuDeviceGetName(name, sizeof name - 1, device);
        status.devices.push_back({i, name, arch_of(major, minor)});
    }
    status.available = true;
    return status;
}

// The primary context of each device, retained on first use.
class Contexts {
  public:
    Result<void> make_current(int device) {
        const CudaStatus& status = cuda_status();
        if (!status.available)
            return make_error(ErrorCode::unavailable, "no CUDA device: " + status.reason);
        if (device < 0 || device >= static_cast<int>(status.devices.size()))
            return make_error(ErrorCode::not_found,
                              "CUDA device " + std::to_string(device) + " does not exist (" +
                                  std::to_string(status.devices.size()) + " present)");
        const DriverApi& api = driver_api();
        CUcontext context = nullptr;
        {
            std::lock_guard lock(mutex_);
            auto it = contexts_.find(device);
            if (it == contexts_.end()) {
                CUdevice handle = 0;
                CUresult r = api.cuDeviceGet(&handle, device);
                if (r == k_success) r = api.cuDevicePrimaryCtxRetain(&context, handle);
                if (r != k_success)
                    return make_error(ErrorCode::unavailable,
                                      "retaining the primary context of CUDA device " +
                                          std::to_string(device) + ": " + driver_error_text(r));
                it = contexts_.emplace(device, context).first;
            }
            context = it->second;
        }
        if (CUresult r = api.cuCtxSetCurrent(context); r != k_success)
            return make_error(ErrorCode::unavailable, "cuCtxSetCurrent: " + driver_error_text(r));
        return {};
    }

    static Contexts& instance() {
        static Contexts* contexts = new Contexts(); // never destroyed: see the top of the file
        return *contexts;
    }

  private:
    std::mutex mutex_;
    std::map<int, CUcontext> contexts_;
};

// A failing kernel surfaces at its launch or at the next synchronisation or copy: those report
// kernel_failed; allocation failures report unavailable.
Result<void> check(CUresult r, ErrorCode code, const std::string& what) {
    if (r == k_success) return {};
    return make_error(code, what + ": " + driver_error_text(r));
}

bool is_elf(const std::vector<char>& image) {
    static const char magic[4] = {0x7f, 'E', 'L', 'F'};
    return image.size() >= 4 && std::memcmp(image.data(), magic, 4) == 0;
}

} // namespace

const CudaStatus& cuda_status() {
    // Never destroyed: modules unloaded during static destruction still ask for it.
    static const CudaStatus* status = new CudaStatus([] {
        CudaStatus s = probe();
        if (s.available) {
            std::string names;
            for (const auto& d : s.devices)
                names += (names.empty() ? "" : ", ") + d.arch + " (" + d.name + ")";
            log_info("CUDA: " + std::to_string(s.devices.size()) + " device(s): " + names +
                     "; driver " + s.driver_library);
        } else {
            log_info("CUDA: no CUDA device: " + s.reason);
        }
        return s;
    }());
    return *status;
}

// ---- Modules ---------------------------------------------------------------------------------

CudaModule::CudaModule(std::shared_ptr<const CudaBinary> binary, std::string display)
    : binary_(std::move(binary)), display_(std::move(display)) {}

CudaModule::~CudaModule() {
    const DriverApi& api = driver_api();
    for (auto& [device, loaded] : per_device_) {
        // Errors are ignored: at process exit the driver may already be shutting down.
        if (Contexts::instance().make_current(device))
            api.cuModuleUnload(static_cast<CUmodule>(loaded.module));
    }
}

Result<CudaModule::Loaded*> CudaModule::loaded_on(int device) {
    // Called with mutex_ held.
    if (auto it = per_device_.find(device); it != per_device_.end()) return &it->second;
    const std::string op =
        "load_cuda_module(" + display_ + ", device " + std::to_string(device) + ")";
    if (auto current = Contexts::instance().make_current(device); !current)
        return make_error(current.error().code(), op + ": " + current.error().message);
    const DriverApi& api = driver_api();
    std::string rejected;
    CUmodule module = nullptr;
    std::string kind;
    if (!binary_->cubin.empty()) {
        if (!is_elf(binary_->cubin)) {
            rejected += "CUBIN: not an ELF image; ";
        } else if (CUresult r = api.cuModuleLoadData(&module, binary_->cubin.data());
                   r == k_success) {
            kind = "cubin";
        } else {
            rejected += "CUBIN (" + binary_->arch + "): " + driver_error_text(r) + "; ";
            module = nullptr;
        }
    }
    if (module == nullptr && !binary_->ptx.empty()) {
        // The driver JIT-compiles PTX for the device it runs on (newer GPUs, or a CUBIN it
        // refused). ptx is NUL-terminated by std::string.
        if (CUresult r = api.cuModuleLoadData(&module, binary_->ptx.c_str()); r == k_success) {
            kind = "ptx";
            log_info(op + ": the driver rejected the CUBIN (" + rejected + "); using the PTX");
        } else {
            rejected += "PTX: " + driver_error_text(r);
            module = nullptr;
        }
    }
    if (module == nullptr)
        return make_error(ErrorCode::compile_failed, op + ": the driver rejected the binary",
                          rejected);
    Loaded& loaded = per_device_[device];
    loaded.module = module;
    loaded.kind = kind;
    return &loaded;
}

Result<void*> CudaModule::function(const std::string& lowered_name, int device) {
    std::lock_guard lock(mutex_);
    auto loaded = loaded_on(device);
    if (!loaded) return loaded.error();
    if (auto it = (*loaded)->functions.find(lowered_name); it != (*loaded)->functions.end())
        return it->second;
    if (auto current = Contexts::instance().make_current(device); !current) return current.error();
    CUfunction function = nullptr;
    CUresult r = driver_api().cuModuleGetFunction(
        &function, static_cast<CUmodule>((*loaded)->module), lowered_name.c_str());
    if (r != k_success)
        return make_error(ErrorCode::not_found, "cuModuleGetFunction(" + display_ + ", " +
                                                    lowered_name + "): " + driver_error_text(r));
    (*loaded)->functions[lowered_name] = function;
    return static_cast<void*>(function);
}

std::string CudaModule::image_kind(int device) const {
    std::lock_guard lock(mutex_);
    auto it = per_device_.find(device);
    return it == per_device_.end() ? std::string() : it->second.kind;
}

Result<std::shared_ptr<CudaModule>> load_cuda_module(std::shared_ptr<const CudaBinary> binary,
                                                     const std::string& display, int device) {
    std::shared_ptr<CudaModule> module(new CudaModule(std::move(binary), display));
    std::lock_guard lock(module->mutex_);
    if (auto loaded = module->loaded_on(device); !loaded) return loaded.error();
    return module;
}

// ---- Launches and memory ---------------------------------------------------------------------

Result<void> cuda_launch_function(void* function, const CudaLaunchConfig& c, void** params) {
    if (auto current = Contexts::instance().make_current(c.device); !current)
        return current.error();
    const DriverApi& api = driver_api();
    auto f = static_cast<CUfunction>(function);
    if (c.shared_bytes > k_default_dynamic_smem_limit) {
        // Kernels are limited to 48 KiB of dynamic shared memory unless they opt in.
        if (auto ok = check(
                api.cuFuncSetAttribute(f, k_func_attribute_max_dynamic_shared_size_bytes,
                                       static_cast<int>(c.shared_bytes)),
                ErrorCode::invalid_argument,
                "cuFuncSetAttribute(max dynamic shared memory = " + std::to_string(c.shared_bytes) +
                    ")");
            !ok)
            return ok;
    }
    return check(api.cuLaunchKernel(f, c.grid[0], c.grid[1], c.grid[2], c.block[0], c.block[1],
                                    c.block[2], c.shared_bytes,
                                    reinterpret_cast<CUstream>(static_cast<intptr_t>(c.stream)),
                                    params, nullptr),
                 ErrorCode::kernel_failed, "cuLaunchKernel");
}

Result<void> cuda_synchronize(int64_t stream, int device) {
    if (auto current = Contexts::instance().make_current(device); !current) return current.error();
    return check(
        driver_api().cuStreamSynchronize(reinterpret_cast<CUstream>(static_cast<intptr_t>(stream))),
        ErrorCode::kernel_failed, "cuStreamSynchronize");
}

Result<void*> cuda_malloc(size_t bytes, int device) {
    if (auto current = Contexts::instance().make_current(device); !current) return current.error();
    if (bytes == 0) return static_cast<void*>(nullptr);
    const DriverApi& api = driver_api();
    CUdeviceptr pointer = 0;
    if (auto ok = check(api.cuMemAlloc(&pointer, bytes), ErrorCode::unavailable,
                        "cuMemAlloc(" + std::to_string(bytes) + " bytes)");
        !ok)
        return ok.error();
    if (auto ok = check(api.cuMemsetD8(pointer, 0, bytes), ErrorCode::unavailable, "cuMemsetD8");
        !ok) {
        api.cuMemFree(pointer);
        return ok.error();
    }
    return reinterpret_cast<void*>(static_cast<uintptr_t>(pointer));
}

void cuda_free(void* pointer, int device) noexcept {
    if (pointer == nullptr || !Contexts::instance().make_current(device)) return;
    driver_api().cuMemFree(static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(pointer)));
}

Result<void> cuda_copy_to_device(void* device_pointer, const void* host, size_t bytes, int device) {
    if (bytes == 0) return {};
    if (auto current = Contexts::instance().make_current(device); !current) return current.error();
    return check(
        driver_api().cuMemcpyHtoD(
            static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(device_pointer)), host, bytes),
        ErrorCode::kernel_failed, "cuMemcpyHtoD(" + std::to_string(bytes) + " bytes)");
}

Result<void> cuda_copy_to_host(void* host, const void* device_pointer, size_t bytes, int device) {
    if (bytes == 0) return {};
    if (auto current = Contexts::instance().make_current(device); !current) return current.error();
    return check(
        driver_api().cuMemcpyDtoH(
            host, static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(device_pointer)), bytes),
        ErrorCode::kernel_failed, "cuMemcpyDtoH(" + std::to_string(bytes) + " bytes)");
}

} // namespace be
