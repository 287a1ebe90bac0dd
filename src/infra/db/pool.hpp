#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "infra/db/connection.hpp"
#include "infra/db/metrics.hpp"
#include "infra/db/pipeline.hpp"
#include "infra/db/query.hpp"
#include "infra/db/result.hpp"
#include "infra/db/transaction_options.hpp"

namespace nn::db {

namespace detail {
class PoolImpl;
}
class Transaction;

struct PoolOptions {
    ConnectOptions connection;  // url, timeouts, prepared cache
    std::size_t min_size = 1;   // kept open (and re-opened after a restart) by the maintenance task
    std::size_t max_size = 8;
    // How long Acquire waits for a free connection (including connecting); then PoolTimeout
    // ("db.pool_timeout"), or ConnectionError when the server could not be reached.
    std::chrono::milliseconds acquire_timeout{3000};
    // Idle connections not used for this long get a `SELECT 1` from the maintenance task.
    std::chrono::milliseconds health_check_interval{30000};
    // Reconnect backoff while the server is down: doubles from min to max.
    std::chrono::milliseconds reconnect_backoff_min{100};
    std::chrono::milliseconds reconnect_backoff_max{5000};
    // Budget for bringing a returned connection back to idle (ROLLBACK, draining a COPY).
    std::chrono::milliseconds reset_timeout{2000};
};

// Figures for /metrics. Read on the pool's event loop.
struct PoolStats {
    std::size_t max_size = 0;
    std::size_t size = 0;  // open or opening connections
    std::size_t idle = 0;
    std::size_t in_use = 0;
    std::size_t waiting = 0;  // coroutines waiting in Acquire now
    std::size_t peak_in_use = 0;
    std::uint64_t acquires = 0;
    std::uint64_t waits = 0;  // acquires that had to wait
    std::uint64_t acquire_timeouts = 0;
    std::uint64_t connects = 0;
    std::uint64_t connect_errors = 0;
    std::uint64_t discarded = 0;  // broken, mid-command or failed health check
    std::uint64_t resets = 0;     // returned inside a transaction (rolled back) or after an aborted COPY
};

class Pool;

// A connection lent by the pool; returns it (or discards it) when destroyed. A connection that
// comes back with an open transaction is rolled back before anyone else gets it; one that is
// broken or was left mid-command is closed.
class PooledConnection {
public:
    PooledConnection() = default;
    PooledConnection(std::shared_ptr<detail::PoolImpl> pool, std::unique_ptr<Connection> conn);
    PooledConnection(PooledConnection&&) noexcept = default;
    PooledConnection& operator=(PooledConnection&& other) noexcept;
    ~PooledConnection();

    Connection& operator*() const noexcept { return *conn_; }
    Connection* operator->() const noexcept { return conn_.get(); }
    explicit operator bool() const noexcept { return conn_ != nullptr; }
    void Release();

private:
    std::shared_ptr<detail::PoolImpl> pool_;
    std::unique_ptr<Connection> conn_;
};

// A bounded pool of connections to one database, for one io_context (build one per shard).
// Never use it from another thread.
//
//   db::Pool pool(io.get_executor(), {.connection = {.url = url}, .max_size = 8});
//   auto row = (co_await pool.Execute(kSelectUser, id)).AsSingleRow<std::string, bool>();
//   auto tx = co_await pool.Begin(TransactionOptions().ActingAs(actor));
class Pool final : public QueryRunner {
public:
    Pool(boost::asio::any_io_executor executor, PoolOptions options);
    ~Pool() override;
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    [[nodiscard]] boost::asio::awaitable<PooledConnection> Acquire(
        std::optional<std::chrono::milliseconds> timeout = {});

    // One statement on some connection, in its own implicit transaction.
    boost::asio::awaitable<Result> Run(Query query,
                                       Params params,
                                       std::optional<std::chrono::milliseconds> timeout) override;
    boost::asio::awaitable<PipelineResults> RunPipeline(
        Pipeline pipeline, std::optional<std::chrono::milliseconds> timeout) override;

    // Starts a transaction (transaction.hpp).
    [[nodiscard]] boost::asio::awaitable<Transaction> Begin(TransactionOptions options);
    [[nodiscard]] boost::asio::awaitable<Transaction> Begin();

    PoolStats Stats() const;
    std::vector<QueryStat> QueryStats() const;
    const PoolOptions& Options() const noexcept;
    // Stops the maintenance task, fails waiting acquires and closes idle connections;
    // connections in use are closed when they come back.
    void Close();

private:
    std::shared_ptr<detail::PoolImpl> impl_;
};

}  // namespace nn::db
