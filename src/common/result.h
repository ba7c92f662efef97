// Result<T>: the value of an operation or an Error whose code maps to one HTTP status.
// Used across module boundaries instead of exceptions (exceptions stay inside a module).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace parley {

enum class ErrorCode {
  invalid_request,      // 400: malformed input the caller can fix
  invalid_json,         // 400
  invalid_utf8,         // 400
  unauthorized,         // 401: missing or bad credentials
  forbidden,            // 403
  not_found,            // 404
  method_not_allowed,   // 405
  conflict,             // 409
  payload_too_large,    // 413
  unsupported_media,    // 415
  unprocessable,        // 422: well-formed but unusable content (e.g. an empty or corrupt document)
  rate_limited,         // 429
  internal,             // 500
  unavailable,          // 503
  timeout,              // 504
};

// The HTTP status and the stable machine-readable name of a code ("not_found", ...).
int http_status(ErrorCode code);
std::string_view error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
};

inline Error make_error(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor): natural `return value;`
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace parley

#define PARLEY_CONCAT_INNER(a, b) a##b
#define PARLEY_CONCAT(a, b) PARLEY_CONCAT_INNER(a, b)

// Propagates the error of a Result-returning expression; evaluates to nothing on success.
#define PARLEY_TRY(expr)                                                                        \
  do {                                                                                          \
    if (auto PARLEY_CONCAT(parley_try_, __LINE__) = (expr); !PARLEY_CONCAT(parley_try_, __LINE__).ok()) \
      return PARLEY_CONCAT(parley_try_, __LINE__).error();                                      \
  } while (false)

// Declares `decl` from the value of a Result-returning expression, or returns its error.
#define PARLEY_ASSIGN_OR_RETURN(decl, expr)                              \
  auto PARLEY_CONCAT(parley_result_, __LINE__) = (expr);                 \
  if (!PARLEY_CONCAT(parley_result_, __LINE__).ok())                     \
    return PARLEY_CONCAT(parley_result_, __LINE__).error();              \
  decl = std::move(PARLEY_CONCAT(parley_result_, __LINE__)).value()
