#include "infra/http/problem.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

#include <spdlog/spdlog.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace nn::http {
namespace {

constexpr std::string_view kGenericInternal =
    "The server could not complete the request; quote the request_id when reporting it.";

}  // namespace

Response ProblemResponse(int status,
                         std::string_view code,
                         std::string_view detail,
                         std::string_view request_id,
                         std::string_view instance,
                         const std::vector<FieldError>& errors) {
    boost::json::object body;
    std::string type(kProblemTypePrefix);
    type += code;
    body["type"] = type;
    body["title"] = StatusTitle(status);
    body["status"] = status;
    body["detail"] = detail;
    body["code"] = code;
    if (!instance.empty()) body["instance"] = instance;
    body["request_id"] = request_id;
    if (!errors.empty()) {
        boost::json::array list;
        list.reserve(errors.size());
        for (const auto& e : errors) {
            list.push_back(boost::json::object{{"field", e.field}, {"code", e.code}, {"message", e.message}});
        }
        body["errors"] = std::move(list);
    }
    Response response(status, boost::json::serialize(body), "application/problem+json");
    if (status == 401) response.SetHeader("WWW-Authenticate", "Bearer");
    return response;
}

Schema ProblemSchema() {
    using namespace schema;
    auto field_error = Object({{"field", String()}, {"code", String()}, {"message", String()}});
    return Object({{"type", Pattern("^urn:nexanest:problem:", "`urn:nexanest:problem:` and the code")},
                   {"title", String()},
                   {"status", Integer(400, 599)},
                   {"detail", String()},
                   {"code", String(1).Describe("stable and machine-readable").Example("validation.failed")},
                   Opt("instance", String().Describe("the request path")),
                   {"request_id", String()},
                   Opt("errors", Array(std::move(field_error)).Describe("one entry per refused field"))})
        .Describe("RFC 9457 problem details; `code` is stable and machine-readable.");
}

static std::string_view DatabaseDetail(ErrorKind kind, std::string_view code) {
    if (code == "db.out_of_range") {
        return "a figure this would store is out of range: amounts, prices, quantities, balances and "
               "positions have at most 18 digits before the point";
    }
    switch (kind) {
        case ErrorKind::kConflict:
            return "the request conflicts with data that already exists";
        case ErrorKind::kUnprocessable:
            return "the request breaks a rule of the stored data";
        case ErrorKind::kForbidden:
            return "you may not do this";
        case ErrorKind::kNotFound:
            return "there is no such thing";
        case ErrorKind::kUnavailable:
        case ErrorKind::kTimeout:
            return "the database is busy; retry shortly";
        default:
            return "the request could not be completed";
    }
}

// An nn::Error's retry hint, as RFC 9110 delay-seconds; never 0 (an immediate retry meets the
// same refusal).
static void SetRetryAfter(Response& response, const Error& e) {
    if (auto wait = e.RetryAfter()) {
        response.SetHeader("Retry-After", std::to_string(std::max<std::int64_t>(1, wait->count())));
    }
}

Response ProblemFromException(std::exception_ptr error, const Request& request) {
    const std::string_view path = request.Path();
    try {
        std::rethrow_exception(error);
    } catch (const HttpError& e) {
        const bool internal = e.Status() >= 500 && e.Status() != 503 && e.Status() != 504;
        if (internal) spdlog::error("request {} failed: {} ({})", request.request_id, e.what(), e.Code());
        Response response = ProblemResponse(e.Status(), e.Code(), internal ? kGenericInternal : e.what(),
                                            request.request_id, path, e.FieldErrors());
        SetRetryAfter(response, e);
        for (const auto& [name, value] : e.Headers()) response.SetHeader(name, value);
        return response;
    } catch (const Error& e) {
        const int status = HttpStatus(e.Kind());
        const bool internal = e.Kind() == ErrorKind::kInternal;
        if (internal) spdlog::error("request {} failed: {} ({})", request.request_id, e.what(), e.Code());
        // PostgreSQL's messages name tables, constraints and policies: they go to the log, the
        // client gets the code and a sentence about its kind.
        const bool from_database = std::string_view(e.Code()).starts_with("db.");
        if (from_database && !internal) {
            spdlog::warn("request {}: {} ({})", request.request_id, e.what(), e.Code());
        }
        const std::string_view detail =
            internal ? kGenericInternal
                     : (from_database ? DatabaseDetail(e.Kind(), e.Code()) : std::string_view(e.what()));
        Response response =
            ProblemResponse(status, e.Code(), detail, request.request_id, path, e.FieldErrors());
        SetRetryAfter(response, e);
        return response;
    } catch (const std::exception& e) {
        spdlog::error("request {} failed with an unexpected exception: {}", request.request_id, e.what());
    } catch (...) {
        spdlog::error("request {} failed with a non-standard exception", request.request_id);
    }
    return ProblemResponse(500, "internal", kGenericInternal, request.request_id, path);
}

}  // namespace nn::http
