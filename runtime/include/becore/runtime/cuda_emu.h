// The CUDA emulation (device cuda-emu): a `.cu` file's device code compiled by the in-process
// clang as C++20 host code and executed on the CPU with CUDA's execution model — for testing and
// debugging, not speed.
//
//   source ─ prepare_emulation_source ─► text (+ registry's generate_emu_trampolines)
//          ─ compile_cpp({.., pre_includes = emulation_pre_includes()}) ─► object ─ load_cpu_object
//          ─ symbol(emu_entry_symbol) = EmuKernelBody ─ emulate_launch(geometry, name, body,
//          params)
//
// Execution model (runtime/src/cuda_emu_scheduler.cpp): each kernel thread is a fiber with its
// own stack; the threads of a block run cooperatively on the calling OS thread and switch only in
// barriers, warp intrinsics, failed atomicCAS and __nanosleep; blocks run one after another in
// blockIdx order (x fastest); launches in the process are serialised by one mutex, which is what
// makes `__shared__` = `static` correct (kernels/include/be/cuda_emu.h). Barrier semantics:
// __syncthreads releases when every thread of the block has arrived or exited (a thread that
// exits counts as arrived, as on the GPU where exited threads leave the barrier); warp intrinsics
// wait for the non-exited lanes named in their mask.
//
// Errors end the launch with an Error naming the kernel, the block and the thread: a failed
// BE_CHECK, an out-of-bounds checked accessor (BE::Tensor::at), any C++ exception, assert,
// __trap, a misused warp intrinsic (a mask without the caller's lane, lanes of one mask calling
// different intrinsics, a shuffle width that is not a power of 2), and a deadlock (no thread of a
// block can run, e.g. one thread waits at __syncthreads while its warp waits for it in
// __syncwarp). The threads then still suspended are abandoned without unwinding their stacks
// (their destructors do not run); the blocks after the failing one do not run. Not detected: a
// spin-wait on a plain or volatile load (it never yields, so it hangs), and stack overflow
// beyond the fiber stack (k_emu_fiber_stack_bytes; a guard page turns it into SIGSEGV).
#pragma once

#include <becore/runtime/error.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace BE::detail {
struct ErrorSink; // be/entry.h
}

namespace be {

struct EmuDim3 {
    uint32_t x = 1, y = 1, z = 1;
};

// The launch geometry, as the launch clause (or BE::cuda_launch) gives it.
struct EmuLaunch {
    EmuDim3 grid;
    EmuDim3 block;
    size_t dynamic_shared_bytes = 0; // `extern __shared__` memory per block
};

// The body every emulated thread runs: the JIT trampoline `__be_emu_entry_<name>` that the
// registry generates (becore/registry/trampoline.h) — it calls the kernel with the unpacked
// params and returns non-zero with a message in `error` when the kernel throws. The same calling
// convention as the `.cpp` entries, so a Target's entry pointer fits.
using EmuKernelBody = int (*)(void* const* params, BE::detail::ErrorSink* error) noexcept;

// CUDA's limits, checked before a launch (an invalid geometry is an Error, like CUDA's
// cudaErrorInvalidConfiguration).
constexpr uint32_t k_emu_max_threads_per_block = 1024;
constexpr uint32_t k_emu_max_block_z = 64;
constexpr uint32_t k_emu_max_grid_yz = 65535;
constexpr size_t k_emu_max_dynamic_shared_bytes = 227 * 1024; // sm_90's opt-in maximum
constexpr size_t k_emu_fiber_stack_bytes = 64 * 1024;         // per kernel thread

// Runs `body` once per thread of the grid (see above). params is passed to every call unchanged.
// Errors start with "emulate_launch(<kernel_name>): ". Safe to call from several threads (they
// wait for each other); not from inside an emulated kernel.
Result<void> emulate_launch(const EmuLaunch& launch, std::string_view kernel_name,
                            EmuKernelBody body, void* const* params);

// Prepares a `.cu` source for the emulation compile, keeping every line where it was:
// - rewrites `extern __shared__ T name[];` into `T* const name = (T*)becore_emu_dynamic_shared();`
//   (the launch's dynamic shared memory; at namespace or block scope alike);
// - rejects what cannot be emulated, naming the construct and file:line: dynamic parallelism
//   (a `<<<...>>>` launch, cudaLaunchDevice, cudaDeviceSynchronize, cudaGetParameterBuffer),
//   grid-wide synchronisation (this_grid, grid_group, this_multi_grid, multi_grid_group,
//   cudaLaunchCooperativeKernel), textures and surfaces (texture<>, surface<>,
//   cudaTextureObject_t, cudaSurfaceObject_t, tex1D/tex2D/tex3D/tex1Dfetch/..., surf*), inline
//   PTX (asm, __asm, __asm__).
// Comments, string and character literals are skipped. The first problem (by line) is the
// Error: "prepare_emulation_source(<file>:<line>): <construct> is not supported in CUDA emulation
// (<category>)".
Result<std::string> prepare_emulation_source(std::string_view source, const std::string& file);

// The headers to pre-include after be/be.h when compiling an emulated source
// (CpuCompileRequest::pre_includes): {"be/cuda_emu.h"}. Being flags, they are part of the cache
// key; the headers' content is part of becore's kernel-headers hash.
std::vector<std::string> emulation_pre_includes();

// Whether the calling OS thread is inside emulate_launch (running an emulated kernel's thread).
bool in_emulated_launch();

// ---- BE::cuda_launch on cuda-emu tensors (be/cuda_launch.h) ----------------------------------
// A host `.cpp` entry whose BE::cuda_launch arguments are tensors on cuda-emu runs the kernel's
// emulation with emulate_launch, synchronously (the stream is ignored). Target names belong to
// the registry, which installs the resolver; resolving compiles the emulation if needed.
struct EmuKernelRef {
    std::string target; // full name, for messages
    EmuKernelBody body = nullptr;
    std::shared_ptr<const void> owner; // keeps the body's code loaded while the ref is held
    std::vector<int> param_codes;      // per parameter: -1 a BE::Tensor, else the DType code
};
using EmuKernelResolver = Result<EmuKernelRef> (*)(std::string_view target);
void set_emu_kernel_resolver(EmuKernelResolver resolver);

// Counters since the process started, for benchmarks and tests.
struct EmuStats {
    uint64_t launches = 0;
    uint64_t blocks = 0;
    uint64_t threads = 0;
    uint64_t switches = 0; // fiber resumptions
};
EmuStats emulation_stats();

} // namespace be
