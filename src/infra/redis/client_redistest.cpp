#include <gtest/gtest.h>

#include "infra/redis/client.hpp"
#include "infra/redis/redis_test_util.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::redis {
namespace {

using namespace std::chrono_literals;
using nn::test::RunAwaitable;
using test_util::Sleep;
using test_util::TestOptions;
namespace asio = boost::asio;

// Braced lists are built outside co_await expressions: GCC 12 rejects an initializer_list
// temporary inside one ("array used as initializer").
class RedisClient : public ::testing::Test {
protected:
    void TearDown() override {
        if (keys_.empty()) return;
        RunAwaitable(io_, [&]() -> asio::awaitable<void> { co_await client_.DelMany(keys_); }());
    }
    std::string Key(const std::string& what) {
        keys_.push_back(nn::test::UniqueName("nn_redis_client_" + what + "_"));
        return keys_.back();
    }

    asio::io_context io_;
    Client client_{io_.get_executor(), TestOptions()};
    std::vector<std::string> keys_;
};

TEST_F(RedisClient, StringsWithTtlAndConditions) {
    const std::string k = Key("str");
    const std::string missing = Key("missing");
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        EXPECT_EQ(co_await client_.Get(missing), std::nullopt);
        EXPECT_FALSE(co_await client_.Set(k, "x", {.condition = SetOptions::Condition::kIfExists}));
        EXPECT_FALSE(co_await client_.Exists(k));
        EXPECT_TRUE(
            co_await client_.Set(k, "first", {.ttl = 10s, .condition = SetOptions::Condition::kIfNotExists}));
        EXPECT_FALSE(co_await client_.Set(k, "second", {.condition = SetOptions::Condition::kIfNotExists}));
        EXPECT_EQ(co_await client_.Get(k), "first");
        std::int64_t pttl = co_await client_.PTtl(k);
        EXPECT_GT(pttl, 8000);
        EXPECT_LE(pttl, 10000);
        EXPECT_TRUE(co_await client_.Set(k, "third", {.condition = SetOptions::Condition::kIfExists}));
        EXPECT_EQ(co_await client_.Get(k), "third");
        EXPECT_EQ(co_await client_.Ttl(k), -1);  // a plain SET clears the TTL
        EXPECT_TRUE(co_await client_.Expire(k, 100s));
        std::int64_t ttl = co_await client_.Ttl(k);
        EXPECT_GT(ttl, 95);
        EXPECT_LE(ttl, 100);
        EXPECT_TRUE(co_await client_.PExpire(k, 50ms));
        co_await Sleep(120ms);
        EXPECT_EQ(co_await client_.Get(k), std::nullopt);
        EXPECT_EQ(co_await client_.Ttl(k), -2);
        EXPECT_FALSE(co_await client_.Expire(k, 10s));
    }());
}

TEST_F(RedisClient, CountersAndMultiKey) {
    const std::string a = Key("a"), b = Key("b"), c = Key("c");
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        EXPECT_EQ(co_await client_.Incr(a), 1);
        EXPECT_EQ(co_await client_.IncrBy(a, 41), 42);
        EXPECT_EQ(co_await client_.IncrBy(a, -50), -8);
        const FieldValues kv{{b, "bee"}, {c, std::string("s\0ee", 4)}};
        co_await client_.MSet(kv);
        const std::vector<std::string> keys{a, b, Key("none"), c};
        auto values = co_await client_.MGet(keys);
        const std::vector<std::optional<std::string>> expected{"-8", "bee", std::nullopt,
                                                               std::string("s\0ee", 4)};
        EXPECT_EQ(values, expected);
        EXPECT_TRUE(co_await client_.Del(a));
        EXPECT_FALSE(co_await client_.Del(a));
        const std::vector<std::string> two{b, c, a};
        EXPECT_EQ(co_await client_.DelMany(two), 2);
        try {
            co_await client_.Incr(a + "x");  // fine: creates it
            co_await client_.Set(b, "not a number");
            co_await client_.Incr(b);
            ADD_FAILURE() << "INCR of a non-number succeeded";
        } catch (const CommandError& e) {
            EXPECT_EQ(e.Prefix(), "ERR");
        }
        keys_.push_back(a + "x");
    }());
}

