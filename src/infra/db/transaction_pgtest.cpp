#include "infra/db/transaction.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "infra/db/testing/pg.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::db {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using nn::test::RunAwaitable;
using testkit::TestPool;

constexpr Query kActingUser{
    "SELECT coalesce(current_setting('app.user_id', true), ''), coalesce(current_setting('app.role', true), "
    "''), "
    "pg_backend_pid()",
    "test.acting_user"};

const UserId kUser{*Uuid::Parse("0190f0a1-2b3c-7d4e-8f60-718293a4b5c6")};

struct Table {
    Table() : name(nn::test::UniqueName("tx_")) {
        nn::test::ExecSql(testkit::DbUrl(), "CREATE TABLE " + name + " (id int PRIMARY KEY, v int NOT NULL)");
    }
    ~Table() {
        try {
            nn::test::ExecSql(testkit::DbUrl(), "DROP TABLE " + name);
        } catch (const std::exception&) {
            // the scratch database is dropped at exit anyway
        }
    }
    std::string Sql(const std::string& pattern) const {
        std::string out = pattern;
        for (auto at = out.find("$T"); at != std::string::npos; at = out.find("$T")) out.replace(at, 2, name);
        return out;
    }
    std::string name;
};

asio::awaitable<std::int64_t> Count(Pool& pool, const Table& t) {
    const std::string sql = t.Sql("SELECT count(*) FROM $T");
    co_return (co_await pool.Execute(Query{sql, "test.count"})).AsSingleRow<std::int64_t>();
}

TEST(Transaction, CommitMakesRowsVisible) {
    Table t;
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(2));
        const std::string insert = t.Sql("INSERT INTO $T VALUES ($1, $2)");
        auto tx = co_await pool.Begin();
        co_await tx.Execute(Query{insert, "test.insert"}, std::int32_t{1}, std::int32_t{10});
        co_await tx.Execute(Query{insert, "test.insert"}, std::int32_t{2}, std::int32_t{20});
        EXPECT_EQ(co_await Count(pool, t), 0);  // not visible to another connection yet
        co_await tx.Commit();
        EXPECT_TRUE(tx.Finished());
        EXPECT_EQ(co_await Count(pool, t), 2);
    });
}

asio::awaitable<void> InsertThenFail(Pool& pool, const Table& t) {
    const std::string insert = t.Sql("INSERT INTO $T VALUES ($1, $2)");
    auto tx = co_await pool.Begin();
    co_await tx.Execute(Query{insert, "test.insert"}, std::int32_t{1}, std::int32_t{10});
    throw std::runtime_error("domain failure after the insert");
}

TEST(Transaction, RollsBackWhenLeftWithoutCommit) {
    Table t;
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        bool thrown = false;
        try {
            co_await InsertThenFail(pool, t);
        } catch (const std::runtime_error&) {
            thrown = true;
        }
        EXPECT_TRUE(thrown);
        // One connection only: the next user gets the very connection the transaction was on,
        // rolled back by the pool.
        EXPECT_EQ(co_await Count(pool, t), 0);
        EXPECT_EQ(pool.Stats().resets, 1u);
        EXPECT_EQ(pool.Stats().discarded, 0u);
    });
}

TEST(Transaction, ExplicitRollbackAndAbortedCommit) {
    Table t;
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        const std::string insert = t.Sql("INSERT INTO $T VALUES ($1, $2)");
        {
            auto tx = co_await pool.Begin();
            co_await tx.Execute(Query{insert, "test.insert"}, std::int32_t{1}, std::int32_t{10});
            co_await tx.Rollback();
        }
        EXPECT_EQ(co_await Count(pool, t), 0);

        // A swallowed error aborts the transaction; Commit must not pretend it committed.
        auto tx = co_await pool.Begin();
        co_await tx.Execute(Query{insert, "test.insert"}, std::int32_t{1}, std::int32_t{10});
        try {
            co_await tx.Execute(Query{insert, "test.insert"}, std::int32_t{1}, std::int32_t{10});
        } catch (const UniqueViolation&) {
        }
        bool refused = false;
        try {
            co_await tx.Commit();
        } catch (const DbError& e) {
            refused = e.Code() == "db.transaction_aborted";
        }
        EXPECT_TRUE(refused);
        EXPECT_EQ(co_await Count(pool, t), 0);
    });
}

