#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <stdexcept>

#include "infra/redis/client.hpp"
#include "infra/redis/consumer_group.hpp"
#include "infra/redis/redis_test_util.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::redis {
namespace {

using namespace std::chrono_literals;
using nn::test::RunAwaitable;
using test_util::Sleep;
using test_util::TestOptions;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

class RedisStreams : public ::testing::Test {
protected:
    void TearDown() override {
        RunAwaitable(io_, [&]() -> asio::awaitable<void> { co_await client_.Del(stream_); }());
    }

    asio::io_context io_;
    Client client_{io_.get_executor(), TestOptions()};
    const std::string stream_ = nn::test::UniqueName("nn_redis_stream_");
};

TEST_F(RedisStreams, ConsumerGroupSharesEachEntryOnce) {
    constexpr int kEntries = 200;
    std::set<std::string> added;
    std::map<std::string, std::vector<std::string>> by_consumer;
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        EXPECT_TRUE(co_await client_.XGroupCreate(stream_, "g", "0"));
        EXPECT_FALSE(co_await client_.XGroupCreate(stream_, "g", "0"));  // BUSYGROUP is not an error
        for (int i = 0; i < kEntries; ++i) {
            const FieldValues fields{{"n", std::to_string(i)}, {"bin", std::string("\0\r\n", 3)}};
            added.insert(co_await client_.XAdd(stream_, fields, {.max_len = 100000}));
        }
        EXPECT_EQ(co_await client_.XLen(stream_), kEntries);
    }());
    ASSERT_EQ(added.size(), static_cast<std::size_t>(kEntries));

    // Two consumers read concurrently in small batches until the group is drained.
    int done = 0;
    auto consume = [&](std::string name) -> asio::awaitable<void> {
        for (;;) {
            auto entries =
                co_await client_.XReadGroup({.group = "g", .consumer = name, .stream = stream_, .count = 7});
            if (entries.empty()) break;
            std::vector<std::string> ids;
            for (auto& e : entries) {
                EXPECT_EQ(e.fields.size(), 2u);
                EXPECT_EQ(e.fields.at(1).second, std::string("\0\r\n", 3));
                ids.push_back(e.id);
                by_consumer[name].push_back(e.id);
            }
            EXPECT_EQ(co_await client_.XAck(stream_, "g", ids), static_cast<std::int64_t>(ids.size()));
            co_await Sleep(1ms);  // let the other consumer in
        }
        ++done;
    };
    asio::co_spawn(io_, consume("alice"), asio::detached);
    asio::co_spawn(io_, consume("bob"), asio::detached);
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        while (done < 2) co_await Sleep(5ms);
        XPendingSummary pending = co_await client_.XPending(stream_, "g");
        EXPECT_EQ(pending.count, 0);
        EXPECT_EQ(pending.min_id, std::nullopt);
    }());

    EXPECT_FALSE(by_consumer["alice"].empty());
    EXPECT_FALSE(by_consumer["bob"].empty());
    std::multiset<std::string> delivered;
    for (auto& [name, ids] : by_consumer) delivered.insert(ids.begin(), ids.end());
    EXPECT_EQ(delivered.size(), added.size());                                    // nothing twice
    EXPECT_EQ(std::set<std::string>(delivered.begin(), delivered.end()), added);  // nothing missed
}

TEST_F(RedisStreams, AutoClaimTakesOverACrashedConsumersEntries) {
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        EXPECT_TRUE(co_await client_.XGroupCreate(stream_, "g"));  // "$" + MKSTREAM on a new stream
        std::vector<std::string> ids;
        for (int i = 0; i < 5; ++i) {
            const FieldValues fields{{"job", std::to_string(i)}};
            ids.push_back(co_await client_.XAdd(stream_, fields));
        }
        // "crashed" reads five entries and never acknowledges them
        auto taken = co_await client_.XReadGroup({.group = "g", .consumer = "crashed", .stream = stream_});
        NN_CO_ASSERT_EQ(taken.size(), 5u);
        XPendingSummary pending = co_await client_.XPending(stream_, "g");
        EXPECT_EQ(pending.count, 5);
        EXPECT_EQ(pending.min_id, ids.front());
        EXPECT_EQ(pending.max_id, ids.back());
        NN_CO_ASSERT_EQ(pending.consumers.size(), 1u);
        EXPECT_EQ(pending.consumers[0], (std::pair<std::string, std::int64_t>{"crashed", 5}));

        // Not idle long enough yet: nothing is claimed.
        XAutoClaimResult early = co_await client_.XAutoClaim(stream_, "g", "rescuer", 10s);
        EXPECT_TRUE(early.entries.empty());

        co_await Sleep(150ms);
        XAutoClaimResult claimed = co_await client_.XAutoClaim(stream_, "g", "rescuer", 100ms);
        EXPECT_EQ(claimed.next_id, "0-0");
        NN_CO_ASSERT_EQ(claimed.entries.size(), 5u);
        for (std::size_t i = 0; i < 5; ++i) {
            EXPECT_EQ(claimed.entries[i].id, ids[i]);
            EXPECT_EQ(claimed.entries[i].fields.at(0).second, std::to_string(i));
        }
        EXPECT_TRUE(claimed.deleted_ids.empty());
        pending = co_await client_.XPending(stream_, "g");
        NN_CO_ASSERT_EQ(pending.consumers.size(), 1u);
        EXPECT_EQ(pending.consumers[0].first, "rescuer");
        EXPECT_EQ(co_await client_.XAck(stream_, "g", ids), 5);
        EXPECT_EQ((co_await client_.XPending(stream_, "g")).count, 0);
    }());
}

