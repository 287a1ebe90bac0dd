// Restarts the test servers: commands fail fast with kUnavailable while Redis is down and work
// again once it is back, with the data kept (appendonly). Runs alone (ctest RUN_SERIAL).
#include <gtest/gtest.h>

#include <cstdlib>

#include "infra/redis/client.hpp"
#include "infra/redis/redis_test_util.hpp"
#include "infra/redis/subscriber.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::redis {
namespace {

using namespace std::chrono_literals;
using nn::test::RunAwaitable;
namespace asio = boost::asio;
using test_util::Sleep;
using Clock = std::chrono::steady_clock;

int Services(const std::string& command) {
    std::string line = std::string("\"") + std::getenv("NEXANEST_TEST_SERVICES_SCRIPT") + "\" " + command +
                       " \"" + std::getenv("NEXANEST_TEST_SERVICES_DIR") + "\" >/dev/null";
    return std::system(line.c_str());
}

TEST(RedisRestart, FailsFastWhileDownAndRecovers) {
    if (std::getenv("NEXANEST_TEST_SERVICES_SCRIPT") == nullptr ||
        std::getenv("NEXANEST_TEST_SERVICES_DIR") == nullptr) {
        GTEST_SKIP()
            << "NEXANEST_TEST_SERVICES_SCRIPT and NEXANEST_TEST_SERVICES_DIR are needed to restart Redis "
               "(make test sets them)";
    }
    asio::io_context io;
    Client client(io.get_executor(), test_util::TestOptions());
    Subscriber sub(io.get_executor(), test_util::TestOptions());
    const std::string channel = nn::test::UniqueName("nn_redis_restart_ch_");
    std::vector<bool> states;
    const std::string key = nn::test::UniqueName("nn_redis_restart_");

    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        EXPECT_TRUE(co_await client.WaitConnected(5s));
        client.OnStateChange([&](bool connected, const std::string&) { states.push_back(connected); });
        EXPECT_TRUE(co_await client.Set(key, "kept", {.ttl = 300s}));
        const std::vector<std::string> channels{channel};
        co_await sub.Subscribe(channels);
    }());

    bool restarted = false;
    struct Restore {
        bool& restarted;
        ~Restore() {
            if (!restarted) Services("start");  // leave the servers running whatever happened
        }
    } restore{restarted};

    ASSERT_EQ(Services("stop"), 0);

    // Down: every call fails with kUnavailable, each well within the command deadline.
    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 20; ++i) {
            auto start = Clock::now();
            try {
                co_await client.Get(key);
                ADD_FAILURE() << "GET succeeded while Redis was stopped";
            } catch (const nn::Error& e) {
                EXPECT_EQ(e.Kind(), ErrorKind::kUnavailable) << e.what();
                EXPECT_EQ(e.Code(), "redis.unavailable");
            }
            EXPECT_LT(Clock::now() - start, 500ms) << "call " << i << " did not fail fast";
            co_await Sleep(25ms);
        }
    }());
    EXPECT_FALSE(client.Connected());

    ASSERT_EQ(Services("start"), 0);
    restarted = true;

    // Back: within a few seconds the next calls succeed and the value survived the restart.
    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        auto deadline = Clock::now() + 15s;
        std::optional<std::string> value;
        bool ok = false;
        while (!ok && Clock::now() < deadline) {
            try {
                value = co_await client.Get(key);
                ok = true;
            } catch (const nn::Error& e) {
                EXPECT_EQ(e.Kind(), ErrorKind::kUnavailable) << e.what();
            }
            if (!ok) co_await Sleep(20ms);
        }
        if (!ok) ADD_FAILURE() << "Redis did not come back within 15 s";
        NN_CO_ASSERT_TRUE(ok);
        EXPECT_EQ(value, "kept");
        EXPECT_EQ(co_await client.Incr(key + ":n"), 1);
        // the subscriber came back on its own and subscribed again
        std::int64_t receivers = 0;
        for (auto until = Clock::now() + 10s; receivers == 0 && Clock::now() < until;) {
            receivers = co_await client.Publish(channel, "back");
            if (receivers == 0) co_await Sleep(20ms);
        }
        EXPECT_EQ(receivers, 1);
        auto m = co_await sub.Next(2s);
        EXPECT_TRUE(m.has_value() && m->payload == "back");
        const std::vector<std::string> keys{key, key + ":n"};
        co_await client.DelMany(keys);
    }());

    Stats stats = client.GetStats();
    EXPECT_TRUE(stats.connected);
    EXPECT_GE(stats.reconnects, 1u);
    EXPECT_GE(stats.unavailable, 20u);
    // down once, up once: no flapping reported while the server was away
    EXPECT_EQ(states, (std::vector<bool>{false, true}));
    EXPECT_GE(sub.GetStats().reconnects, 1u);
}

}  // namespace
}  // namespace nn::redis
