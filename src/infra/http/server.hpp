#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "infra/http/metrics.hpp"
#include "infra/http/middleware.hpp"
#include "infra/http/router.hpp"
#include "infra/http/trusted_proxies.hpp"

namespace boost::asio {
class io_context;
}

namespace nn::http {

struct ServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;  // 0: any free port (Start returns it)
    int backlog = 1024;

    std::size_t max_connections = 10'000;     // beyond: a canned 503 and close
    std::size_t max_header_bytes = 16 << 10;  // request line + fields; beyond → 431
    std::size_t max_body_bytes = 1 << 20;     // beyond → 413; RouteOptions::max_body_bytes overrides

    // From the first byte of a request to the end of its header; a slow client is disconnected
    // (slowloris).
    std::chrono::milliseconds header_timeout{10'000};
    // Reading the body, once the header is in.
    std::chrono::milliseconds body_timeout{30'000};
    // Waiting for the first byte of the next request on a kept-alive connection.
    std::chrono::milliseconds idle_timeout{60'000};
    // Writing one response (or one SSE write).
    std::chrono::milliseconds write_timeout{30'000};
    // Each readiness check gets this long before it counts as failed.
    std::chrono::milliseconds readiness_timeout{2'000};

    CorsOptions cors;             // no allowed origins: no CORS headers at all
    AccessLogSink access_log;     // empty: no access log
    Authenticator authenticator;  // empty: every request is anonymous
    RateLimiter rate_limiter;     // empty: no limits
    // /metrics and the per-check detail of /readyz: open to requests whose X-Ops-Token header
    // equals this; when empty, to loopback peers only. Others get 404 for /metrics and the bare
    // status from /readyz (what a load balancer needs), so nothing inside is shown to the internet.
    std::string ops_token;
    // Requests in progress per principal on routes marked RouteOptions::expensive.
    std::size_t max_expensive_per_key = 2;
    // Validate every answer against its route's contract (contract.hpp): a violation becomes
    // 500 "contract.violation". For tests (NEXANEST_CONTRACT_CHECK=1); it costs a parse per answer.
    bool contract_check = false;
    // Peers whose X-Forwarded-For is believed for Request::remote_address (the per-address
    // limits, the access log, ops access); empty: the TCP peer is the client, the header ignored.
    TrustedProxies trusted_proxies;
};

// Returns whether one dependency is usable; `shard` is the index of the io_context it runs on
// (so it can use that shard's pool). Exceptions count as "down".
using ReadinessCheck = std::function<boost::asio::awaitable<bool>(std::size_t shard)>;

// The HTTP/1.1 server.
//
// Threading ("shards"): the server runs on io_contexts it does not own, given as a vector of
// pointers, one per core; the caller runs each on its own thread (and may run its database
// pools, Redis connections and jobs on the same contexts). One acceptor on shard 0 accepts
// every connection and hands the socket to the next shard round-robin; from then on the
// connection and every request on it run only on that shard (Request::shard/executor).
// One acceptor rather than SO_REUSEPORT per shard: the kernel's REUSEPORT hash can pile
// long-lived keep-alive connections on one shard, and round-robin keeps the shards even.
//
// Lifecycle: construct, register routes/middleware/checks/metrics, Start() (binds and listens;
// returns the port), run the io_contexts, Stop(drain) from a thread that is not a shard thread
// while they still run, then stop the io_contexts.
class Server {
public:
    Server(std::vector<boost::asio::io_context*> shards, ServerOptions options);
    ~Server();  // Stop(0) if still running
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    Router& Routes();
    // Appends a middleware after the built-in ones (closest to the handlers).
    void Use(Middleware middleware);
    // GET /readyz runs every check; 200 when all pass, else 503, with each one's result.
    void AddReadinessCheck(std::string name, ReadinessCheck check);
    MetricsRegistry& Metrics();

    // Adds /healthz, /readyz and /metrics, binds, listens and starts accepting. Throws
    // std::system_error when the address cannot be bound. Returns the bound port.
    std::uint16_t Start();

    // Graceful shutdown, blocking: stops accepting (new connections are refused), closes idle
    // keep-alive connections and SSE streams, lets requests in progress finish and answers them
    // with Connection: close, waiting at most `drain`; then closes what is left and cancels its
    // handlers, and returns when every connection is gone (or 2 s after that, if a handler
    // ignores cancellation). Call it from a thread that is not running a shard.
    void Stop(std::chrono::milliseconds drain);

    std::uint16_t Port() const noexcept;
    std::size_t ShardCount() const noexcept;
    std::size_t Connections() const noexcept;

    struct State;

private:
    std::shared_ptr<State> state_;
};

}  // namespace nn::http
