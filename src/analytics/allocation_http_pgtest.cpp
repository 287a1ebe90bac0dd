// GET /api/v1/portfolios/{id}/allocation end to end (docs/analytics.md §12): transactions go in
// through the portfolio API; current prices, instruments and the latest rates are written
// directly, as the price consumer and the market service would.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "analytics/analytics_api_fixture.hpp"

namespace nn::analytics {
namespace {
namespace json = boost::json;
using testing::Reply;

struct AllocationSuite {
    static constexpr const char* kPrefix = "t_an_alloc_";
};
using AllocationApi = testing::AnalyticsApi<AllocationSuite>;

const json::object* Group(const json::value& body, const char* dimension, const json::value& key) {
    for (const auto& g : body.at("groupings").at(dimension).as_array()) {
        if (g.at("key") == key) return &g.as_object();
    }
    return nullptr;
}

// The worked example of allocation_test.cpp through HTTP: USD portfolio; 1,500 USD deposited,
// 10 AAA bought at 100 (now 110: 1,100); 300 EUR deposited, 5 BBB bought at 40 EUR (still 40,
// EUR/USD 1.1: 220 USD); cash 500 USD + 100 EUR (110 USD). Total 1,930.
TEST_F(AllocationApi, GroupsWeightsAndDriftByHand) {
    const std::string sfx = test::UniqueName("").substr(0, 6);
    const std::string aaa = "AL" + sfx, bbb = "BL" + sfx;
    Sql(TimescaleDb(),
        "INSERT INTO market_data.instruments (symbol, name, asset_class, sector, country, currency) VALUES "
        "('" +
            aaa + "', 'A', 'EQUITY', 'Technology', 'US', 'USD'), ('" + bbb +
            "', 'B', 'ETF', NULL, 'DE', 'EUR')");
    Sql(TimescaleDb(),
        "INSERT INTO market_data.latest_exchange_rates (base, quote, time, rate) VALUES ('EUR', 'USD', "
        "now(), 1.1) "
        "ON CONFLICT DO NOTHING");
    const std::string user = NewUser();
    const std::string pid = CreatePortfolio(user);
    Tx(user, pid,
       R"({"type":"DEPOSIT","amount":"1500","currency":"USD","executed_at":"2024-03-01T10:00:00Z"})");
    Tx(user, pid,
       R"({"type":"DEPOSIT","amount":"300","currency":"EUR","fx_rate":"1.1","executed_at":"2024-03-01T10:00:00Z"})");
    Tx(user, pid,
       R"({"type":"BUY","symbol":")" + aaa +
           R"(","quantity":"10","price":"100","currency":"USD","executed_at":"2024-03-01T11:00:00Z"})");
    Tx(user, pid,
       R"({"type":"BUY","symbol":")" + bbb +
           R"(","quantity":"5","price":"40","currency":"EUR","fx_rate":"1.1","executed_at":"2024-03-01T11:00:00Z"})");
    Sql(PortfolioDb(), "UPDATE portfolio.holdings SET current_price = CASE symbol WHEN '" + aaa +
                           "' THEN 110 ELSE 40 END WHERE portfolio_id = '" + pid + "'");
    const std::string rules = "/api/v1/portfolios/" + pid + "/allocation-rules";
    ASSERT_EQ(Call(user, "POST", rules, R"({"dimension":"ASSET_CLASS","key":"EQUITY","target_weight":"0.5"})")
                  .status,
              201);
    ASSERT_EQ(Call(user, "POST", rules,
                   R"({"dimension":"CURRENCY","key":"EUR","target_weight":"0.2","tolerance":"0.05"})")
                  .status,
              201);

    const std::string path = "/api/v1/portfolios/" + pid + "/allocation";
    Reply r = Call(user, "GET", path);
    ASSERT_EQ(r.status, 200) << r.body;
    const json::value body = r.Json();
    EXPECT_EQ(body.at("currency").as_string(), "USD");
    EXPECT_EQ(body.at("total_value").as_string(), "1930");
    EXPECT_EQ(body.at("complete").as_bool(), true);
    struct Row {
        const char* dimension;
        json::value key;
        const char* value;
        const char* weight;
    };
    const Row table[] = {
        {"symbol", json::value(aaa), "1100", "0.569948"},
        {"symbol", json::value("CASH"), "610", "0.316062"},
        {"symbol", json::value(bbb), "220", "0.11399"},
        {"asset_class", json::value("EQUITY"), "1100", "0.569948"},
        {"asset_class", json::value("ETF"), "220", "0.11399"},
        {"sector", json::value("Technology"), "1100", "0.569948"},
        {"sector", json::value(nullptr), "220", "0.11399"},
        {"country", json::value("US"), "1100", "0.569948"},
        {"currency", json::value("USD"), "1600", "0.829016"},
        {"currency", json::value("EUR"), "330", "0.170984"},
    };
    for (const Row& row : table) {
        const json::object* g = Group(body, row.dimension, row.key);
        ASSERT_NE(g, nullptr) << row.dimension << " " << json::serialize(row.key);
        EXPECT_EQ(g->at("value").as_string(), row.value) << row.dimension;
        EXPECT_EQ(g->at("weight").as_string(), row.weight) << row.dimension;
    }
    const json::array& drift = body.at("rules").as_array();
    ASSERT_EQ(drift.size(), 2u);
    // Rules come ordered by dimension, key: ASSET_CLASS EQUITY, then CURRENCY EUR.
    EXPECT_EQ(drift[0].at("weight").as_string(), "0.569948");
    EXPECT_EQ(drift[0].at("drift").as_string(), "0.069948");
    EXPECT_EQ(drift[0].at("tolerance").as_string(), "0.05");
    EXPECT_TRUE(drift[0].at("breached").as_bool());
    EXPECT_EQ(drift[1].at("drift").as_string(), "-0.029016");
    EXPECT_FALSE(drift[1].at("breached").as_bool());

    r = Call(user, "GET", path + "?by=currency,symbol");
    ASSERT_EQ(r.status, 200) << r.body;
    const json::value by_two = r.Json();
    const json::object& only = by_two.at("groupings").as_object();
    EXPECT_EQ(only.size(), 2u);
    EXPECT_TRUE(only.contains("currency") && only.contains("symbol"));

    // An advisor with a READ grant sees it; without a grant, or another user, it is a 404.
    const std::string advisor = NewUser("ADVISOR");
    EXPECT_EQ(Call(advisor, "GET", path).status, 404);
    directory_->grants[IdOf(advisor)].read.push_back(*UserId::Parse(IdOf(user)));
    r = Call(advisor, "GET", path);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json().at("total_value").as_string(), "1930");
    EXPECT_EQ(Call(NewUser(), "GET", path).status, 404);
    EXPECT_EQ(Call("", "GET", path).status, 401);

    r = Call(user, "GET", path + "?by=industry");
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(content_type_, "application/problem+json");
    EXPECT_NE(r.body.find("analytics.invalid_dimension"), std::string::npos) << r.body;
    EXPECT_EQ(Call(user, "GET", path + "?by=").status, 422);
    EXPECT_EQ(Call(user, "GET", "/api/v1/portfolios/nope/allocation").status, 404);
}

