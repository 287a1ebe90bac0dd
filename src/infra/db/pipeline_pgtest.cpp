#include "infra/db/pipeline.hpp"

#include <gtest/gtest.h>

#include <boost/asio/this_coro.hpp>

#include "infra/db/errors.hpp"
#include "infra/db/pool.hpp"
#include "infra/db/testing/pg.hpp"
#include "infra/db/transaction.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::db {
namespace {

namespace asio = boost::asio;
using nn::test::RunAwaitable;
using testkit::TestPool;

TEST(Pipeline, OneFailureDoesNotAffectTheOthers) {
    const std::string table = nn::test::UniqueName("pipe_");
    nn::test::ExecSql(testkit::DbUrl(), "CREATE TABLE " + table + " (id int)");
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        const std::string insert = "INSERT INTO " + table + " VALUES ($1)";
        Pipeline p;
        p.Push(Query{insert, "test.insert"}, std::int32_t{1})
            .Push(Query{"SELECT 1 / $1::int4", "test.divide"}, std::int32_t{0})
            .Push(Query{"SELECT $1::text || '!'", "test.shout"}, std::string("hi"));
        PipelineResults r = co_await pool.RunPipeline(std::move(p), std::nullopt);
        EXPECT_EQ(r.Size(), 3u);
        EXPECT_TRUE(r.Ok(0));
        EXPECT_FALSE(r.Ok(1));
        EXPECT_TRUE(r.Ok(2));
        EXPECT_EQ(r[0].RowsAffected(), 1);
        bool divided_by_zero = false;
        try {
            r[1];
        } catch (const DataException& e) {
            divided_by_zero = e.SqlState() == "22012" && e.QueryName() == "test.divide";
        }
        EXPECT_TRUE(divided_by_zero);
        EXPECT_EQ(r[2].AsSingleRow<std::string>(), "hi!");
        // The insert before the failure was committed: each query had its own sync.
        const std::string count = "SELECT count(*) FROM " + table;
        EXPECT_EQ((co_await pool.Execute(Query{count, "t"})).AsSingleRow<std::int64_t>(), 1);
        // And the connection is back in normal mode for ordinary queries.
        EXPECT_EQ((co_await pool.Execute(Query{"SELECT 5", "t"})).AsSingleRow<std::int32_t>(), 5);
        EXPECT_EQ(pool.Stats().discarded, 0u);
    });
    nn::test::ExecSql(testkit::DbUrl(), "DROP TABLE " + table);
}

TEST(Pipeline, InsideATransactionAFailureAbortsTheRest) {
    RunAwaitable([]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        auto tx = co_await pool.Begin();
        Pipeline p;
        p.Push(Query{"SELECT 1", "a"}).Push(Query{"SELECT 1/0", "b"}).Push(Query{"SELECT 3", "c"});
        PipelineResults r = co_await tx.RunPipeline(std::move(p), std::nullopt);
        EXPECT_TRUE(r.Ok(0));
        EXPECT_FALSE(r.Ok(1));
        EXPECT_FALSE(r.Ok(2));  // 25P02: the transaction is aborted
        bool aborted = false;
        try {
            r[2];
        } catch (const DbError& e) {
            aborted = e.SqlState() == "25P02";
        }
        EXPECT_TRUE(aborted);
    });
}

TEST(Pipeline, ManyQueriesInOneRoundTrip) {
    RunAwaitable([]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        Pipeline p;
        for (std::int64_t i = 0; i < 500; ++i) p.Push(Query{"SELECT $1::int8 * 2", "test.double"}, i);
        PipelineResults r = co_await pool.RunPipeline(std::move(p), std::nullopt);
        EXPECT_EQ(r.Size(), 500u);
        for (std::size_t i = 0; i < r.Size(); ++i) {
            EXPECT_EQ(r[i].AsSingleRow<std::int64_t>(), static_cast<std::int64_t>(i) * 2);
        }
    });
}

}  // namespace
}  // namespace nn::db
