// Watchlist price alerts against real servers: freshly migrated portfolio, notifications and
// timescale databases, the test Redis and an in-process App. Watchlist items and latest prices
// are written as the test superuser; evaluation runs as the services do.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <memory>
#include <string>

#include "infra/app/app.hpp"
#include "infra/migrate/migrator.hpp"
#include "infra/redis/client.hpp"
#include "notify/notifier.hpp"
#include "notify/pg_repository.hpp"
#include "notify/price_alerts.hpp"
#include "portfolio/notify_directory.hpp"
#include "portfolio/pg_repository.hpp"
#include "tests/support/app_fixture.hpp"
#include "tests/support/test_env.hpp"

namespace nn::notify {
namespace {
namespace asio = boost::asio;

std::string Sql(const std::string& url, const std::string& sql) {
    PGconn* c = PQconnectdb(url.c_str());
    PGresult* r = PQexec(c, sql.c_str());
    std::string out;
    auto status = PQresultStatus(r);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        std::string msg = PQerrorMessage(c);
        PQclear(r);
        PQfinish(c);
        throw std::runtime_error(msg);
    }
    if (status == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
    PQclear(r);
    PQfinish(c);
    return out;
}

class PriceAlertTest : public ::testing::Test, protected test::AppHost {
protected:
    static void SetUpTestSuite() {
        migrate_ = new test::SuiteDatabases("t_pa_",
                                            {migrate::Database::kPortfolio, migrate::Database::kNotifications,
                                             migrate::Database::kTimescale});
    }
    static void TearDownTestSuite() { delete migrate_; }

    void SetUp() override {
        auto c = test::AppConfig(*migrate_, "notify", std::chrono::milliseconds(500));
        c.threads = 1;
        MakeApp(c);
        notifier_ = std::make_shared<Notifier>(*app_, std::make_shared<PgRepository>());
        PriceAlertOptions o;
        o.stream = test::UniqueName("t_pa_prices_");
        o.block = std::chrono::milliseconds(50);
        stream_ = o.stream;
        producer_ = std::make_shared<PriceAlertProducer>(
            *app_, notifier_,
            portfolio::MakeNotifyDirectory(*app_, std::make_shared<portfolio::PgRepository>()),
            market::MakePriceDirectory(*app_), o);
        StartApp();
    }
    void TearDown() override {
        try {
            Run(app_->Redis(0).Del(stream_));
        } catch (...) {
            // the stream expires with the throw-away server
        }
        StopApp();
    }

    using AppHost::Run;  // not ::testing::Test's

    static std::string Db(const char* suffix) { return test::PgUrlFor(migrate_->prefix + suffix); }

    // A watchlist item of a new user on a symbol of its own; returns the item id.
    std::string Item(const std::string& symbol, const std::string& alerts_sql) {
        user_ = UserId::Generate().ToString();
        auto list = Sql(Db("_portfolio"), "INSERT INTO portfolio.watchlists (user_id, name) VALUES ('" +
                                              user_ + "', 'w') RETURNING id");
        return Sql(Db("_portfolio"),
                   "INSERT INTO portfolio.watchlist_items (watchlist_id, user_id, symbol, " +
                       alerts_sql.substr(0, alerts_sql.find('=')) + ") VALUES ('" + list + "', '" + user_ +
                       "', '" + symbol + "', " + alerts_sql.substr(alerts_sql.find('=') + 1) +
                       ") RETURNING id");
    }
    static std::string Symbol() { return "S" + test::UniqueName("").substr(0, 20); }
    long Notifications() const {
        return std::stol(
            Sql(Db("_notifications"), "SELECT count(*) FROM notifications.notifications WHERE user_id = '" +
                                          user_ + "' AND kind = 'PRICE_ALERT'"));
    }
    std::string Armed(const std::string& item, const char* column) const {
        return Sql(Db("_portfolio"), std::string("SELECT ") + column +
                                         "::text FROM portfolio.watchlist_items WHERE id = '" + item + "'");
    }
    int Tick(const std::string& symbol, const std::string& price, const std::string& time) {
        return Run(producer_->Evaluate(symbol, price, time));
    }

