#include "core/error.hpp"

namespace nn {

int HttpStatus(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::kBadRequest:
            return 400;
        case ErrorKind::kUnauthorized:
            return 401;
        case ErrorKind::kForbidden:
            return 403;
        case ErrorKind::kNotFound:
            return 404;
        case ErrorKind::kConflict:
            return 409;
        case ErrorKind::kPayloadTooLarge:
            return 413;
        case ErrorKind::kUnprocessable:
            return 422;
        case ErrorKind::kTooManyRequests:
            return 429;
        case ErrorKind::kInternal:
            return 500;
        case ErrorKind::kUnavailable:
            return 503;
        case ErrorKind::kTimeout:
            return 504;
    }
    return 500;
}

const char* DefaultTitle(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::kBadRequest:
            return "Bad Request";
        case ErrorKind::kUnauthorized:
            return "Unauthorized";
        case ErrorKind::kForbidden:
            return "Forbidden";
        case ErrorKind::kNotFound:
            return "Not Found";
        case ErrorKind::kConflict:
            return "Conflict";
        case ErrorKind::kPayloadTooLarge:
            return "Payload Too Large";
        case ErrorKind::kUnprocessable:
            return "Unprocessable Content";
        case ErrorKind::kTooManyRequests:
            return "Too Many Requests";
        case ErrorKind::kInternal:
            return "Internal Server Error";
        case ErrorKind::kUnavailable:
            return "Service Unavailable";
        case ErrorKind::kTimeout:
            return "Gateway Timeout";
    }
    return "Internal Server Error";
}

}  // namespace nn
