// Fibers for the CUDA emulation: one stack per kernel thread and a cooperative context switch.
//
// Why not swapcontext alone: glibc's swapcontext saves and restores the signal mask with a system
// call on every switch — about 1.1 µs per switch on the machines this project runs on, i.e. a
// 256-thread __syncthreads would cost ~0.6 ms. On x86-64 the switch is a few instructions
// (callee-saved registers, MXCSR and the x87 control word — what the SysV ABI says survives a
// call — then the stack pointer), ~10 ns. Elsewhere it falls back to makecontext/swapcontext.
// The switch is an ordinary call to the compiler, so values in memory are reloaded after it.
#pragma once

#include <cstddef>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace be::emu {

// An mmap'ed stack with a PROT_NONE guard page below it, so an overflow faults instead of
// overwriting a neighbour.
class FiberStack {
  public:
    explicit FiberStack(size_t bytes);
    ~FiberStack();
    FiberStack(const FiberStack&) = delete;
    FiberStack& operator=(const FiberStack&) = delete;
    void* base() const { return usable_; }
    size_t size() const { return size_; }

  private:
    void* mapping_ = nullptr;
    size_t mapping_bytes_ = 0;
    void* usable_ = nullptr;
    size_t size_ = 0;
};

struct FiberContext {
#if defined(__x86_64__)
    void* stack_pointer = nullptr;
#else
    ucontext_t context;
#endif
};

// Makes the next fiber_switch to `context` call entry() on `stack`. entry must never return (it
// switches away for the last time instead); each call starts a fresh activation.
void fiber_prepare(FiberContext& context, FiberStack& stack, void (*entry)());

// Saves the running context in `from` and resumes `to`; returns when something switches back.
void fiber_switch(FiberContext& from, FiberContext& to);

} // namespace be::emu
