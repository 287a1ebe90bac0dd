// The server's own routes: /healthz, /readyz, /metrics and /api/v1/openapi.json.

#include <spdlog/spdlog.h>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "infra/http/http_error.hpp"
#include "infra/http/schema.hpp"
#include "infra/http/server_state.hpp"

namespace nn::http::detail {
namespace {

asio::awaitable<bool> RunCheck(const ReadinessCheck& check,
                               std::size_t shard,
                               std::chrono::milliseconds timeout) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
    bool up = false;
    try {
        auto probe = check(shard);
        auto result = co_await (std::move(probe) || timer.async_wait(asio::use_awaitable));
        up = result.index() == 0 && std::get<0>(result);
    } catch (const std::exception& e) {
        spdlog::warn("readiness check failed: {}", e.what());
    }
    co_return up;
}

// Whether a request may see the server's insides (metrics, which dependency is down).
bool OpsAllowed(const State* st, const Request& request) {
    if (!st->options.ops_token.empty()) {
        const std::string_view given = request.Header("X-Ops-Token");
        const std::string& want = st->options.ops_token;
        if (given.size() != want.size()) return false;
        unsigned char diff = 0;  // constant time: the token is a secret
        for (std::size_t i = 0; i < want.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ want[i]);
        return diff == 0;
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(request.remote_address, ec);
    return !ec && address.is_loopback();
}

asio::awaitable<Response> Readyz(State* st, Request& request) {
    boost::json::object checks;
    bool all_up = true;
    for (const auto& [name, check] : st->checks) {
        const bool up = co_await RunCheck(check, request.shard, st->options.readiness_timeout);
        checks[name] = up ? "up" : "down";
        all_up = all_up && up;
    }
    const bool draining = st->stopping.load();
    boost::json::object body{{"status", draining ? "draining" : (all_up ? "ready" : "not_ready")}};
    if (OpsAllowed(st, request)) body["checks"] = std::move(checks);
    co_return Response(all_up && !draining ? 200 : 503, boost::json::serialize(body), "application/json");
}

asio::awaitable<Response> Healthz() {
    co_return Response(200, R"({"status":"ok"})", "application/json");
}

asio::awaitable<Response> OpenApi(State* st) {
    co_return Response(200, st->openapi, "application/json");
}

asio::awaitable<Response> MetricsPage(State* st, Request& request) {
    if (!OpsAllowed(st, request)) throw HttpError(404, "http.not_found", "there is nothing at this path");
    std::string text;
    st->metrics.Render(text, st->connections.load());
    text += st->registry.Render();
    co_return Response(200, std::move(text), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace

void AddBuiltinRoutes(State& st) {
    State* raw = &st;
    using namespace schema;
    st.router.Get(
        "/healthz", [](Request&) { return Healthz(); },
        {.name = "healthz", .contract = {.responses = {{200, Object({{"status", Enum({"ok"})}})}}}});
    auto readiness = Object({{"status", Enum({"ready", "not_ready", "draining"})},
                             Opt("checks", Map(Enum({"up", "down"})).Describe("to operators only"))});
    st.router.Get("/readyz", [raw](Request& r) { return Readyz(raw, r); },
                  {.name = "readyz", .contract = {.responses = {{200, readiness}, {503, readiness}}}});
    st.router.Get("/metrics", [raw](Request& r) { return MetricsPage(raw, r); },
                  {.name = "metrics",
                   .contract = {.responses = {{200, String(), "text/plain", "Prometheus text format 0.0.4"}},
                                .codes = {"http.not_found"}}});
    st.router.Get("/api/v1/openapi.json", [raw](Request&) { return OpenApi(raw); },
                  {.name = "openapi",
                   .contract = {.responses = {{200, Object({{"openapi", Enum({"3.1.0"})}}).Open(),
                                               "application/json", "this document"}}}});
}

}  // namespace nn::http::detail
