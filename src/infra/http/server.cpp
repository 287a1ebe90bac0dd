// Server: its lifecycle (Start, Stop), the acceptor handing connections to the shards, and the
// shutdown of open sessions. One connection's work is in session.cpp, an event stream's in
// sse_session.cpp, the request metrics in request_metrics.cpp, the built-in routes in
// builtin_routes.cpp; server_state.hpp is what they share.

#include "infra/http/server.hpp"

#include <stdexcept>

#include <spdlog/spdlog.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "infra/http/contract.hpp"
#include "infra/http/openapi.hpp"
#include "infra/http/server_state.hpp"
#include "infra/http/sse_session.hpp"

namespace nn::http {
namespace detail {

void LogEnd::operator()(std::exception_ptr error) const {
    if (!error) return;
    try {
        std::rethrow_exception(error);
    } catch (const boost::system::system_error& e) {
        if (e.code() != asio::error::operation_aborted) spdlog::warn("http {} ended: {}", what, e.what());
    } catch (const std::exception& e) {
        spdlog::error("http {} failed: {}", what, e.what());
    } catch (...) {
        spdlog::error("http {} failed with a non-standard exception", what);
    }
}

namespace {

// How long Stop waits for cancelled sessions to finish after the drain ran out.
constexpr std::chrono::milliseconds kForceGrace{2000};
// After a failed accept (out of descriptors or buffers), before the next one.
constexpr std::chrono::milliseconds kAcceptBackoff{50};

asio::awaitable<void> AcceptLoop(std::shared_ptr<State> st) {
    auto& acceptor = *st->acceptor;
    for (;;) {
        const std::size_t shard = st->next_shard++ % st->contexts.size();
        auto [ec, socket] = co_await acceptor.async_accept(*st->contexts[shard], kTuple);
        if (st->stopping.load() || ec == asio::error::operation_aborted) break;
        if (ec) {
            // Out of descriptors or buffers: back off instead of spinning on the error.
            spdlog::warn("http accept failed: {}", ec.message());
            asio::steady_timer pause(acceptor.get_executor(), kAcceptBackoff);
            co_await pause.async_wait(kTuple);
            continue;
        }
        auto executor = socket.get_executor();
        if (st->connections.load() >= st->options.max_connections) {
            st->metrics.rejected.fetch_add(1, std::memory_order_relaxed);
            asio::co_spawn(executor, RejectBusy(std::move(socket), st->options.write_timeout),
                           LogEnd{"reject"});
            continue;
        }
        st->connections.fetch_add(1);
        auto ctl = std::make_shared<SessionCtl>(shard);
        auto slot = ctl->cancel.slot();
        // The completion handler keeps the signal alive until the coroutine has fully finished;
        // destroying it with the coroutine frame would free the slot's handler while co_spawn
        // is still completing through it.
        asio::co_spawn(executor, RunSession(st, ctl, std::move(socket)),
                       asio::bind_cancellation_slot(
                           slot, [ctl](std::exception_ptr error) { LogEnd{"session"}(error); }));
    }
    {
        std::lock_guard lock(st->mutex);
        st->accepting = false;
    }
    st->changed.notify_all();
}

// The built-in middleware in their order (server.hpp), then the application's.
void BuildChain(State& st) {
    st.chain.push_back(RequestIdMiddleware());
    if (st.options.contract_check) {
        st.chain.push_back(ContractCheckMiddleware(
            std::make_shared<const boost::json::object>(boost::json::parse(st.openapi).as_object())));
    }
    if (st.options.access_log) st.chain.push_back(AccessLogMiddleware(st.options.access_log));
    if (!st.options.cors.allowed_origins.empty()) st.chain.push_back(CorsMiddleware(st.options.cors));
    st.chain.push_back(ProblemMiddleware());
    st.chain.push_back(AuthMiddleware(st.options.authenticator));
    if (st.options.rate_limiter) st.chain.push_back(RateLimitMiddleware(st.options.rate_limiter));
    st.chain.push_back(ExpensiveLimitMiddleware(st.options.max_expensive_per_key));
    for (auto& m : st.user_middleware) st.chain.push_back(std::move(m));
}

// Binds and listens on shard 0; returns the bound port.
std::uint16_t Listen(State& st) {
    const tcp::endpoint endpoint(asio::ip::make_address(st.options.host), st.options.port);
    st.acceptor.emplace(*st.contexts[0]);
    st.acceptor->open(endpoint.protocol());
    st.acceptor->set_option(asio::socket_base::reuse_address(true));
    st.acceptor->bind(endpoint);
    st.acceptor->listen(st.options.backlog);
    return st.acceptor->local_endpoint().port();
}

void Drain(SessionCtl& ctl) {
    if (ctl.phase == Phase::kIdle && ctl.stream != nullptr) ctl.stream->cancel();
    if (ctl.phase == Phase::kStreaming && ctl.sse != nullptr) ctl.sse->Close();
}

void Force(SessionCtl& ctl) {
    ctl.cancel.emit(asio::cancellation_type::terminal);
    if (ctl.sse != nullptr) ctl.sse->Close();
    if (ctl.stream != nullptr) ctl.stream->close();
}

}  // namespace
}  // namespace detail

namespace asio = boost::asio;

Server::Server(std::vector<asio::io_context*> shards, ServerOptions options) {
    if (shards.empty()) throw std::invalid_argument("the HTTP server needs at least one io_context");
    state_ = std::make_shared<State>(std::move(shards), std::move(options));
}

Server::~Server() {
    if (state_->started.load()) Stop(std::chrono::milliseconds(0));
}

Router& Server::Routes() {
    return state_->router;
}

void Server::Use(Middleware middleware) {
    state_->user_middleware.push_back(std::move(middleware));
}

void Server::AddReadinessCheck(std::string name, ReadinessCheck check) {
    state_->checks.emplace_back(std::move(name), std::move(check));
}

MetricsRegistry& Server::Metrics() {
    return state_->registry;
}

std::uint16_t Server::Start() {
    State& st = *state_;
    if (st.started.exchange(true)) throw std::logic_error("Server::Start called twice");
    detail::AddBuiltinRoutes(st);
    st.openapi = OpenApiDocument(st.router);
    detail::BuildChain(st);
    st.metrics.Prepare(st.router.Routes(), st.contexts.size());
    st.port = detail::Listen(st);
    {
        std::lock_guard lock(st.mutex);
        st.accepting = true;
    }
    asio::co_spawn(*st.contexts[0], detail::AcceptLoop(state_), detail::LogEnd{"acceptor"});
    return st.port;
}

void Server::Stop(std::chrono::milliseconds drain) {
    auto st = state_;
    if (!st->started.load() || st->stop_called.exchange(true)) return;
    st->stopping.store(true);
    asio::post(*st->contexts[0], [st] {
        boost::system::error_code ignored;
        st->acceptor->close(ignored);
    });
    for (std::size_t i = 0; i < st->contexts.size(); ++i) {
        asio::post(*st->contexts[i], [st, i] {
            for (detail::SessionCtl* ctl : st->sessions[i]) detail::Drain(*ctl);
        });
    }
    const auto done = [&] { return st->connections.load() == 0 && !st->accepting; };
    std::unique_lock lock(st->mutex);
    if (st->changed.wait_for(lock, drain, done)) return;
    lock.unlock();
    spdlog::warn("http shutdown: {} connections still open after the drain; closing them",
                 st->connections.load());
    for (std::size_t i = 0; i < st->contexts.size(); ++i) {
        asio::post(*st->contexts[i], [st, i] {
            for (detail::SessionCtl* ctl : st->sessions[i]) detail::Force(*ctl);
        });
    }
    lock.lock();
    st->changed.wait_for(lock, detail::kForceGrace, done);
}

std::uint16_t Server::Port() const noexcept {
    return state_->port;
}
std::size_t Server::ShardCount() const noexcept {
    return state_->contexts.size();
}
std::size_t Server::Connections() const noexcept {
    return state_->connections.load();
}

}  // namespace nn::http
