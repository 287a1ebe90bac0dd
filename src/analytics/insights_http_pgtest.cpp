// GET /api/v1/portfolios/{id}/insights end to end (docs/analytics.md §16): transactions through
// the portfolio API; current prices, daily closes, latest prices and rates written directly, as
// the price consumer and the market service would.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include <boost/json/serialize.hpp>

#include "analytics/analytics_api_fixture.hpp"

namespace nn::analytics {
namespace {
namespace json = boost::json;

struct InsightsSuite {
    static constexpr const char* kPrefix = "t_an_insight_";
};
using InsightsApi = testing::AnalyticsApi<InsightsSuite>;

std::string DaysAgo(int days) {
    return FormatDate(AddDays(ToDate(Now()), -days));
}

// USD portfolio: 1,000 USD deposited and 5 AAA bought at 100 + 2 fee twenty days ago (cash 498),
// 100 EUR deposited at 1.1 (EUR/USD now 1.1: 110 USD). AAA is at 120 (600) and closed at 80 a
// year and a day ago. Total 1,208: AAA 600 / 1,208 = 0.496689 (critical above 0.40), cash
// 608 / 1,208 = 0.503311 (warning above 0.10), EUR 110 / 1,208 = 0.091060, fees 2 on 502 invested
// = 0.003984 (ok).
TEST_F(InsightsApi, RulesOnAValuedPortfolio) {
    const std::string aaa = "IN" + test::UniqueName("").substr(0, 6);
    Sql(TimescaleDb(),
        "INSERT INTO market_data.latest_exchange_rates (base, quote, time, rate) VALUES ('EUR', 'USD', "
        "now(), 1.1) "
        "ON CONFLICT (base, quote) DO UPDATE SET rate = 1.1");
    Sql(TimescaleDb(),
        "INSERT INTO market_data.ohlcv_1d (symbol, trading_date, open, high, low, close, tick_count, "
        "open_time, "
        "close_time) SELECT '" +
            aaa +
            "', d, c, c, c, c, 1, d::timestamptz, d::timestamptz FROM (VALUES (current_date - 366, 80), "
            "(current_date - 1, 120)) AS v(d, c)");
    Sql(TimescaleDb(),
        "INSERT INTO market_data.latest_prices (symbol, time, close) VALUES ('" + aaa + "', now(), 120)");
    const std::string user = NewUser();
    const std::string pid = CreatePortfolio(user);
    Tx(user, pid,
       R"({"type":"DEPOSIT","amount":"1000","currency":"USD","executed_at":")" + DaysAgo(20) +
           R"(T10:00:00Z"})");
    Tx(user, pid,
       R"({"type":"BUY","symbol":")" + aaa +
           R"(","quantity":"5","price":"100","fee":"2","currency":"USD","executed_at":")" + DaysAgo(20) +
           R"(T11:00:00Z"})");
    Tx(user, pid,
       R"({"type":"DEPOSIT","amount":"100","currency":"EUR","fx_rate":"1.1","executed_at":")" + DaysAgo(20) +
           R"(T12:00:00Z"})");
    Sql(PortfolioDb(),
        "UPDATE portfolio.holdings SET current_price = 120 WHERE portfolio_id = '" + pid + "'");

    const auto r = Call(user, "GET", "/api/v1/portfolios/" + pid + "/insights");
    ASSERT_EQ(r.status, 200) << r.body;
    const json::value body = r.Json();
    EXPECT_EQ(body.at("currency").as_string(), "USD");
    EXPECT_EQ(body.at("total_value").as_string(), "1208");
    std::map<std::string, json::object> by_rule;
    for (const auto& i : body.at("insights").as_array()) {
        by_rule[std::string(i.at("rule").as_string())] = i.as_object();
    }
    ASSERT_EQ(by_rule.size(), 10u) << r.body;
    auto figure = [&](const char* rule) { return std::string(by_rule[rule].at("figure").as_string()); };
    auto severity = [&](const char* rule) { return std::string(by_rule[rule].at("severity").as_string()); };
    EXPECT_EQ(figure("concentration.largest_position"), "0.496689");
    EXPECT_EQ(severity("concentration.largest_position"), "critical");
    EXPECT_EQ(by_rule["concentration.largest_position"].at("threshold").as_string(), "0.2");
    EXPECT_EQ(figure("cash.drag"), "0.503311");
    EXPECT_EQ(severity("cash.drag"), "warning");
    // AAA's price rose 50 % over the year: the cash gave up 0.503311 x 0.5.
    EXPECT_EQ(by_rule["cash.drag"].at("effect").as_string(), "-0.251656");
    EXPECT_EQ(figure("currency.single_exposure"), "0.09106");
    EXPECT_EQ(figure("fees.ratio"), "0.003984");
    EXPECT_EQ(severity("fees.ratio"), "ok");
    EXPECT_EQ(severity("data.missing_rates_or_prices"), "ok");
    EXPECT_EQ(severity("data.stale_closes"), "ok");
    EXPECT_EQ(severity("data.no_recent_price"), "ok");
    EXPECT_EQ(severity("data.transactions_after_last_price"), "ok");

    // A trade today, after AAA's last close (yesterday): its last trade date is read per held
    // symbol (not from every transaction), and the rule sees it.
    Tx(user, pid,
       R"({"type":"BUY","symbol":")" + aaa +
           R"(","quantity":"1","price":"110","currency":"USD","executed_at":")" + DaysAgo(0) +
           R"(T00:00:01Z"})");
    const auto after = Call(user, "GET", "/api/v1/portfolios/" + pid + "/insights");
    ASSERT_EQ(after.status, 200) << after.body;
    bool flagged = false;
    const json::value after_body = after.Json();
    for (const auto& i : after_body.at("insights").as_array()) {
        if (i.at("rule").as_string() != "data.transactions_after_last_price") continue;
        EXPECT_EQ(i.at("severity").as_string(), "info") << after.body;
        flagged = json::serialize(i.at("subjects")).find(aaa) != std::string::npos;
    }
    EXPECT_TRUE(flagged) << after.body;

    // Like every analytics route it needs analytics:read besides portfolio:read.
    const auto narrow = Call(user, "GET", "/api/v1/portfolios/" + pid + "/insights", "",
                             {{"X-Test-Scopes", "portfolio:read"}});
    EXPECT_EQ(narrow.status, 403) << narrow.body;
    // Another user's portfolio does not exist for them; no credential is a 401.
    EXPECT_EQ(Call(NewUser(), "GET", "/api/v1/portfolios/" + pid + "/insights").status, 404);
    EXPECT_EQ(Call("", "GET", "/api/v1/portfolios/" + pid + "/insights").status, 401);
}

}  // namespace
}  // namespace nn::analytics
