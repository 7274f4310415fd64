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

struct Error {
    std::string message; // one line or more, starting with the operation
    std::string log;     // compiler output or other detail; may be empty

    std::string full() const { return log.empty() ? message : message + "\n" + log; }
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

inline Error make_error(std::string message, std::string log = {}) {
    return Error{std::move(message), std::move(log)};
}

} // namespace be
