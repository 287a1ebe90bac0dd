// The drift and goal watches against real servers: the portfolio API (in-process App, portfolio
// and timescale databases), prices applied through the price consumer with the watches as its
// hook, and the outbox rows they write (notify's side turns them into notifications and has its
// own tests).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <future>
#include <thread>

#include "infra/redis/client.hpp"
#include "market/instrument_directory.hpp"
#include "portfolio/allocation/module.hpp"
#include "portfolio/goals/module.hpp"
#include "portfolio/portfolio_api_fixture.hpp"
#include "portfolio/price_consumer.hpp"
#include "portfolio/watches.hpp"

namespace nn::portfolio::testing {
namespace {

struct WatchSuite {
    static constexpr const char* kPrefix = "t_pw_";
};

class WatchesTest : public ApiFixture<WatchSuite> {
protected:
    void SetUp() override {
        ApiFixture::SetUp();
        ValueFeedOptions values;
        values.stream = test::UniqueName("t_pw_values_");
        values_stream_ = values.stream;
        allocation_ = MakeAllocationService(*app_, service_, market::MakeInstrumentDirectory(*app_));
        goals_ = MakeGoalService(*app_, service_);
        watches_ = MakeWatches(*app_, service_->Repo(), allocation_, goals_, service_->Rates(), values);
        PriceConsumerOptions o;
        o.stream = test::UniqueName("t_pw_prices_");
        o.cache_prefix = test::UniqueName("t_pw_cache_") + ":";
        o.on_applied = [w = watches_](std::vector<ChangedPortfolio> changed) {
            return w->HoldingsChanged(std::move(changed), 0);
        };
        prices_ = std::make_shared<PriceConsumer>(*app_, service_->Repo(), o);
    }
    void TearDown() override {
        try {
            Run(app_->Redis(0).Del(values_stream_));
        } catch (...) {
            // the stream goes with the throw-away server
        }
        prices_.reset();
        watches_.reset();
        goals_.reset();
        allocation_.reset();
        ApiFixture::TearDown();
    }

    void Price(const std::string& symbol, const std::string& price) {
        PriceEvent e;
        e.batch_id = test::UniqueName("b");
        e.prices.push_back({symbol, *Decimal::Parse(price), Now()});
        auto consumer = prices_;
        Run([consumer, e]() -> asio::awaitable<int> {
            co_await consumer->Apply(e);
            co_return 0;
        }());
    }

    void Tx(const std::string& user, const std::string& portfolio, const std::string& body) {
        auto r = Call(user, "POST", "/api/v1/portfolios/" + portfolio + "/transactions",
                      body.substr(0, body.size() - 1) + R"(,"currency":"USD","executed_at":")" +
                          FormatRfc3339(Now() - std::chrono::minutes(1)) + "\"}");
        ASSERT_EQ(r.status, 201) << r.body;
    }

    // Waits until the after-write hooks of the writes made so far have run (they run after the
    // response: Service::OnHoldingsChanged).
    void Settle() {
        for (std::size_t shard = 0; shard < app_->ShardCount(); ++shard) {
            Run(
                [this, shard]() -> asio::awaitable<int> {
                    co_await service_->AfterWritesDone(shard);
                    co_return 0;
                }(),
                shard);
        }
    }

    long Events(const std::string& type, const std::string& aggregate) {
        return Count("SELECT count(*) FROM portfolio.outbox WHERE event_type = '" + type +
                     "' AND aggregate_id = '" + aggregate + "'");
    }

