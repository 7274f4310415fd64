// BE_CHECK(cond, message): a kernel's guard on its inputs (shapes, sizes, ranges).
//
// In host (`.cpp`) kernels a failed check throws BE::CheckFailure; the entry trampoline that
// becore generates for every target catches it inside the JIT-compiled object, so no exception
// crosses into host frames and the caller receives an error naming the target and the check.
// In device code compiled by NVRTC (or nvcc) there are no host exceptions: a failed check traps,
// and the launch fails. (The CUDA emulation compiles .cu files as host code: it throws.)
#pragma once

#if !defined(__CUDACC__) && !defined(__CUDACC_RTC__)
#include <cstdint>
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

// The failures of BE::Tensor's checked accessors (tensor.h, at(...)); `accessor` reads like
// "at(i, j)" and `dim` < 0 stands for the flat index of at(i). They throw like BE_CHECK, so they
// reach the caller the same way (in emulation, with the kernel, block and thread that failed).
[[noreturn]] inline void index_failed(const char* accessor, int dim, std::int64_t index,
                                      const std::int64_t* shape, int rank, std::int64_t numel) {
    static const char names[] = "ijklmnop";
    std::string text = std::string(accessor) + ": " + (dim < 0 ? 'i' : names[dim]) + " = " +
                       std::to_string(index) + " is out of bounds for ";
    text += dim < 0 ? std::to_string(numel) + " elements"
                    : "dimension " + std::to_string(dim) + " of size " + std::to_string(shape[dim]);
    text += " (shape [";
    for (int i = 0; i < rank; ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    throw CheckFailure(text + "])");
}
[[noreturn]] inline void access_failed(const char* accessor, int rank, int indices,
                                       std::int64_t element_size, unsigned long type_size) {
    if (indices > 1 && rank != indices)
        throw CheckFailure(std::string(accessor) + ": the tensor has rank " + std::to_string(rank) +
                           ", the accessor takes " + std::to_string(indices) + " indices");
    throw CheckFailure(std::string(accessor) + ": element type of " + std::to_string(type_size) +
                       " bytes, but the tensor's dtype has " + std::to_string(element_size));
}
} // namespace detail
} // namespace BE

#define BE_CHECK(cond, message)                                                                    \
    do {                                                                                           \
        if (!(cond)) ::BE::detail::check_failed(__FILE__, __LINE__, #cond, (message));             \
    } while (0)
#else
#define BE_CHECK(cond, message)                                                                    \
    do {                                                                                           \
        if (!(cond)) __trap();                                                                     \
    } while (0)
#endif
