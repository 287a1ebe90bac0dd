#include <gtest/gtest.h>

#include "infra/redis/client.hpp"
#include "infra/redis/redis_test_util.hpp"
#include "infra/redis/subscriber.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::redis {
namespace {

using namespace std::chrono_literals;
using nn::test::RunAwaitable;
using test_util::Sleep;
using test_util::TestOptions;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

TEST(RedisSubscriber, DeliversChannelAndPatternMessages) {
    asio::io_context io;
    Client client(io.get_executor(), TestOptions());
    Subscriber sub(io.get_executor(), TestOptions());
    const std::string prefix = nn::test::UniqueName("nn_redis_ps_");
    const std::string ch = prefix + ":prices";
    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        const std::vector<std::string> channels{ch};
        co_await sub.Subscribe(channels);
        const std::vector<std::string> patterns{prefix + ":user:*"};
        co_await sub.PSubscribe(patterns);

        EXPECT_EQ(co_await client.Publish(ch, "one"), 1);
        const std::string binary("\0two\r\n", 6);
        EXPECT_EQ(co_await client.Publish(ch, binary), 1);
        EXPECT_EQ(co_await client.Publish(prefix + ":user:42", "hi 42"), 1);
        EXPECT_EQ(co_await client.Publish(prefix + ":other", "nobody"), 0);

        Message m1 = co_await sub.Next();
        EXPECT_EQ(m1.channel, ch);
        EXPECT_EQ(m1.payload, "one");
        EXPECT_TRUE(m1.pattern.empty());
        Message m2 = co_await sub.Next();
        EXPECT_EQ(m2.payload, binary);
        Message m3 = co_await sub.Next();
        EXPECT_EQ(m3.pattern, prefix + ":user:*");
        EXPECT_EQ(m3.channel, prefix + ":user:42");
        EXPECT_EQ(m3.payload, "hi 42");
        EXPECT_EQ(co_await sub.Next(50ms), std::nullopt);

        sub.Unsubscribe(channels);
        auto deadline = Clock::now() + 2s;
        std::int64_t receivers = 1;
        while (receivers != 0 && Clock::now() < deadline) {
            receivers = co_await client.Publish(ch, "after");
            if (receivers != 0) co_await Sleep(5ms);
        }
        EXPECT_EQ(receivers, 0);
        sub.PUnsubscribe(patterns);
    }());
    EXPECT_GE(sub.GetStats().messages, 3u);
}

TEST(RedisSubscriber, ResubscribesAfterTheConnectionIsKilled) {
    asio::io_context io;
    Client client(io.get_executor(), TestOptions());
    Options o = TestOptions();
    o.client_name = nn::test::UniqueName("nn_redis_sub_");
    Subscriber sub(io.get_executor(), o);
    const std::string ch = nn::test::UniqueName("nn_redis_ps_");
    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        const std::vector<std::string> channels{ch};
        co_await sub.Subscribe(channels);
        EXPECT_EQ(co_await client.Publish(ch, "before"), 1);
        EXPECT_EQ((co_await sub.Next()).payload, "before");

        // Find the subscriber's connection by name and kill it server-side.
        const std::vector<std::string> list{"CLIENT", "LIST"};
        std::string clients = (co_await client.Command(list)).AsString();
        auto at = clients.find("name=" + o.client_name + " ");
        NN_CO_ASSERT_TRUE(at != std::string::npos);
        auto line = clients.rfind('\n', at);
        line = line == std::string::npos ? 0 : line + 1;
        std::string id = clients.substr(line + 3, clients.find(' ', line) - line - 3);
        const std::vector<std::string> kill{"CLIENT", "KILL", "ID", id};
        EXPECT_EQ((co_await client.Command(kill)).AsInteger(), 1);

        // Back with its subscription: a publish reaches it again.
        auto deadline = Clock::now() + 5s;
        std::int64_t receivers = 0;
        while (receivers == 0 && Clock::now() < deadline) {
            receivers = co_await client.Publish(ch, "after");
            if (receivers == 0) co_await Sleep(10ms);
        }
        NN_CO_ASSERT_EQ(receivers, 1);
        auto m = co_await sub.Next(2s);
        NN_CO_ASSERT_TRUE(m.has_value());
        EXPECT_EQ(m->payload, "after");
    }());
    EXPECT_EQ(sub.GetStats().reconnects, 1u);
    EXPECT_TRUE(sub.Connected());
}

TEST(RedisSubscriber, NextThrowsOnceClosed) {
    asio::io_context io;
    Subscriber sub(io.get_executor(), TestOptions());
    bool threw = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            try {
                co_await sub.Next();
            } catch (const nn::Error& e) {
                threw = e.Kind() == ErrorKind::kUnavailable;
            }
        },
        asio::detached);
    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        co_await Sleep(50ms);
        sub.Close();
        co_await Sleep(10ms);
    }());
    EXPECT_TRUE(threw);
}

}  // namespace
}  // namespace nn::redis
