// Counts heap allocations through the global operator new, for tests that a hot path allocates
// nothing. Include this header in EXACTLY ONE .cpp of a test binary: it replaces the global
// operator new/delete of the whole process (JIT-compiled kernels included: they bind operator new
// as becore's runtime does, runtime/src/kernel_symbols.h). Counting costs one relaxed atomic
// add per allocation; the count is process-wide (every thread).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace be::test {

inline std::atomic<uint64_t>& allocation_counter() {
    static std::atomic<uint64_t> count{0};
    return count;
}
// Allocations (operator new of any form) since the process started.
inline uint64_t allocations() {
    return allocation_counter().load(std::memory_order_relaxed);
}

namespace alloc_detail {
inline void* allocate(std::size_t size) {
    allocation_counter().fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
inline void* allocate(std::size_t size, std::align_val_t align) {
    allocation_counter().fetch_add(1, std::memory_order_relaxed);
    const std::size_t a = static_cast<std::size_t>(align);
    const std::size_t rounded = (size + a - 1) / a * a;
    if (void* p = std::aligned_alloc(a, rounded == 0 ? a : rounded)) return p;
    throw std::bad_alloc();
}
} // namespace alloc_detail

} // namespace be::test

// Replacement functions may not be inline ([replacement.functions]): hence "exactly one .cpp".
void* operator new(std::size_t size) {
    return be::test::alloc_detail::allocate(size);
}
void* operator new[](std::size_t size) {
    return be::test::alloc_detail::allocate(size);
}
void* operator new(std::size_t size, std::align_val_t a) {
    return be::test::alloc_detail::allocate(size, a);
}
void* operator new[](std::size_t size, std::align_val_t a) {
    return be::test::alloc_detail::allocate(size, a);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    try {
        return be::test::alloc_detail::allocate(size);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    try {
        return be::test::alloc_detail::allocate(size);
    } catch (...) {
        return nullptr;
    }
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
