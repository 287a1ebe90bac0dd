#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "infra/db/metrics.hpp"
#include "infra/db/pipeline.hpp"
#include "infra/db/query.hpp"
#include "infra/db/result.hpp"

namespace nn::db {

namespace detail {
struct ConnectionImpl;
}

struct ConnectOptions {
    // "postgresql://user:password@host:port/db?sslmode=..." or a key=value conninfo string.
    std::string url;
    std::string application_name = "nexanest";
    std::chrono::milliseconds connect_timeout{5000};
    // The deadline of a call that does not pass its own Timeout.
    std::chrono::milliseconds query_timeout{5000};
    // After a deadline, how long the server gets to answer the cancel request before the
    // connection is given up.
    std::chrono::milliseconds cancel_grace{1000};
    // Prepared statements kept per connection (LRU; DEALLOCATE on eviction).
    std::size_t prepared_cache_size = 256;
    // false: every query goes as an unnamed statement (Parse/Bind/Execute in one round trip,
    // nothing kept on the server), as a transaction-mode pooler needs (pgbouncer 1.18 hands
    // each transaction whichever server connection is free, so a named statement prepared on
    // one is missing on the next). Costs a parse and plan per call.
    bool prepare_statements = true;
    // Where per-query figures go; none when null.
    std::shared_ptr<QueryMetrics> metrics;
};

// One PostgreSQL session (one PGconn), bound to the io_context of the executor it was made on
// and used by one coroutine at a time. Most code gets connections from a Pool; Connection is
// public for tools (migrations) and tests.
//
// Statements are prepared once per connection (named by a hash of the SQL and parameter types)
// and run with binary results. Host names are resolved with Asio before libpq sees them, so
// connecting never blocks the event loop on DNS.
class Connection final : public QueryRunner {
public:
    // Throws ConnectionError (unreachable, refused, authentication failed, connect_timeout).
    // ConnectOptions is an aggregate: build it as a named variable, not inside the co_await
    // (g++ 12 double-destroys aggregate temporaries there; see Bytea in query.hpp).
    static boost::asio::awaitable<std::unique_ptr<Connection>> Connect(boost::asio::any_io_executor executor,
                                                                       ConnectOptions options);
    // The same with default options.
    static boost::asio::awaitable<std::unique_ptr<Connection>> Connect(boost::asio::any_io_executor executor,
                                                                       std::string url);
    ~Connection() override;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    boost::asio::awaitable<Result> Run(Query query,
                                       Params params,
                                       std::optional<std::chrono::milliseconds> timeout) override;
    boost::asio::awaitable<PipelineResults> RunPipeline(
        Pipeline pipeline, std::optional<std::chrono::milliseconds> timeout) override;

    // Runs every statement of `batch` in one round trip as one unit: prepared statements (one
    // not yet prepared on this connection is prepared in the same round trip; unnamed ones
    // without ConnectOptions::prepare_statements) and a single Sync,
    // so the first failure skips the rest. Returns the result of statement `want`, or throws the
    // first error. For ReadOnce (transaction.hpp): BEGIN ... COMMIT inside one batch.
    boost::asio::awaitable<Result> RunBatch(Pipeline batch,
                                            std::size_t want,
                                            std::optional<std::chrono::milliseconds> timeout);
    // The same, returning the results of statements `first` to the last, in order (a
    // transaction's deferred writes, then reads whose results the caller wants).
    boost::asio::awaitable<std::vector<Result>> RunBatchFrom(
        Pipeline batch, std::size_t first, std::optional<std::chrono::milliseconds> timeout);

    // Several ';'-separated statements without parameters over the simple protocol (DDL,
    // migrations). Text results are discarded; the first error is thrown.
    boost::asio::awaitable<void> ExecuteScript(std::string_view sql,
                                               std::optional<std::chrono::milliseconds> timeout = {});

    // The connection can no longer be used (lost, protocol state unknown after a timeout).
    bool IsBroken() const noexcept;
    // A transaction block is open (possibly aborted).
    bool InTransaction() const noexcept;
    // Something must run before the connection is reusable (an aborted COPY to drain, an open
    // transaction to roll back, invalidated statements to deallocate).
    bool NeedsReset() const noexcept;
    // Brings the connection back to an idle session; throws when it cannot.
    boost::asio::awaitable<void> Reset(std::chrono::milliseconds timeout);
    // No round trip: false when the server has closed an idle connection (restart, idle
    // timeout). Also discards stray notifications.
    bool CheckIdleAlive();

    int ServerVersion() const noexcept;
    std::size_t PreparedStatements() const noexcept;
    std::uint64_t Notices() const noexcept;
    const ConnectOptions& Options() const noexcept;
    boost::asio::any_io_executor Executor() const noexcept;

    // For the other parts of this library (COPY, LISTEN, transactions).
    detail::ConnectionImpl& Impl() noexcept { return *impl_; }

private:
    explicit Connection(std::unique_ptr<detail::ConnectionImpl> impl);

    std::unique_ptr<detail::ConnectionImpl> impl_;
};

}  // namespace nn::db
