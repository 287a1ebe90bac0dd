#pragma once

// Private to nn_http: what server.cpp (lifecycle, acceptor, shutdown), session.cpp (one
// connection), sse_session.cpp (one event stream) and builtin_routes.cpp (/healthz, /readyz,
// /metrics, /api/v1/openapi.json) share. Beast and Asio are fine here: no public header includes it.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "infra/http/request_metrics.hpp"
#include "infra/http/server.hpp"

namespace nn::http {

namespace detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Every awaited operation reports its error as a value instead of throwing.
inline constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

enum class Phase { kIdle, kReading, kHandling, kStreaming, kClosing };

class SseSession;

// What Stop needs to reach one connection. Lives in its shard's list while the session runs and
// is only touched on that shard's thread.
struct SessionCtl {
    explicit SessionCtl(std::size_t s) : shard(s) {}
    std::size_t shard;
    asio::cancellation_signal cancel;
    Phase phase = Phase::kIdle;
    beast::tcp_stream* stream = nullptr;
    SseSession* sse = nullptr;
};

// Logs how a detached coroutine ended; cancellation at shutdown is the normal end.
struct LogEnd {
    const char* what;
    void operator()(std::exception_ptr error) const;
};

// The end of the middleware chain: the matched route's handler, else 405 (or the OPTIONS
// answer) when the path exists for other methods, else 404. In session.cpp.
asio::awaitable<Response> Dispatch(Request& request);

}  // namespace detail

struct Server::State {
    State(std::vector<boost::asio::io_context*> c, ServerOptions o)
        : options(std::move(o)), contexts(std::move(c)), sessions(contexts.size()) {}

    ServerOptions options;
    Router router;
    std::vector<Middleware> user_middleware;
    std::vector<Middleware> chain;
    Handler terminal = detail::Dispatch;
    std::vector<std::pair<std::string, ReadinessCheck>> checks;
    MetricsRegistry registry;
    std::string openapi;  // built at Start, once every route is registered
    detail::HttpMetrics metrics;

    std::vector<boost::asio::io_context*> contexts;
    std::vector<std::list<detail::SessionCtl*>> sessions;  // per shard, touched only on its thread
    std::optional<detail::tcp::acceptor> acceptor;
    std::size_t next_shard = 0;  // accept loop only
    std::uint16_t port = 0;

    std::atomic<bool> started{false};
    std::atomic<bool> stopping{false};
    std::atomic<bool> stop_called{false};
    std::atomic<std::size_t> connections{0};
    bool accepting = false;  // guarded by mutex
    std::mutex mutex;
    std::condition_variable changed;

    void Notify() {
        std::lock_guard lock(mutex);
        changed.notify_all();
    }
};

namespace detail {

using State = Server::State;

// session.cpp: one accepted connection, request after request, until it closes.
asio::awaitable<void> RunSession(std::shared_ptr<State> st,
                                 std::shared_ptr<SessionCtl> ctl,
                                 tcp::socket socket);
// session.cpp: over the connection cap, a canned 503 without reading the request, then close.
asio::awaitable<void> RejectBusy(tcp::socket socket, std::chrono::milliseconds timeout);

// builtin_routes.cpp: registers /healthz, /readyz, /metrics and /api/v1/openapi.json.
void AddBuiltinRoutes(State& st);

}  // namespace detail
}  // namespace nn::http
