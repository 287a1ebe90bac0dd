#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <numeric>
#include <random>

#include "infra/redis/client.hpp"
#include "infra/redis/redis_test_util.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::redis {
namespace {

using namespace std::chrono_literals;
using nn::test::RunAwaitable;
namespace asio = boost::asio;
using test_util::Sleep;
using test_util::TestOptions;
using Clock = std::chrono::steady_clock;

class RedisConnection : public ::testing::Test {
protected:
    void TearDown() override {
        if (keys_.empty()) return;
        RunAwaitable(io_, [&]() -> asio::awaitable<void> { co_await client_.DelMany(keys_); }());
    }
    std::string Key(const std::string& what) {
        keys_.push_back(nn::test::UniqueName("nn_redis_conn_" + what + "_"));
        return keys_.back();
    }

    asio::io_context io_;
    Client client_{io_.get_executor(), TestOptions()};
    std::vector<std::string> keys_;
};

TEST_F(RedisConnection, ConcurrentIncrsFromManyCoroutinesAreAllCountedAndMatched) {
    const std::string key = Key("incr");
    constexpr int kWorkers = 100;
    constexpr int kEach = 100;
    std::vector<std::int64_t> seen;
    int finished = 0;
    auto worker = [&]() -> asio::awaitable<void> {
        std::int64_t last = 0;
        for (int i = 0; i < kEach; ++i) {
            std::int64_t v = co_await client_.Incr(key);
            // replies come back in the order this coroutine sent its commands
            EXPECT_GT(v, last);
            last = v;
            seen.push_back(v);
        }
        ++finished;
    };
    for (int w = 0; w < kWorkers; ++w) asio::co_spawn(io_, worker, asio::detached);
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        while (finished < kWorkers) co_await Sleep(5ms);
        EXPECT_EQ(co_await client_.Get(key), std::to_string(kWorkers * kEach));
    }());
    // every reply went to exactly one caller: together they are 1..10000
    std::sort(seen.begin(), seen.end());
    std::vector<std::int64_t> expected(kWorkers * kEach);
    std::iota(expected.begin(), expected.end(), 1);
    EXPECT_EQ(seen, expected);
    // coalescing: far fewer writes than commands is not observable here, but the count is
    EXPECT_GE(client_.GetStats().commands, static_cast<std::uint64_t>(kWorkers * kEach));
}

TEST_F(RedisConnection, ConcurrentGetsReturnTheirOwnValues) {
    constexpr int kKeys = 500;
    std::vector<std::string> keys;
    for (int i = 0; i < kKeys; ++i) keys.push_back(Key("get" + std::to_string(i)));
    auto value_of = [](int i) { return "value-" + std::to_string(i) + std::string(i % 37, 'x'); };
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        FieldValues kv;
        for (int i = 0; i < kKeys; ++i) kv.emplace_back(keys[i], value_of(i));
        co_await client_.MSet(kv);
    }());
    int finished = 0;
    for (int i = 0; i < kKeys; ++i) {
        asio::co_spawn(
            io_,
            [&, i]() -> asio::awaitable<void> {
                auto v = co_await client_.Get(keys[i]);
                EXPECT_EQ(v, value_of(i)) << "key " << i;
                ++finished;
            },
            asio::detached);
    }
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        while (finished < kKeys) co_await Sleep(5ms);
    }());
}

TEST_F(RedisConnection, ValuesAndKeysAreBinarySafe) {
    const std::string key = Key("bin") + std::string("\0\r\n key", 7);
    std::string big(1 << 20, '\0');
    std::mt19937 rng(7);
    for (char& c : big) c = static_cast<char>(rng());
    const std::string small("\0\r\n$-1\r\n*3\r\n", 13);
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        EXPECT_TRUE(co_await client_.Set(key, small));
        EXPECT_EQ(co_await client_.Get(key), small);
        EXPECT_TRUE(co_await client_.Set(key, big));
        auto got = co_await client_.Get(key);
        NN_CO_ASSERT_TRUE(got.has_value());
        EXPECT_EQ(got->size(), big.size());
        EXPECT_TRUE(*got == big);
        EXPECT_TRUE(co_await client_.Set(key, ""));
        EXPECT_EQ(co_await client_.Get(key), std::string());
    }());
}

