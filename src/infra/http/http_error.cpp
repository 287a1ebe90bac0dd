#include "infra/http/http_error.hpp"

namespace nn::http {

HttpError::HttpError(int status,
                     std::string code,
                     const std::string& detail,
                     HeaderList headers,
                     std::vector<FieldError> errors)
    : Error(KindForStatus(status), std::move(code), detail, std::move(errors)),
      status_(status),
      headers_(std::move(headers)) {}

ErrorKind KindForStatus(int status) noexcept {
    switch (status) {
        case 401:
            return ErrorKind::kUnauthorized;
        case 403:
            return ErrorKind::kForbidden;
        case 404:
            return ErrorKind::kNotFound;
        case 409:
            return ErrorKind::kConflict;
        case 413:
            return ErrorKind::kPayloadTooLarge;
        case 422:
            return ErrorKind::kUnprocessable;
        case 429:
            return ErrorKind::kTooManyRequests;
        case 503:
            return ErrorKind::kUnavailable;
        case 408:
        case 504:
            return ErrorKind::kTimeout;
        default:
            break;
    }
    return status >= 500 ? ErrorKind::kInternal : ErrorKind::kBadRequest;
}

const char* StatusTitle(int status) noexcept {
    switch (status) {
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 202:
            return "Accepted";
        case 204:
            return "No Content";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 406:
            return "Not Acceptable";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 410:
            return "Gone";
        case 412:
            return "Precondition Failed";
        case 413:
            return "Content Too Large";
        case 414:
            return "URI Too Long";
        case 415:
            return "Unsupported Media Type";
        case 422:
            return "Unprocessable Content";
        case 428:
            return "Precondition Required";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        default:
            break;
    }
    return "Unknown";
}

}  // namespace nn::http
