#pragma once

#include <stdexcept>
#include <string>
#include <utility>

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

// A failure that ends the current request. `code` is stable and machine-readable
// (for example "validation.quantity_not_positive", "db.unique_violation"); `message` is the
// human-readable detail and must never contain a secret.
class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, std::string code, const std::string& message)
        : std::runtime_error(message), kind_(kind), code_(std::move(code)) {}

    ErrorKind Kind() const noexcept { return kind_; }
    const std::string& Code() const noexcept { return code_; }

private:
    ErrorKind kind_;
    std::string code_;
};

}  // namespace nn
