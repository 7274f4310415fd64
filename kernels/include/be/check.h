// BE_CHECK(cond, message): a kernel's guard on its inputs (shapes, sizes, ranges).
//
// In host (`.cpp`) kernels a failed check throws BE::CheckFailure; the entry trampoline that
// becore generates for every target catches it inside the JIT-compiled object, so no exception
// crosses into host frames and the caller receives an error naming the target and the check.
#pragma once

#if !defined(__CUDACC__) && !defined(__CUDACC_RTC__)
#include <stdexcept>
#include <string>

namespace BE {

struct CheckFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

namespace detail {
[[noreturn]] inline void check_failed(const char* file, int line, const char* condition,
                                      const std::string& message) {
    throw CheckFailure(std::string(file) + ":" + std::to_string(line) + ": " + message +
                       " (BE_CHECK(" + condition + ") failed)");
}
} // namespace detail
} // namespace BE

#define BE_CHECK(cond, message)                                                                    \
    do {                                                                                           \
        if (!(cond)) ::BE::detail::check_failed(__FILE__, __LINE__, #cond, (message));             \
    } while (0)
#endif
