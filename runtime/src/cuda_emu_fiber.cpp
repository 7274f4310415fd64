#include "cuda_emu_fiber.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sys/mman.h>
#include <unistd.h>

#if defined(BECORE_EMU_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#if defined(__x86_64__)
// becore_emu_switch_stack(void** save, void* resume): pushes the callee-saved registers and the
// FP control state, stores the stack pointer in *save, loads `resume` and pops the same layout.
// The frame a fresh fiber starts from (fiber_prepare) has that layout with `entry` as the return
// address. No unwind information: no exception ever crosses a switch (the kernel trampoline
// catches everything on the fiber's own stack), and unwinders stop here.
asm(R"(
    .text
    .p2align 4
    .globl becore_emu_switch_stack
    .hidden becore_emu_switch_stack
    .type becore_emu_switch_stack, @function
becore_emu_switch_stack:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size becore_emu_switch_stack, .-becore_emu_switch_stack
)");
extern "C" void becore_emu_switch_stack(void** save, void* resume);
#endif

namespace be::emu {

FiberStack::FiberStack(size_t bytes) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_ = (bytes + page - 1) / page * page;
    mapping_bytes_ = size_ + page;
    mapping_ = mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (mapping_ == MAP_FAILED) {
        // Out of address space: nothing sensible is left to do for an emulated launch.
        std::fprintf(stderr, "becore: cuda-emu: cannot map a fiber stack of %zu bytes\n", size_);
        std::abort();
    }
    mprotect(mapping_, page, PROT_NONE); // the guard page; stacks grow down
    usable_ = static_cast<char*>(mapping_) + page;
}

FiberStack::~FiberStack() {
    munmap(mapping_, mapping_bytes_);
}

namespace {

// ASan's side of a switch from the running context to `to`; `from` is null when the running
// fiber is left for good, which frees its fake stack.
void announce_switch([[maybe_unused]] FiberContext* from, [[maybe_unused]] const FiberContext& to) {
#if defined(BECORE_EMU_ASAN)
    __sanitizer_start_switch_fiber(from ? &from->fake_stack : nullptr, to.stack_bottom,
                                   to.stack_size);
#endif
}

// ASan's side of arriving in `context` after a switch.
void announce_arrival([[maybe_unused]] FiberContext& context) {
#if defined(BECORE_EMU_ASAN)
    __sanitizer_finish_switch_fiber(context.fake_stack, nullptr, nullptr);
#endif
}

void stack_reused([[maybe_unused]] FiberContext& context, [[maybe_unused]] FiberStack& stack) {
#if defined(BECORE_EMU_ASAN)
    ASAN_UNPOISON_MEMORY_REGION(stack.base(), stack.size());
    context.stack_bottom = stack.base();
    context.stack_size = stack.size();
    context.fake_stack = nullptr;
#endif
}

void switch_stacks(FiberContext& from, FiberContext& to);

} // namespace

void fiber_start([[maybe_unused]] FiberContext& caller) {
#if defined(BECORE_EMU_ASAN)
    // A fresh fiber has no fake stack to restore; the caller's stack is learnt here, the only
    // place ASan tells it, for the switches back to it.
    __sanitizer_finish_switch_fiber(nullptr, &caller.stack_bottom, &caller.stack_size);
#endif
}

void fiber_switch(FiberContext& from, FiberContext& to) {
    announce_switch(&from, to);
    switch_stacks(from, to);
    announce_arrival(from);
}

void fiber_exit(FiberContext& from, FiberContext& to) {
    // Nothing local to this frame may be touched after the announcement: under ASan's
    // detect_stack_use_after_return it may live on the fake stack, which that frees.
    announce_switch(nullptr, to);
    switch_stacks(from, to);
    __builtin_unreachable();
}

#if defined(__x86_64__)

void fiber_prepare(FiberContext& context, FiberStack& stack, void (*entry)()) {
    stack_reused(context, stack);
    auto top = reinterpret_cast<uintptr_t>(stack.base()) + stack.size();
    auto* sp = reinterpret_cast<uint64_t*>(top & ~uintptr_t(15));
    uint32_t mxcsr = 0;
    uint16_t fpcw = 0;
    asm volatile("stmxcsr %0" : "=m"(mxcsr));
    asm volatile("fnstcw %0" : "=m"(fpcw));
    *--sp = 0;                                 // entry's return address: none (ends backtraces)
    *--sp = reinterpret_cast<uint64_t>(entry); // where the first switch "returns" to
    for (int i = 0; i < 6; ++i)
        *--sp = 0;                                  // rbp, rbx, r12-r15
    *--sp = uint64_t(mxcsr) | uint64_t(fpcw) << 32; // the FP control state slot
    // After the pops and the ret, rsp = top - 8: aligned as at any function entry (16n + 8).
    context.stack_pointer = sp;
}

namespace {
void switch_stacks(FiberContext& from, FiberContext& to) {
    becore_emu_switch_stack(&from.stack_pointer, to.stack_pointer);
}
} // namespace

#else

void fiber_prepare(FiberContext& context, FiberStack& stack, void (*entry)()) {
    stack_reused(context, stack);
    getcontext(&context.context);
    context.context.uc_stack.ss_sp = stack.base();
    context.context.uc_stack.ss_size = stack.size();
    context.context.uc_link = nullptr;
    makecontext(&context.context, entry, 0);
}

namespace {
void switch_stacks(FiberContext& from, FiberContext& to) {
    swapcontext(&from.context, &to.context);
}
} // namespace

#endif

} // namespace be::emu
