#include "infra/db/pool.hpp"

#include <algorithm>
#include <deque>
#include <list>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "infra/db/errors.hpp"

namespace nn::db {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace detail {

// A connection used this recently is lent without the (one syscall) check for a server-side
// close: under load connections come back every few microseconds, and a server that just went
// away is then reported by the query itself.
constexpr auto kTrustIdleFor = std::chrono::milliseconds(5);

class PoolImpl : public std::enable_shared_from_this<PoolImpl> {
public:
    PoolImpl(asio::any_io_executor executor, PoolOptions options)
        : executor_(executor), options_(std::move(options)), maintenance_timer_(executor) {
        if (options_.max_size == 0) options_.max_size = 1;
        options_.min_size = std::min(options_.min_size, options_.max_size);
        if (!options_.connection.metrics) options_.connection.metrics = std::make_shared<QueryMetrics>();
    }

    void Start() { asio::co_spawn(executor_, Maintain(shared_from_this()), asio::detached); }

    asio::awaitable<PooledConnection> Acquire(std::chrono::milliseconds timeout) {
        auto self = shared_from_this();
        const auto deadline = Clock::now() + timeout;
        ++stats_.acquires;
        bool counted_wait = false;
        for (;;) {
            ThrowIfClosed();
            if (auto conn = TakeIdle()) co_return Lend(std::move(conn));
            if (Size() < options_.max_size) {
                auto conn = co_await ConnectOne(deadline);
                if (conn) co_return Lend(std::move(conn));
                continue;
            }
            if (!counted_wait) {
                ++stats_.waits;
                counted_wait = true;
            }
            Waiter waiter(executor_, deadline);
            auto it = waiters_.insert(waiters_.end(), &waiter);
            co_await waiter.timer.async_wait(asio::as_tuple(asio::use_awaitable));
            if (!waiter.woken) waiters_.erase(it);
            // A handed-over connection was counted as in use by whoever handed it over.
            if (waiter.conn) co_return Wrap(std::move(waiter.conn));
            if (!waiter.woken && Clock::now() >= deadline) {
                ++stats_.acquire_timeouts;
                ErrorInfo info;
                info.server_message =
                    "no database connection became free within " + std::to_string(timeout.count()) + " ms";
                throw PoolTimeout(ErrorKind::kUnavailable, "db.pool_timeout", std::move(info));
            }
        }
    }

    void Release(std::unique_ptr<Connection> conn) {
        if (closed_ || conn->IsBroken()) {
            Discard(std::move(conn));
            return;
        }
        if (conn->NeedsReset()) {
            // Still counted as in use until it is clean.
            ++stats_.resets;
            asio::co_spawn(executor_, ResetAndReturn(shared_from_this(), std::move(conn)), asio::detached);
            return;
        }
        HandOver(std::move(conn), true);
    }

    PoolStats Stats() const {
        PoolStats s = stats_;
        s.max_size = options_.max_size;
        s.size = Size();
        s.idle = idle_.size();
        s.in_use = in_use_;
        s.waiting = waiters_.size();
        return s;
    }

    const PoolOptions& Options() const noexcept { return options_; }

    void Close() {
        if (closed_) return;
        closed_ = true;
        maintenance_timer_.cancel();
        idle_.clear();
        for (Waiter* w : waiters_) {
            w->woken = true;
            w->timer.cancel();
        }
        waiters_.clear();
    }

private:
    struct Waiter {
        Waiter(asio::any_io_executor ex, Clock::time_point deadline) : timer(ex, deadline) {}
        asio::steady_timer timer;
        std::unique_ptr<Connection> conn;
        bool woken = false;
    };
    struct Idle {
        std::unique_ptr<Connection> conn;
        Clock::time_point since;
    };

    std::size_t Size() const noexcept { return idle_.size() + in_use_ + connecting_ + checking_; }

    void ThrowIfClosed() const {
        if (!closed_) return;
        ErrorInfo info;
        info.server_message = "pool is closed";
        throw ConnectionError(ErrorKind::kUnavailable, "db.connection", std::move(info));
    }

    PooledConnection Lend(std::unique_ptr<Connection> conn) {
        ++in_use_;
        return Wrap(std::move(conn));
    }

