// Support for the `extern "C"` entry trampolines that becore appends to every `.cpp` kernel
// source, one per `// @BE` target. Not for use by kernel authors.
//
// Calling convention (host → JIT code), shared with runtime/src/cpu_module.cpp:
//   int __be_entry_<name>(void* const* params, BE::detail::ErrorSink* error) noexcept
// params[i] points at the i-th parameter's value (a BE::Tensor or a scalar of the declared
// type); the return value is 0 on success, otherwise `error` holds the message.
// The static_asserts below make a token list that disagrees with the function's parameters a
// compile error reported at the annotation's line (the trampoline carries a #line directive).
#pragma once

#include <cstring>
#include <exception>
#include <new>
#include <tuple>
#include <type_traits>

#include "check.h"
#include "tensor.h"

namespace BE::detail {

struct ErrorSink {
    char* buffer;
    unsigned long capacity;
};

inline void report(ErrorSink* sink, const char* message) noexcept {
    if (sink == nullptr || sink->capacity == 0) return;
    std::strncpy(sink->buffer, message, sink->capacity - 1);
    sink->buffer[sink->capacity - 1] = '\0';
}

template <typename F> struct FunctionTraits;
template <typename R, typename... A> struct FunctionTraits<R (*)(A...)> {
    static constexpr int arity = sizeof...(A);
    template <int I> using param = std::tuple_element_t<I, std::tuple<A...>>;
};
template <typename R, typename... A> struct FunctionTraits<R (*)(A...) noexcept>
    : FunctionTraits<R (*)(A...)> {};

template <typename F> constexpr int arity() { return FunctionTraits<F>::arity; }

template <typename F, int I> using param_t = typename FunctionTraits<F>::template param<I>;

template <typename F, int I> constexpr bool param_is_arg() {
    using P = param_t<F, I>;
    return std::is_same_v<P, const Tensor&> || std::is_same_v<P, Tensor> ||
           std::is_same_v<P, const Tensor>;
}
template <typename F, int I> constexpr bool param_is_ret() {
    return std::is_same_v<param_t<F, I>, Tensor&>;
}
template <typename F, int I, typename T> constexpr bool param_is_scalar() {
    return std::is_same_v<std::remove_cv_t<std::remove_reference_t<param_t<F, I>>>, T> &&
           !std::is_same_v<param_t<F, I>, std::remove_cv_t<T>&>;
}

template <typename Body> int run_entry(ErrorSink* sink, Body&& body) noexcept {
    try {
        body();
        return 0;
    } catch (const std::bad_alloc&) {
        report(sink, "out of memory (std::bad_alloc)");
    } catch (const std::exception& e) {
        report(sink, e.what());
    } catch (...) {
        report(sink, "unknown C++ exception");
    }
    return 1;
}

} // namespace BE::detail
