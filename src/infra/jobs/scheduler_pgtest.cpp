#include "infra/jobs/scheduler.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/error.hpp"
#include "infra/db/pool.hpp"
#include "tests/support/test_env.hpp"

namespace nn::jobs {
namespace {
namespace asio = boost::asio;

class SchedulerTest : public ::testing::Test {
protected:
    void SetUp() override {
        test::ExecSql(db_.Url(),
                      "CREATE TABLE public.job_leases (job_name text PRIMARY KEY, owner text NOT NULL, "
                      "expires_at timestamptz NOT NULL)");
    }

    db::PoolOptions Options() {
        db::PoolOptions o;
        o.connection.url = db_.Url();
        o.max_size = 2;
        return o;
    }

    template <class F>
    void Run(F body) {
        bool done = false;
        asio::co_spawn(io_, body(), [&](std::exception_ptr e) {
            done = true;
            if (e) std::rethrow_exception(e);
        });
        io_.run();
        ASSERT_TRUE(done);
    }

    test::ScratchDatabase db_{"t_jobs_"};
    asio::io_context io_;
};

TEST_F(SchedulerTest, OnlyOneInstanceRunsEachRound) {
    db::Pool pool(io_.get_executor(), Options());
    Scheduler a(io_.get_executor(), "instance-a");
    Scheduler b(io_.get_executor(), "instance-b");
    int runs_a = 0;
    int runs_b = 0;
    a.Add({.name = "cleanup",
           .interval = std::chrono::hours(1),
           .lease_pool = &pool,
           .run = [&]() -> asio::awaitable<void> {
               ++runs_a;
               co_return;
           }});
    b.Add({.name = "cleanup",
           .interval = std::chrono::hours(1),
           .lease_pool = &pool,
           .run = [&]() -> asio::awaitable<void> {
               ++runs_b;
               co_return;
           }});
    Run([&]() -> asio::awaitable<void> {
        EXPECT_TRUE(co_await a.RunOnce("cleanup"));
        EXPECT_FALSE(co_await b.RunOnce("cleanup"));  // a holds the lease for an hour
        EXPECT_TRUE(co_await a.RunOnce("cleanup"));   // the holder renews
        pool.Close();
    });
    EXPECT_EQ(runs_a, 2);
    EXPECT_EQ(runs_b, 0);
    EXPECT_EQ(b.Stats().at(0).skipped, 1u);
}

TEST_F(SchedulerTest, AnotherInstanceTakesOverAnExpiredLease) {
    db::Pool pool(io_.get_executor(), Options());
    Scheduler a(io_.get_executor(), "instance-a");
    Scheduler b(io_.get_executor(), "instance-b");
    int runs = 0;
    auto job = [&]() -> asio::awaitable<void> {
        ++runs;
        co_return;
    };
    a.Add({.name = "roll", .interval = std::chrono::milliseconds(200), .lease_pool = &pool, .run = job});
    b.Add({.name = "roll", .interval = std::chrono::milliseconds(200), .lease_pool = &pool, .run = job});
    Run([&]() -> asio::awaitable<void> {
        EXPECT_TRUE(co_await a.RunOnce("roll"));
        EXPECT_FALSE(co_await b.RunOnce("roll"));
        asio::steady_timer t(io_, std::chrono::milliseconds(300));
        co_await t.async_wait(asio::use_awaitable);
        EXPECT_TRUE(co_await b.RunOnce("roll"));  // a "died": its lease expired
        EXPECT_FALSE(co_await a.RunOnce("roll"));
        pool.Close();
    });
    EXPECT_EQ(runs, 2);
}

TEST_F(SchedulerTest, FailuresAreCountedAndTheLoopGoesOn) {
    db::Pool pool(io_.get_executor(), Options());
    Scheduler s(io_.get_executor());
    int attempts = 0;
    s.Add({.name = "flaky",
           .interval = std::chrono::milliseconds(20),
           .lease_pool = &pool,
           .run = [&]() -> asio::awaitable<void> {
               ++attempts;
               if (attempts == 1) throw std::runtime_error("first run fails");
               co_return;
           }});
    s.Start();
    asio::steady_timer stop(io_, std::chrono::milliseconds(400));
    stop.async_wait([&](auto) {
        s.Stop();
        pool.Close();
    });
    io_.run();
    auto stats = s.Stats().at(0);
    EXPECT_GE(attempts, 2);
    EXPECT_EQ(stats.failures, 1u);
    EXPECT_EQ(stats.last_error, "first run fails");
    EXPECT_GE(stats.runs, 1u);
}

TEST_F(SchedulerTest, StopEndsEveryLoop) {
    db::Pool pool(io_.get_executor(), Options());
    Scheduler s(io_.get_executor());
    int runs_a = 0;
    int runs_b = 0;
    s.Add({.name = "a",
           .interval = std::chrono::milliseconds(20),
           .lease_pool = &pool,
           .run = [&]() -> asio::awaitable<void> {
               ++runs_a;
               co_return;
           }});
    s.Add({.name = "b",
           .interval = std::chrono::milliseconds(20),
           .lease_pool = &pool,
           .run = [&]() -> asio::awaitable<void> {
               ++runs_b;
               co_return;
           }});
    s.Start();
    asio::steady_timer stop(io_, std::chrono::milliseconds(300));
    stop.async_wait([&](auto) {
        s.Stop();
        pool.Close();
    });
    // A loop Stop() missed would keep its timer going and the context would never run dry.
    io_.run_for(std::chrono::seconds(5));
    EXPECT_TRUE(io_.stopped());
    EXPECT_GE(runs_a, 1);
    EXPECT_GE(runs_b, 1);
}

TEST_F(SchedulerTest, RejectsIncompleteAndDuplicateJobs) {
    db::Pool pool(io_.get_executor(), Options());
    Scheduler s(io_.get_executor());
    EXPECT_THROW(s.Add({.name = "x", .interval = std::chrono::seconds(1)}), nn::Error);
    auto run = []() -> asio::awaitable<void> { co_return; };
    s.Add({.name = "x", .interval = std::chrono::seconds(1), .lease_pool = &pool, .run = run});
    EXPECT_THROW(s.Add({.name = "x", .interval = std::chrono::seconds(1), .lease_pool = &pool, .run = run}),
                 nn::Error);
    pool.Close();
}

}  // namespace
}  // namespace nn::jobs
