#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nn {

// The kinds of failure a request can end with. Each maps to one HTTP status at the edge
// (infra/http turns an Error into application/problem+json, RFC 9457); nothing below the
// edge knows about HTTP.
enum class ErrorKind {
    kBadRequest,       // 400 malformed input (syntax)
    kUnauthorized,     // 401
    kForbidden,        // 403
    kNotFound,         // 404
    kConflict,         // 409 state conflict, duplicate, in-flight idempotency key
    kPayloadTooLarge,  // 413
    kUnprocessable,    // 422 well-formed but invalid
    kTooManyRequests,  // 429
    kInternal,         // 500
    kUnavailable,      // 503 a dependency is down; retry later
    kTimeout,          // 504 a deadline passed
};

int HttpStatus(ErrorKind kind) noexcept;
const char* DefaultTitle(ErrorKind kind) noexcept;

// One refused input field: which field ("quantity", "prices[2].close") and why. The edge writes
// each as an element of the problem's `errors` array.
struct FieldError {
    std::string field;    // JSON field or query parameter name ("quantity", "limit")
    std::string code;     // stable machine-readable reason ("not_decimal", "required")
    std::string message;  // human-readable ("field 'quantity' must be a string holding a decimal")

    friend bool operator==(const FieldError&, const FieldError&) = default;
};

// A failure that ends the current request. `code` is stable and machine-readable
// (for example "validation.quantity_not_positive", "db.unique_violation"); `message` is the
// human-readable detail and must never contain a secret. A validation failure names every
// refused field (`FieldErrors`); a refusal that passes with time (a rate limit) says when to
// retry (`RetryAfter`, the edge's Retry-After header).
class Error : public std::runtime_error {
public:
    Error(ErrorKind kind,
          std::string code,
          const std::string& message,
          std::vector<FieldError> field_errors = {})
        : std::runtime_error(message),
          kind_(kind),
          code_(std::move(code)),
          field_errors_(std::move(field_errors)) {}

    ErrorKind Kind() const noexcept { return kind_; }
    const std::string& Code() const noexcept { return code_; }
    const std::vector<FieldError>& FieldErrors() const noexcept { return field_errors_; }
    std::optional<std::chrono::seconds> RetryAfter() const noexcept { return retry_after_; }

    // `throw Error(...).WithRetryAfter(wait);`
    Error& WithRetryAfter(std::chrono::seconds wait) & noexcept {
        retry_after_ = wait;
        return *this;
    }
    Error&& WithRetryAfter(std::chrono::seconds wait) && noexcept {
        retry_after_ = wait;
        return std::move(*this);
    }

private:
    ErrorKind kind_;
    std::string code_;
    std::vector<FieldError> field_errors_;
    std::optional<std::chrono::seconds> retry_after_;
};

}  // namespace nn