    std::shared_ptr<AllocationService> allocation_;
    std::shared_ptr<GoalService> goals_;
    std::shared_ptr<Watches> watches_;
    std::shared_ptr<PriceConsumer> prices_;
    std::string values_stream_;
};

TEST(Milestones, HighestReached) {
    EXPECT_FALSE(MilestoneOf(*Decimal::Parse("24.99")));
    EXPECT_EQ(MilestoneOf(*Decimal::Parse("25")), 25);
    EXPECT_EQ(MilestoneOf(*Decimal::Parse("74.99")), 50);
    EXPECT_EQ(MilestoneOf(*Decimal::Parse("99.99")), 75);
    EXPECT_EQ(MilestoneOf(*Decimal::Parse("250")), 100);
}

TEST_F(WatchesTest, DriftFiresOncePerBreachAndRearmsWithinTolerance) {
    auto user = NewUser();
    auto p = CreatePortfolio(user);
    const std::string a = "A" + test::UniqueName("").substr(0, 12),
                      b = "B" + test::UniqueName("").substr(0, 12);
    Tx(user, p, R"({"type":"DEPOSIT","amount":"200"})");
    Tx(user, p, R"({"type":"BUY","symbol":")" + a + R"(","quantity":"10","price":"10"})");
    Tx(user, p, R"({"type":"BUY","symbol":")" + b + R"(","quantity":"10","price":"10"})");
    auto rule =
        Call(user, "POST", "/api/v1/portfolios/" + p + "/allocation-rules",
             R"({"dimension":"SYMBOL","key":")" + a + R"(","target_weight":"0.5","tolerance":"0.05"})");
    ASSERT_EQ(rule.status, 201) << rule.body;
    const std::string rule_id(rule.Json().at("id").as_string());
    const std::string breached = "allocation.drift_breached", rearmed = "allocation.drift_rearmed";

    Price(a, "10");
    Price(b, "10");  // 100 / 200: on target
    EXPECT_EQ(Events(breached, rule_id), 0);
    Price(a, "13");  // 130 / 230 = 0.565 > 0.55
    EXPECT_EQ(Events(breached, rule_id), 1);
    Price(a, "14");  // still outside: nothing more
    Price(a, "15");
    EXPECT_EQ(Events(breached, rule_id), 1);
    // A restarted instance (fresh watches) sees the stored state and stays quiet.
    auto allocation = MakeAllocationService(*app_, service_, market::MakeInstrumentDirectory(*app_));
    auto goals = MakeGoalService(*app_, service_);
    auto restarted = MakeWatches(*app_, service_->Repo(), allocation, goals, service_->Rates());
    std::vector<PortfolioId> ids{*PortfolioId::Parse(p)};
    auto check = Run(restarted->drift->Check(ids, 0));
    EXPECT_EQ(check.evaluated, 1u);
    EXPECT_EQ(check.breached, 0u);
    EXPECT_EQ(Events(breached, rule_id), 1);
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.allocation_rules WHERE id = '" + rule_id +
                    "' AND NOT drift_alert_armed AND last_drift_alert_at IS NOT NULL"),
              1);

    Price(a, "10.5");  // 105 / 205 = 0.512: back within, re-armed
    EXPECT_EQ(Events(rearmed, rule_id), 1);
    EXPECT_EQ(Events(breached, rule_id), 1);
    // The next breach fires once, even with four evaluations racing on both shards.
    test::QueryValue(PortfolioDb(),
                     "UPDATE portfolio.holdings SET current_price = 13 WHERE symbol = '" + a + "'");
    // co_spawn rather than the fixture's Run, which waits for each run before the next: these race.
    std::vector<std::future<DriftCheck>> racing;
    for (std::size_t i = 0; i < 4; ++i)
        racing.push_back(
            asio::co_spawn(app_->Shard(i % 2), watches_->drift->Check(ids, i % 2), asio::use_future));
    std::size_t fired = 0;
    for (auto& f : racing) fired += f.get().breached;
    EXPECT_EQ(fired, 1u);
    EXPECT_EQ(Events(breached, rule_id), 2);
    auto payload = boost::json::parse(test::QueryValue(
        PortfolioDb(), "SELECT payload::text FROM portfolio.outbox WHERE event_type = '" + breached +
                           "' AND aggregate_id = '" + rule_id + "' ORDER BY id DESC LIMIT 1"));
    EXPECT_EQ(payload.at("key").as_string(), a);
    EXPECT_EQ(payload.at("weight").as_string(), "0.565217");
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.outbox WHERE event_type = '" + breached +
                    "' AND user_id = '" + IdOf(user) + "' AND actor_id IS NULL"),
              2);
    // A changed target re-arms (the allocation API) and is judged afresh.
    auto patch = Call(user, "PATCH", "/api/v1/portfolios/" + p + "/allocation-rules/" + rule_id,
                      R"({"target_weight":"0.56"})");
    ASSERT_EQ(patch.status, 200) << patch.body;
    Price(a, "13");
    EXPECT_EQ(Events(breached, rule_id), 2);
}

