#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "infra/http/request.hpp"
#include "infra/http/response.hpp"
#include "infra/http/schema.hpp"

namespace nn::http {

// A query parameter of a route, for the OpenAPI document and the contract check.
struct QueryParam {
    std::string name;
    Schema schema;
    bool required = false;
    std::string description;
};

// One answer a route gives besides problem+json: its status, its body's schema and media type.
// 204 (and any answer without a body) leaves the schema empty.
struct ResponseSpec {
    int status = 200;
    Schema schema;
    std::string content_type = "application/json";
    std::string description;
};

// What a route reads and answers: written next to the route's registration; the OpenAPI
// document is emitted from it and, under ServerOptions::contract_check, every answer the route
// gives is validated against it.
struct RouteContract {
    std::vector<QueryParam> query;
    std::optional<Schema> request;  // the JSON request body; nullopt: the route reads none
    std::string request_content_type = "application/json";
    std::vector<ResponseSpec> responses;
    // The problem `code` values the route itself may answer with (besides the ones every route
    // can give: auth.*, json.*, validation.failed, rate_limited, internal...).
    std::vector<std::string> codes;
};

// A route handler. It runs on the request's shard; failures are thrown as nn::Error (or
// HttpError) and become problem+json in the problem middleware.
using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

// A route's handler: the named function `Fn(ctx, request)` (or `Fn(*ctx, request)` when it takes
// the shared state itself) with the state its routes share, held by the returned handler. The
// router keeps the handler, and so `ctx`, as long as it serves, so the handler hands back Fn's
// awaitable without a coroutine frame of its own.
template <auto Fn, class Ctx>
Handler Bind(Ctx ctx) {
    if constexpr (std::is_invocable_v<decltype(Fn), const Ctx&, Request&>) {
        return [ctx = std::move(ctx)](Request& req) { return Fn(ctx, req); };
    } else {
        return [ctx = std::move(ctx)](Request& req) { return Fn(*ctx, req); };
    }
}

struct RouteOptions {
    std::string name;                           // metrics/log label; default: the pattern
    bool require_auth = false;                  // 401 unless the authenticator set a principal
    std::optional<std::size_t> max_body_bytes;  // overrides ServerOptions::max_body_bytes
    // Work proportional to the body or to a user's history (imports, batches, statements): at
    // most ServerOptions::max_expensive_per_key such requests per principal at once (429 beyond).
    bool expensive = false;
    // For the OpenAPI document only: what the route does beyond its name (markdown), and the
    // request headers it reads besides the credential (listed as optional header parameters).
    std::string description;
    std::vector<std::string> headers;
    RouteContract contract;
};

struct Route {
    Method method;
    std::string pattern;
    std::string name;
    Handler handler;
    bool require_auth;
    std::optional<std::size_t> max_body_bytes;
    bool expensive = false;
    std::string description;
    std::vector<std::string> headers;
    RouteContract contract;
};

// The outcome of matching a method and path.
struct RouteMatch {
    const Route* route = nullptr;  // nullptr: 404 when `allow` is empty, else 405
    std::vector<std::pair<std::string, std::string>> params;
    std::string allow;  // methods the path answers, for Allow / CORS ("GET, HEAD, OPTIONS")
};

// Routes by method and path pattern. A pattern is '/'-separated segments, each a literal or a
// parameter "{name}" matching one whole non-empty segment; literals win over parameters
// ("/portfolios/summary" before "/portfolios/{id}"). Paths match exactly: no trailing-slash or
// case folding. A GET route also answers HEAD. Register everything before Server::Start.
class Router {
public:
    Router();
    ~Router();
    Router(Router&&) noexcept;
    Router& operator=(Router&&) noexcept;

    // Throws std::invalid_argument on a malformed pattern, a duplicate (method, pattern), or
    // two parameter names at the same position ("/p/{id}" and "/p/{pid}/x").
    void Add(Method method, std::string_view pattern, Handler handler, RouteOptions options = {});
    void Get(std::string_view pattern, Handler handler, RouteOptions options = {});
    void Post(std::string_view pattern, Handler handler, RouteOptions options = {});
    void Put(std::string_view pattern, Handler handler, RouteOptions options = {});
    void Patch(std::string_view pattern, Handler handler, RouteOptions options = {});
    void Delete(std::string_view pattern, Handler handler, RouteOptions options = {});

    // `path` is the raw (percent-encoded) path. Throws HttpError 400 "http.bad_path" on invalid
    // percent-encoding, a NUL byte or a "." / ".." segment.
    RouteMatch Match(Method method, std::string_view path) const;

    const std::vector<std::unique_ptr<Route>>& Routes() const noexcept { return routes_; }

    // A named schema the routes' contracts refer to with Ref(name) (components/schemas). The
    // same name may be added again only with the same schema (throws std::invalid_argument).
    void AddComponent(std::string name, Schema schema);
    const Components& ComponentSchemas() const noexcept { return components_; }

private:
    struct Node;
    std::unique_ptr<Node> root_;
    std::vector<std::unique_ptr<Route>> routes_;
    Components components_;
};

}  // namespace nn::http
