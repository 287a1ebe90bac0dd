// GET /api/v1/portfolios/{id}/performance end to end: an in-process App with the portfolio and
// analytics modules against freshly migrated portfolio and timescale databases and the test
// Redis (the shared App of tests/support/app_fixture.hpp, X-Test-User as the principal).
// Transactions go in through the portfolio API; daily closes are inserted into
// market_data.ohlcv_1d directly.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>

#include "analytics/module.hpp"
#include "infra/app/app.hpp"
#include "infra/migrate/migrator.hpp"
#include "portfolio/module.hpp"
#include "tests/support/app_fixture.hpp"
#include "tests/support/test_env.hpp"

namespace nn::analytics {
namespace {
namespace asio = boost::asio;
namespace json = boost::json;

using PerformanceReply = test::AppReply;

double PerformanceNum(const json::value& v) {
    return v.is_double() ? v.as_double() : static_cast<double>(v.as_int64());
}

// The portfolio module without a user directory of the test's, and analytics on its services.
class PerformanceApi : public ::testing::Test, protected test::TestUserAppHost {
protected:
    static void SetUpTestSuite() {
        migrate_ = new test::SuiteDatabases(
            "t_an_",
            {migrate::Database::kPortfolio, migrate::Database::kTimescale, migrate::Database::kAnalytics});
    }
    static void TearDownTestSuite() { delete migrate_; }

    void SetUp() override {
        MakeApp(test::AppConfig(*migrate_, "portfolio"));
        portfolio::ModuleOptions mo;
        mo.service.cache_prefix = test::UniqueName("t_an_cache_") + ":";
        mo.start_price_consumer = false;
        Register(*app_, portfolio::Register(*app_, mo));
        StartApp();
    }
    void TearDown() override { StopApp(); }

    static std::string Day(int days_ago) { return FormatDate(AddDays(ToDate(Now()), -days_ago)); }

    // Daily closes for `symbol`: close(k days ago) for k in [0, back] (tests share the database
    // and use the same formulas, so a second insert keeps the first).
    void Closes(const std::string& symbol, int back, const std::string& close_of_k) {
        test::ExecSql(
            test::PgUrlFor(migrate_->prefix + "_timescale"),
            "INSERT INTO market_data.ohlcv_1d (symbol, trading_date, open, high, low, close, tick_count, "
            "open_time, close_time) SELECT '" +
                symbol +
                "', current_date - k, c, c, c, c, 1, "
                "(current_date - k)::timestamptz, (current_date - k)::timestamptz "
                "FROM generate_series(0, " +
                std::to_string(back) + ") AS k, LATERAL (SELECT (" + close_of_k +
                ")::numeric AS c) AS v ON CONFLICT (symbol, trading_date) DO NOTHING");
    }

    std::string Portfolio(const std::string& user) {
        auto r = Call(user, "POST", "/api/v1/portfolios", R"({"name":"Main","currency":"USD"})");
        EXPECT_EQ(r.status, 201) << r.body;
        const std::string pid(r.Json().at("id").as_string());
        const std::string base = "/api/v1/portfolios/" + pid + "/transactions";
        r = Call(user, "POST", base,
                 R"({"type":"DEPOSIT","amount":"10000","currency":"USD","executed_at":")" + Day(10) +
                     R"(T12:00:00Z"})");
        EXPECT_EQ(r.status, 201) << r.body;
        r = Call(
            user, "POST", base,
            R"({"type":"BUY","symbol":"AAA","quantity":"10","price":"100","currency":"USD","executed_at":")" +
                Day(9) + R"(T12:00:00Z"})");
        EXPECT_EQ(r.status, 201) << r.body;
        return pid;
    }

    inline static test::SuiteDatabases* migrate_ = nullptr;
};

// Deposit 10,000 ten days ago, buy 10 AAA at 100 nine days ago; AAA closes at 110 - k (k days
// ago), so today the portfolio holds 9,000 cash + 10 x 110 = 10,100. By hand: gain 100, and
// with one deposit at the start TWR = simple = 10,100 / 10,000 - 1 = 1%. The benchmark
// closes at 1000 + 3 (12 - k): over the period (opening = its close 11 days ago, 1003) it made
// 1036 / 1003 - 1.
TEST_F(PerformanceApi, ComputesTheFiguresFromTransactionsAndCloses) {
    Closes("AAA", 9, "110 - k");
    Closes("IDX", 12, "1000 + 3 * (12 - k)");
    const std::string user = NewUser();
    const std::string pid = Portfolio(user);

    const PerformanceReply r = Call(user, "GET",
                                    "/api/v1/portfolios/" + pid + "/performance?from=" + Day(10) +
                                        "&to=" + Day(0) + "&benchmark=IDX&risk_free_rate=0.02");
    ASSERT_EQ(r.status, 200) << r.body;
    const json::object body = r.Json().as_object();
    EXPECT_EQ(body.at("currency").as_string(), "USD");
    EXPECT_EQ(body.at("from").as_string(), Day(10));
    EXPECT_EQ(body.at("to").as_string(), Day(0));
    EXPECT_EQ(body.at("days").as_int64(), 11);
    const json::object& returns = body.at("returns").as_object();
    EXPECT_NEAR(PerformanceNum(returns.at("time_weighted")), 0.01, 1e-12);
    EXPECT_NEAR(PerformanceNum(returns.at("simple")), 0.01, 1e-12);
    // Money-weighted, every amount on its own day (docs/analytics.md §3.2): the 10,000 was in
    // for 10 of the period's 11 days (the opening is the close of the day before `from`), so
    // the rate over the 11 days is 1.01^(11/10) - 1.
    EXPECT_NEAR(PerformanceNum(returns.at("money_weighted")), std::pow(1.01, 1.1) - 1.0, 1e-8);
    EXPECT_TRUE(returns.at("time_weighted_annualized").is_null());
    const json::object& gain = body.at("gain").as_object();
    EXPECT_EQ(gain.at("total").as_string(), "100");
    EXPECT_EQ(gain.at("closing_value").as_string(), "10100");
    EXPECT_EQ(gain.at("inflows").as_string(), "10000");
    EXPECT_EQ(gain.at("opening_value").as_string(), "0");
    const json::object& bench = body.at("benchmark").as_object();
    EXPECT_EQ(bench.at("symbol").as_string(), "IDX");
    EXPECT_NEAR(PerformanceNum(bench.at("return")), 1036.0 / 1003.0 - 1.0, 1e-12);
    EXPECT_NEAR(PerformanceNum(bench.at("excess_return")), 0.01 - (1036.0 / 1003.0 - 1.0), 1e-12);
    EXPECT_NEAR(PerformanceNum(body.at("risk").as_object().at("risk_free_rate")), 0.02, 1e-15);
    const json::array& series = body.at("series").as_array();
    ASSERT_EQ(series.size(), 11u);
    EXPECT_EQ(series.back().as_object().at("value").as_string(), "10100");
    EXPECT_EQ(series.front().as_object().at("value").as_string(), "10000");
    EXPECT_TRUE(body.at("data_gaps").as_array().empty());
}

