#pragma once

#include <exception>
#include <string_view>
#include <vector>

#include "infra/http/http_error.hpp"
#include "infra/http/request.hpp"
#include "infra/http/response.hpp"
#include "infra/http/schema.hpp"

namespace nn::http {

// Every problem's `type` is this prefix plus its stable code ("urn:nexanest:problem:http.not_found"):
// a URN, because the codes are identifiers, not documentation pages we promise to host.
inline constexpr std::string_view kProblemTypePrefix = "urn:nexanest:problem:";

// An application/problem+json (RFC 9457) response:
// {type, title, status, detail, code, instance, request_id, errors?[{field, code, message}]}.
// `instance` is the request path; `request_id` echoes X-Request-Id.
Response ProblemResponse(int status,
                         std::string_view code,
                         std::string_view detail,
                         std::string_view request_id,
                         std::string_view instance,
                         const std::vector<FieldError>& errors = {});

// The schema of what ProblemResponse writes (components/schemas/Problem).
Schema ProblemSchema();

// Maps a thrown failure: HttpError → its status and headers; nn::Error → HttpStatus(kind);
// either way its field errors become the `errors` array and its retry hint Retry-After;
// anything else → 500 "internal" with a generic detail (the message is logged, never sent).
// 5xx details are always generic; 401 answers carry WWW-Authenticate: Bearer.
Response ProblemFromException(std::exception_ptr error, const Request& request);

}  // namespace nn::http