    PooledConnection Wrap(std::unique_ptr<Connection> conn) {
        stats_.peak_in_use = std::max(stats_.peak_in_use, in_use_);
        return PooledConnection(shared_from_this(), std::move(conn));
    }

    // Closes a connection counted as in use and lets a waiter use the freed slot.
    void Discard(std::unique_ptr<Connection> conn) {
        --in_use_;
        ++stats_.discarded;
        conn.reset();
        WakeOne();
    }

    std::unique_ptr<Connection> TakeIdle() {
        while (!idle_.empty()) {
            // Most recently used first: its socket and server caches are warm, and the
            // maintenance task can close the cold ones.
            const bool recent = Clock::now() - idle_.back().since < kTrustIdleFor;
            std::unique_ptr<Connection> conn = std::move(idle_.back().conn);
            idle_.pop_back();
            if (recent || conn->CheckIdleAlive()) return conn;
            ++stats_.discarded;
        }
        return nullptr;
    }

    // Gives a usable connection to the first waiter, or makes it idle. `counted`: it is
    // currently counted in in_use_. A connection in transit to a waiter stays counted, so
    // nobody opens one too many while the waiter has not resumed yet.
    void HandOver(std::unique_ptr<Connection> conn, bool counted) {
        if (closed_) {
            if (counted) --in_use_;
            return;
        }
        while (!waiters_.empty()) {
            Waiter* w = waiters_.front();
            waiters_.pop_front();
            if (w->woken) continue;
            w->woken = true;
            w->conn = std::move(conn);
            w->timer.cancel();
            if (!counted) ++in_use_;
            return;
        }
        if (counted) --in_use_;
        idle_.push_back(Idle{std::move(conn), Clock::now()});
    }

    // A slot freed without a connection to hand over: the first waiter retries (and may
    // connect a new one).
    void WakeOne() {
        while (!waiters_.empty()) {
            Waiter* w = waiters_.front();
            waiters_.pop_front();
            if (w->woken) continue;
            w->woken = true;
            w->timer.cancel();
            return;
        }
    }

    // One connect attempt bounded by the acquire deadline. Returns null after a failure that
    // leaves time to retry (after the backoff); throws when the deadline is reached.
    asio::awaitable<std::unique_ptr<Connection>> ConnectOne(Clock::time_point deadline) {
        ++connecting_;
        std::unique_ptr<Connection> conn;
        std::exception_ptr error;
        try {
            ConnectOptions opts = options_.connection;
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            opts.connect_timeout =
                std::max(std::chrono::milliseconds(1), std::min(opts.connect_timeout, left));
            conn = co_await Connection::Connect(executor_, std::move(opts));
        } catch (const DbError&) {
            error = std::current_exception();
        }
        --connecting_;
        if (conn) {
            ++stats_.connects;
            backoff_ = std::chrono::milliseconds(0);
            co_return conn;
        }
        ++stats_.connect_errors;
        WakeOne();
        const auto pause = NextBackoff();
        if (Clock::now() + pause >= deadline) std::rethrow_exception(error);
        asio::steady_timer timer(executor_, pause);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        co_return nullptr;
    }

    std::chrono::milliseconds NextBackoff() {
        backoff_ = backoff_.count() == 0 ? options_.reconnect_backoff_min
                                         : std::min(backoff_ * 2, options_.reconnect_backoff_max);
        return backoff_;
    }

    static asio::awaitable<void> ResetAndReturn(std::shared_ptr<PoolImpl> self,
                                                std::unique_ptr<Connection> conn) {
        bool ok = true;
        try {
            co_await conn->Reset(self->options_.reset_timeout);
        } catch (const std::exception&) {
            ok = false;
        }
        if (!ok || self->closed_ || conn->IsBroken()) {
            self->Discard(std::move(conn));
            co_return;
        }
        self->HandOver(std::move(conn), true);
    }

    // Keeps min_size connections open (reconnecting with backoff while the server is down)
    // and pings idle connections that were not used for a health-check interval.
    static asio::awaitable<void> Maintain(std::shared_ptr<PoolImpl> self) {
        const auto tick =
            std::max(std::chrono::milliseconds(50),
                     std::min(self->options_.health_check_interval, std::chrono::milliseconds(1000)));
        auto pause = tick;
        while (!self->closed_) {
            self->maintenance_timer_.expires_after(pause);
            co_await self->maintenance_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
            if (self->closed_) break;
            pause = tick;
            co_await self->CheckIdle();
            while (!self->closed_ && self->Size() < self->options_.min_size) {
                const bool opened = co_await self->OpenSpare();
                if (!opened) {
                    pause = self->NextBackoff();
                    break;
                }
            }
        }
    }

