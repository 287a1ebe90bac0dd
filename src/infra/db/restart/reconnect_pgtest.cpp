// Stops and starts the shared test cluster (ctest label "restart", RUN_SERIAL): the pool and the
// listener must come back by themselves, and the server is always left running.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "infra/db/listener.hpp"
#include "infra/db/pool.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/test_env.hpp"

namespace nn::db {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr Query kSelect1{"SELECT 1::int4", "test.select1"};
constexpr Query kBackend{"SELECT pg_backend_pid()", "test.backend_pid"};
constexpr Query kNotify{"SELECT pg_notify($1, $2)", "test.notify"};

asio::awaitable<void> Sleep(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

TEST(Reconnect, PoolAndListenerComeBackAfterServerRestart) {
    const char* script = std::getenv("NEXANEST_TEST_SERVICES_SCRIPT");
    const char* dir = std::getenv("NEXANEST_TEST_SERVICES_DIR");
    if (script == nullptr || dir == nullptr || *script == '\0' || *dir == '\0') {
        GTEST_SKIP() << "NEXANEST_TEST_SERVICES_SCRIPT and NEXANEST_TEST_SERVICES_DIR are not set; "
                        "scripts/test.sh (make test) sets them";
    }
    const std::string stop = std::string(script) + " stop " + dir;
    const std::string start = std::string(script) + " start " + dir;
    std::atomic<bool> stopped{false};
    std::atomic<bool> restarted{false};
    std::atomic<int> stop_rc{-1};
    std::atomic<int> start_rc{-1};
    std::thread restarter;

    nn::test::RunAwaitable([&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        PoolOptions opts;
        opts.connection.url = test::PgUrl();
        opts.connection.connect_timeout = 2s;
        opts.min_size = 2;
        opts.max_size = 4;
        opts.acquire_timeout = 60s;
        opts.reconnect_backoff_max = 500ms;
        Pool pool(ex, opts);
        Listener listener(ex, ConnectOptions{.url = test::PgUrl()});
        const std::string channel = test::UniqueName("restart_");
        co_await listener.Listen(channel);

        const auto before = (co_await pool.Execute(kBackend)).AsSingleRow<std::int32_t>();
        const auto stats_before = pool.Stats();

        restarter = std::thread([&] {
            stop_rc = std::system(stop.c_str());
            stopped = true;
            std::this_thread::sleep_for(1s);
            start_rc = std::system(start.c_str());
            restarted = true;
        });
        while (!stopped) co_await Sleep(20ms);
        EXPECT_EQ(stop_rc.load(), 0);

        // Issued while the server is down: the pool keeps reconnecting with backoff within the
        // acquire deadline and the query succeeds once the server is back.
        const auto value = (co_await pool.Execute(kSelect1)).AsSingleRow<std::int32_t>();
        EXPECT_EQ(value, 1);
        while (!restarted) co_await Sleep(20ms);
        EXPECT_EQ(start_rc.load(), 0);

        // The connections from before the restart are detected as dead and replaced: every query
        // afterwards succeeds, on a new backend.
        for (int i = 0; i < 10; ++i) {
            const auto pid = (co_await pool.Execute(kBackend)).AsSingleRow<std::int32_t>();
            EXPECT_NE(pid, before);
        }
        const auto stats = pool.Stats();
        EXPECT_GT(stats.connect_errors, stats_before.connect_errors);
        EXPECT_GT(stats.connects, stats_before.connects);
        EXPECT_LE(stats.peak_in_use, opts.max_size);

        // The listener reconnects and LISTENs again. NOTIFY is not durable, so keep sending
        // until one arrives.
        bool received = false;
        for (int i = 0; i < 100 && !received; ++i) {
            co_await pool.Execute(kNotify, channel, std::string("after-restart"));
            auto n = co_await listener.Next(200ms);
            received = n && n->channel == channel && n->payload == "after-restart";
        }
        EXPECT_TRUE(received);
        EXPECT_GE(listener.Reconnects(), 1u);
    });
    if (restarter.joinable()) restarter.join();
    // Never leave the shared cluster down, whatever happened above.
    if (!restarted) {
        const int rc = std::system(start.c_str());
        EXPECT_EQ(rc, 0);
    }
}

}  // namespace
}  // namespace nn::db
