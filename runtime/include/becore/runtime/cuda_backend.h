// The CUDA backend: `.cu` kernels compiled with NVRTC to a CUBIN for the target sm_XX plus the
// PTX of the same architecture, loaded into the device's primary context and launched through
// the driver API. Both libcuda and NVRTC are dlopened (runtime/src/cuda_symbols.h); without
// them every function here returns an Error saying why, never crashes.
//
//   compile:  CudaCompileRequest → prepare_cuda_program (headers read and handed in by becore,
//             so they can be hashed) → compile_cuda → CudaBinary → pack_cuda_binary (cache blob)
//   run:      unpack_cuda_binary → load_cuda_module (CUBIN, else PTX) → function → launch
#pragma once

#include <becore/runtime/cpu_backend.h> // CompilePhases
#include <becore/runtime/error.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace be {

// ---- Devices ---------------------------------------------------------------------------------

struct CudaDeviceInfo {
    int index = 0;
    std::string name; // e.g. "NVIDIA H100 80GB HBM3"
    std::string arch; // "sm_90"
};

// Whether CUDA kernels can run in this process. Probed once (dlopen libcuda, cuInit, the device
// count and each device's compute capability); any failure there — no library, the driver stub
// (cuInit returns CUDA_ERROR_STUB_LIBRARY, 34), no device — means "no CUDA device" with the
// reason, never a crash.
struct CudaStatus {
    bool available = false;
    std::string reason;         // why not available; empty when available
    std::string driver_library; // the libcuda that was opened (or the name that was tried)
    std::vector<CudaDeviceInfo> devices;
};
const CudaStatus& cuda_status();

// Whether NVRTC can be used: available, its version "13.0", the library file, or the reason.
struct NvrtcStatus {
    bool available = false;
    std::string reason;
    std::string library;
    std::string version;
};
NvrtcStatus nvrtc_status();

// "sm_80" from "sm_80" or "80" (also sm_90a-style arch-specific names); anything else is an
// error quoting the text.
Result<std::string> normalize_cuda_arch(std::string_view text);
// The architecture `.cu` sources compile for: device 0's when a device is present (code for
// another architecture might not load on it), else `requested` (kernelctl build --arch), else
// BECORE_CUDA_ARCH; nullopt when none is known. An invalid value used is an error.
Result<std::optional<std::string>> resolve_cuda_arch(const std::string& requested);

// ---- Compiling -------------------------------------------------------------------------------

struct CudaCompileRequest {
    std::filesystem::path path; // real or virtual path; quoted includes resolve beside it
    std::string source;         // the user's source text
    std::vector<std::filesystem::path> include_dirs; // user include directories, absolute
    std::vector<std::string> extra_flags;            // user NVRTC flags, e.g. "--fmad=false"
    // Expressions whose kernels are instantiated and whose lowered (mangled) names are wanted:
    // one per target, the annotation's function or template instantiation ("scale<float>").
    std::vector<std::string> name_expressions;
    std::string arch; // "sm_90"
};

// One header handed to NVRTC. NVRTC matches in-memory headers by the exact text of the
// #include directive, so becore rewrites every directive it resolves to the header's canonical
// name (same line, so line numbers are unchanged): becore's own headers as "be/<file>", a user
// header by its path relative to the include root that holds it (roots: the source's directory,
// then the include directories), prefixed "__becore_I<n>__/" for the n-th include directory.
struct CudaHeader {
    std::string name;           // the canonical include name
    std::filesystem::path path; // where it was read
    std::string text;           // its content, with its own directives rewritten
    bool becore_header = false; // one of becore's kernel headers (hashed as a whole elsewhere)
};

// What NVRTC is handed for one source. `text` is also the cache key's source text.
struct CudaProgram {
    std::string name; // program name: the source's file name, as in its #line directive
    std::string text; // "#include <be/be.h>", "#line 1", then the rewritten source
    std::vector<CudaHeader> headers;
    std::vector<std::filesystem::path> user_headers; // non-becore headers, for the cache manifest
};

// Reads the source's quoted includes (and angle includes found in becore's kernel headers or a
// user include directory), recursively and textually. Includes it cannot resolve are left to
// NVRTC's -I search (the CUDA include directory and CCCL: system headers). Two different files
// reached under the same canonical name are an error.
Result<CudaProgram> prepare_cuda_program(const CudaCompileRequest& request);

// The flags a request compiles with, in order, as they enter the cache key: no absolute paths
// (placeholders for becore's and CUDA's include directories, user directories relative to the
// source's). Name expressions enter as "--becore-name-expression=<expr>" (not an NVRTC flag:
// they change what is compiled, so they are part of the key). "-frandom-seed=<XXH3-64 of the
// source and the name expressions>" makes NVRTC's output the same bytes at every compile.
std::vector<std::string> cuda_compile_flags(const CudaCompileRequest& request);
// "nvrtc <soname>;build-id <hex>" from the libnvrtc file's ELF notes, read without loading it
// (NVRTC reports no build number; the build-id identifies the build exactly), or
// "nvrtc <soname>;xxh3 <XXH3-128 of the file>" for a library without a build-id. Computed once
// per process; an Error when no NVRTC library is found.
Result<std::string> cuda_toolchain_identity();

