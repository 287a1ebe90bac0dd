// db::ReadRouter against a real streaming replica: `scripts/cluster.sh pg DIR` makes a small
// primary and a replica (pg_basebackup -R) of its own on free loopback ports for this executable,
// and the tests pause replay, stop and start the replica.

#include "infra/db/read_router.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tests/support/run_awaitable.hpp"
#include "tests/support/test_env.hpp"

namespace nn::db {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using nn::test::RunAwaitable;

constexpr Query kInRecovery{"SELECT pg_is_in_recovery()", "test.in_recovery"};
constexpr Query kCount{"SELECT count(*) FROM rr_items", "test.count"};
constexpr Query kInsert{"INSERT INTO rr_items (v) VALUES ($1)", "test.insert"};

struct Cluster {
    std::string dir;
    std::string script;
    std::map<std::string, std::string> env;

    Cluster() {
        dir = "/tmp/" + nn::test::UniqueName("nn-replica-");
        script = nn::test::SourceDir() + "/scripts/cluster.sh";
        try {
            Run("pg");
        } catch (...) {
            // a primary may have started before the replica failed: leave nothing running
            std::system((script + " pg-stop " + dir + " >/dev/null 2>&1").c_str());
            std::error_code ignored;
            std::filesystem::remove_all(dir, ignored);
            throw;
        }
        std::ifstream f(dir + "/pg.env");
        std::string line;
        while (std::getline(f, line)) {
            // export KEY='value'
            auto eq = line.find('=');
            if (line.rfind("export ", 0) != 0 || eq == std::string::npos) continue;
            env[line.substr(7, eq - 7)] = line.substr(eq + 2, line.size() - eq - 3);
        }
    }
    ~Cluster() {
        Run("pg-stop");
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
    void Run(const std::string& command) const {
        const std::string cmd = script + " " + command + " " + dir + " >/dev/null";
        if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
    }
    std::string Primary() const { return env.at("NEXANEST_TEST_PG_URL"); }
    std::string Replica() const { return env.at("NEXANEST_TEST_PG_REPLICA_URL"); }
};

Cluster& TheCluster() {
    static Cluster cluster;
    return cluster;
}

class ReadRouterTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        nn::test::ExecSql(TheCluster().Primary(),
                          "CREATE TABLE IF NOT EXISTS rr_items (id bigserial PRIMARY KEY, v int NOT NULL)");
    }

    static PoolOptions Options(const std::string& url) {
        PoolOptions o;
        o.connection.url = url;
        o.connection.connect_timeout = 1000ms;
        o.min_size = 0;
        o.max_size = 4;
        o.acquire_timeout = 1000ms;
        return o;
    }
    static ReadRouterOptions RouterOptions() {
        ReadRouterOptions o;
        o.max_lag = 400ms;
        o.probe_interval = 100ms;
        o.probe_timeout = 500ms;
        return o;
    }
    static asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
        asio::steady_timer t(co_await asio::this_coro::executor, d);
        co_await t.async_wait(asio::use_awaitable);
    }
    static asio::awaitable<void> WaitUsable(ReadRouter& router) {
        for (int i = 0; i < 50 && !router.ReplicaUsable(); ++i) {
            co_await router.Probe();
            if (!router.ReplicaUsable()) co_await Sleep(100ms);
        }
    }
    // Probes every 100 ms for `d`, as the router's own loop would.
    static asio::awaitable<void> ProbeFor(ReadRouter& router, std::chrono::milliseconds d) {
        for (auto spent = 0ms; spent < d; spent += 100ms) {
            co_await router.Probe();
            co_await Sleep(100ms);
        }
    }
};