    inline static test::SuiteDatabases* migrate_ = nullptr;
    std::shared_ptr<Notifier> notifier_;
    std::shared_ptr<PriceAlertProducer> producer_;
    std::string stream_;
    std::string user_;
};

TEST_F(PriceAlertTest, AboveFiresOncePerCrossingAndRearmsPastTheHysteresis) {
    auto symbol = Symbol();
    auto item = Item(symbol, "alert_above=100");
    EXPECT_EQ(Tick(symbol, "99", "2024-05-01T14:00:00.000000Z"), 0);
    EXPECT_EQ(Tick(symbol, "100.5", "2024-05-01T14:01:00.000000Z"), 1);
    EXPECT_EQ(Armed(item, "above_armed"), "false");
    EXPECT_EQ(Tick(symbol, "101", "2024-05-01T14:02:00.000000Z"), 0);
    // 99.6 is below the threshold but not past the 0.5 % hysteresis (99.5): still disarmed.
    EXPECT_EQ(Tick(symbol, "99.6", "2024-05-01T14:03:00.000000Z"), 0);
    EXPECT_EQ(Tick(symbol, "100.2", "2024-05-01T14:04:00.000000Z"), 0);
    EXPECT_EQ(Notifications(), 1);
    EXPECT_EQ(Tick(symbol, "99.4", "2024-05-01T14:05:00.000000Z"), 0);
    EXPECT_EQ(Armed(item, "above_armed"), "true");
    EXPECT_EQ(Tick(symbol, "100", "2024-05-01T14:06:00.000000Z"), 1);
    EXPECT_EQ(Notifications(), 2);
    // A replayed or older tick changes nothing.
    EXPECT_EQ(Tick(symbol, "100", "2024-05-01T14:06:00.000000Z"), 0);
    EXPECT_EQ(Tick(symbol, "99", "2024-05-01T13:00:00.000000Z"), 0);
    EXPECT_EQ(Armed(item, "above_armed"), "false");
    EXPECT_EQ(Armed(item, "trim_scale(last_price)"), "100");
    EXPECT_EQ(Notifications(), 2);
}

TEST_F(PriceAlertTest, BelowFiresOncePerCrossingAndRearmsPastTheHysteresis) {
    auto symbol = Symbol();
    auto item = Item(symbol, "alert_below=50");
    EXPECT_EQ(Tick(symbol, "51", "2024-05-01T14:00:00.000000Z"), 0);
    EXPECT_EQ(Tick(symbol, "50", "2024-05-01T14:01:00.000000Z"), 1);
    EXPECT_EQ(Tick(symbol, "49", "2024-05-01T14:02:00.000000Z"), 0);
    EXPECT_EQ(Tick(symbol, "50.2", "2024-05-01T14:03:00.000000Z"), 0);
    EXPECT_EQ(Armed(item, "below_armed"), "false");
    EXPECT_EQ(Tick(symbol, "50.3", "2024-05-01T14:04:00.000000Z"), 0);
    EXPECT_EQ(Armed(item, "below_armed"), "true");
    EXPECT_EQ(Tick(symbol, "49.9", "2024-05-01T14:05:00.000000Z"), 1);
    EXPECT_EQ(Notifications(), 2);
}

TEST_F(PriceAlertTest, DailyChangeFiresOncePerTradingDay) {
    auto symbol = Symbol();
    auto item = Item(symbol, "alert_change_pct=5");
    Sql(Db("_timescale"),
        "INSERT INTO market_data.latest_prices (symbol, time, close, prev_close, prev_close_date) VALUES ('" +
            symbol + "', '2024-05-01T15:00:00Z', 103, 100, '2024-04-30')");
    EXPECT_EQ(Tick(symbol, "103", "2024-05-01T14:00:00.000000Z"), 0);
    EXPECT_EQ(Tick(symbol, "105.5", "2024-05-01T14:01:00.000000Z"), 1);
    EXPECT_EQ(Tick(symbol, "94", "2024-05-01T14:02:00.000000Z"), 0);
    EXPECT_EQ(Armed(item, "change_armed"), "false");
    Sql(Db("_timescale"),
        "UPDATE market_data.latest_prices SET time = '2024-05-02T15:00:00Z', prev_close = 94, "
        "prev_close_date = '2024-05-01' WHERE symbol = '" +
            symbol + "'");
    EXPECT_EQ(Tick(symbol, "94.5", "2024-05-02T14:00:00.000000Z"), 0);
    EXPECT_EQ(Armed(item, "change_armed"), "true");
    EXPECT_EQ(Tick(symbol, "100", "2024-05-02T14:01:00.000000Z"), 1);
    EXPECT_EQ(Notifications(), 2);
    auto data = Sql(Db("_notifications"),
                    "SELECT data->>'change_pct' FROM notifications.notifications WHERE user_id = '" + user_ +
                        "' ORDER BY created_at DESC LIMIT 1");
    EXPECT_EQ(data, "6.38");
}

TEST_F(PriceAlertTest, ConcurrentBatchesWithTheSameCrossingNotifyOnce) {
    for (int round = 0; round < 5; ++round) {
        auto symbol = Symbol();
        Item(symbol, "alert_above=10");
        // co_spawn rather than the fixture's Run, which waits for each run before the next: these race.
        auto a =
            asio::co_spawn(app_->Shard(0), producer_->Evaluate(symbol, "11", "2024-05-01T14:00:00.000000Z"),
                           asio::use_future);
        auto b =
            asio::co_spawn(app_->Shard(0), producer_->Evaluate(symbol, "12", "2024-05-01T14:00:01.000000Z"),
                           asio::use_future);
        auto c =
            asio::co_spawn(app_->Shard(0), producer_->Evaluate(symbol, "11", "2024-05-01T14:00:00.000000Z"),
                           asio::use_future);
        EXPECT_EQ(a.get() + b.get() + c.get(), 1);
        EXPECT_EQ(Notifications(), 1);
    }
}

TEST_F(PriceAlertTest, StreamEntriesAreEvaluatedAndAcknowledged) {
    auto symbol = Symbol();
    Item(symbol, "alert_above=10");
    auto& redis = app_->Redis(0);
    redis::FieldValues fields{
        {"batch_id", "b1"},
        {"kind", "stock"},
        {"count", "1"},
        {"prices",
         "[{\"symbol\":\"" + symbol + "\",\"price\":\"10.5\",\"time\":\"2024-05-01T14:00:00.000000Z\"}]"}};
    Run(redis.XAdd(stream_, fields));
    Run(redis.XAdd(stream_, fields));  // the relay's republish of the same batch
    std::size_t handled = 0;
    for (int i = 0; i < 5 && handled < 2; ++i) handled += Run(producer_->RunOnce());
    EXPECT_EQ(handled, 2u);
    EXPECT_EQ(Notifications(), 1);
    EXPECT_EQ(Run(redis.XPending(stream_, "notify.alerts")).count, 0);
}

}  // namespace
}  // namespace nn::notify
