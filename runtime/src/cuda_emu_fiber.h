// Fibers for the CUDA emulation: one stack per kernel thread and a cooperative context switch.
//
// Why not swapcontext alone: glibc's swapcontext saves and restores the signal mask with a system
// call on every switch — about 1.1 µs per switch on the machines this project runs on, i.e. a
// 256-thread __syncthreads would cost ~0.6 ms. On x86-64 the switch is a few instructions
// (callee-saved registers, MXCSR and the x87 control word — what the SysV ABI says survives a
// call — then the stack pointer), ~10 ns. Elsewhere it falls back to makecontext/swapcontext.
// The switch is an ordinary call to the compiler, so values in memory are reloaded after it.
//
// Under AddressSanitizer every switch is announced to it (__sanitizer_start_switch_fiber /
// __sanitizer_finish_switch_fiber): ASan keeps per-stack state (the current stack's bounds, a fake
// stack for use-after-return) and, not told, takes a fiber's frames for an overflow of the
// thread's stack. A stack is unpoisoned before it is reused: a fiber that never returned (every
// one ends by switching away, and an abandoned block's threads stop anywhere) leaves its frames'
// redzones poisoned behind it. Without ASan none of this is compiled in.
#pragma once

#include <cstddef>

#if defined(__has_feature) // clang; gcc 12 has no __has_feature and defines __SANITIZE_ADDRESS__
#if __has_feature(address_sanitizer)
#define BECORE_EMU_ASAN 1
#endif
#endif
#if !defined(BECORE_EMU_ASAN) && defined(__SANITIZE_ADDRESS__)
#define BECORE_EMU_ASAN 1
#endif

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
#if defined(BECORE_EMU_ASAN)
    // The stack this context runs on, as ASan needs it when switching there (a fiber's: set by
    // fiber_prepare; a thread's own: learnt by fiber_start), and its fake stack while away.
    const void* stack_bottom = nullptr;
    size_t stack_size = 0;
    void* fake_stack = nullptr;
#endif
};

// Makes the next fiber_switch to `context` call entry() on `stack`. entry must call fiber_start
// first and must never return (it ends with fiber_exit); each call starts a fresh activation.
void fiber_prepare(FiberContext& context, FiberStack& stack, void (*entry)());

// The first thing a fiber's entry does: completes the switch from `caller` that started it.
void fiber_start(FiberContext& caller);

// Saves the running context in `from` and resumes `to`; returns when something switches back.
void fiber_switch(FiberContext& from, FiberContext& to);

// Leaves the running fiber, whose context is `from`, for good (nothing switches back to it) and
// resumes `to`.
[[noreturn]] void fiber_exit(FiberContext& from, FiberContext& to);

} // namespace be::emu