TEST_F(RedisConnection, ErrorReplyFailsOnlyItsCommand) {
    const std::string key = Key("wrongtype");
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        co_await client_.Set(key, "a string");
        Pipeline p;
        p.Add({"HGET", key, "f"}).Add({"GET", key}).Add({"LPUSH", key, "x"}).Add({"STRLEN", key});
        std::vector<Reply> replies = co_await client_.Execute(std::move(p));
        NN_CO_ASSERT_EQ(replies.size(), 4u);
        EXPECT_TRUE(replies[0].IsError());
        EXPECT_EQ(replies[1].AsString(), "a string");
        EXPECT_TRUE(replies[2].IsError());
        EXPECT_EQ(replies[3].AsInteger(), 8);
        try {
            co_await client_.HGet(key, "f");
            ADD_FAILURE() << "HGET on a string did not throw";
        } catch (const CommandError& e) {
            EXPECT_EQ(e.Prefix(), "WRONGTYPE");
        }
        EXPECT_EQ(co_await client_.Get(key), "a string");
    }());
    Stats s = client_.GetStats();
    EXPECT_EQ(s.errors, 3u);
    EXPECT_EQ(s.reconnects, 0u);
    EXPECT_TRUE(s.connected);
}

TEST_F(RedisConnection, TimeoutFailsTheCallAndReconnects) {
    const std::string list = Key("blpop");
    const std::string key = Key("after");
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        NN_CO_ASSERT_TRUE(co_await client_.WaitConnected(5s));
        // BLPOP holds the connection for 5 s server-side; our deadline is 200 ms.
        auto start = Clock::now();
        try {
            std::vector<std::string> blpop{"BLPOP", list, "5"};
            co_await client_.Command(std::move(blpop), 200ms);
            ADD_FAILURE() << "BLPOP returned before its deadline";
        } catch (const nn::Error& e) {
            EXPECT_EQ(e.Kind(), ErrorKind::kTimeout);
            EXPECT_EQ(e.Code(), "redis.timeout");
        }
        EXPECT_LT(Clock::now() - start, 2s);
        EXPECT_TRUE(co_await client_.WaitConnected(5s));
        // the connection was replaced, so nothing waits behind the blocked BLPOP
        start = Clock::now();
        EXPECT_TRUE(co_await client_.Set(key, "v"));
        EXPECT_EQ(co_await client_.Get(key), "v");
        EXPECT_LT(Clock::now() - start, 1s);
    }());
    Stats s = client_.GetStats();
    EXPECT_EQ(s.timeouts, 1u);
    EXPECT_EQ(s.reconnects, 1u);
}

TEST_F(RedisConnection, ReconnectsAfterClientKill) {
    const std::string key = Key("kill");
    std::vector<std::pair<bool, std::string>> events;
    Client killer(io_.get_executor(), TestOptions());
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        NN_CO_ASSERT_TRUE(co_await client_.WaitConnected(5s));
        client_.OnStateChange([&](bool up, const std::string& why) { events.emplace_back(up, why); });
        const std::vector<std::string> client_id{"CLIENT", "ID"};
        std::int64_t id = (co_await client_.Command(client_id)).AsInteger();
        EXPECT_EQ(co_await client_.Incr(key), 1);
        std::vector<std::string> kill{"CLIENT", "KILL", "ID", std::to_string(id)};
        Reply killed = co_await killer.Command(std::move(kill));
        EXPECT_EQ(killed.AsInteger(), 1);

        // Until the loss is noticed a call may fail with kUnavailable, never otherwise.
        std::int64_t expected = 2;
        auto deadline = Clock::now() + 5s;
        while (client_.GetStats().reconnects == 0 && Clock::now() < deadline) {
            try {
                EXPECT_EQ(co_await client_.Incr(key), expected);
                ++expected;
            } catch (const nn::Error& e) {
                EXPECT_EQ(e.Kind(), ErrorKind::kUnavailable) << e.what();
            }
            co_await Sleep(2ms);
        }
        NN_CO_ASSERT_EQ(client_.GetStats().reconnects, 1u);
        NN_CO_ASSERT_TRUE(co_await client_.WaitConnected(5s));
        std::int64_t now = std::stoll(*co_await client_.Get(key));
        EXPECT_EQ(co_await client_.Incr(key), now + 1);
        std::int64_t new_id = (co_await client_.Command(client_id)).AsInteger();
        EXPECT_NE(new_id, id);
    }());
    ASSERT_EQ(events.size(), 2u);
    EXPECT_FALSE(events[0].first);
    EXPECT_FALSE(events[0].second.empty());
    EXPECT_TRUE(events[1].first);
}