// CUBIN for `arch` and PTX for the same virtual architecture, from one NVRTC compile (an
// sm_XX compile yields both), plus the lowered name of each name expression.
struct CudaBinary {
    std::string arch;
    std::vector<char> cubin;
    std::string ptx;
    std::map<std::string, std::string> lowered_names; // name expression → mangled entry name
};

struct CompiledCuda {
    CudaBinary binary;
    std::string diagnostics; // NVRTC's warnings, file:line mapped to the user's files
    double seconds = 0;
    // NVRTC's own phase times (its -time table): frontend = "CUDA C++ Frontend", optimise =
    // "NVVM Optimizer" (LLVM IR to PTX), emit = "PTX Translation" (ptxas: PTX to the CUBIN).
    // All zero when the user's flags ask for a -time file of their own.
    CompilePhases phases;
};

// Compiles with NVRTC. A compile error is an Error whose message starts
// "compile_cuda(<file>:<line>)" at the first error and whose log holds NVRTC's output with every
// location rewritten to "<real path>:<line>: ".
Result<CompiledCuda> compile_cuda(const CudaCompileRequest& request, const CudaProgram& program);

// The cache blob of a CudaBinary (format documented in runtime/src/cuda_binary.cpp) and back; a
// damaged container is an Error, never a crash.
std::vector<char> pack_cuda_binary(const CudaBinary& binary);
Result<CudaBinary> unpack_cuda_binary(const std::vector<char>& blob);

// ---- Running ---------------------------------------------------------------------------------

// A compiled binary, loaded into the primary context of each device it is used on (device 0 at
// load, others on first use). The CUBIN is tried first; if the driver rejects it (another arch,
// damaged), the PTX is JIT-compiled by the driver instead.
class CudaModule {
  public:
    ~CudaModule();
    CudaModule(const CudaModule&) = delete;
    CudaModule& operator=(const CudaModule&) = delete;

    // The entry point with this lowered name on `device`, loading the module there if needed.
    Result<void*> function(const std::string& lowered_name, int device);
    // "cubin" or "ptx": what the driver accepted on `device` (empty if not loaded there).
    std::string image_kind(int device) const;
    const CudaBinary& binary() const { return *binary_; }

  private:
    friend Result<std::shared_ptr<CudaModule>> load_cuda_module(std::shared_ptr<const CudaBinary>,
                                                                const std::string&, int);
    CudaModule(std::shared_ptr<const CudaBinary> binary, std::string display);
    struct Loaded {
        void* module = nullptr;
        std::string kind;
        std::map<std::string, void*> functions;
    };
    Result<Loaded*> loaded_on(int device);

    std::shared_ptr<const CudaBinary> binary_;
    std::string display_;
    mutable std::mutex mutex_;
    std::map<int, Loaded> per_device_;
};

// Loads `binary` on `device` now (so a rejected image is found at load time). Errors: no CUDA
// device, or the driver rejected both the CUBIN and the PTX (the log says why for each).
Result<std::shared_ptr<CudaModule>> load_cuda_module(std::shared_ptr<const CudaBinary> binary,
                                                     const std::string& display, int device = 0);

struct CudaLaunchConfig {
    unsigned grid[3] = {1, 1, 1};
    unsigned block[3] = {1, 1, 1};
    unsigned shared_bytes = 0; // dynamic shared memory; above 48 KiB the kernel is opted in
    int64_t stream = 0;        // a CUstream handle; 0 = the legacy default stream
    int device = 0;
};
// cuLaunchKernel with `params[i]` pointing at the i-th kernel parameter's value (the driver
// copies them by the kernel's own parameter layout). Asynchronous, like any CUDA launch.
Result<void> cuda_launch_function(void* function, const CudaLaunchConfig& config, void** params);
Result<void> cuda_synchronize(int64_t stream, int device = 0);

// Device memory (primary context of `device`). cuda_malloc zero-fills; 0 bytes gives nullptr.
Result<void*> cuda_malloc(size_t bytes, int device = 0);
void cuda_free(void* pointer, int device = 0) noexcept;
Result<void> cuda_copy_to_device(void* device_pointer, const void* host, size_t bytes,
                                 int device = 0);
Result<void> cuda_copy_to_host(void* host, const void* device_pointer, size_t bytes,
                               int device = 0);

// ---- BE::cuda_launch (be/cuda_launch.h) ------------------------------------------------------

// A `__global__` entry as host orchestration code sees it: the runtime implements
// BE::cuda_launch, but target names belong to the registry, which installs the resolver.
struct CudaKernelRef {
    std::string target;                 // full name, for messages
    std::shared_ptr<CudaModule> module; // null when the target has no loaded binary
    std::string lowered_name;
    std::vector<int> param_codes; // per parameter: -1 a BE::Tensor, else the DType code
    std::string unavailable;      // why it cannot be launched (load error, no device), if so
};
using CudaKernelResolver = Result<CudaKernelRef> (*)(std::string_view target);
void set_cuda_kernel_resolver(CudaKernelResolver resolver);

} // namespace be
