// The price-update consumer against real PostgreSQL and Redis: one stream per test, entries
// applied once even when delivered twice, entries left pending by a dead consumer reclaimed,
// snapshots throttled.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <string>

#include "infra/app/app.hpp"
#include "infra/http/test_server.hpp"
#include "infra/migrate/migrator.hpp"
#include "portfolio/pg_repository.hpp"
#include "portfolio/price_consumer.hpp"
#include "tests/support/app_fixture.hpp"
#include "tests/support/test_env.hpp"

namespace nn::portfolio {
namespace {
namespace asio = boost::asio;

class PriceConsumerTest : public ::testing::Test, protected test::AppHost {
protected:
    using AppHost::Run;  // not ::testing::Test's

    void SetUp() override {
        migrate_ = std::make_unique<test::SuiteDatabases>(
            "t_pfc_", std::initializer_list<migrate::Database>{migrate::Database::kPortfolio,
                                                               migrate::Database::kTimescale});
        runtime::Config c;
        c.listen_port = 0;
        c.threads = 1;
        c.database_url = Secret(test::PgUrl());
        c.database_prefix = migrate_->prefix;
        c.db_service_password = Secret(test::ServicePassword());
        c.redis_url = Secret(test::RedisUrl());
        MakeApp(c);
        PriceConsumerOptions o;
        o.stream = test::UniqueName("t_pfc_stream_");
        o.group = "portfolio";
        o.consumer = "live";
        o.block = std::chrono::milliseconds(50);
        o.claim_idle = std::chrono::milliseconds(0);
        o.snapshot_interval = std::chrono::seconds(3600);
        o.cache_prefix = test::UniqueName("t_pfc_cache_") + ":";
        consumer_ = std::make_shared<PriceConsumer>(*app_, std::make_shared<PgRepository>(), o);

        // Two users holding AAPL in USD portfolios, one holding SAP (EUR) in a USD portfolio.
        test::QueryValue(
            Db(),
            "INSERT INTO portfolio.portfolios (id, user_id, name, currency) VALUES "
            "('00000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'A', 'USD'),"
            "('00000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000002', 'B', 'USD');"
            "INSERT INTO portfolio.holdings (portfolio_id, user_id, symbol, currency, quantity) VALUES "
            "('00000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'AAPL', 'USD', "
            "10),"
            "('00000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000002', 'AAPL', 'USD', "
            "3),"
            "('00000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000002', 'SAP', 'EUR', "
            "2)");
    }
    void TearDown() override {
        const std::string stream = consumer_->Options().stream;
        try {
            Run([&]() -> asio::awaitable<bool> { co_return co_await app_->Redis(0).Del(stream); });
        } catch (...) {
            // the stream goes with the throw-away server
        }
        consumer_.reset();
        StopApp();
        app_.reset();
        migrate_.reset();
    }

    std::string XAdd(const std::string& batch, const std::string& prices, const std::string& rates = "") {
        redis::FieldValues fields{{"batch_id", batch}, {"kind", rates.empty() ? "stock" : "fx"}};
        if (!prices.empty()) fields.emplace_back("prices", prices);
        if (!rates.empty()) fields.emplace_back("rates", rates);
        const std::string stream = consumer_->Options().stream;
        return Run([&]() -> asio::awaitable<std::string> {
            co_return co_await app_->Redis(0).XAdd(stream, fields);
        });
    }

    std::string Db() const { return test::PgUrlFor(migrate_->prefix + "_portfolio"); }
    std::string Ts() const { return test::PgUrlFor(migrate_->prefix + "_timescale"); }
    std::string Price(const char* portfolio_suffix, const char* symbol) {
        return test::QueryValue(
            Db(),
            std::string("SELECT coalesce(trim_scale(current_price)::text, 'null') FROM portfolio.holdings "
                        "WHERE portfolio_id = '00000000-0000-4000-8000-00000000000") +
                portfolio_suffix + "' AND symbol = '" + symbol + "'");
    }

