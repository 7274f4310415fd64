// The two optional native libraries of the CUDA backend, each behind ONE X-macro symbol table
// and loaded lazily with dlopen (docs/cuda.md: becore builds and runs without the CUDA toolkit, and
// no becore binary has libcuda or libnvrtc among its NEEDED entries).
//
// - libcuda (the driver): BECORE_LIBCUDA_PATH, else "libcuda.so.1" through the loader's search
//   path. Tests point BECORE_LIBCUDA_PATH at a fake driver (tests/cuda/fake/fake_cuda.cpp).
// - libnvrtc (the compiler): BECORE_LIBNVRTC_PATH, else $CUDA_HOME or $CUDA_PATH
//   (lib64/libnvrtc.so, lib/libnvrtc.so), else the library found at configure time, else
//   "libnvrtc.so" through the loader's search path.
//
// A library that cannot be opened, or lacks one symbol of its table, disables that half of the
// backend; `failure` says why (logged once at info level, reported by cuda_status()).
//
// No CUDA header is needed to build this: the few types and constants becore uses are declared
// below with the ABI the driver and NVRTC have kept since CUDA 4 / 7.
#pragma once

#include <cstddef>
#include <string>

namespace be::cuda_abi {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st*;
using CUmodule = struct CUmod_st*;
using CUfunction = struct CUfunc_st*;
using CUstream = struct CUstream_st*;
using nvrtcResult = int;
using nvrtcProgram = struct _nvrtcProgram*;

constexpr CUresult k_success = 0;
constexpr CUresult k_error_not_initialized = 3;
constexpr CUresult k_error_deinitialized = 4;
constexpr CUresult k_error_stub_library = 34;
constexpr CUresult k_error_no_device = 100;
constexpr CUresult k_error_invalid_image = 200;
constexpr CUresult k_error_no_binary_for_gpu = 209;
constexpr CUresult k_error_invalid_ptx = 218;
constexpr CUresult k_error_unsupported_ptx_version = 222;
// cuDeviceGetAttribute
constexpr int k_attribute_compute_capability_major = 75;
constexpr int k_attribute_compute_capability_minor = 76;
// cuFuncSetAttribute: opt in to more than 48 KiB of dynamic shared memory.
constexpr int k_func_attribute_max_dynamic_shared_size_bytes = 8;
constexpr size_t k_default_dynamic_smem_limit = 48 * 1024;

// X(member, exported symbol, return type, parameter list). The exported names carry the _v2
// suffixes that cuda.h's macros map the plain names to.
#define BECORE_CUDA_DRIVER_SYMBOLS(X)                                                              \
    X(cuInit, "cuInit", CUresult, (unsigned int))                                                  \
    X(cuGetErrorName, "cuGetErrorName", CUresult, (CUresult, const char**))                        \
    X(cuDeviceGetCount, "cuDeviceGetCount", CUresult, (int*))                                      \
    X(cuDeviceGet, "cuDeviceGet", CUresult, (CUdevice*, int))                                      \
    X(cuDeviceGetName, "cuDeviceGetName", CUresult, (char*, int, CUdevice))                        \
    X(cuDeviceGetAttribute, "cuDeviceGetAttribute", CUresult, (int*, int, CUdevice))               \
    X(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", CUresult, (CUcontext*, CUdevice))      \
    X(cuCtxSetCurrent, "cuCtxSetCurrent", CUresult, (CUcontext))                                   \
    X(cuModuleLoadData, "cuModuleLoadData", CUresult, (CUmodule*, const void*))                    \
    X(cuModuleUnload, "cuModuleUnload", CUresult, (CUmodule))                                      \
    X(cuModuleGetFunction, "cuModuleGetFunction", CUresult, (CUfunction*, CUmodule, const char*))  \
    X(cuFuncSetAttribute, "cuFuncSetAttribute", CUresult, (CUfunction, int, int))                  \
    X(cuLaunchKernel, "cuLaunchKernel", CUresult,                                                  \
      (CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, CUstream, \
       void**, void**))                                                                            \
    X(cuMemAlloc, "cuMemAlloc_v2", CUresult, (CUdeviceptr*, size_t))                               \
    X(cuMemFree, "cuMemFree_v2", CUresult, (CUdeviceptr))                                          \
    X(cuMemsetD8, "cuMemsetD8_v2", CUresult, (CUdeviceptr, unsigned char, size_t))                 \
    X(cuMemcpyHtoD, "cuMemcpyHtoD_v2", CUresult, (CUdeviceptr, const void*, size_t))               \
    X(cuMemcpyDtoH, "cuMemcpyDtoH_v2", CUresult, (void*, CUdeviceptr, size_t))                     \
    X(cuStreamSynchronize, "cuStreamSynchronize", CUresult, (CUstream))

#define BECORE_NVRTC_SYMBOLS(X)                                                                    \
    X(nvrtcVersion, "nvrtcVersion", nvrtcResult, (int*, int*))                                     \
    X(nvrtcGetErrorString, "nvrtcGetErrorString", const char*, (nvrtcResult))                      \
    X(nvrtcGetNumSupportedArchs, "nvrtcGetNumSupportedArchs", nvrtcResult, (int*))                 \
    X(nvrtcGetSupportedArchs, "nvrtcGetSupportedArchs", nvrtcResult, (int*))                       \
    X(nvrtcCreateProgram, "nvrtcCreateProgram", nvrtcResult,                                       \
      (nvrtcProgram*, const char*, const char*, int, const char* const*, const char* const*))      \
    X(nvrtcDestroyProgram, "nvrtcDestroyProgram", nvrtcResult, (nvrtcProgram*))                    \
    X(nvrtcAddNameExpression, "nvrtcAddNameExpression", nvrtcResult, (nvrtcProgram, const char*))  \
    X(nvrtcCompileProgram, "nvrtcCompileProgram", nvrtcResult,                                     \
      (nvrtcProgram, int, const char* const*))                                                     \
    X(nvrtcGetProgramLogSize, "nvrtcGetProgramLogSize", nvrtcResult, (nvrtcProgram, size_t*))      \
    X(nvrtcGetProgramLog, "nvrtcGetProgramLog", nvrtcResult, (nvrtcProgram, char*))                \
    X(nvrtcGetPTXSize, "nvrtcGetPTXSize", nvrtcResult, (nvrtcProgram, size_t*))                    \
    X(nvrtcGetPTX, "nvrtcGetPTX", nvrtcResult, (nvrtcProgram, char*))                              \
    X(nvrtcGetCUBINSize, "nvrtcGetCUBINSize", nvrtcResult, (nvrtcProgram, size_t*))                \
    X(nvrtcGetCUBIN, "nvrtcGetCUBIN", nvrtcResult, (nvrtcProgram, char*))                          \
    X(nvrtcGetLoweredName, "nvrtcGetLoweredName", nvrtcResult,                                     \
      (nvrtcProgram, const char*, const char**))

#define BECORE_DECLARE_SYMBOL(member, symbol, result, params) result(*member) params = nullptr;

struct DriverApi {
    BECORE_CUDA_DRIVER_SYMBOLS(BECORE_DECLARE_SYMBOL)
    std::string library; // the file that was opened (dladdr of cuInit), or the name tried
    std::string failure; // empty when every symbol resolved
    bool ok() const { return failure.empty(); }
};

struct NvrtcApi {
    BECORE_NVRTC_SYMBOLS(BECORE_DECLARE_SYMBOL)
    std::string library;
    std::string failure;
    bool ok() const { return failure.empty(); }
};

#undef BECORE_DECLARE_SYMBOL

// Loaded on first use, once per process; the libraries are never closed (modules and contexts
// live until exit, and NVRTC keeps process-wide state).
const DriverApi& driver_api();
const NvrtcApi& nvrtc_api();
// The file nvrtc_api() will load, found without loading it: the first candidate above that is a
// path to an existing file. Empty when none is, which leaves the loader's search path to decide.
std::string nvrtc_library_file();

// "CUDA_ERROR_NO_DEVICE (100)"; works without the driver for the codes becore names itself.
std::string driver_error_text(CUresult code);

} // namespace be::cuda_abi