// Issue 14.8: a position's closes are converted from the instrument's own currency. XEU is
// listed in EUR (market_data.instruments) and closes at 90 EUR; the user recorded the purchase in
// USD (10 at 99 USD, after depositing 1,000 USD). With EUR/USD at 1.1 the position is worth
// 10 x 90 x 1.1 = 990 USD, plus 10 USD cash: 1,000. Taking the trades' currency valued it at
// 900 USD.
TEST_F(PerformanceApi, ClosesConvertFromTheInstrumentsCurrency) {
    const std::string xeu = "XE" + test::UniqueName("").substr(0, 6);
    const std::string ts = test::PgUrlFor(migrate_->prefix + "_timescale");
    test::ExecSql(ts, "INSERT INTO market_data.instruments (symbol, name, asset_class, currency) VALUES ('" +
                          xeu + "', 'X', 'EQUITY', 'EUR')");
    test::ExecSql(ts,
                  "INSERT INTO market_data.exchange_rates (time, base, quote, rate) VALUES (now() - interval "
                  "'8 days', 'EUR', 'USD', 1.1) ON CONFLICT DO NOTHING");
    Closes(xeu, 5, "90");
    const std::string user = NewUser();
    auto created = Call(user, "POST", "/api/v1/portfolios", R"({"name":"Listed","currency":"USD"})");
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string pid(created.Json().at("id").as_string());
    const std::string base = "/api/v1/portfolios/" + pid + "/transactions";
    ASSERT_EQ(Call(user, "POST", base,
                   R"({"type":"DEPOSIT","amount":"1000","currency":"USD","executed_at":")" + Day(5) +
                       R"(T10:00:00Z"})")
                  .status,
              201);
    ASSERT_EQ(Call(user, "POST", base,
                   R"({"type":"BUY","symbol":")" + xeu +
                       R"(","quantity":"10","price":"99","currency":"USD","executed_at":")" + Day(5) +
                       R"(T11:00:00Z"})")
                  .status,
              201);
    const PerformanceReply r =
        Call(user, "GET", "/api/v1/portfolios/" + pid + "/performance?from=" + Day(5) + "&to=" + Day(0));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json().at("gain").at("closing_value").as_string(), "1000");
}

TEST_F(PerformanceApi, NamedRangesAndRefusals) {
    Closes("AAA", 9, "110 - k");
    const std::string user = NewUser();
    const std::string pid = Portfolio(user);
    const std::string path = "/api/v1/portfolios/" + pid + "/performance";

    PerformanceReply r = Call(user, "GET", path + "?range=MAX");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json().at("from").as_string(), Day(10));  // inception
    EXPECT_EQ(r.Json().at("range").as_string(), "MAX");
    EXPECT_TRUE(r.Json().at("benchmark").is_null());

    // 1W opens at the close 7 days ago: 9,000 cash + 10 x 103 = 10,030 -> 10,100.
    r = Call(user, "GET", path + "?range=1W");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NEAR(PerformanceNum(r.Json().at("returns").at("time_weighted")), 10100.0 / 10030.0 - 1.0, 1e-12);

    EXPECT_EQ(Call("", "GET", path).status, 401);
    EXPECT_EQ(Call(NewUser(), "GET", path).status, 404);  // another user's portfolio
    EXPECT_EQ(Call(user, "GET", path + "?range=2W").status, 422);
    EXPECT_EQ(Call(user, "GET", path + "?from=2024-13-01").status, 422);
    EXPECT_EQ(Call(user, "GET", path + "?range=1Y&from=2024-01-01").status, 422);
    EXPECT_EQ(Call(user, "GET", path + "?risk_free_rate=abc").status, 422);
    EXPECT_EQ(Call(user, "GET", path + "?benchmark=bad%20symbol").status, 422);
    EXPECT_EQ(Call(user, "GET", "/api/v1/portfolios/not-a-uuid/performance").status, 404);

    const std::string empty_user = NewUser();
    auto created = Call(empty_user, "POST", "/api/v1/portfolios", R"({"name":"Empty","currency":"USD"})");
    const std::string empty(created.Json().at("id").as_string());
    EXPECT_EQ(Call(empty_user, "GET", "/api/v1/portfolios/" + empty + "/performance").status, 422);
}

}  // namespace
}  // namespace nn::analytics
