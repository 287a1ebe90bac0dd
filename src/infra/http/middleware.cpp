#include "infra/http/middleware.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <random>

#include <spdlog/spdlog.h>

#include "infra/http/problem.hpp"
#include "infra/runtime/keyed_slots.hpp"

namespace nn::http {
namespace {

// A client-sent id is reused only when it cannot smuggle anything into logs or headers.
bool SaneRequestId(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '_' || c == '.' || c == ':';
    });
}

}  // namespace

std::string GenerateRequestId() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id(32, '0');
    for (int half = 0; half < 2; ++half) {
        std::uint64_t v = rng();
        for (int i = 0; i < 16; ++i, v >>= 4) id[half * 16 + i] = kHex[v & 15];
    }
    return id;
}

namespace {

std::string Join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ", ";
        out += item;
    }
    return out;
}

struct PreparedCors {
    std::vector<std::string> origins;
    bool any_origin = false;
    std::string allowed_headers;
    std::string exposed_headers;
    std::string max_age;

    bool Allows(std::string_view origin) const {
        if (origin.empty()) return false;
        return any_origin || std::find(origins.begin(), origins.end(), origin) != origins.end();
    }
    std::string AllowOriginValue(std::string_view origin) const {
        return any_origin ? std::string("*") : std::string(origin);
    }
};

}  // namespace

boost::asio::awaitable<Response> Next::operator()(Request& request) const {
    if (index_ < chain_->size()) return (*chain_)[index_](request, Next(chain_, index_ + 1, terminal_));
    return (*terminal_)(request);
}

Middleware RequestIdMiddleware() {
    return [](Request& request, Next next) -> boost::asio::awaitable<Response> {
        const std::string_view sent = request.Header("X-Request-Id");
        request.request_id = SaneRequestId(sent) ? std::string(sent) : GenerateRequestId();
        Response response = co_await next(request);
        response.SetHeader("X-Request-Id", request.request_id);
        co_return response;
    };
}

Middleware AccessLogMiddleware(AccessLogSink sink) {
    return [sink = std::move(sink)](Request& request, Next next) -> boost::asio::awaitable<Response> {
        const auto started = std::chrono::steady_clock::now();
        Response response = co_await next(request);
        sink(AccessLogEntry{
            .request_id = request.request_id,
            .method = request.MethodToken(),
            .path = request.Path(),
            .route = request.route,
            .remote_address = request.remote_address,
            .status = response.status,
            .response_bytes = response.body.size(),
            .duration = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::steady_clock::now() - started),
        });
        co_return response;
    };
}

AccessLogSink SpdlogAccessLog(std::shared_ptr<spdlog::logger> logger) {
    return [logger = std::move(logger)](const AccessLogEntry& e) {
        logger->info("http {} {} {} route={} bytes={} us={} ip={} request_id={}", e.method, e.path, e.status,
                     e.route, e.response_bytes, e.duration.count(), e.remote_address, e.request_id);
    };
}

Middleware CorsMiddleware(CorsOptions options) {
    auto cors = std::make_shared<PreparedCors>();
    cors->any_origin = std::find(options.allowed_origins.begin(), options.allowed_origins.end(), "*") !=
                       options.allowed_origins.end();
    cors->origins = std::move(options.allowed_origins);
    cors->allowed_headers = Join(options.allowed_headers);
    cors->exposed_headers = Join(options.exposed_headers);
    cors->max_age = std::to_string(options.max_age.count());
    return [cors](Request& request, Next next) -> boost::asio::awaitable<Response> {
        const std::string_view origin = request.Header("Origin");
        const bool allowed = cors->Allows(origin);
        const bool preflight = request.GetMethod() == Method::kOptions && !origin.empty() &&
                               request.HasHeader("Access-Control-Request-Method") && !request.allow.empty();
        if (preflight) {
            // A refused origin gets the same 204 without CORS headers: the browser then blocks
            // the call, and nothing tells the caller which origins are allowed.
            Response response = Response::NoContent();
            if (allowed) {
                response.SetHeader("Access-Control-Allow-Origin", cors->AllowOriginValue(origin));
                response.SetHeader("Access-Control-Allow-Methods", request.allow);
                response.SetHeader("Access-Control-Allow-Headers", cors->allowed_headers);
                response.SetHeader("Access-Control-Max-Age", cors->max_age);
            }
            response.AddHeader("Vary", "Origin");
            co_return response;
        }
        Response response = co_await next(request);
        if (allowed) {
            response.SetHeader("Access-Control-Allow-Origin", cors->AllowOriginValue(origin));
            response.SetHeader("Access-Control-Expose-Headers", cors->exposed_headers);
        }
        if (!origin.empty()) response.AddHeader("Vary", "Origin");
        co_return response;
    };
}

Middleware ProblemMiddleware() {
    return [](Request& request, Next next) -> boost::asio::awaitable<Response> {
        std::exception_ptr error;
        try {
            co_return co_await next(request);
        } catch (...) {
            error = std::current_exception();
        }
        co_return ProblemFromException(error, request);
    };
}

Middleware AuthMiddleware(Authenticator authenticator) {
    return [authenticator = std::move(authenticator)](Request& request,
                                                      Next next) -> boost::asio::awaitable<Response> {
        if (authenticator) co_await authenticator(request);
        if (request.require_auth && !request.principal.has_value()) {
            throw HttpError(401, "auth.required", "this endpoint needs a bearer token or an API key",
                            {{"WWW-Authenticate", "Bearer"}});
        }
        co_return co_await next(request);
    };
}

Middleware RateLimitMiddleware(RateLimiter limiter) {
    return [limiter = std::move(limiter)](Request& request, Next next) -> boost::asio::awaitable<Response> {
        if (limiter) {
            const std::optional<std::chrono::seconds> wait = co_await limiter(request);
            if (wait) {
                const auto seconds = std::max<std::chrono::seconds::rep>(1, wait->count());
                throw HttpError(429, "rate_limited",
                                "too many requests; retry in " + std::to_string(seconds) + " s",
                                {{"Retry-After", std::to_string(seconds)}});
            }
        }
        co_return co_await next(request);
    };
}

Middleware ExpensiveLimitMiddleware(std::size_t max_per_key) {
    auto slots = std::make_shared<runtime::KeyedSlots>();
    return [slots, max_per_key](Request& request, Next next) -> boost::asio::awaitable<Response> {
        if (request.matched == nullptr || !request.matched->expensive) co_return co_await next(request);
        const std::string key =
            request.principal_key.empty() ? "ip:" + request.remote_address : request.principal_key;
        const std::shared_ptr<const void> slot = slots->Take(key, max_per_key);
        if (!slot) {
            throw HttpError(429, "rate_limited.concurrent",
                            "another request of this kind is still running for you; retry when it ends",
                            {{"Retry-After", "1"}});
        }
        co_return co_await next(request);
    };
}

}  // namespace nn::http
