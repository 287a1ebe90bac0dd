// Transaction::Defer: write-behind statements that travel with the transaction's next statement.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <boost/asio/this_coro.hpp>

#include "core/actor.hpp"
#include "infra/db/testing/pg.hpp"
#include "infra/db/transaction.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::db {
namespace {

namespace asio = boost::asio;
using nn::test::RunAwaitable;
using testkit::TestPool;

struct DeferTable {
    DeferTable() : name(nn::test::UniqueName("defer_")) {
        nn::test::ExecSql(testkit::DbUrl(), "CREATE TABLE " + name + " (id int PRIMARY KEY, v int NOT NULL)");
        insert = "INSERT INTO " + name + " VALUES ($1, $2)";
        count = "SELECT count(*) FROM " + name;
    }
    ~DeferTable() {
        try {
            nn::test::ExecSql(testkit::DbUrl(), "DROP TABLE " + name);
        } catch (const std::exception&) {
            // the scratch database is dropped at exit anyway
        }
    }
    Query Insert() const { return Query{insert, "test.defer_insert"}; }
    Query Count() const { return Query{count, "test.defer_count"}; }

    std::string name, insert, count;
};

asio::awaitable<std::int64_t> CountRows(QueryRunner& runner, const DeferTable& t) {
    co_return (co_await runner.Execute(t.Count())).AsSingleRow<std::int64_t>();
}

// Whether the COMMIT threw a unique violation (a deferred write's, thrown by the COMMIT).
asio::awaitable<bool> CommitFailsAsUnique(Transaction& tx) {
    try {
        co_await tx.Commit();
    } catch (const UniqueViolation&) {
        co_return true;
    }
    co_return false;
}

// Whether the COMMIT was refused because an earlier statement had failed.
asio::awaitable<bool> CommitRefusedAsAborted(Transaction& tx) {
    try {
        co_await tx.Commit();
    } catch (const ServerError& e) {
        co_return std::string(e.Code()) == "db.transaction_aborted";
    }
    co_return false;
}

TEST(TransactionDefer, RunsBeforeTheNextStatementOfTheTransaction) {
    DeferTable t;
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(2));
        auto tx = co_await pool.Begin();
        const std::size_t begin = tx.DeferredCount();  // BEGIN itself
        tx.Defer(t.Insert(), std::int32_t{1}, std::int32_t{10});
        tx.Defer(t.Insert(), std::int32_t{2}, std::int32_t{20});
        EXPECT_EQ(tx.DeferredCount(), begin + 2);
        EXPECT_EQ(co_await CountRows(tx, t), 2);  // sent ahead of the count, in its round trip
        EXPECT_EQ(tx.DeferredCount(), 0u);
        EXPECT_EQ(co_await CountRows(pool, t), 0);  // still inside the transaction
        co_await tx.Commit();
        EXPECT_EQ(co_await CountRows(pool, t), 2);
    });
}

TEST(TransactionDefer, TravelsWithCommit) {
    DeferTable t;
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        auto tx = co_await pool.Begin();
        tx.Defer(t.Insert(), std::int32_t{1}, std::int32_t{10});
        tx.Defer(t.Insert(), std::int32_t{2}, std::int32_t{20});
        co_await tx.Commit();
        EXPECT_TRUE(tx.Finished());
        EXPECT_EQ(co_await CountRows(pool, t), 2);
    });
}

TEST(TransactionDefer, PipelineResultsAreTheCallersOwn) {
    DeferTable t;
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        auto tx = co_await pool.Begin();
        tx.Defer(t.Insert(), std::int32_t{1}, std::int32_t{10});
        Pipeline p;
        p.Push(t.Count()).Push(Query{"SELECT 7", "test.defer_seven"});
        PipelineResults r = co_await tx.RunPipeline(std::move(p), std::nullopt);
        EXPECT_EQ(r.Size(), 2u);
        if (r.Size() != 2) co_return;
        EXPECT_EQ(r[0].AsSingleRow<std::int64_t>(), 1);
        EXPECT_EQ(r[1].AsSingleRow<std::int32_t>(), 7);
        co_await tx.Rollback();
    });
}

