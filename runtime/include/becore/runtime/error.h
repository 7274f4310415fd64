// Errors as data. Recoverable failures return Result<T> carrying an Error (what failed, where,
// and any compiler log); exceptions (be::Exception) are thrown only at API boundaries.
// Messages start with the operation, e.g. "load_cpp_file(kernels/x.cpp:12): unknown token 'foo'".
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace be {

// What kind of failure an Error is, for a program that reacts to it (an exit code, a Python
// exception type, an XLA FFI error code) without reading the message. Every Error has one: it is
// a required argument of make_error (an error wrapping another keeps its code).
// error_code_name() gives each a stable name, the enumerator's ("invalid_argument", ...).
enum class ErrorCode {
    invalid_argument, // the caller's input: a shape, dtype, option, annotation, a malformed file
    not_found,        // a target, file or cache entry that does not exist
    unavailable,      // a capability missing here: CUDA driver or device, NVRTC, a CPU level
                      // this CPU cannot run, memory
    compile_failed,   // clang or NVRTC rejected a kernel, or its object does not link
    kernel_failed,    // a kernel ran and failed: BE_CHECK, a trap, a CUDA launch or what follows
    io,               // a file, the cache or its index cannot be read or written, or is damaged
};
inline const char* error_code_name(ErrorCode code) {
    switch (code) {
    case ErrorCode::invalid_argument:
        return "invalid_argument";
    case ErrorCode::not_found:
        return "not_found";
    case ErrorCode::unavailable:
        return "unavailable";
    case ErrorCode::compile_failed:
        return "compile_failed";
    case ErrorCode::kernel_failed:
        return "kernel_failed";
    case ErrorCode::io:
        return "io";
    }
    return "unknown";
}

class Error {
  public:
    Error(ErrorCode code, std::string message_, std::string log_ = {})
        : message(std::move(message_)), log(std::move(log_)), code_(code) {}

    std::string message; // one line or more, starting with the operation
    std::string log;     // compiler output or other detail; may be empty

    ErrorCode code() const { return code_; }
    const char* code_name() const { return error_code_name(code_); }
    std::string full() const { return log.empty() ? message : message + "\n" + log; }

  private:
    ErrorCode code_;
};

class Exception : public std::runtime_error {
  public:
    explicit Exception(Error error) : std::runtime_error(error.full()), error_(std::move(error)) {}
    const Error& error() const { return error_; }

  private:
    Error error_;
};

template <typename T> class [[nodiscard]] Result {
  public:
    Result(T value) : state_(std::move(value)) {}
    Result(Error error) : state_(std::move(error)) {}

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return ensure(), std::get<0>(state_); }
    T&& value() && { return ensure(), std::get<0>(std::move(state_)); }
    const T& value() const& { return ensure(), std::get<0>(state_); }
    T* operator->() { return &value(); }
    T& operator*() & { return value(); }
    const Error& error() const { return std::get<1>(state_); }

  private:
    void ensure() const {
        if (!ok()) throw Exception(std::get<1>(state_));
    }
    std::variant<T, Error> state_;
};

template <> class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : error_(std::move(error)) {}
    bool ok() const { return !error_.has_value(); }
    explicit operator bool() const { return ok(); }
    void value() const {
        if (error_) throw Exception(*error_);
    }
    const Error& error() const { return *error_; }

  private:
    std::optional<Error> error_;
};

inline Error make_error(ErrorCode code, std::string message, std::string log = {}) {
    return Error(code, std::move(message), std::move(log));
}

} // namespace be
