#include "infra/http/contract.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "infra/http/json.hpp"
#include "infra/http/problem.hpp"
#include "infra/http/schema_validator.hpp"

namespace nn::http {
namespace json = boost::json;

namespace {

// "application/json; charset=utf-8" → "application/json".
std::string_view MediaType(std::string_view content_type) {
    auto semi = content_type.find(';');
    auto out = content_type.substr(0, semi);
    while (!out.empty() && out.back() == ' ') out.remove_suffix(1);
    return out;
}

bool IsJson(std::string_view media) {
    return media == "application/json" || media == "application/problem+json";
}

void ValidateBody(const json::value& schema,
                  std::string_view body,
                  const json::object& document,
                  const std::string& what,
                  std::vector<std::string>& out) {
    json::value value;
    try {
        value = ParseJson(body, {.max_depth = 256, .max_string_bytes = 1u << 30});
    } catch (const std::exception& e) {
        out.push_back(fmt::format("{}: not JSON ({})", what, e.what()));
        return;
    }
    for (auto& e : ValidateSchema(schema, value, document)) out.push_back(what + " " + e);
}

const json::value& ProblemRef() {
    static const json::value ref = json::object{{"$ref", "#/components/schemas/Problem"}};
    return ref;
}

// The `code` of a problem+json body, or "" when it has none.
std::string ProblemCode(std::string_view body) {
    try {
        const auto v = ParseJson(body, {.max_depth = 256, .max_string_bytes = 1u << 30});
        if (const auto* o = v.if_object()) {
            if (const auto* c = o->if_contains("code"); c != nullptr && c->is_string())
                return std::string(c->get_string());
        }
    } catch (const std::exception&) {
    }
    return "";
}

}  // namespace

bool IsCommonProblemCode(std::string_view code) {
    static constexpr std::string_view kExact[] = {
        "validation.failed", "auth.required", "auth.invalid_token", "auth.insufficient_scope",
        "auth.forbidden",    "auth.csrf",     "rate_limited",       "internal",
        "contract.violation"};
    static constexpr std::string_view kFamilies[] = {"json.",         "http.",       "request.",
                                                     "rate_limited.", "pagination.", "db."};
    for (auto c : kExact)
        if (code == c) return true;
    for (auto f : kFamilies)
        if (code.starts_with(f)) return true;
    return false;
}

std::vector<std::string> ContractViolations(const Route* route,
                                            const Request& request,
                                            const Response& response,
                                            const json::object& document) {
    std::vector<std::string> out;
    const int status = response.status;
    const auto media = MediaType(response.Header("Content-Type"));
    const Method method = request.GetMethod();
    if (method == Method::kOptions) return out;  // CORS preflight and Allow answers
    if (route == nullptr) {
        if (media == "application/problem+json")
            ValidateBody(ProblemRef(), response.body, document, "problem", out);
        return out;
    }
    // A refusal's code is one every route may give or one the route lists (x-problem-codes):
    // the list in the document is written by hand next to the route, so it is checked here.
    if (status >= 400 && status < 500 && media == "application/problem+json") {
        const std::string code = ProblemCode(response.body);
        const auto& codes = route->contract.codes;
        if (!code.empty() && !IsCommonProblemCode(code) &&
            std::find(codes.begin(), codes.end(), code) == codes.end()) {
            std::string listed;
            for (const auto& c : codes) listed += (listed.empty() ? "" : ", ") + c;
            out.push_back(fmt::format("the problem code {} is not among the route's codes ({})", code,
                                      listed.empty() ? "none" : listed));
        }
    }
    const ResponseSpec* spec = nullptr;
    for (const auto& r : route->contract.responses) {
        // One status may come in several media types (JSON or CSV): the one answered, else the first.
        if (r.status == status && (spec == nullptr || r.content_type == media)) spec = &r;
    }
    // An error may always be problem+json, also where the route declares a JSON body for it
    // (an import's 422 lists the refused lines; a refusal of the whole file is a problem).
    if (status >= 400 && media == "application/problem+json" && spec != nullptr &&
        spec->content_type != media) {
        spec = nullptr;
    }
    if (spec == nullptr) {
        if (status >= 400 && media == "application/problem+json") {
            ValidateBody(ProblemRef(), response.body, document, "problem", out);
        } else if (status >= 400) {
            out.push_back(fmt::format("a {} answer that is not problem+json ({})", status, media));
        } else if (status != 304) {  // 304 carries no body and follows the 200's contract
            out.push_back(fmt::format("the status {} is not in the route's contract", status));
        }
        return out;
    }
    if (response.IsStream()) {
        if (spec->content_type != "text/event-stream")
            out.push_back("an event stream the contract does not declare");
    } else if (status == 204 || spec->content_type.empty()) {
        if (!response.body.empty()) out.push_back(fmt::format("a body in a {} answer", status));
    } else if (method != Method::kHead || !response.body.empty()) {
        if (media != spec->content_type) {
            out.push_back(
                fmt::format("Content-Type {} where the contract says {}", media, spec->content_type));
        } else if (IsJson(media)) {
            ValidateBody(spec->schema.Json(), response.body, document, "response", out);
        }
    }
    const auto& request_schema = route->contract.request;
    if (status >= 200 && status < 300 && request_schema && !request.Body().empty() &&
        IsJson(MediaType(request.Header("Content-Type"))) &&
        route->contract.request_content_type == "application/json") {
        std::vector<std::string> refused;
        ValidateBody(request_schema->Json(), request.Body(), document, "accepted request", refused);
        out.insert(out.end(), refused.begin(), refused.end());
    }
    return out;
}

Middleware ContractCheckMiddleware(std::shared_ptr<const json::object> document) {
    return [document](Request& request, Next next) -> boost::asio::awaitable<Response> {
        Response response = co_await next(request);
        auto violations = ContractViolations(request.matched, request, response, *document);
        if (violations.empty()) co_return response;
        std::string detail = fmt::format(
            "{} {} answered {} outside its contract:", MethodName(request.GetMethod()),
            request.matched ? request.matched->pattern : std::string(request.Path()), response.status);
        for (std::size_t i = 0; i < violations.size() && i < 8; ++i) detail += "\n" + violations[i];
        spdlog::error("contract violation: {}", detail);
        co_return ProblemResponse(500, "contract.violation", detail, request.request_id, request.Path());
    };
}

bool ContractCheckFromEnv() {
    const char* v = std::getenv("NEXANEST_CONTRACT_CHECK");
    return v != nullptr && std::string_view(v) == "1";
}

}  // namespace nn::http