TEST(Transaction, ActingUserIsLocalToTheTransaction) {
    RunAwaitable([]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        std::int32_t pid_inside = 0;
        {
            auto tx = co_await pool.Begin(TransactionOptions().ActingAs(Actor(kUser, Role::kAdvisor)));
            auto [user, role, pid] =
                (co_await tx.Execute(kActingUser)).AsSingleRow<std::string, std::string, std::int32_t>();
            EXPECT_EQ(user, "0190f0a1-2b3c-7d4e-8f60-718293a4b5c6");
            EXPECT_EQ(role, "ADVISOR");
            pid_inside = pid;
            co_await tx.Commit();
        }
        // Same pooled connection, after commit: the settings are gone.
        auto [user, role, pid] =
            (co_await pool.Execute(kActingUser)).AsSingleRow<std::string, std::string, std::int32_t>();
        EXPECT_EQ(pid, pid_inside);
        EXPECT_EQ(user, "");
        EXPECT_EQ(role, "");
    });
}

TEST(Transaction, IsolationAndReadOnly) {
    Table t;
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        static constexpr Query kIsolation{"SELECT current_setting('transaction_isolation')",
                                          "test.isolation"};
        auto tx =
            co_await pool.Begin(TransactionOptions().Isolation(IsolationLevel::kSerializable).ReadOnly());
        EXPECT_EQ((co_await tx.Execute(kIsolation)).AsSingleRow<std::string>(), "serializable");
        bool refused = false;
        try {
            const std::string insert = t.Sql("INSERT INTO $T VALUES (1, 1)");
            co_await tx.Execute(Query{insert, "test.insert"});
        } catch (const DbError& e) {
            refused = e.SqlState() == "25006";  // read_only_sql_transaction
        }
        EXPECT_TRUE(refused);
    });
}

// Two transactions that each read what the other writes under SERIALIZABLE: one of them fails
// with 40001 and RunInTransaction runs it again.
TEST(Transaction, RunInTransactionRetriesSerializationFailures) {
    Table t;
    nn::test::ExecSql(testkit::DbUrl(), t.Sql("INSERT INTO $T VALUES (1, 0), (2, 0)"));
    RunAwaitable([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        Pool pool(ex, TestPool(4));
        const std::string read_sql = t.Sql("SELECT sum(v) FROM $T");
        const std::string write_sql = t.Sql("UPDATE $T SET v = v + $1 WHERE id = $2");
        const Query read{read_sql, "test.read_sum"};
        const Query write{write_sql, "test.write"};
        int attempts = 0;
        int in_flight = 0;
        auto body = [&](std::int32_t id) {
            return [&, id](Transaction& tx) -> asio::awaitable<std::int64_t> {
                ++attempts;
                ++in_flight;
                const auto sum = (co_await tx.Execute(read)).AsSingleRow<std::int64_t>();
                // Let the other transaction read before either writes, on the first round.
                asio::steady_timer pause(co_await asio::this_coro::executor, 50ms);
                co_await pause.async_wait(asio::use_awaitable);
                co_await tx.Execute(write, std::int32_t{1}, id);
                --in_flight;
                co_return sum;
            };
        };
        int done = 0;
        std::exception_ptr failure;
        for (std::int32_t id : {1, 2}) {
            asio::co_spawn(ex,
                           RunInTransaction(
                               pool, TransactionOptions().Isolation(IsolationLevel::kSerializable), body(id)),
                           [&](std::exception_ptr e, std::int64_t) {
                               if (e) failure = e;
                               ++done;
                           });
        }
        while (done < 2) {
            asio::steady_timer tick(ex, 10ms);
            co_await tick.async_wait(asio::use_awaitable);
        }
        EXPECT_FALSE(failure);
        EXPECT_GE(attempts, 3);  // at least one retry happened
        const std::string check = t.Sql("SELECT sum(v) FROM $T");
        EXPECT_EQ((co_await pool.Execute(Query{check, "t"})).AsSingleRow<std::int64_t>(), 2);
    });
}

TEST(Transaction, RunInTransactionGivesUpAfterMaxAttempts) {
    RunAwaitable([]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        int attempts = 0;
        bool thrown = false;
        try {
            co_await RunInTransaction(
                pool, TransactionOptions().MaxAttempts(2), [&](Transaction& tx) -> asio::awaitable<void> {
                    ++attempts;
                    // Raise a deadlock error from the server itself.
                    co_await tx.Execute(
                        Query{"DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40P01'; END $$", "t"});
                });
        } catch (const DeadlockDetected& e) {
            thrown = true;
            EXPECT_EQ(e.Kind(), ErrorKind::kUnavailable);
        }
        EXPECT_TRUE(thrown);
        EXPECT_EQ(attempts, 2);
        // Non-retryable errors propagate at once.
        attempts = 0;
        try {
            co_await RunInTransaction(pool, TransactionOptions(),
                                      [&](Transaction& tx) -> asio::awaitable<void> {
                                          ++attempts;
                                          co_await tx.Execute(Query{"SELECT 1/0", "t"});
                                      });
        } catch (const DataException&) {
        }
        EXPECT_EQ(attempts, 1);
    });
}

}  // namespace
}  // namespace nn::db