TEST_F(RedisStreams, BlockingReadUsesItsOwnConnection) {
    RunAwaitable(
        io_, [&]() -> asio::awaitable<void> { EXPECT_TRUE(co_await client_.XGroupCreate(stream_, "g")); }());
    std::optional<std::vector<StreamEntry>> got;
    Clock::time_point woke{};
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
            got =
                co_await client_.XReadGroup({.group = "g", .consumer = "c", .stream = stream_, .block = 5s});
            woke = Clock::now();
        },
        asio::detached);
    Clock::time_point added{};
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        co_await Sleep(100ms);  // the blocking read is now parked on the server
        // the shared connection is not stuck behind it
        auto start = Clock::now();
        for (int i = 0; i < 20; ++i) EXPECT_EQ(co_await client_.XLen(stream_), 0);
        EXPECT_LT(Clock::now() - start, 1s);
        EXPECT_FALSE(got.has_value());
        const FieldValues fields{{"k", "v"}};
        std::string id = co_await client_.XAdd(stream_, fields);
        added = Clock::now();
        while (!got) co_await Sleep(2ms);
        NN_CO_ASSERT_EQ(got->size(), 1u);
        EXPECT_EQ(got->front().id, id);
    }());
    EXPECT_LT(woke - added, 1s);

    // An expired BLOCK is an empty result, not an error.
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        auto none =
            co_await client_.XReadGroup({.group = "g", .consumer = "c", .stream = stream_, .block = 50ms});
        EXPECT_TRUE(none.empty());
    }());
}

TEST_F(RedisStreams, TrimmingAndRange) {
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 50; ++i) {
            const FieldValues fields{{"i", std::to_string(i)}};
            co_await client_.XAdd(stream_, fields, {.max_len = 10, .approximate = false});
        }
        EXPECT_EQ(co_await client_.XLen(stream_), 10);
        auto all = co_await client_.XRange(stream_);
        NN_CO_ASSERT_EQ(all.size(), 10u);
        EXPECT_EQ(all.front().fields.at(0).second, "40");
        EXPECT_EQ(all.back().fields.at(0).second, "49");
        auto two = co_await client_.XRange(stream_, all[3].id, "+", 2);
        NN_CO_ASSERT_EQ(two.size(), 2u);
        EXPECT_EQ(two[0], all[3]);
        EXPECT_EQ(two[1], all[4]);
        // MAXLEN ~ trims only whole nodes, so the stream keeps at least the limit
        for (int i = 0; i < 300; ++i) {
            const FieldValues fields{{"j", std::to_string(i)}};
            co_await client_.XAdd(stream_, fields, {.max_len = 100});
        }
        std::int64_t len = co_await client_.XLen(stream_);
        EXPECT_GE(len, 100);
        EXPECT_LT(len, 310);
    }());
}

// A round creates the group from the stream's start, hands new entries over, and an entry its
// handler did not acknowledge (it threw) is claimed by the next consumer once idle long enough.
TEST_F(RedisStreams, ConsumeRoundReadsNewEntriesAndReclaimsUnacknowledgedOnes) {
    RunAwaitable(io_, [&]() -> asio::awaitable<void> {
        const FieldValues one{{"n", "1"}}, two{{"n", "2"}}, three{{"n", "3"}};
        co_await client_.XAdd(stream_, one);
        co_await client_.XAdd(stream_, two);
        StreamSpec first{.stream = stream_, .group = "g", .consumer = "a", .block = 10ms, .claim_idle = 50ms};
        bool ready = false;
        std::vector<std::string> seen;
        StreamHandler fail = [&](const std::vector<StreamEntry>& entries) -> asio::awaitable<void> {
            for (const auto& e : entries) seen.push_back(e.fields.at(0).second);
            if (!entries.empty()) throw std::runtime_error("handler failed");
            co_return;
        };
        EXPECT_THROW(co_await ConsumeRound(client_, first, ready, fail), std::runtime_error);
        EXPECT_TRUE(ready);
        EXPECT_EQ(seen, (std::vector<std::string>{"1", "2"}));

        co_await Sleep(100ms);
        StreamSpec second = first;
        second.consumer = "b";
        std::vector<std::string> handled;
        StreamHandler ack = [&](const std::vector<StreamEntry>& entries) -> asio::awaitable<void> {
            std::vector<std::string> ids;
            for (const auto& e : entries) {
                handled.push_back(e.fields.at(0).second);
                ids.push_back(e.id);
            }
            if (!ids.empty()) co_await client_.XAck(stream_, "g", ids);
        };
        bool ready_b = false;
        EXPECT_EQ(co_await ConsumeRound(client_, second, ready_b, ack), 2u);
        EXPECT_EQ(handled, (std::vector<std::string>{"1", "2"}));
        co_await client_.XAdd(stream_, three);
        EXPECT_EQ(co_await ConsumeRound(client_, second, ready_b, ack), 1u);
        EXPECT_EQ(co_await ConsumeRound(client_, second, ready_b, ack), 0u);  // all acknowledged
        EXPECT_EQ(handled.back(), "3");
    }());
}

// The loop runs rounds until stopped, and a failed round does not end it.
TEST_F(RedisStreams, RoundLoopRetriesFailedRoundsUntilStopped) {
    auto stop = std::make_shared<std::atomic<bool>>(false);
    auto rounds = std::make_shared<int>(0);
    StartRoundLoop(io_, stop, "test: loop", [rounds, stop]() -> asio::awaitable<std::size_t> {
        ++*rounds;
        if (*rounds == 1) throw std::runtime_error("first round fails");
        if (*rounds == 3) *stop = true;
        co_await Sleep(1ms);
        co_return 0;
    });
    RunAwaitable(io_, []() -> asio::awaitable<void> { co_await Sleep(1500ms); }());
    EXPECT_TRUE(*stop);
    EXPECT_EQ(*rounds, 3);
}

}  // namespace
}  // namespace nn::redis
