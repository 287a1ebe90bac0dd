#include "infra/http/openapi.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <string_view>

#include "infra/http/http_error.hpp"
#include "infra/http/problem.hpp"

namespace nn::http {
namespace json = boost::json;

namespace {

// The parameter names of a pattern, in order ("/p/{id}/x/{tx}" → id, tx).
std::vector<std::string> PathParameters(std::string_view pattern) {
    std::vector<std::string> out;
    for (std::size_t open = pattern.find('{'); open != std::string_view::npos;
         open = pattern.find('{', open + 1)) {
        const auto close = pattern.find('}', open);
        if (close == std::string_view::npos) break;
        out.emplace_back(pattern.substr(open + 1, close - open - 1));
    }
    return out;
}

// "/api/v1/portfolios/{id}" → "portfolios"; "/healthz" → "operations".
std::string Tag(std::string_view pattern) {
    constexpr std::string_view kPrefix = "/api/v1/";
    if (!pattern.starts_with(kPrefix)) return "operations";
    auto rest = pattern.substr(kPrefix.size());
    return std::string(rest.substr(0, rest.find('/')));
}

// A stable operationId from method and pattern: "get_api_v1_portfolios_id".
std::string OperationId(std::string_view method, std::string_view pattern) {
    std::string out;
    for (char c : method) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (char c : pattern) {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            out += c;
        } else if (c == '/' || c == '-' || c == '_') {
            if (!out.empty() && out.back() != '_') out += '_';
        }
    }
    while (!out.empty() && out.back() == '_') out.pop_back();
    return out;
}

json::object ProblemResponse(std::string_view description) {
    return {{"description", description},
            {"content",
             {{"application/problem+json", {{"schema", {{"$ref", "#/components/schemas/Problem"}}}}}}}};
}

json::object ComponentsJson(const Router& router) {
    json::object schemes{{"bearer", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}},
                         {"apiKey",
                          {{"type", "apiKey"},
                           {"in", "header"},
                           {"name", "Authorization"},
                           {"description", "`Authorization: ApiKey <key>`"}}}};
    json::object schemas{{"Problem", ProblemSchema().Json()}};
    for (const auto& [name, schema] : router.ComponentSchemas()) schemas[name] = schema.Json();
    return {{"schemas", std::move(schemas)}, {"securitySchemes", std::move(schemes)}};
}

std::string CodesText(const std::vector<std::string>& codes) {
    std::string out;
    for (const auto& c : codes) out += (out.empty() ? "`" : ", `") + c + "`";
    return out;
}

json::object Operation(const Route& route, std::string_view method) {
    const RouteContract& contract = route.contract;
    json::object op{{"operationId", OperationId(method, route.pattern)},
                    {"summary", route.name},
                    {"tags", json::array{json::string(Tag(route.pattern))}}};
    json::array params;
    for (auto& name : PathParameters(route.pattern)) {
        params.push_back(json::object{
            {"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
    for (const auto& q : contract.query) {
        json::object p{
            {"name", q.name}, {"in", "query"}, {"required", q.required}, {"schema", q.schema.Json()}};
        if (!q.description.empty()) p["description"] = q.description;
        params.push_back(std::move(p));
    }
    for (const auto& name : route.headers) {
        params.push_back(json::object{
            {"name", name}, {"in", "header"}, {"required", false}, {"schema", {{"type", "string"}}}});
    }
    if (!params.empty()) op["parameters"] = std::move(params);
    if (!route.description.empty()) op["description"] = route.description;
    if (contract.request) {
        json::object body{
            {"required", true},
            {"content", {{contract.request_content_type, {{"schema", contract.request->Json()}}}}}};
        if (route.max_body_bytes) body["x-max-body-bytes"] = *route.max_body_bytes;
        op["requestBody"] = std::move(body);
    }
    json::object responses;
    for (const auto& r : contract.responses) {
        // Several entries of one status are its media types (JSON or CSV).
        auto& slot = responses[std::to_string(r.status)];
        if (!slot.is_object()) {
            slot = json::object{
                {"description", r.description.empty() ? std::string(StatusTitle(r.status)) : r.description}};
        } else if (!r.description.empty()) {
            slot.as_object()["description"] =
                std::string(slot.as_object()["description"].as_string()) + "; " + r.description;
        }
        if (r.status != 204 && !r.content_type.empty()) {
            auto& content = slot.as_object()["content"];
            if (!content.is_object()) content = json::object{};
            content.as_object()[r.content_type] = json::object{{"schema", r.schema.Json()}};
        }
    }
    if (contract.responses.empty()) responses["2XX"] = {{"description", "success"}};
    std::string refused = "the request was refused; nothing changed";
    if (!contract.codes.empty()) refused += ". Codes of this route: " + CodesText(contract.codes);
    auto problem4 = ProblemResponse(refused);
    if (!contract.codes.empty()) {
        json::array codes;
        for (const auto& c : contract.codes) codes.emplace_back(c);
        problem4["x-problem-codes"] = std::move(codes);
    }
    responses["4XX"] = std::move(problem4);
    responses["5XX"] = ProblemResponse("the server or a dependency failed");
    if (route.require_auth) {
        responses["401"] = ProblemResponse("no valid credential");
        op["security"] =
            json::array{json::object{{"bearer", json::array{}}}, json::object{{"apiKey", json::array{}}}};
    } else {
        op["security"] = json::array{json::object{}};
    }
    op["responses"] = std::move(responses);
    return op;
}

}  // namespace

std::string OpenApiDocument(const Router& router, const OpenApiInfo& info) {
    json::object paths;
    for (const auto& route : router.Routes()) {
        if (route->method == Method::kHead || route->method == Method::kOptions ||
            route->method == Method::kOther) {
            continue;
        }
        std::string method(MethodName(route->method));
        for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto& item = paths[route->pattern];
        if (!item.is_object()) item = json::object{};
        item.as_object()[method] = Operation(*route, MethodName(route->method));
    }
    json::object doc{{"openapi", "3.1.0"},
                     {"info", {{"title", info.title}, {"version", info.version}}},
                     {"servers", json::array{json::object{{"url", "/"}}}},
                     {"paths", std::move(paths)},
                     {"components", ComponentsJson(router)}};
    return json::serialize(doc);
}

}  // namespace nn::http
