#include "infra/db/transaction.hpp"

#include <random>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "infra/db/detail/connection_impl.hpp"
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
    const Query begin{BeginSql(options), "db.begin"};
    if (options.acting_user) {
        Pipeline p;
        p.Push(begin).PushParams(kSetActingUser, ActingParams(*options.acting_user));
        PipelineResults r = co_await conn->RunPipeline(std::move(p), std::nullopt);
        for (std::size_t i = 0; i < r.Size(); ++i) {
            if (auto error = r.Error(i)) std::rethrow_exception(error);
        }
    } else {
        co_await conn->Run(begin, Params(), std::nullopt);
    }
    co_return Transaction(std::move(conn));
}

void Transaction::EnsureOpen() const {
    if (conn_) return;
    ErrorInfo info;
    info.server_message = "the transaction is already committed or rolled back";
    throw ServerError(ErrorKind::kInternal, "db.transaction_finished", std::move(info));
}

Connection& Transaction::Conn() const {
    EnsureOpen();
    return *conn_;
}

asio::awaitable<Result> Transaction::Run(Query query,
                                         Params params,
                                         std::optional<std::chrono::milliseconds> timeout) {
    EnsureOpen();
    co_return co_await conn_->Run(query, std::move(params), timeout);
}

asio::awaitable<PipelineResults> Transaction::RunPipeline(Pipeline pipeline,
                                                          std::optional<std::chrono::milliseconds> timeout) {
    EnsureOpen();
    co_return co_await conn_->RunPipeline(std::move(pipeline), timeout);
}

asio::awaitable<void> Transaction::Commit() {
    EnsureOpen();
    // The pool rolls back whatever is left open when the connection is released below.
    PooledConnection conn = std::move(conn_);
    if (PQtransactionStatus(conn->Impl().Raw()) == PQTRANS_INERROR) {
        ErrorInfo info;
        info.server_message = "an earlier statement failed, so the transaction was rolled back";
        throw ServerError(ErrorKind::kInternal, "db.transaction_aborted", std::move(info));
    }
    co_await conn->Run(kCommit, Params(), std::nullopt);
}

asio::awaitable<void> Transaction::Rollback() {
    EnsureOpen();
    PooledConnection conn = std::move(conn_);
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
