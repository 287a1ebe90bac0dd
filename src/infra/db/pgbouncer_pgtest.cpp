// The driver through pgbouncer 1.18 in transaction mode (docs/scale-out.md): unnamed statements,
// transaction-local settings, pipelines and COPY keep working while consecutive transactions of
// one client connection run on different server connections.

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "infra/db/pool.hpp"
#include "infra/db/testing/pg.hpp"
#include "infra/db/testing/pgbouncer.hpp"
#include "infra/db/transaction.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::db {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using nn::test::RunAwaitable;

constexpr Query kPgbouncerBackendPid{"SELECT pg_backend_pid()", "test.pid"};
constexpr Query kSetting{"SELECT coalesce(current_setting('app.user_id', true), '')", "test.setting"};
constexpr Query kPrepared{"SELECT count(*) FROM pg_prepared_statements", "test.prepared"};

PoolOptions ThroughBouncer(const testkit::PgBouncer& bouncer, bool prepare) {
    PoolOptions o;
    o.connection.url = bouncer.Url(nn::test::QueryValue(testkit::DbUrl(), "SELECT current_database()"));
    o.connection.prepare_statements = prepare;
    o.min_size = 0;
    o.max_size = 6;
    o.acquire_timeout = 10s;
    return o;
}

// Many coroutines, several statements each, on a pool wider than pgbouncer's server pool:
// with named statements a statement prepared on one server connection is executed on another
// ("prepared statement ... does not exist"); unnamed statements never depend on the server.
int Failures(const testkit::PgBouncer& bouncer, bool prepare, std::set<std::int32_t>* servers) {
    int failures = 0;
    RunAwaitable([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        Pool pool(ex, ThroughBouncer(bouncer, prepare));
        int done = 0;
        constexpr int kWorkers = 12;
        auto worker = [&](int id) -> asio::awaitable<void> {
            for (int i = 0; i < 40; ++i) {
                // A distinct SQL text per (worker, step): each is new to every server connection.
                const std::string sql = "SELECT $1::int8 + " + std::to_string(id * 1000 + i % 7);
                const Query q{sql, "test.add"};
                auto r = co_await pool.Execute(q, std::int64_t{1});
                EXPECT_EQ(r.AsSingleRow<std::int64_t>(), 1 + id * 1000 + i % 7);
                servers->insert((co_await pool.Execute(kPgbouncerBackendPid)).AsSingleRow<std::int32_t>());
            }
        };
        for (int w = 0; w < kWorkers; ++w) {
            asio::co_spawn(ex, worker(w), [&](std::exception_ptr e) {
                if (e) ++failures;
                ++done;
            });
        }
        while (done < kWorkers) {
            asio::steady_timer t(ex, 5ms);
            co_await t.async_wait(asio::use_awaitable);
        }
    });
    return failures;
}

TEST(PgBouncerTransactionMode, UnnamedStatementsNeverMissTheirServerConnection) {
    testkit::PgBouncer bouncer(2);
    std::set<std::int32_t> servers;
    EXPECT_EQ(Failures(bouncer, false, &servers), 0);
    // The load did move between server connections (otherwise the test proves nothing).
    EXPECT_EQ(servers.size(), 2u);
    RunAwaitable([&]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, ThroughBouncer(bouncer, false));
        // Nothing is left prepared on the servers.
        EXPECT_EQ((co_await pool.Execute(kPrepared)).AsSingleRow<std::int64_t>(), 0);
    });
}

TEST(PgBouncerTransactionMode, NamedStatementsBreakThere) {
    // The reason for the setting: the default mode fails through a transaction-mode pooler.
    testkit::PgBouncer bouncer(2);
    std::set<std::int32_t> servers;
    EXPECT_GT(Failures(bouncer, true, &servers), 0);
}

TEST(PgBouncerTransactionMode, ActingUserStaysInsideItsTransaction) {
    testkit::PgBouncer bouncer(2);
    RunAwaitable([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        Pool pool(ex, ThroughBouncer(bouncer, false));
        for (int i = 0; i < 20; ++i) {
            const UserId id = UserId::Generate();
            const std::string user = id.ToString();
            auto tx = co_await pool.Begin(TransactionOptions().ActingAs(Actor(id, Role::kUser)));
            // The BEGIN/set_config pipeline and the statements after it share one server session.
            EXPECT_EQ((co_await tx.Execute(kSetting)).AsSingleRow<std::string>(), user);
            EXPECT_EQ((co_await tx.Execute(kSetting)).AsSingleRow<std::string>(), user);
            co_await tx.Commit();
            // Outside a transaction nothing of it is left, whichever server connection answers.
            EXPECT_EQ((co_await pool.Execute(kSetting)).AsSingleRow<std::string>(), "");
        }
        // A pipeline of independent statements (one Sync each) outside a transaction.
        for (int i = 0; i < 10; ++i) {
            Pipeline p;
            p.Push(kSetting).Push(kPgbouncerBackendPid).Push(kSetting);
            auto r = co_await pool.RunPipeline(std::move(p), std::nullopt);
            EXPECT_EQ(r.Size(), 3u);
            if (r.Size() != 3u) co_return;
            EXPECT_EQ(r[0].AsSingleRow<std::string>(), "");
            EXPECT_EQ(r[2].AsSingleRow<std::string>(), "");
        }
    });
}

}  // namespace
}  // namespace nn::db
