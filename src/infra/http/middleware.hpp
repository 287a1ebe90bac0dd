#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "infra/http/request.hpp"
#include "infra/http/response.hpp"
#include "infra/http/router.hpp"

namespace spdlog {
class logger;
}

namespace nn::http {

class Next;

// The one middleware shape (Drogon's, as a coroutine): answer early by returning a Response, or
// wrap the rest with `co_await next(request)` and look at or change what comes back.
using Middleware = std::function<boost::asio::awaitable<Response>(Request&, Next)>;

// The rest of the chain after the current middleware; the last link runs the route handler.
class Next {
public:
    Next(const std::vector<Middleware>* chain, std::size_t index, const Handler* terminal) noexcept
        : chain_(chain), index_(index), terminal_(terminal) {}

    boost::asio::awaitable<Response> operator()(Request& request) const;

private:
    const std::vector<Middleware>* chain_;
    std::size_t index_;
    const Handler* terminal_;
};

// Hooks the built-in middleware calls; each may be empty (the middleware then does nothing).

// Inspects credentials (Authorization header, API key) and sets request.principal when they are
// valid; throws nn::Error kUnauthorized when credentials are present but wrong. Routes with
// require_auth answer 401 when no principal is set after it ran.
using Authenticator = std::function<boost::asio::awaitable<void>(Request&)>;

// Returns how long the client must wait when it is over its limit (→ 429 + Retry-After), or
// nullopt to let the request through. Runs after authentication, so it can key on the principal
// or on request.remote_address, and on request.route.
using RateLimiter = std::function<boost::asio::awaitable<std::optional<std::chrono::seconds>>(Request&)>;

struct AccessLogEntry {
    std::string_view request_id;
    std::string_view method;
    std::string_view path;  // without the query string (it may hold tokens)
    std::string_view route;
    std::string_view remote_address;
    int status;
    std::size_t response_bytes;
    std::chrono::microseconds duration;
};
// Called once per request on the request's shard; must be thread-safe across shards.
using AccessLogSink = std::function<void(const AccessLogEntry&)>;
// A sink that writes one info line per request to `logger` (runtime::AccessLogger() in the app:
// batched, so a request pays for formatting only).
AccessLogSink SpdlogAccessLog(std::shared_ptr<spdlog::logger> logger);

struct CorsOptions {
    std::vector<std::string> allowed_origins;  // exact origins ("https://app.example"); "*" = any
    std::vector<std::string> allowed_headers = {"Authorization", "Content-Type", "Idempotency-Key",
                                                "X-Request-Id", "Last-Event-ID"};
    std::vector<std::string> exposed_headers = {"X-Request-Id", "Retry-After", "Location"};
    std::chrono::seconds max_age{600};
};

// The built-in middleware, in the order the server chains them (outermost first):
//   request id → access log → CORS → problem mapper → authentication → rate limit →
//   expensive-route limit → Server::Use
// so every answer, errors included, carries X-Request-Id and CORS headers and is logged.
Middleware RequestIdMiddleware();
// 32 random hex characters; what RequestIdMiddleware assigns when the client sent no usable id.
std::string GenerateRequestId();
Middleware AccessLogMiddleware(AccessLogSink sink);
Middleware CorsMiddleware(CorsOptions options);
Middleware ProblemMiddleware();
Middleware AuthMiddleware(Authenticator authenticator);
Middleware RateLimitMiddleware(RateLimiter limiter);
// For routes marked `expensive`: at most `max_per_key` requests in progress per principal
// (Request::principal_key, else the peer address) across every shard; beyond, 429
// "rate_limited.concurrent" with Retry-After: 1. One user cannot occupy the CPU pool or the
// database with many imports at once.
Middleware ExpensiveLimitMiddleware(std::size_t max_per_key);

}  // namespace nn::http
