#include "infra/db/listener.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "infra/db/detail/connection_impl.hpp"
#include "infra/db/url.hpp"

namespace nn::db {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {
constexpr std::chrono::milliseconds kBackoffMin{100};
constexpr std::chrono::milliseconds kBackoffMax{5000};
}  // namespace

Listener::Listener(asio::any_io_executor executor, ConnectOptions options)
    : executor_(executor), options_(std::move(options)) {}

Listener::~Listener() = default;

bool Listener::Connected() const noexcept {
    return conn_ && !conn_->IsBroken();
}

asio::awaitable<void> Listener::Connect(Clock::time_point deadline) {
    ConnectOptions opts = options_;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    opts.connect_timeout = std::max(std::chrono::milliseconds(1), std::min(opts.connect_timeout, left));
    auto conn = co_await Connection::Connect(executor_, std::move(opts));
    for (const std::string& channel : channels_) {
        co_await conn->ExecuteScript("LISTEN " + QuoteIdentifier(channel));
    }
    conn_ = std::move(conn);
    if (ever_connected_) ++reconnects_;
    ever_connected_ = true;
    backoff_ = std::chrono::milliseconds(0);
}

asio::awaitable<bool> Listener::Reconnect(Clock::time_point deadline) {
    conn_.reset();
    while (Clock::now() < deadline) {
        try {
            co_await Connect(deadline);
            co_return true;
        } catch (const DbError&) {
            conn_.reset();
        }
        backoff_ = backoff_.count() == 0 ? kBackoffMin : std::min(backoff_ * 2, kBackoffMax);
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) break;
        asio::steady_timer timer(executor_, std::min(backoff_, left));
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_return false;
}

asio::awaitable<void> Listener::Listen(std::string channel) {
    if (std::find(channels_.begin(), channels_.end(), channel) != channels_.end()) co_return;
    channels_.push_back(channel);
    if (!Connected()) {
        // Connect() LISTENs to every channel, this one included.
        co_await Connect(Clock::now() + options_.connect_timeout);
        co_return;
    }
    co_await conn_->ExecuteScript("LISTEN " + QuoteIdentifier(channel));
}

asio::awaitable<void> Listener::Unlisten(std::string channel) {
    channels_.erase(std::remove(channels_.begin(), channels_.end(), channel), channels_.end());
    if (Connected()) co_await conn_->ExecuteScript("UNLISTEN " + QuoteIdentifier(channel));
}

void Listener::TakeNotifications() {
    PGconn* raw = conn_->Impl().Raw();
    while (PGnotify* n = PQnotifies(raw)) {
        queue_.push_back(Notification{n->relname, n->extra == nullptr ? "" : n->extra, n->be_pid});
        PQfreemem(n);
    }
}

asio::awaitable<std::optional<Notification>> Listener::Next(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (!queue_.empty()) {
            Notification n = std::move(queue_.front());
            queue_.pop_front();
            co_return n;
        }
        if (!Connected()) {
            const bool connected = co_await Reconnect(deadline);
            if (!connected) co_return std::nullopt;
            TakeNotifications();
            continue;
        }
        detail::PgConn& pg = *conn_->Impl().pg;
        bool ready = false;
        try {
            detail::DeadlineGuard guard(pg, deadline, detail::OnDeadline::kGiveUp,
                                        std::chrono::milliseconds(0));
            ready = co_await pg.WaitReadable();
        } catch (const ConnectionError&) {
            conn_.reset();
            continue;
        }
        if (!ready) co_return std::nullopt;
        // Fails on EOF: the server went away (restart, terminated backend).
        if (PQconsumeInput(pg.Get()) == 0 || PQstatus(pg.Get()) != CONNECTION_OK) {
            conn_.reset();
            continue;
        }
        TakeNotifications();
    }
}

}  // namespace nn::db
