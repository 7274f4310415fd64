// The runtime side of BE::cuda_launch (kernels/include/be/cuda_launch.h): the two exported C
// functions that JIT-compiled host orchestration code calls.
//
// Names are resolved by the registry (set_cuda_kernel_resolver), which knows targets; the
// runtime only checks the arguments against the kernel's parameter codes and launches. Handles
// handed out by becore_cuda_function are interned per target name and never freed, so a handle
// kept in a kernel's static stays valid; a target that is replaced gets a new handle on the next
// lookup while the old one keeps the old code alive (bounded by the number of replacements).
//
// The device of a launch is its tensor arguments' (all on one device): cuda launches through the
// driver; cuda-emu runs the kernel's CUDA emulation (becore/runtime/cuda_emu.h) synchronously,
// resolved by name through the emulation resolver, so a handle from becore_cuda_function serves
// both. A launch without tensor arguments goes to cuda.
#include <becore/runtime/cuda_backend.h>
#include <becore/runtime/cuda_emu.h>
#include <becore/runtime/dtype.h>

#include <be/tensor.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <optional>

namespace be {
namespace {

std::atomic<CudaKernelResolver> g_resolver{nullptr};
std::atomic<EmuKernelResolver> g_emu_resolver{nullptr};

struct Interned {
    std::mutex mutex;
    std::map<std::string, CudaKernelRef*, std::less<>> by_name;
};

Interned& interned() {
    static Interned* table = new Interned(); // outlives every kernel that may hold a handle
    return *table;
}

Result<CudaKernelRef> resolve(std::string_view target) {
    CudaKernelResolver resolver = g_resolver.load();
    if (resolver == nullptr)
        return make_error(ErrorCode::unavailable,
                          "no registry is loaded to resolve '" + std::string(target) + "'");
    return resolver(target);
}

std::string code_name(int code) {
    return code < 0 ? "BE::Tensor" : std::string(dtype_name(static_cast<DType>(code)));
}

int fail(const std::string& message, char* error, unsigned long capacity) {
    if (error != nullptr && capacity > 0) {
        std::strncpy(error, message.c_str(), capacity - 1);
        error[capacity - 1] = '\0';
    }
    return 1;
}

struct LaunchDevice {
    Device device = Device::cuda;
    int index = 0;
};

// The device of the launch, from its tensor arguments (cuda:0 without any); an error when they
// disagree or one is on neither cuda nor cuda-emu.
Result<LaunchDevice> launch_device(void* const* params, const int* codes, int count) {
    std::optional<LaunchDevice> device;
    for (int i = 0; i < count; ++i) {
        if (codes[i] != -1) continue;
        const auto* t = static_cast<const BE::Tensor*>(params[i]);
        const std::string where = std::string(device_name(t->device())) +
                                  (t->device() == Device::cuda
                                       ? ":" + std::to_string(t->device_index)
                                       : std::string());
        if (t->device() != Device::cuda && t->device() != Device::cuda_emu)
            return make_error(ErrorCode::invalid_argument, "argument " + std::to_string(i) +
                                                               " is a tensor on " + where +
                                                               ", not on cuda or cuda-emu");
        const LaunchDevice here{t->device(),
                                t->device() == Device::cuda ? int(t->device_index) : 0};
        if (device && (device->device != here.device || device->index != here.index))
            return make_error(
                ErrorCode::invalid_argument,
                "argument " + std::to_string(i) + " is on " + where + " but an earlier one is on " +
                    std::string(device_name(device->device)) +
                    (device->device == Device::cuda ? ":" + std::to_string(device->index)
                                                    : std::string()));
        device = here;
    }
    return device.value_or(LaunchDevice{});
}

// Why the arguments do not fit the kernel's parameters (empty when they do).
std::string argument_problem(const std::vector<int>& expected, const int* codes, int count) {
    if (count != static_cast<int>(expected.size()))
        return std::to_string(count) + " arguments for a kernel with " +
               std::to_string(expected.size()) + " parameters";
    for (int i = 0; i < count; ++i)
        if (codes[i] != expected[i])
            return "argument " + std::to_string(i) + " is a " + code_name(codes[i]) +
                   " but the kernel's parameter " + std::to_string(i) + " is a " +
                   code_name(expected[i]);
    return {};
}

// A launch on cuda-emu tensors: the kernel's emulation, run now on this thread.
int emulated_launch(const std::string& name, const unsigned* grid, const unsigned* block,
                    unsigned shared_bytes, void* const* params, const int* codes, int count,
                    char* error, unsigned long capacity) {
    std::string op = "cuda_launch(" + name + ")";
    // Before resolving, which may compile: an emulated kernel runs on a small fiber stack.
    if (in_emulated_launch())
        return fail(op + ": called from inside an emulated kernel (dynamic parallelism is not "
                         "supported)",
                    error, capacity);
    EmuKernelResolver resolver = g_emu_resolver.load();
    if (resolver == nullptr)
        return fail(op + ": no registry is loaded to resolve it", error, capacity);
    auto ref = resolver(name);
    if (!ref) return fail(op + ": " + ref.error().message, error, capacity);
    op = "cuda_launch(" + ref->target + ")";
    if (auto problem = argument_problem(ref->param_codes, codes, count); !problem.empty())
        return fail(op + ": " + problem, error, capacity);
    EmuLaunch launch;
    launch.grid = {grid[0], grid[1], grid[2]};
    launch.block = {block[0], block[1], block[2]};
    launch.dynamic_shared_bytes = shared_bytes;
    auto ran = emulate_launch(launch, ref->target, ref->body, params);
    if (!ran) return fail(op + ": " + ran.error().message, error, capacity);
    return 0;
}

} // namespace

void set_cuda_kernel_resolver(CudaKernelResolver resolver) {
    g_resolver.store(resolver);
}

void set_emu_kernel_resolver(EmuKernelResolver resolver) {
    g_emu_resolver.store(resolver);
}

} // namespace be

