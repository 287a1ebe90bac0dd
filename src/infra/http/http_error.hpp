#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace nn::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One entry of a problem's `errors` array (nn::FieldError: domains name refused fields too).
using FieldError = nn::FieldError;

// An nn::Error carrying what an ErrorKind cannot: a status outside the kinds (405, 408, 415, 431)
// and response headers (Allow, WWW-Authenticate). Only the HTTP edge (infra/http and the
// handlers) throws it; below the handlers field errors and retry hints are nn::Error's own. The
// problem middleware answers it with exactly this status; everything else about it is an nn::Error.
class HttpError : public Error {
public:
    HttpError(int status,
              std::string code,
              const std::string& detail,
              HeaderList headers = {},
              std::vector<FieldError> errors = {});

    int Status() const noexcept { return status_; }
    const HeaderList& Headers() const noexcept { return headers_; }

private:
    int status_;
    HeaderList headers_;
};

// The ErrorKind closest to an HTTP status (405/415/431 → kBadRequest, 408 → kTimeout, ...).
ErrorKind KindForStatus(int status) noexcept;

// Reason phrase of a status ("Not Found"); "Unknown" for statuses the server never sends.
const char* StatusTitle(int status) noexcept;

}  // namespace nn::http