TEST_F(WatchesTest, GoalMilestonesFireOnceEachUnderConcurrentWrites) {
    auto user = NewUser();
    auto p = CreatePortfolio(user);
    auto goal = Call(user, "POST", "/api/v1/goals",
                     R"({"name":"House","target_amount":"1000","currency":"USD","target_date":"2035-01-01",)"
                     R"("portfolio_ids":[")" +
                         p + "\"]}");
    ASSERT_EQ(goal.status, 201) << goal.body;
    const std::string goal_id(goal.Json().at("id").as_string());
    // Eight deposits of 100 at once: each write is followed by an evaluation of the goal after
    // its commit (coalesced with the other writes').
    std::vector<std::thread> writers;
    for (int i = 0; i < 8; ++i)
        writers.emplace_back([&] { Tx(user, p, R"({"type":"DEPOSIT","amount":"100"})"); });
    for (auto& t : writers) t.join();
    Settle();
    const std::string milestones =
        "SELECT count(*) FROM portfolio.outbox WHERE event_type = 'goal.milestone_reached' AND aggregate_id "
        "= '" +
        goal_id + "'";
    const long after_deposits = Count(milestones);
    EXPECT_GE(after_deposits, 1);
    EXPECT_LE(after_deposits, 3);
    EXPECT_EQ(
        Count(
            "SELECT count(DISTINCT payload->>'milestone_pct') FROM portfolio.outbox WHERE aggregate_id = '" +
            goal_id + "' AND event_type = 'goal.milestone_reached'"),
        after_deposits);
    EXPECT_EQ(
        test::QueryValue(PortfolioDb(),
                         "SELECT last_milestone_pct::text FROM portfolio.goals WHERE id = '" + goal_id + "'"),
        "75");
    Tx(user, p, R"({"type":"DEPOSIT","amount":"200"})");  // 1000: reached
    Settle();
    EXPECT_EQ(Count(milestones), after_deposits + 1);
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.goals WHERE id = '" + goal_id +
                    "' AND achieved_at IS NOT NULL"),
              1);
    // Concurrent evaluations and a fall and rise again announce nothing more.
    // co_spawn rather than the fixture's Run, which waits for each run before the next: these race.
    std::vector<std::future<bool>> racing;
    for (std::size_t i = 0; i < 4; ++i)
        racing.push_back(asio::co_spawn(
            app_->Shard(i % 2), watches_->goals->CheckGoal(*Uuid::Parse(goal_id), i % 2), asio::use_future));
    for (auto& f : racing) EXPECT_FALSE(f.get());
    Tx(user, p, R"({"type":"WITHDRAWAL","amount":"700"})");
    Tx(user, p, R"({"type":"DEPOSIT","amount":"700"})");
    Settle();
    EXPECT_EQ(Count(milestones), after_deposits + 1);
    auto last = boost::json::parse(test::QueryValue(
        PortfolioDb(),
        "SELECT payload::text FROM portfolio.outbox WHERE event_type = 'goal.milestone_reached' "
        "AND aggregate_id = '" +
            goal_id + "' ORDER BY id DESC LIMIT 1"));
    EXPECT_EQ(last.at("milestone_pct").as_int64(), 100);
    EXPECT_EQ(last.at("name").as_string(), "House");
}

// Values are published for owners with a live stream open (live_presence.hpp), after price
// batches as after writes; an owner nobody watches costs no read and no entry.
TEST_F(WatchesTest, ValuesArePublishedAfterPriceBatchesForWatchedOwners) {
    auto user = NewUser();
    auto p = CreatePortfolio(user);
    const std::string a = "V" + test::UniqueName("").substr(0, 12);
    Tx(user, p, R"({"type":"DEPOSIT","amount":"50"})");
    Tx(user, p, R"({"type":"BUY","symbol":")" + a + R"(","quantity":"2","price":"10"})");
    Price(a, "11");
    EXPECT_TRUE(Run(app_->Redis(0).XRange(values_stream_, "-", "+")).empty()) << "nobody watches the owner";

    const UserId owner = *UserId::Parse(IdOf(user));
    Run(LivePresence().Mark(app_->Redis(0), owner));
    Price(a, "12.5");
    auto entries = Run(app_->Redis(0).XRange(values_stream_, "-", "+"));
    ASSERT_FALSE(entries.empty());
    auto values = boost::json::parse(entries.back().fields.at(0).second).as_array();
    ASSERT_EQ(values.size(), 1u);
    EXPECT_EQ(values[0].at("portfolio_id").as_string(), p);
    EXPECT_EQ(values[0].at("user_id").as_string(), IdOf(user));
    EXPECT_EQ(values[0].at("total_value").as_string(), "55");  // 2 x 12.5 + 30 cash
    EXPECT_EQ(values[0].at("value_status").as_string(), "ok");
}

}  // namespace
}  // namespace nn::portfolio::testing