extern "C" int becore_cuda_function(const char* target, const void** handle, char* error,
                                    unsigned long capacity) {
    using namespace be;
    const std::string op = "cuda_function(" + std::string(target ? target : "") + ")";
    if (target == nullptr || handle == nullptr)
        return fail(op + ": null argument", error, capacity);
    auto ref = resolve(target);
    if (!ref) return fail(op + ": " + ref.error().message, error, capacity);
    Interned& table = interned();
    std::lock_guard lock(table.mutex);
    CudaKernelRef*& slot = table.by_name[target];
    // A replaced target (another module or entry) gets a new handle; the old one stays valid.
    if (slot == nullptr || slot->module != ref->module || slot->lowered_name != ref->lowered_name ||
        slot->unavailable != ref->unavailable)
        slot = new CudaKernelRef(std::move(ref.value()));
    *handle = slot;
    return 0;
}

extern "C" int becore_cuda_launch(const void* handle, const char* target, const unsigned* grid,
                                  const unsigned* block, unsigned shared_bytes, int64_t stream,
                                  void* const* params, const int* codes, int count, char* error,
                                  unsigned long capacity) {
    using namespace be;
    std::optional<CudaKernelRef> resolved;
    const CudaKernelRef* ref = static_cast<const CudaKernelRef*>(handle);
    const std::string name = ref ? ref->target : std::string(target ? target : "");
    auto device = launch_device(params, codes, count);
    if (!device) return fail("cuda_launch(" + name + "): " + device.error().message, error, capacity);
    if (device->device == Device::cuda_emu)
        return emulated_launch(name, grid, block, shared_bytes, params, codes, count, error,
                               capacity);
    if (ref == nullptr) {
        auto found = resolve(target ? target : "");
        if (!found)
            return fail("cuda_launch(" + std::string(target ? target : "") +
                            "): " + found.error().message,
                        error, capacity);
        resolved = std::move(found.value());
        ref = &*resolved;
    }
    const std::string op = "cuda_launch(" + ref->target + ")";
    if (!ref->unavailable.empty()) return fail(op + ": " + ref->unavailable, error, capacity);
    if (auto problem = argument_problem(ref->param_codes, codes, count); !problem.empty())
        return fail(op + ": " + problem, error, capacity);
    if (!ref->module) return fail(op + ": the target has no loaded CUDA module", error, capacity);
    auto function = ref->module->function(ref->lowered_name, device->index);
    if (!function) return fail(op + ": " + function.error().full(), error, capacity);
    CudaLaunchConfig config;
    for (int i = 0; i < 3; ++i) {
        config.grid[i] = grid[i];
        config.block[i] = block[i];
    }
    config.shared_bytes = shared_bytes;
    config.stream = stream;
    config.device = device->index;
    auto launched = cuda_launch_function(*function, config, const_cast<void**>(params));
    if (!launched) return fail(op + ": " + launched.error().message, error, capacity);
    return 0;
}