TEST_F(ReadRouterTest, CaughtUpReplicaServesReadsWithinTheBound) {
    RunAwaitable([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        Pool primary(ex, Options(TheCluster().Primary()));
        Pool replica(ex, Options(TheCluster().Replica()));
        ReadRouter router(ex, primary, &replica, RouterOptions());
        // Never measured: the primary answers.
        EXPECT_FALSE(router.ReplicaUsable());
        EXPECT_FALSE((co_await router.Execute(kInRecovery)).AsSingleRow<bool>());

        // Streaming is asynchronous: the table made a moment ago may still be on its way.
        co_await WaitUsable(router);
        EXPECT_TRUE(router.ReplicaUsable());
        if (!router.ReplicaUsable()) co_return;
        EXPECT_LT(router.Lag()->count(), 400);
        EXPECT_TRUE((co_await router.Execute(kInRecovery)).AsSingleRow<bool>());

        // A write on the primary is visible through the router once a probe has seen the replica
        // replay past it: the bound holds.
        const auto before = (co_await primary.Execute(kCount)).AsSingleRow<std::int64_t>();
        co_await primary.Execute(kInsert, std::int32_t{1});
        co_await ProbeFor(router, 300ms);
        EXPECT_TRUE(router.ReplicaUsable());
        if (!router.ReplicaUsable()) co_return;
        EXPECT_EQ((co_await router.Execute(kCount)).AsSingleRow<std::int64_t>(), before + 1);
        EXPECT_GT(router.Stats().replica_reads, 0u);
    });
}

TEST_F(ReadRouterTest, PausedReplayAgesPastTheBoundAndReadsGoToThePrimary) {
    RunAwaitable([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        Pool primary(ex, Options(TheCluster().Primary()));
        Pool replica(ex, Options(TheCluster().Replica()));
        ReadRouter router(ex, primary, &replica, RouterOptions());
        co_await WaitUsable(router);
        EXPECT_TRUE(router.ReplicaUsable());
        if (!router.ReplicaUsable()) co_return;

        nn::test::ExecSql(TheCluster().Replica(), "SELECT pg_wal_replay_pause()");
        co_await primary.Execute(kInsert, std::int32_t{2});
        const auto on_primary = (co_await primary.Execute(kCount)).AsSingleRow<std::int64_t>();
        // Replay stopped: the replica is still reachable and answers, but stale.
        co_await ProbeFor(router, 700ms);
        EXPECT_FALSE(router.ReplicaUsable());
        EXPECT_FALSE((co_await router.Execute(kInRecovery)).AsSingleRow<bool>());
        EXPECT_EQ((co_await router.Execute(kCount)).AsSingleRow<std::int64_t>(), on_primary);

        nn::test::ExecSql(TheCluster().Replica(), "SELECT pg_wal_replay_resume()");
        co_await ProbeFor(router, 300ms);
        EXPECT_TRUE(router.ReplicaUsable());
        EXPECT_TRUE((co_await router.Execute(kInRecovery)).AsSingleRow<bool>());
    });
}

TEST_F(ReadRouterTest, StoppedReplicaCostsNoFailedRead) {
    RunAwaitable([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        Pool primary(ex, Options(TheCluster().Primary()));
        Pool replica(ex, Options(TheCluster().Replica()));
        ReadRouter router(ex, primary, &replica, RouterOptions());
        co_await WaitUsable(router);
        EXPECT_TRUE(router.ReplicaUsable());
        if (!router.ReplicaUsable()) co_return;
        EXPECT_TRUE((co_await router.Execute(kInRecovery)).AsSingleRow<bool>());

        TheCluster().Run("replica-stop");
        // Before any probe notices: the first read fails over by itself, nothing is thrown.
        int failures = 0;
        for (int i = 0; i < 20; ++i) {
            try {
                EXPECT_FALSE((co_await router.Execute(kInRecovery)).AsSingleRow<bool>());
            } catch (const std::exception&) {
                ++failures;
            }
        }
        EXPECT_EQ(failures, 0);
        EXPECT_GE(router.Stats().fallbacks, 1u);
        co_await router.Probe();
        EXPECT_FALSE(router.ReplicaUsable());

        TheCluster().Run("replica-start");
        co_await WaitUsable(router);
        EXPECT_TRUE(router.ReplicaUsable());
        EXPECT_TRUE((co_await router.Execute(kInRecovery)).AsSingleRow<bool>());
    });
}

TEST(ParseLsn, ReadsPostgresLsnText) {
    EXPECT_EQ(ParseLsn("0/0"), 0u);
    EXPECT_EQ(ParseLsn("16/B374D848"), 0x16B374D848ull);
    EXPECT_EQ(ParseLsn("0/3000148"), 0x3000148ull);
    EXPECT_FALSE(ParseLsn(""));
    EXPECT_FALSE(ParseLsn("16B374D848"));
    EXPECT_FALSE(ParseLsn("x/1"));
    EXPECT_FALSE(ParseLsn("1/"));
}

}  // namespace
}  // namespace nn::db
