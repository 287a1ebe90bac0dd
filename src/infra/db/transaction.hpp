#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "infra/db/errors.hpp"
#include "infra/db/pool.hpp"
#include "infra/db/transaction_options.hpp"

namespace nn::db {

// A transaction on one pooled connection. It rolls back unless `co_await tx.Commit()` ran: a
// destructor cannot co_await, so the connection goes back to the pool still inside the
// transaction and the pool runs ROLLBACK before anyone else gets it.
//
//   auto tx = co_await pool.Begin(TransactionOptions().ActingAs(actor));
//   co_await tx.Execute(kInsertPortfolio, id, user_id, name);
//   co_await tx.Execute(kInsertOutbox, event_id, payload);
//   co_await tx.Commit();
class Transaction final : public QueryRunner {
public:
    // BEGIN with the options' isolation and access mode and, with an acting user, the statement
    // that sets the whole actor (TransactionOptions::ActingAs): both deferred, so they travel
    // with the transaction's first statement and cost no round trip of their own.
    static boost::asio::awaitable<Transaction> Begin(PooledConnection conn, TransactionOptions options);

    Transaction(Transaction&&) noexcept = default;
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction() override = default;

    boost::asio::awaitable<Result> Run(Query query,
                                       Params params,
                                       std::optional<std::chrono::milliseconds> timeout) override;
    boost::asio::awaitable<PipelineResults> RunPipeline(
        Pipeline pipeline, std::optional<std::chrono::milliseconds> timeout) override;

    // Runs the statements of `batch` after what is deferred, in one round trip behind one Sync
    // (as Run does for one statement), and returns their results in order. The first failure
    // skips the rest and is thrown. For reads that travel together, e.g. the write lock and the
    // stored positions it guards (the server runs them in order, so the second sees the lock).
    boost::asio::awaitable<std::vector<Result>> RunBatch(
        Pipeline batch, std::optional<std::chrono::milliseconds> timeout = {});
    // Write-behind: `query` goes to the server with this transaction's next statement (Run,
    // RunPipeline or Commit) in one pipelined round trip instead of a round trip of its own. For
    // writes whose result nobody reads (a derived row, an outbox event). A deferred
    // statement's failure is thrown by that next call, as its own error (a DbError subclass, so
    // RunInTransaction retries it like any other), and aborts the transaction as usual; a
    // Rollback, or a Transaction dropped without Commit, never sends what is still deferred.
    // Consecutive fusable writes (Query::fusable) on different tables go as one statement
    // (fuse.hpp): recording a portfolio transaction writes its six derived rows with one.
    template <class... Args>
    void Defer(const Query& query, const Args&... args) {
        EnsureOpen();
        deferred_.Push(query, args...);
    }
    std::size_t DeferredCount() const noexcept { return deferred_.Size(); }
    // A transaction-level lock on `key` within `scope` (PostgreSQL's advisory lock of their
    // hash), held until commit or rollback: one writer of the thing at a time. A statement run
    // after it has its own snapshot, so it sees what the writer before committed (a count
    // against a limit stays exact under concurrent creates).
    boost::asio::awaitable<void> LockUntilEnd(std::string_view scope, std::string_view key);
    // Sends what is deferred now (before using Conn(), e.g. for a CopyIn).
    boost::asio::awaitable<void> Flush();

    // Throws the server's error when COMMIT fails (e.g. SerializationFailure), and
    // ServerError "db.transaction_aborted" when an earlier statement had already failed (the
    // server would silently roll back). The transaction is over either way.
    boost::asio::awaitable<void> Commit();
    boost::asio::awaitable<void> Rollback();
    bool Finished() const noexcept { return !conn_; }

    // The underlying connection, e.g. for a CopyIn inside the transaction. Nothing may be
    // deferred then, BEGIN included (it would run after what the caller does on the
    // connection): throws; `co_await Flush()` first.
    Connection& Conn() const;

private:
    explicit Transaction(PooledConnection conn) : conn_(std::move(conn)) {}
    void EnsureOpen() const;
    // Sends the deferred statements, then `then`'s, in one round trip behind one Sync; throws the
    // first error, else returns the results of `then`'s statements.
    boost::asio::awaitable<std::vector<Result>> SendDeferred(
        Pipeline then, std::optional<std::chrono::milliseconds> timeout);

    PooledConnection conn_;
    Pipeline deferred_;
};

namespace detail {
// Jittered exponential pause before attempt `attempt + 1` of a transaction.
boost::asio::awaitable<void> RetryPause(int attempt);
}  // namespace detail

// Runs `fn(Transaction&)` (a coroutine returning awaitable<T>) in a transaction and commits it.
// On a serialization failure, deadlock or invalidated cached plan the whole transaction is
// retried with backoff, at most options.max_attempts times in all; then the error propagates
// (kUnavailable). The body must therefore be safe to run again (no side effects outside the
// database).
template <class Fn>
auto RunInTransaction(Pool& pool, TransactionOptions options, Fn fn)
    -> std::invoke_result_t<Fn&, Transaction&> {
    using T = typename std::invoke_result_t<Fn&, Transaction&>::value_type;
    for (int attempt = 1;; ++attempt) {
        try {
            Transaction tx = co_await pool.Begin(options);
            if constexpr (std::is_void_v<T>) {
                co_await fn(tx);
                co_await tx.Commit();
                co_return;
            } else {
                T value = co_await fn(tx);
                co_await tx.Commit();
                co_return value;
            }
        } catch (const DbError& e) {
            if (!IsRetryable(e) || attempt >= options.max_attempts) throw;
        }
        co_await detail::RetryPause(attempt);
    }
}

// The one way domain code acts for someone: RunInTransaction with `options` acting as `actor`
// (user, role and an advisor's client lists, all set by one statement inside the transaction).
//   co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<void> { ... });
//   co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(), body);
template <class Fn>
auto RunAs(Pool& pool, const Actor& actor, TransactionOptions options, Fn fn)
    -> std::invoke_result_t<Fn&, Transaction&> {
    options.ActingAs(actor);
    return RunInTransaction(pool, std::move(options), std::move(fn));
}

template <class Fn>
auto RunAs(Pool& pool, const Actor& actor, Fn fn) -> std::invoke_result_t<Fn&, Transaction&> {
    return RunAs(pool, actor, TransactionOptions(), std::move(fn));
}

// A read-only unit of work of one statement in one round trip (Connection::RunBatch): BEGIN with
// the options' isolation and READ ONLY, the acting user's set_config, `query`, COMMIT, all
// prepared, behind one Sync. Begin + Execute + Commit costs three round trips; hot reads
// (GET /api/v1/me, /api/v1/portfolios, the summary) use this. Retried like RunInTransaction.
boost::asio::awaitable<Result> ReadOnce(Pool& pool, TransactionOptions options, Query query, Params params);

template <class... Args>
boost::asio::awaitable<Result> ReadOnce(Pool& pool,
                                        TransactionOptions options,
                                        Query query,
                                        const Args&... args) {
    return ReadOnce(pool, std::move(options), query, MakeParams(args...));
}

}  // namespace nn::db