TEST_F(RedisConnection, SelectsTheDatabaseOfTheUrl) {
    Options db1 = TestOptions();
    db1.url.db = 1;
    Client other(io_.get_executor(), db1);
    const std::string key = Key("db");
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        co_await other.Set(key, "in db 1", {.ttl = 60s});
        EXPECT_EQ(co_await client_.Get(key), std::nullopt);
        EXPECT_EQ(co_await other.Get(key), "in db 1");
        co_await other.Del(key);
    }());
}

TEST(RedisConnectionDown, FailsFastWhenNothingListens) {
    asio::io_context io;
    // A port that was free a moment ago: connecting is refused at once.
    std::uint16_t port;
    {
        asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
        port = a.local_endpoint().port();
    }
    Options o = TestOptions();
    o.url.port = port;
    Connection c(io.get_executor(), o);
    const Pipeline ping{"PING"};
    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        EXPECT_FALSE(co_await c.WaitConnected(300ms));
        for (int i = 0; i < 10; ++i) {
            auto start = Clock::now();
            try {
                co_await c.ExecuteOne(ping);
                ADD_FAILURE() << "PING succeeded with no server";
            } catch (const nn::Error& e) {
                EXPECT_EQ(e.Kind(), ErrorKind::kUnavailable);
                EXPECT_NE(std::string(e.what()).find("connect"), std::string::npos) << e.what();
            }
            EXPECT_LT(Clock::now() - start, 200ms);
        }
    }());
    EXPECT_EQ(c.GetState(), State::kDown);
    EXPECT_GE(c.GetStats().unavailable, 10u);
}

TEST(RedisConnectionDown, WrongPasswordIsReportedNotRetriedSilently) {
    asio::io_context io;
    Options o = TestOptions();
    o.url.password = Secret("not-the-password");
    std::string reason;
    Connection c(io.get_executor(), o);
    const Pipeline ping{"PING"};
    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        EXPECT_FALSE(co_await c.WaitConnected(300ms));
        try {
            co_await c.ExecuteOne(ping);
            ADD_FAILURE() << "PING succeeded with a wrong password";
        } catch (const nn::Error& e) {
            EXPECT_EQ(e.Kind(), ErrorKind::kUnavailable);
            reason = e.what();
        }
    }());
    EXPECT_NE(reason.find("WRONGPASS"), std::string::npos) << reason;
    EXPECT_EQ(reason.find("not-the-password"), std::string::npos);
}

TEST(RedisConnectionClose, PendingAndLaterCallsFail) {
    asio::io_context io;
    auto c = std::make_unique<Connection>(io.get_executor(), TestOptions());
    const Pipeline ping{"PING"};
    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        EXPECT_TRUE(co_await c->WaitConnected(5s));
        c->Close();
        EXPECT_EQ(c->GetState(), State::kClosed);
        try {
            co_await c->ExecuteOne(ping);
            ADD_FAILURE() << "PING after Close succeeded";
        } catch (const nn::Error& e) {
            EXPECT_EQ(e.Kind(), ErrorKind::kUnavailable);
        }
    }());
    c.reset();
    io.run_for(100ms);  // the background coroutines finish without the Connection
}

}  // namespace
}  // namespace nn::redis
