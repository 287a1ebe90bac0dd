#include "infra/db/listener.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include <boost/asio/this_coro.hpp>

#include "infra/db/pool.hpp"
#include "infra/db/testing/pg.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::db {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using nn::test::RunAwaitable;
using testkit::TestPool;

constexpr Query kNotify{"SELECT pg_notify($1, $2)", "test.notify"};

TEST(Listener, DeliversNotificationsInOrder) {
    RunAwaitable([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        Pool pool(ex, TestPool(1));
        ConnectOptions opts;
        opts.url = testkit::DbUrl();
        Listener listener(ex, opts);
        const std::string channel = nn::test::UniqueName("Chan_");  // mixed case: quoted correctly
        const std::string other = nn::test::UniqueName("other_");
        co_await listener.Listen(channel);
        co_await listener.Listen(other);

        const auto start = std::chrono::steady_clock::now();
        EXPECT_EQ(co_await listener.Next(100ms), std::nullopt);
        EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);

        co_await pool.Execute(kNotify, channel, std::string("first"));
        co_await pool.Execute(kNotify, other, std::string("{\"json\": \"payload ' with quotes\"}"));
        co_await pool.Execute(kNotify, channel, std::string("third"));
        auto a = co_await listener.Next(2s);
        auto b = co_await listener.Next(2s);
        auto c = co_await listener.Next(2s);
        EXPECT_TRUE(a && b && c);
        if (a && b && c) {
            EXPECT_EQ(a->channel, channel);
            EXPECT_EQ(a->payload, "first");
            EXPECT_EQ(b->channel, other);
            EXPECT_EQ(b->payload, "{\"json\": \"payload ' with quotes\"}");
            EXPECT_EQ(c->payload, "third");
            EXPECT_GT(a->backend_pid, 0);
        }

        co_await listener.Unlisten(other);
        co_await pool.Execute(kNotify, other, std::string("ignored"));
        co_await pool.Execute(kNotify, channel, std::string("kept"));
        auto d = co_await listener.Next(2s);
        EXPECT_TRUE(d && d->payload == "kept");
        EXPECT_EQ(listener.Reconnects(), 0u);
    });
}

TEST(Listener, ReconnectsAfterItsBackendIsTerminated) {
    RunAwaitable([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        Pool pool(ex, TestPool(1));
        ConnectOptions opts;
        opts.url = testkit::DbUrl();
        Listener listener(ex, opts);
        const std::string channel = nn::test::UniqueName("re_");
        co_await listener.Listen(channel);
        static constexpr Query kKill{
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN \"' || $1 || '\"'",
            "test.kill_listener"};
        EXPECT_EQ((co_await pool.Execute(kKill, channel)).Size(), 1);
        bool received = false;
        for (int i = 0; i < 50 && !received; ++i) {
            co_await pool.Execute(kNotify, channel, std::string("back"));
            auto n = co_await listener.Next(200ms);
            received = n && n->payload == "back";
        }
        EXPECT_TRUE(received);
        EXPECT_EQ(listener.Reconnects(), 1u);
    });
}

}  // namespace
}  // namespace nn::db