    asio::awaitable<bool> OpenSpare() {
        ++connecting_;
        std::unique_ptr<Connection> conn;
        try {
            conn = co_await Connection::Connect(executor_, options_.connection);
        } catch (const DbError&) {
            ++stats_.connect_errors;
        }
        --connecting_;
        if (!conn) co_return false;
        ++stats_.connects;
        backoff_ = std::chrono::milliseconds(0);
        HandOver(std::move(conn), false);
        co_return true;
    }

    asio::awaitable<void> CheckIdle() {
        const auto now = Clock::now();
        std::vector<std::unique_ptr<Connection>> stale;
        for (auto it = idle_.begin(); it != idle_.end();) {
            if (now - it->since >= options_.health_check_interval) {
                stale.push_back(std::move(it->conn));
                it = idle_.erase(it);
            } else {
                ++it;
            }
        }
        for (auto& conn : stale) {
            ++checking_;
            bool ok = conn->CheckIdleAlive();
            if (ok) {
                try {
                    static constexpr Query kPing{"SELECT 1", "db.health_check"};
                    co_await conn->Run(kPing, Params(), options_.reset_timeout);
                } catch (const std::exception&) {
                    ok = false;
                }
            }
            --checking_;
            if (ok) {
                HandOver(std::move(conn), false);
            } else {
                ++stats_.discarded;
                conn.reset();
                WakeOne();
            }
        }
    }

    asio::any_io_executor executor_;
    PoolOptions options_;
    asio::steady_timer maintenance_timer_;
    std::deque<Idle> idle_;
    std::list<Waiter*> waiters_;
    std::size_t in_use_ = 0;
    std::size_t connecting_ = 0;
    std::size_t checking_ = 0;
    std::chrono::milliseconds backoff_{0};
    bool closed_ = false;
    PoolStats stats_;
};

}  // namespace detail

PooledConnection::PooledConnection(std::shared_ptr<detail::PoolImpl> pool, std::unique_ptr<Connection> conn)
    : pool_(std::move(pool)), conn_(std::move(conn)) {}

PooledConnection& PooledConnection::operator=(PooledConnection&& other) noexcept {
    if (this != &other) {
        Release();
        pool_ = std::move(other.pool_);
        conn_ = std::move(other.conn_);
    }
    return *this;
}

PooledConnection::~PooledConnection() {
    Release();
}

void PooledConnection::Release() {
    if (pool_ && conn_) pool_->Release(std::move(conn_));
    pool_.reset();
    conn_.reset();
}

Pool::Pool(asio::any_io_executor executor, PoolOptions options)
    : impl_(std::make_shared<detail::PoolImpl>(executor, std::move(options))) {
    impl_->Start();
}

Pool::~Pool() {
    impl_->Close();
}

asio::awaitable<PooledConnection> Pool::Acquire(std::optional<std::chrono::milliseconds> timeout) {
    return impl_->Acquire(timeout.value_or(impl_->Options().acquire_timeout));
}

asio::awaitable<Result> Pool::Run(Query query,
                                  Params params,
                                  std::optional<std::chrono::milliseconds> timeout) {
    PooledConnection conn = co_await Acquire();
    co_return co_await conn->Run(query, std::move(params), timeout);
}

asio::awaitable<PipelineResults> Pool::RunPipeline(Pipeline pipeline,
                                                   std::optional<std::chrono::milliseconds> timeout) {
    PooledConnection conn = co_await Acquire();
    co_return co_await conn->RunPipeline(std::move(pipeline), timeout);
}

PoolStats Pool::Stats() const {
    return impl_->Stats();
}

std::vector<QueryStat> Pool::QueryStats() const {
    return impl_->Options().connection.metrics->Snapshot();
}

const PoolOptions& Pool::Options() const noexcept {
    return impl_->Options();
}

void Pool::Close() {
    impl_->Close();
}

}  // namespace nn::db