TEST(TransactionDefer, AFailingWriteIsThrownByTheNextStatementAndAbortsTheTransaction) {
    DeferTable t;
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        auto tx = co_await pool.Begin();
        tx.Defer(t.Insert(), std::int32_t{1}, std::int32_t{10});
        tx.Defer(t.Insert(), std::int32_t{1}, std::int32_t{11});  // the same key
        bool unique = false;
        try {
            co_await CountRows(tx, t);
        } catch (const UniqueViolation&) {
            unique = true;
        }
        EXPECT_TRUE(unique);
        EXPECT_TRUE(co_await CommitRefusedAsAborted(tx));
        EXPECT_EQ(co_await CountRows(pool, t), 0);
    });
}

TEST(TransactionDefer, AFailingWriteIsThrownByCommitAndNothingIsCommitted) {
    DeferTable t;
    nn::test::ExecSql(testkit::DbUrl(), "INSERT INTO " + t.name + " VALUES (1, 1)");
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        auto tx = co_await pool.Begin();
        tx.Defer(t.Insert(), std::int32_t{2}, std::int32_t{20});
        tx.Defer(t.Insert(), std::int32_t{1}, std::int32_t{10});  // taken before the transaction
        EXPECT_TRUE(co_await CommitFailsAsUnique(tx));
        EXPECT_TRUE(tx.Finished());
        // The one connection is back in the pool, rolled back: row 2 was never committed.
        EXPECT_EQ(co_await CountRows(pool, t), 1);
    });
}

TEST(TransactionDefer, RollbackAndADroppedTransactionNeverSendIt) {
    DeferTable t;
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        {
            auto tx = co_await pool.Begin();
            tx.Defer(t.Insert(), std::int32_t{1}, std::int32_t{10});
            co_await tx.Rollback();
        }
        {
            auto tx = co_await pool.Begin();
            tx.Defer(t.Insert(), std::int32_t{2}, std::int32_t{20});
        }  // dropped without Commit
        EXPECT_EQ(co_await CountRows(pool, t), 0);
        // Nothing was ever sent (BEGIN is deferred too), so no ROLLBACK went to the server.
        for (const QueryStat& q : pool.QueryStats()) EXPECT_NE(q.name, "db.rollback");
        {
            auto tx = co_await pool.Begin();
            co_await CountRows(tx, t);  // BEGIN sent with it
            co_await tx.Rollback();
        }
        std::uint64_t rollbacks = 0;
        for (const QueryStat& q : pool.QueryStats()) {
            if (q.name == "db.rollback") rollbacks += q.calls;
        }
        EXPECT_EQ(rollbacks, 1u);
    });
}

TEST(TransactionDefer, TheConnectionIsNotHandedOutWhileSomethingIsDeferred) {
    DeferTable t;
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        auto tx = co_await pool.Begin();
        tx.Defer(t.Insert(), std::int32_t{1}, std::int32_t{10});
        EXPECT_THROW((void)tx.Conn(), ServerError);
        co_await CountRows(tx, t);
        EXPECT_NO_THROW((void)tx.Conn());
        co_await tx.Rollback();
    });
}

TEST(TransactionDefer, BeginSendsNothingUntilTheFirstStatement) {
    DeferTable t;
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        {
            auto tx = co_await pool.Begin(TransactionOptions().ActingAs(Actor::System()));
            EXPECT_EQ(tx.DeferredCount(), 2u);  // BEGIN and the acting user
        }  // dropped: the connection never left idle, so the pool has nothing to roll back
        EXPECT_EQ(pool.Stats().resets, 0u);
        auto empty = co_await pool.Begin();
        co_await empty.Commit();  // BEGIN and COMMIT in one round trip
        EXPECT_TRUE(empty.Finished());
        auto tx = co_await pool.Begin();
        tx.Defer(t.Insert(), std::int32_t{1}, std::int32_t{10});
        co_await tx.Flush();
        EXPECT_EQ(tx.DeferredCount(), 0u);
        EXPECT_EQ(co_await CountRows(tx, t), 1);
        co_await tx.Rollback();
        EXPECT_EQ(co_await CountRows(pool, t), 0);
    });
}

std::uint64_t RecordedCalls(const Pool& pool) {
    std::uint64_t calls = 0;
    for (const QueryStat& q : pool.QueryStats()) calls += q.calls;
    return calls;
}