// A holding without a current price is listed, not guessed; the rest is still grouped.
TEST_F(AllocationApi, UnpricedHoldingIsListed) {
    const std::string user = NewUser();
    const std::string pid = CreatePortfolio(user);
    const std::string sym = "UP" + test::UniqueName("").substr(0, 6);
    Tx(user, pid,
       R"({"type":"DEPOSIT","amount":"1000","currency":"USD","executed_at":"2024-03-01T10:00:00Z"})");
    Tx(user, pid,
       R"({"type":"BUY","symbol":")" + sym +
           R"(","quantity":"2","price":"100","currency":"USD","executed_at":"2024-03-01T11:00:00Z"})");
    const Reply r = Call(user, "GET", "/api/v1/portfolios/" + pid + "/allocation?by=symbol");
    ASSERT_EQ(r.status, 200) << r.body;
    const json::value body = r.Json();
    EXPECT_FALSE(body.at("complete").as_bool());
    EXPECT_EQ(body.at("total_value").as_string(), "800");
    ASSERT_EQ(body.at("unvalued").as_array().size(), 1u);
    EXPECT_EQ(body.at("unvalued").at(0).at("symbol").as_string(), sym);
    EXPECT_EQ(body.at("unvalued").at(0).at("reason").as_string(), "missing_price");
    EXPECT_EQ(body.at("groupings").at("symbol").as_array().size(), 1u);
}

}  // namespace
}  // namespace nn::analytics
