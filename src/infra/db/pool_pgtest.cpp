#include "infra/db/pool.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "infra/db/errors.hpp"
#include "infra/db/testing/pg.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::db {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using nn::test::RunAwaitable;
using testkit::TestPool;

constexpr Query kAddOne{"SELECT $1::int8 + 1", "test.add_one"};
constexpr Query kPoolBackendPid{"SELECT pg_backend_pid()", "test.backend_pid"};

asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

TEST(Pool, ManyCoroutinesShareABoundedPool) {
    constexpr int kWorkers = 200;
    constexpr int kQueriesEach = 10;
    RunAwaitable([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        PoolOptions opts = TestPool(8);
        opts.acquire_timeout = 30s;
        Pool pool(ex, opts);
        int done = 0;
        std::int64_t sum = 0;
        int failures = 0;
        auto worker = [&](int id) -> asio::awaitable<void> {
            for (int i = 0; i < kQueriesEach; ++i) {
                const std::int64_t v = std::int64_t{id} * 1000 + i;
                sum += (co_await pool.Execute(kAddOne, v)).AsSingleRow<std::int64_t>() - 1 - v;
            }
        };
        for (int w = 0; w < kWorkers; ++w) {
            asio::co_spawn(ex, worker(w), [&](std::exception_ptr e) {
                if (e) ++failures;
                ++done;
            });
        }
        while (done < kWorkers) co_await Sleep(5ms);
        EXPECT_EQ(failures, 0);
        EXPECT_EQ(sum, 0);
        const PoolStats s = pool.Stats();
        EXPECT_LE(s.peak_in_use, 8u);
        EXPECT_GE(s.peak_in_use, 2u);  // the load did use several connections at once
        EXPECT_LE(s.size, 8u);
        EXPECT_EQ(s.in_use, 0u);
        EXPECT_EQ(s.acquires, std::uint64_t{kWorkers * kQueriesEach});
        EXPECT_GT(s.waits, 0u);
        EXPECT_EQ(s.acquire_timeouts, 0u);
        const auto stats = pool.QueryStats();
        bool found = false;
        for (const QueryStat& q : stats) {
            if (q.name == "test.add_one") {
                found = true;
                EXPECT_EQ(q.calls, std::uint64_t{kWorkers * kQueriesEach});
                EXPECT_EQ(q.errors, 0u);
            }
        }
        EXPECT_TRUE(found);
    });
}

TEST(Pool, AcquireTimesOutWhenExhausted) {
    RunAwaitable([]() -> asio::awaitable<void> {
        PoolOptions opts = TestPool(1);
        opts.acquire_timeout = 150ms;
        Pool pool(co_await asio::this_coro::executor, opts);
        PooledConnection held = co_await pool.Acquire();
        const auto start = std::chrono::steady_clock::now();
        bool timed_out = false;
        try {
            co_await pool.Execute(kAddOne, std::int64_t{1});
        } catch (const PoolTimeout& e) {
            timed_out = true;
            EXPECT_EQ(e.Code(), "db.pool_timeout");
            EXPECT_EQ(e.Kind(), ErrorKind::kUnavailable);
        }
        EXPECT_TRUE(timed_out);
        EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
        EXPECT_EQ(pool.Stats().acquire_timeouts, 1u);
        held.Release();
        // Free again: the next caller gets the same connection.
        EXPECT_EQ((co_await pool.Execute(kAddOne, std::int64_t{1})).AsSingleRow<std::int64_t>(), 2);
    });
}

TEST(Pool, TimedOutQueryLeavesThePoolWorking) {
    RunAwaitable([]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(2));
        static constexpr Query kSleep{"SELECT pg_sleep(5)", "test.sleep"};
        const auto start = std::chrono::steady_clock::now();
        bool timed_out = false;
        try {
            co_await pool.Execute(Timeout{200ms}, kSleep);
        } catch (const DeadlineExceeded&) {
            timed_out = true;
        }
        EXPECT_TRUE(timed_out);
        EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
        for (int i = 0; i < 5; ++i) {
            EXPECT_EQ((co_await pool.Execute(kAddOne, std::int64_t{i})).AsSingleRow<std::int64_t>(), i + 1);
        }
        for (const QueryStat& q : pool.QueryStats()) {
            if (q.name == "test.sleep") {
                EXPECT_EQ(q.timeouts, 1u);
            }
        }
    });
}

TEST(Pool, BrokenConnectionsAreReplaced) {
    RunAwaitable([]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        const auto pid = (co_await pool.Execute(kPoolBackendPid)).AsSingleRow<std::int32_t>();
        // Kill our own backend from another session, as a server restart or failover would.
        nn::test::ExecSql(testkit::DbUrl(), "SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
        co_await Sleep(100ms);
        // The idle check notices the dead socket before lending it: no error reaches the caller.
        const auto next = (co_await pool.Execute(kPoolBackendPid)).AsSingleRow<std::int32_t>();
        EXPECT_NE(next, pid);
        EXPECT_GE(pool.Stats().discarded, 1u);
    });
}

TEST(Pool, HealthCheckPingsIdleConnections) {
    RunAwaitable([]() -> asio::awaitable<void> {
        PoolOptions opts = TestPool(2);
        opts.min_size = 2;
        opts.health_check_interval = 100ms;
        Pool pool(co_await asio::this_coro::executor, opts);
        co_await Sleep(600ms);
        // The maintenance task opened min_size connections and pinged them while idle. A ping in
        // flight holds its connection (not idle) for a moment: on a busy machine the first look
        // can fall inside one, so both must be back within a second.
        EXPECT_EQ(pool.Stats().size, 2u);
        for (int i = 0; i < 100 && pool.Stats().idle != 2u; ++i) co_await Sleep(10ms);
        EXPECT_EQ(pool.Stats().idle, 2u);
        std::uint64_t pings = 0;
        for (const QueryStat& q : pool.QueryStats()) {
            if (q.name == "db.health_check") pings = q.calls;
        }
        EXPECT_GE(pings, 2u);
    });
}

TEST(Pool, UnreachableServerIsUnavailable) {
    RunAwaitable([]() -> asio::awaitable<void> {
        PoolOptions opts;
        opts.connection.url = "postgresql://u:p@127.0.0.1:1/db";
        opts.min_size = 0;
        opts.acquire_timeout = 500ms;
        Pool pool(co_await asio::this_coro::executor, opts);
        bool unavailable = false;
        try {
            co_await pool.Execute(kAddOne, std::int64_t{1});
        } catch (const DbError& e) {
            unavailable = e.Kind() == ErrorKind::kUnavailable;
        }
        EXPECT_TRUE(unavailable);
        // It retried with backoff within the acquire deadline.
        EXPECT_GE(pool.Stats().connect_errors, 2u);
    });
}

}  // namespace
}  // namespace nn::db