// RunBatch: several reads after the deferred BEGIN and writes, one round trip, their results in
// order (the write lock and the positions it guards, portfolio/service.cpp).
TEST(TransactionDefer, RunBatchSendsTheDeferredAndSeveralStatementsInOneRoundTrip) {
    DeferTable t;
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        co_await pool.Execute(Query{"SELECT 1", "test.warm"});  // the connection is open
        const std::uint64_t before = RecordedCalls(pool);
        auto tx = co_await pool.Begin(TransactionOptions().ActingAs(Actor::System()));
        tx.Defer(t.Insert(), std::int32_t{1}, std::int32_t{10});
        tx.Defer(t.Insert(), std::int32_t{2}, std::int32_t{20});
        const std::string v_sql = "SELECT v FROM " + t.name + " WHERE id = $1";
        Pipeline batch;
        batch.Push(t.Count());
        batch.Push(Query{"SELECT current_setting('app.role')", "test.role"});
        batch.Push(Query{v_sql, "test.v"}, std::int32_t{2});
        std::vector<Result> results = co_await tx.RunBatch(std::move(batch));
        EXPECT_EQ(RecordedCalls(pool), before + 1) << "one round trip";
        EXPECT_EQ(tx.DeferredCount(), 0u);
        EXPECT_EQ(results.size(), 3u);
        if (results.size() == 3) {
            EXPECT_EQ(results[0].AsSingleRow<std::int64_t>(), 2) << "the deferred writes ran first";
            EXPECT_EQ(results[1].AsSingleRow<std::string>(), std::string(RoleName(Actor::System().role)));
            EXPECT_EQ(results[2].AsSingleRow<std::int32_t>(), 20);
        }
        co_await tx.Commit();
        EXPECT_EQ(co_await CountRows(pool, t), 2);
    });
}

TEST(TransactionDefer, RunBatchThrowsTheFirstFailureAndNothingCommits) {
    DeferTable t;
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        auto tx = co_await pool.Begin();
        tx.Defer(t.Insert(), std::int32_t{1}, std::int32_t{10});
        Pipeline batch;
        batch.Push(t.Insert(), std::int32_t{1}, std::int32_t{11});  // the same key
        batch.Push(t.Count());
        bool unique = false;
        try {
            co_await tx.RunBatch(std::move(batch));
        } catch (const UniqueViolation&) {
            unique = true;
        }
        EXPECT_TRUE(unique);
        EXPECT_TRUE(co_await CommitRefusedAsAborted(tx));
        EXPECT_EQ(co_await CountRows(pool, t), 0);
    });
}

// Fusable writes on different tables go as one statement: its parts share one snapshot, so a
// part reading the other's table sees it as before the statement. (That reading is what the
// contract of Query::fusable forbids; here it is how the test sees the fusion.)
TEST(TransactionDefer, FusableWritesOnDifferentTablesRunAsOneStatement) {
    DeferTable a;
    DeferTable b;
    const std::string seen_sql = "INSERT INTO " + b.name + " SELECT $1, count(*) FROM " + a.name;
    const Query insert_a{a.insert, "test.fuse_a", true};
    const Query seen_b{seen_sql, "test.fuse_b", true};
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        auto tx = co_await pool.Begin();
        tx.Defer(insert_a, std::int32_t{1}, std::int32_t{10});
        tx.Defer(seen_b, std::int32_t{7});
        tx.Defer(insert_a, std::int32_t{2}, std::int32_t{20});  // `a` again: a second statement
        tx.Defer(seen_b, std::int32_t{8});
        co_await tx.Commit();
    });
    // Fused: 7 saw none of a's rows, 8 saw the first (sent before its statement) but not the second.
    EXPECT_EQ(nn::test::QueryValue(testkit::DbUrl(),
                                   "SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM " + b.name),
              "7:0,8:1");
    EXPECT_EQ(nn::test::QueryValue(testkit::DbUrl(), "SELECT count(*) FROM " + a.name), "2");
}

// A failing part of a fused statement fails the statement: thrown as its own kind of error by the
// next call, nothing of the transaction committed.
TEST(TransactionDefer, AFailingPartOfAFusedStatementIsThrownAndNothingCommits) {
    DeferTable a;
    DeferTable b;
    const Query insert_a{a.insert, "test.fuse_a", true};
    const Query insert_b{b.insert, "test.fuse_b", true};
    nn::test::ExecSql(testkit::DbUrl(), "INSERT INTO " + b.name + " VALUES (1, 1)");
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        auto tx = co_await pool.Begin();
        tx.Defer(insert_a, std::int32_t{1}, std::int32_t{10});
        tx.Defer(insert_b, std::int32_t{1}, std::int32_t{10});  // duplicate key
        EXPECT_TRUE(co_await CommitFailsAsUnique(tx));
        EXPECT_TRUE(tx.Finished());
        EXPECT_EQ(co_await CountRows(pool, a), 0);
    });
}

}  // namespace
}  // namespace nn::db
