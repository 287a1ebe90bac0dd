#include "infra/http/openapi.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <string_view>

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

json::object StringProperty() {
    return {{"type", "string"}};
}

json::object Components() {
    json::object field_error{
        {"type", "object"},
        {"properties",
         {{"field", StringProperty()}, {"code", StringProperty()}, {"message", StringProperty()}}}};
    json::object properties{{"type", StringProperty()},
                            {"title", StringProperty()},
                            {"status", {{"type", "integer"}}},
                            {"detail", StringProperty()},
                            {"instance", StringProperty()},
                            {"code", StringProperty()},
                            {"request_id", StringProperty()},
                            {"errors", {{"type", "array"}, {"items", std::move(field_error)}}}};
    json::object problem{{"type", "object"},
                         {"description", "RFC 9457 problem details; `code` is stable and machine-readable."},
                         {"properties", std::move(properties)}};
    json::object schemes{{"bearer", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}},
                         {"apiKey",
                          {{"type", "apiKey"},
                           {"in", "header"},
                           {"name", "Authorization"},
                           {"description", "`Authorization: ApiKey <key>`"}}}};
    json::object schemas{{"Problem", std::move(problem)}};
    return {{"schemas", std::move(schemas)}, {"securitySchemes", std::move(schemes)}};
}

json::object Operation(const Route& route, std::string_view method) {
    json::object op{{"operationId", OperationId(method, route.pattern)},
                    {"summary", route.name},
                    {"tags", json::array{json::string(Tag(route.pattern))}}};
    json::array params;
    for (auto& name : PathParameters(route.pattern)) {
        params.push_back(json::object{
            {"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
    for (const auto& name : route.headers) {
        params.push_back(json::object{
            {"name", name}, {"in", "header"}, {"required", false}, {"schema", {{"type", "string"}}}});
    }
    if (!params.empty()) op["parameters"] = std::move(params);
    if (!route.description.empty()) op["description"] = route.description;
    const bool writes =
        route.method == Method::kPost || route.method == Method::kPut || route.method == Method::kPatch;
    if (writes) {
        json::object body{{"required", false},
                          {"content", {{"application/json", {{"schema", json::object{}}}}}}};
        if (route.max_body_bytes) body["x-max-body-bytes"] = *route.max_body_bytes;
        op["requestBody"] = std::move(body);
    }
    json::object responses{{"2XX", {{"description", "success"}}},
                           {"4XX", ProblemResponse("the request was refused; nothing changed")},
                           {"5XX", ProblemResponse("the server or a dependency failed")}};
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
                     {"components", Components()}};
    return json::serialize(doc);
}

}  // namespace nn::http