TEST_F(RedisClient, RateLimitCountsWithinAWindowAndResets) {
    const std::string k = Key("rl");
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        for (int i = 1; i <= 5; ++i) {
            RateLimitCount r = co_await client_.RateLimit(k, 300ms);
            EXPECT_EQ(r.count, i);
            EXPECT_GT(r.ttl, 0ms);
            EXPECT_LE(r.ttl, 300ms);
        }
        co_await Sleep(400ms);
        RateLimitCount r = co_await client_.RateLimit(k, 300ms);
        EXPECT_EQ(r.count, 1);  // a new window
        // a key that lost its TTL would count forever; NX only sets the TTL when there is none
        co_await client_.Set(k, "7");
        r = co_await client_.RateLimit(k, 1s);
        EXPECT_EQ(r.count, 8);
        EXPECT_GT(r.ttl, 500ms);
    }());
}

TEST_F(RedisClient, HashesAndSets) {
    const std::string h = Key("h"), s = Key("s");
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        EXPECT_TRUE(co_await client_.HSet(h, "f1", "v1"));
        EXPECT_FALSE(co_await client_.HSet(h, "f1", "v1b"));
        const FieldValues fields{{"f2", "v2"}, {"f3", ""}};
        EXPECT_EQ(co_await client_.HSet(h, fields), 2);
        EXPECT_EQ(co_await client_.HGet(h, "f1"), "v1b");
        EXPECT_EQ(co_await client_.HGet(h, "nope"), std::nullopt);
        const std::map<std::string, std::string> all{{"f1", "v1b"}, {"f2", "v2"}, {"f3", ""}};
        EXPECT_EQ(co_await client_.HGetAll(h), all);
        const std::vector<std::string> del{"f1", "f3", "nope"};
        EXPECT_EQ(co_await client_.HDel(h, del), 2);
        EXPECT_EQ((co_await client_.HGetAll(h)).size(), 1u);

        const std::vector<std::string> members{"a", "b", "c", "a"};
        EXPECT_EQ(co_await client_.SAdd(s, members), 3);
        const std::vector<std::string> gone{"b", "zz"};
        EXPECT_EQ(co_await client_.SRem(s, gone), 1);
        auto got = co_await client_.SMembers(s);
        std::sort(got.begin(), got.end());
        const std::vector<std::string> expected{"a", "c"};
        EXPECT_EQ(got, expected);
        EXPECT_TRUE((co_await client_.SMembers(Key("empty"))).empty());
    }());
}

TEST_F(RedisClient, EvalUsesTheScriptCacheAndFallsBackOnNoscript) {
    const std::string k = Key("lua");
    // A body no other run has loaded, so the first EVALSHA meets NOSCRIPT.
    const Script script("-- " + nn::test::UniqueName("t") +
                        "\nreturn {redis.call('INCRBY', KEYS[1], ARGV[1]), ARGV[2]}");
    EXPECT_EQ(script.Sha1().size(), 40u);
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        const std::vector<std::string> keys{k};
        const std::vector<std::string> args{"5", "tag"};
        auto errors_before = client_.GetStats().errors;
        Reply r = co_await client_.Eval(script, keys, args);
        EXPECT_EQ(r.AsArray().at(0).AsInteger(), 5);
        EXPECT_EQ(r.AsArray().at(1).AsString(), "tag");
        EXPECT_EQ(client_.GetStats().errors, errors_before + 1);  // the one NOSCRIPT
        const std::vector<std::string> exists{"SCRIPT", "EXISTS", script.Sha1()};
        Reply cached = co_await client_.Command(exists);
        EXPECT_EQ(cached.AsArray().at(0).AsInteger(), 1);  // our SHA1 matches the server's
        r = co_await client_.Eval(script, keys, args);
        EXPECT_EQ(r.AsArray().at(0).AsInteger(), 10);
        EXPECT_EQ(client_.GetStats().errors, errors_before + 1);  // served by EVALSHA

        const Script broken("return redis.call('NO_SUCH_COMMAND')");
        try {
            co_await client_.Eval(broken, keys, {});
            ADD_FAILURE() << "a failing script did not throw";
        } catch (const CommandError&) {
        }
        EXPECT_EQ(co_await client_.Get(k), "10");
    }());
}

TEST_F(RedisClient, GenericCommandAndPublish) {
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        const std::vector<std::string> ping{"PING", "hello"};
        EXPECT_EQ((co_await client_.Command(ping)).AsString(), "hello");
        const std::vector<std::string> bogus{"NO_SUCH_COMMAND"};
        try {
            co_await client_.Command(bogus);
            ADD_FAILURE() << "unknown command did not throw";
        } catch (const CommandError& e) {
            EXPECT_EQ(e.Prefix(), "ERR");
        }
        EXPECT_EQ(co_await client_.Publish(nn::test::UniqueName("nn_redis_nobody_"), "x"), 0);
    }());
}

}  // namespace
}  // namespace nn::redis
