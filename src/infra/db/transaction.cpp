#include "infra/db/transaction.hpp"

#include <deque>
#include <random>
#include <string>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "infra/db/detail/connection_impl.hpp"
#include "infra/db/fuse.hpp"
#include "infra/db/text_array.hpp"

namespace nn::db {
namespace asio = boost::asio;
namespace {

constexpr Query kCommit{"COMMIT", "db.commit"};
constexpr Query kRollback{"ROLLBACK", "db.rollback"};
// The whole acting context in one statement, so no part of it can be left out.
constexpr Query kSetActingUser{
    "SELECT set_config('app.user_id', $1, true), set_config('app.role', $2, true), "
    "set_config('app.read_client_ids', $3, true), set_config('app.manage_client_ids', $4, true)",
    "db.set_acting_user"};

// "{id1,id2}" ("{}" when empty), the text a policy casts with ::uuid[].
std::string ClientIdsSetting(const std::vector<UserId>& ids) {
    TextArray array;
    for (const UserId& id : ids) array.items.emplace_back(id.ToString());
    return ArrayLiteral(array);
}

Params ActingParams(const Actor& actor) {
    return MakeParams(actor.user_id.Value().IsNil() ? std::string() : actor.user_id.ToString(),
                      std::string(RoleName(actor.role)), ClientIdsSetting(actor.read_clients),
                      ClientIdsSetting(actor.manage_clients));
}

std::string_view BeginSql(const TransactionOptions& o) {
    switch (o.isolation) {
        case IsolationLevel::kReadCommitted:
            return o.read_only ? "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY"
                               : "BEGIN ISOLATION LEVEL READ COMMITTED";
        case IsolationLevel::kRepeatableRead:
            return o.read_only ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                               : "BEGIN ISOLATION LEVEL REPEATABLE READ";
        case IsolationLevel::kSerializable:
            return o.read_only ? "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY"
                               : "BEGIN ISOLATION LEVEL SERIALIZABLE";
    }
    return "BEGIN";
}

}  // namespace

asio::awaitable<Transaction> Transaction::Begin(PooledConnection conn, TransactionOptions options) {
    // Nothing is sent yet: BEGIN with the options' isolation and access mode, and the statement
    // that sets the whole acting user, go with the transaction's first statement, in its round
    // trip (Defer). An error of either is thrown there, inside RunInTransaction's retry loop.
    Transaction tx(std::move(conn));
    tx.deferred_.Push(Query{BeginSql(options), "db.begin"});
    if (options.acting_user) tx.deferred_.PushParams(kSetActingUser, ActingParams(*options.acting_user));
    co_return tx;
}

void Transaction::EnsureOpen() const {
    if (conn_) return;
    ErrorInfo info;
    info.server_message = "the transaction is already committed or rolled back";
    throw ServerError(ErrorKind::kInternal, "db.transaction_finished", std::move(info));
}

Connection& Transaction::Conn() const {
    EnsureOpen();
    if (!deferred_.Empty()) {
        ErrorInfo info;
        info.server_message =
            "statements are deferred on this transaction; run one before using its connection";
        throw ServerError(ErrorKind::kInternal, "db.deferred_pending", std::move(info));
    }
    return *conn_;
}

asio::awaitable<std::vector<Result>> Transaction::SendDeferred(
    Pipeline then, std::optional<std::chrono::milliseconds> timeout) {
    // One batch behind one Sync, prepared statements (Connection::RunBatchFrom): a failure skips
    // what follows it, which the aborted transaction would refuse anyway. Runs of fusable
    // writes go as one statement each (fuse.hpp); `then`'s statements, whose results the caller
    // reads, are never fused and come last. With none, the batch's metrics go under its last
    // deferred statement.
    std::deque<std::string> texts;  // the fused statements' SQL and names, kept until sent
    Pipeline batch = fuse::Fused(std::exchange(deferred_, Pipeline()), texts);
    const std::size_t first = then.Empty() ? batch.Size() - 1 : batch.Size();
    for (const Pipeline::Item& item : then.Items()) batch.PushParams(item.query, item.params);
    std::vector<Result> results = co_await conn_->RunBatchFrom(std::move(batch), first, timeout);
    if (then.Empty()) results.clear();
    co_return results;
}

asio::awaitable<Result> Transaction::Run(Query query,
                                         Params params,
                                         std::optional<std::chrono::milliseconds> timeout) {
    EnsureOpen();
    if (deferred_.Empty()) co_return co_await conn_->Run(query, std::move(params), timeout);
    Pipeline then;
    then.PushParams(query, std::move(params));
    std::vector<Result> results = co_await SendDeferred(std::move(then), timeout);
    co_return results.empty() ? Result() : std::move(results.front());
}

asio::awaitable<std::vector<Result>> Transaction::RunBatch(Pipeline batch,
                                                           std::optional<std::chrono::milliseconds> timeout) {
    EnsureOpen();
    if (batch.Empty()) co_return std::vector<Result>();
    co_return co_await SendDeferred(std::move(batch), timeout);
}

asio::awaitable<PipelineResults> Transaction::RunPipeline(Pipeline pipeline,
                                                          std::optional<std::chrono::milliseconds> timeout) {
    EnsureOpen();
    // The deferred statements go first, in a round trip of their own: RunPipeline gives each
    // statement its own Sync and error, which a batch behind one Sync cannot.
    co_await Flush();
    co_return co_await conn_->RunPipeline(std::move(pipeline), timeout);
}

asio::awaitable<void> Transaction::LockUntilEnd(std::string_view scope, std::string_view key) {
    static constexpr Query kLock{
        "SELECT pg_advisory_xact_lock(hashtextextended($1::text || ':' || $2::text, 0))",
        "db.lock_until_end"};
    co_await Execute(kLock, std::string(scope), std::string(key));
}

asio::awaitable<void> Transaction::Flush() {
    EnsureOpen();
    if (!deferred_.Empty()) co_await SendDeferred(Pipeline(), std::nullopt);
}

asio::awaitable<void> Transaction::Commit() {
    EnsureOpen();
    if (PQtransactionStatus(conn_->Impl().Raw()) == PQTRANS_INERROR) {
        PooledConnection gone = std::move(conn_);  // the pool rolls it back
        deferred_ = Pipeline();
        ErrorInfo info;
        info.server_message = "an earlier statement failed, so the transaction was rolled back";
        throw ServerError(ErrorKind::kInternal, "db.transaction_aborted", std::move(info));
    }
    // COMMIT goes with whatever is still deferred, in one round trip; a deferred write's failure
    // is thrown (the server then skips the COMMIT). Either way the transaction is over: the
    // connection goes back to the pool, which rolls back what is left open.
    try {
        co_await Run(kCommit, Params(), std::nullopt);
    } catch (...) {
        PooledConnection gone = std::move(conn_);
        throw;
    }
    PooledConnection done = std::move(conn_);
}

asio::awaitable<void> Transaction::Rollback() {
    EnsureOpen();
    deferred_ = Pipeline();
    PooledConnection conn = std::move(conn_);
    // Nothing sent yet (BEGIN is deferred too): nothing to roll back, no round trip.
    if (PQtransactionStatus(conn->Impl().Raw()) == PQTRANS_IDLE) co_return;
    co_await conn->Run(kRollback, Params(), std::nullopt);
}

asio::awaitable<Transaction> Pool::Begin() {
    return Begin(TransactionOptions());
}

asio::awaitable<Transaction> Pool::Begin(TransactionOptions options) {
    PooledConnection conn = co_await Acquire();
    co_return co_await Transaction::Begin(std::move(conn), std::move(options));
}

asio::awaitable<Result> ReadOnce(Pool& pool, TransactionOptions options, Query query, Params params) {
    options.read_only = true;
    const Query begin{BeginSql(options), "db.begin"};
    for (int attempt = 1;; ++attempt) {
        try {
            Pipeline batch;
            batch.Push(begin);
            if (options.acting_user) batch.PushParams(kSetActingUser, ActingParams(*options.acting_user));
            const std::size_t want = batch.Size();
            batch.PushParams(query, params);
            batch.Push(kCommit);
            PooledConnection conn = co_await pool.Acquire();
            co_return co_await conn->RunBatch(std::move(batch), want, std::nullopt);
        } catch (const DbError& e) {
            if (!IsRetryable(e) || attempt >= options.max_attempts) throw;
        }
        co_await detail::RetryPause(attempt);
    }
}

namespace detail {

asio::awaitable<void> RetryPause(int attempt) {
    static thread_local std::mt19937 rng{std::random_device{}()};
    const int base_ms = 10 << std::min(attempt, 6);
    std::uniform_int_distribution<int> jitter(base_ms / 2, base_ms);
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(jitter(rng)));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace detail
}  // namespace nn::db