    std::unique_ptr<test::SuiteDatabases> migrate_;
    std::shared_ptr<PriceConsumer> consumer_;
};

TEST(PriceEvent, ParsesPricesAndRejectsMalformedEntries) {
    auto e =
        ParsePriceEvent({{"batch_id", "b1"},
                         {"kind", "stock"},
                         {"prices", R"([{"symbol":"AAPL","price":"189.5","time":"2024-05-01T10:00:00Z"}])"}});
    ASSERT_TRUE(e.has_value());
    ASSERT_EQ(e->prices.size(), 1u);
    EXPECT_EQ(e->prices[0].price, Decimal::FromString("189.5"));
    EXPECT_FALSE(ParsePriceEvent({{"kind", "stock"}}).has_value());
    EXPECT_FALSE(
        ParsePriceEvent({{"batch_id", "b"}, {"prices", R"([{"symbol":"A","price":"-1","time":"x"}])"}}));
    EXPECT_FALSE(ParsePriceEvent({{"batch_id", "b"}, {"prices", "not json"}}));
    EXPECT_FALSE(ParsePriceEvent(
        {{"batch_id", "b"}, {"prices", R"([{"symbol":"A,B","price":"1","time":"2024-05-01T10:00:00Z"}])"}}));
}

TEST_F(PriceConsumerTest, AppliesOnceReclaimsPendingAndThrottlesSnapshots) {
    XAdd("batch-1", R"([{"symbol":"AAPL","price":"190.25","time":"2024-05-01T10:00:00Z"}])");
    EXPECT_EQ(Run([&]() -> asio::awaitable<std::size_t> { co_return co_await consumer_->RunOnce(); }), 1u);
    EXPECT_EQ(Price("1", "AAPL"), "190.25");
    EXPECT_EQ(Price("2", "AAPL"), "190.25");
    EXPECT_EQ(test::QueryValue(
                  Db(),
                  "SELECT trim_scale(market_value)::text FROM portfolio.holdings WHERE symbol = 'AAPL' AND "
                  "quantity = 10"),
              "1902.5");
    EXPECT_EQ(test::QueryValue(Ts(), "SELECT count(*) FROM analytics_ts.portfolio_snapshots"), "1")
        << "portfolio 2 holds SAP without a price or rate: no snapshot with an unknown value";

    // The same batch delivered again (a relay replay) changes nothing, even after a manual edit.
    test::QueryValue(
        Db(), "UPDATE portfolio.holdings SET current_price = 1 WHERE symbol = 'AAPL' AND quantity = 3");
    XAdd("batch-1", R"([{"symbol":"AAPL","price":"190.25","time":"2024-05-01T10:00:00Z"}])");
    Run([&]() -> asio::awaitable<std::size_t> { co_return co_await consumer_->RunOnce(); });
    EXPECT_EQ(Price("2", "AAPL"), "1");

    // A consumer that read an entry and died before XACK: the live one claims and applies it.
    XAdd("batch-2", R"([{"symbol":"AAPL","price":"191","time":"2024-05-01T10:01:00Z"},)"
                    R"({"symbol":"SAP","price":"120","time":"2024-05-01T10:01:00Z"}])");
    const std::string stream = consumer_->Options().stream;
    auto stolen = Run([&]() -> asio::awaitable<std::vector<redis::StreamEntry>> {
        redis::XReadGroupArgs args;
        args.group = "portfolio";
        args.consumer = "dead";
        args.stream = stream;
        args.count = 10;
        co_return co_await app_->Redis(0).XReadGroup(args);
    });
    ASSERT_EQ(stolen.size(), 1u);
    EXPECT_EQ(Price("1", "AAPL"), "190.25");
    Run([&]() -> asio::awaitable<std::size_t> { co_return co_await consumer_->RunOnce(); });
    EXPECT_EQ(Price("1", "AAPL"), "191");
    EXPECT_EQ(Price("2", "SAP"), "120");
    auto pending = Run([&]() -> asio::awaitable<redis::XPendingSummary> {
        co_return co_await app_->Redis(0).XPending(stream, "portfolio");
    });
    EXPECT_EQ(pending.count, 0);

    // An older price arriving late never overwrites a newer one.
    XAdd("batch-0", R"([{"symbol":"AAPL","price":"150","time":"2024-05-01T09:00:00Z"}])");
    Run([&]() -> asio::awaitable<std::size_t> { co_return co_await consumer_->RunOnce(); });
    EXPECT_EQ(Price("1", "AAPL"), "191");

    // The EUR rate arrives: portfolio 2's SAP gets its rate; its snapshot is now computable.
    XAdd("fx-1", "", R"([{"base":"EUR","quote":"USD","rate":"1.08","time":"2024-05-01T10:02:00Z"}])");
    Run([&]() -> asio::awaitable<std::size_t> { co_return co_await consumer_->RunOnce(); });
    EXPECT_EQ(test::QueryValue(
                  Db(), "SELECT trim_scale(fx_rate)::text FROM portfolio.holdings WHERE symbol = 'SAP'"),
              "1.08");
    // Portfolio 1 had its snapshot this interval; portfolio 2 gets its first.
    EXPECT_EQ(test::QueryValue(Ts(), "SELECT count(*) FROM analytics_ts.portfolio_snapshots"), "2");
    EXPECT_EQ(test::QueryValue(
                  Ts(),
                  "SELECT trim_scale(holdings_value)::text FROM analytics_ts.portfolio_snapshots WHERE "
                  "portfolio_id = '00000000-0000-4000-8000-000000000002'"),
              "832.2");
    EXPECT_EQ(test::QueryValue(Db(), "SELECT count(*) FROM portfolio.processed_events"), "4");
}

}  // namespace
}  // namespace nn::portfolio