namespace nn::db {
namespace {

// ReadOnce: BEGIN READ ONLY, set_config, the query and COMMIT in one round trip (issue 16).
TEST(ReadOnce, ActsAsTheUserInsideAReadOnlyTransactionAndLeavesNothingBehind) {
    RunAwaitable([]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        auto options = TransactionOptions().ActingAs(Actor(kUser, Role::kUser));
        static constexpr Query kInside{
            "SELECT current_setting('app.user_id', true), current_setting('app.role', true), "
            "current_setting('transaction_read_only'), pg_backend_pid()",
            "test.inside"};
        auto [user, role, read_only, pid] =
            (co_await ReadOnce(pool, options, kInside))
                .AsSingleRow<std::string, std::string, std::string, std::int32_t>();
        EXPECT_EQ(user, "0190f0a1-2b3c-7d4e-8f60-718293a4b5c6");
        EXPECT_EQ(role, "USER");
        EXPECT_EQ(read_only, "on");
        // Committed: the same connection is outside any transaction, the settings gone.
        auto [after_user, after_role, after_pid] =
            (co_await pool.Execute(kActingUser)).AsSingleRow<std::string, std::string, std::int32_t>();
        EXPECT_EQ(after_pid, pid);
        EXPECT_EQ(after_user, "");
        EXPECT_EQ(after_role, "");
    });
}

TEST(ReadOnce, PreparesOnceAndPassesParameters) {
    RunAwaitable([]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        static constexpr Query kAdd{"SELECT $1::int + $2::int", "test.add"};
        for (std::int32_t i = 0; i < 3; ++i) {
            auto sum = (co_await ReadOnce(pool, TransactionOptions(), kAdd, i, std::int32_t{40}))
                           .AsSingleRow<std::int32_t>();
            EXPECT_EQ(sum, i + 40);
        }
        auto conn = co_await pool.Acquire();
        // BEGIN READ ONLY, the query and COMMIT, each prepared once for all three calls.
        EXPECT_EQ(conn->PreparedStatements(), 3u);
    });
}

// Behind a transaction-mode pooler (prepare_statements = false) the batch goes unnamed.
TEST(ReadOnce, WithoutPreparedStatements) {
    RunAwaitable([]() -> asio::awaitable<void> {
        auto options = TestPool(1);
        options.connection.prepare_statements = false;
        Pool pool(co_await asio::this_coro::executor, options);
        static constexpr Query kAdd{"SELECT $1::int + $2::int", "test.add"};
        auto sum = (co_await ReadOnce(pool, TransactionOptions().ActingAs(Actor(kUser, Role::kUser)), kAdd,
                                      std::int32_t{1}, std::int32_t{2}))
                       .AsSingleRow<std::int32_t>();
        EXPECT_EQ(sum, 3);
        auto conn = co_await pool.Acquire();
        EXPECT_EQ(conn->PreparedStatements(), 0u);
    });
}

TEST(ReadOnce, AFailureRollsBackAndTheConnectionStaysUsable) {
    Table t;
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        const std::string insert = t.Sql("INSERT INTO $T VALUES (1, 1) RETURNING id");
        std::string state;
        try {
            co_await ReadOnce(pool, TransactionOptions().ActingAs(Actor(kUser, Role::kUser)),
                              Query{insert, "test.insert"});
        } catch (const DbError& e) {
            state = e.SqlState();
        }
        EXPECT_EQ(state, "25006");  // read_only_sql_transaction: nothing was written
        const auto rows = co_await Count(pool, t);
        EXPECT_EQ(rows, 0);
        static constexpr Query kBad{"SELECT 1 / $1::int", "test.div"};
        state.clear();
        try {
            co_await ReadOnce(pool, TransactionOptions(), kBad, std::int32_t{0});
        } catch (const DbError& e) {
            state = e.SqlState();
        }
        EXPECT_EQ(state, "22012");
        auto [user, role, pid] =
            (co_await pool.Execute(kActingUser)).AsSingleRow<std::string, std::string, std::int32_t>();
        EXPECT_EQ(user, "");
        EXPECT_EQ(role, "");
        EXPECT_GT(pid, 0);
    });
}

}  // namespace
}  // namespace nn::db
