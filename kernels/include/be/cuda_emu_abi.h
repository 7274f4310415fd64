// The C interface between emulated `.cu` kernels and becore's runtime (CUDA emulation, device
// `cuda-emu`). be/cuda_emu.h calls these functions; runtime/src/cuda_emu_scheduler.cpp defines
// them in libbecore_runtime.so, and runtime/src/kernel_symbols.h lets kernels call them. Plain C
// types only: this header is the ABI, so a change to it changes becore's kernel-headers hash and
// with it every cache key.
//
// Every function except becore_emu_dynamic_shared must be called from inside an emulated launch
// (a kernel thread's fiber); outside one they print a message and abort the process, since there
// is no thread whose state they could report.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

// CUDA's uint3 (threadIdx, blockIdx) and the values dim3 holds (blockDim, gridDim).
struct becore_emu_uint3 {
    unsigned int x, y, z;
};

// What a kernel thread knows about itself. Constant for the life of the thread.
struct becore_emu_thread {
    struct becore_emu_uint3 thread_idx, block_idx, block_dim, grid_dim;
    unsigned int linear; // x + y * blockDim.x + z * blockDim.x * blockDim.y
    unsigned int lane;   // linear % 32
    unsigned int warp;   // linear / 32
};

// The calling thread's state. The same pointer for the whole life of a kernel thread, hence
// `const` to the compiler (it may reuse the result, never across threads: each fiber runs its own
// invocation of the kernel).
const struct becore_emu_thread* becore_emu_current_thread(void) __attribute__((const));

// __syncthreads and its reducing forms. op: 0 plain, 1 count, 2 and, 3 or; returns the reduction
// of `predicate` over the arriving threads (0 for op 0). `line` is for error messages.
int becore_emu_syncthreads(int op, int predicate, unsigned int line);

// The warp rendezvous under every warp intrinsic: waits until each non-exited lane named in
// `mask` has called it with the same `op` and `mask`, then copies every participant's `value` into
// values[lane] (entries of other lanes are left unchanged) and returns the participants' mask.
unsigned int becore_emu_warp_gather(const char* op, unsigned int mask, unsigned long long value,
                                    unsigned int line, unsigned long long* values);

// The lanes of the caller's warp that exist and have not exited (divergence is not modelled).
unsigned int becore_emu_active_mask(void);

// Lets the other threads of the block run (spin-waits: failed atomicCAS, __nanosleep).
void becore_emu_yield(void);

// The launch's dynamic shared memory (`extern __shared__ T name[]`): one buffer at a fixed address
// for the process's life, refilled with 0xff bytes for every block. Callable at load time.
void* becore_emu_dynamic_shared(void);

// Ends the calling kernel thread with an error (assert, __trap): the launch fails with `message`
// and the thread's indices. Does not unwind the thread's stack.
void becore_emu_abort(const char* message) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif
