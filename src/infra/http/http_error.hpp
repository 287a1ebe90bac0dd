#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace nn::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One entry of a problem's `errors` array: which input field is wrong and why.
struct FieldError {
    std::string field;    // JSON field or query parameter name ("quantity", "limit")
    std::string code;     // stable machine-readable reason ("not_decimal", "required")
    std::string message;  // human-readable ("field 'quantity' must be a string holding a decimal")
};

// An nn::Error carrying what an ErrorKind cannot: a status outside the kinds (405, 408, 415, 431),
// response headers (Allow, Retry-After, WWW-Authenticate) and per-field errors. The problem
// middleware answers it with exactly this status; everything else about it is an nn::Error.
class HttpError : public Error {
public:
    HttpError(int status,
              std::string code,
              const std::string& detail,
              HeaderList headers = {},
              std::vector<FieldError> errors = {});

    int Status() const noexcept { return status_; }
    const HeaderList& Headers() const noexcept { return headers_; }
    const std::vector<FieldError>& Errors() const noexcept { return errors_; }

private:
    int status_;
    HeaderList headers_;
    std::vector<FieldError> errors_;
};

// The ErrorKind closest to an HTTP status (405/415/431 → kBadRequest, 408 → kTimeout, ...).
ErrorKind KindForStatus(int status) noexcept;

// Reason phrase of a status ("Not Found"); "Unknown" for statuses the server never sends.
const char* StatusTitle(int status) noexcept;

}  // namespace nn::http
