// Watchlists, goals, allocation rules and rebalancing through the API: an in-process App
// against freshly migrated portfolio and timescale databases (the fixture of
// portfolio_http_pgtest.cpp: X-Test-User header authenticator, in-memory user directory).
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <boost/json/parse.hpp>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "auth/principal.hpp"
#include "auth/user_directory.hpp"
#include "core/decimal.hpp"
#include "core/time.hpp"
#include "infra/app/app.hpp"
#include "infra/http/test_server.hpp"
#include "infra/migrate/migrator.hpp"
#include "market/rate_directory.hpp"
#include "portfolio/module.hpp"
#include "portfolio/pg_repository.hpp"
#include "portfolio/portfolio_api_fixture.hpp"
#include "portfolio/snapshot_job.hpp"
#include "tests/support/test_env.hpp"

namespace nn::portfolio {
namespace {
namespace asio = boost::asio;
namespace json = boost::json;

using testing::Directory;
using testing::Reply;

struct PlanningApiSuite {
    static constexpr const char* kPrefix = "t_pl_";
};
class PlanningApi : public testing::ApiFixture<PlanningApiSuite> {};

std::string Str(const json::value& v, const char* key) {
    return std::string(v.at(key).as_string());
}

TEST_F(PlanningApi, WatchlistCrudWithItemsAndOutbox) {
    auto user = NewUser();
    auto created =
        Call(user, "POST", "/api/v1/watchlists",
             R"({"name":"Tech","description":"big caps","items":[{"symbol":"AAPL","alert_above":"200.5"},)"
             R"({"symbol":"MSFT","alert_below":"300","alert_change_pct":"5"}]})");
    ASSERT_EQ(created.status, 201) << created.body;
    auto wid = Str(created.Json(), "id");
    auto items = created.Json().at("items").as_array();
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(Str(items[0], "symbol"), "AAPL");
    EXPECT_EQ(Str(items[0], "alert_above"), "200.5");
    EXPECT_TRUE(items[0].at("alert_below").is_null());
    EXPECT_EQ(Str(items[1], "alert_change_pct"), "5");

    auto base = "/api/v1/watchlists/" + wid;
    auto added = Call(user, "POST", base + "/items", R"({"symbol":"NVDA","alert_below":"90"})");
    ASSERT_EQ(added.status, 201) << added.body;
    auto item_id = Str(added.Json(), "id");
    EXPECT_EQ(Call(user, "POST", base + "/items", R"({"symbol":"NVDA"})").status, 409);

    // A changed threshold re-arms its condition; an untouched one keeps its state.
    test::QueryValue(
        PortfolioDb(),
        "UPDATE portfolio.watchlist_items SET below_armed = false, change_armed = false WHERE id = '" +
            item_id + "'");
    auto patched = Call(user, "PATCH", base + "/items/" + item_id, R"({"alert_below":"85","notes":"dip"})");
    ASSERT_EQ(patched.status, 200) << patched.body;
    EXPECT_EQ(Str(patched.Json(), "alert_below"), "85");
    EXPECT_TRUE(patched.Json().at("below_armed").as_bool());
    EXPECT_FALSE(patched.Json().at("change_armed").as_bool());
    EXPECT_EQ(Str(patched.Json(), "notes"), "dip");
    auto cleared = Call(user, "PATCH", base + "/items/" + item_id, R"({"alert_below":null})");
    ASSERT_EQ(cleared.status, 200) << cleared.body;
    EXPECT_TRUE(cleared.Json().at("alert_below").is_null());

    auto renamed = Call(user, "PATCH", base, R"({"name":"Chips","description":null})");
    ASSERT_EQ(renamed.status, 200) << renamed.body;
    EXPECT_EQ(Str(renamed.Json(), "name"), "Chips");
    EXPECT_TRUE(renamed.Json().at("description").is_null());
    EXPECT_EQ(renamed.Json().at("items").as_array().size(), 3u);

    auto list = Call(user, "GET", "/api/v1/watchlists");
    ASSERT_EQ(list.status, 200);
    ASSERT_EQ(list.Json().at("items").as_array().size(), 1u);

    EXPECT_EQ(Call(user, "DELETE", base + "/items/" + item_id).status, 204);
    EXPECT_EQ(Call(user, "DELETE", base + "/items/" + item_id).status, 404);
    EXPECT_EQ(Call(user, "GET", base).Json().at("items").as_array().size(), 2u);

    // One outbox row per write, each in its own transaction with the write.
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.outbox WHERE aggregate_id = '" + wid + "'"), 6);
    EXPECT_EQ(Call(user, "DELETE", base).status, 204);
    EXPECT_EQ(Call(user, "GET", base).status, 404);
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.watchlist_items WHERE watchlist_id = '" + wid + "'"), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.outbox WHERE aggregate_id = '" + wid +
                    "' AND event_type = 'watchlist.deleted'"),
              1);
}

TEST_F(PlanningApi, WatchlistBadInputsAreRefusedWithNothingWritten) {
    auto user = NewUser();
    auto uid = IdOf(user);
    struct Case {
        const char* body;
        int status;
        const char* needle;
    };
    const Case cases[] = {
        {R"({"name":""})", 422, "name"},
        {R"({"name":"x","items":[{"symbol":"AA PL"}]})", 422, "items[0].symbol"},
        {R"({"name":"x","items":[{"symbol":"AAPL","alert_above":"0"}]})", 422, "not_positive"},
        {R"({"name":"x","items":[{"symbol":"AAPL","alert_above":"-3"}]})", 422, "not_positive"},
        {R"({"name":"x","items":[{"symbol":"AAPL","alert_above":12}]})", 422, "alert_above"},
        {R"({"name":"x","items":[{"symbol":"AAPL","alert_above":"1234567890123456789012345678901234567890"}]})",
         422, "alert_above"},
        {R"({"name":"x","items":[{"symbol":"AAPL","alert_change_pct":"100000"}]})", 422, "out_of_range"},
        {R"({"name":"x","items":[{"symbol":"AAPL","alert_above":"10","alert_below":"10"}]})", 422,
         "above_alert_above"},
        {R"({"name":"x","items":[{"symbol":"AAPL"},{"symbol":"AAPL"}]})", 409, "duplicate_symbol"},
        {R"({"name":"x","owner":"me"})", 400, "owner"},
    };
    for (const auto& c : cases) {
        auto r = Call(user, "POST", "/api/v1/watchlists", c.body);
        EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
        EXPECT_NE(r.body.find(c.needle), std::string::npos) << c.body << " -> " << r.body;
    }
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.watchlists WHERE user_id = '" + uid + "'"), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.outbox WHERE user_id = '" + uid + "'"), 0);

    auto created = Call(user, "POST", "/api/v1/watchlists", R"({"name":"x","items":[{"symbol":"AAPL"}]})");
    ASSERT_EQ(created.status, 201);
    auto base = "/api/v1/watchlists/" + Str(created.Json(), "id");
    auto item = Str(created.Json().at("items").as_array()[0], "id");
    auto bad = Call(user, "PATCH", base + "/items/" + item, R"({"alert_above":"5","alert_below":"6"})");
    EXPECT_EQ(bad.status, 422) << bad.body;
    EXPECT_EQ(Call(user, "PATCH", base + "/items/" + item, R"({"symbol":"MSFT"})").status, 400);
    EXPECT_EQ(Call(user, "GET", "/api/v1/watchlists/not-a-uuid").status, 404);
}

TEST_F(PlanningApi, WatchlistsAreIsolatedBetweenUsers) {
    auto alice = NewUser();
    auto bob = NewUser();
    auto created =
        Call(alice, "POST", "/api/v1/watchlists", R"({"name":"Mine","items":[{"symbol":"AAPL"}]})");
    ASSERT_EQ(created.status, 201);
    auto base = "/api/v1/watchlists/" + Str(created.Json(), "id");
    auto item = Str(created.Json().at("items").as_array()[0], "id");
    EXPECT_EQ(Call(bob, "GET", base).status, 404);
    EXPECT_EQ(Call(bob, "PATCH", base, R"({"name":"Stolen"})").status, 404);
    EXPECT_EQ(Call(bob, "DELETE", base).status, 404);
    EXPECT_EQ(Call(bob, "POST", base + "/items", R"({"symbol":"MSFT"})").status, 404);
    EXPECT_EQ(Call(bob, "DELETE", base + "/items/" + item).status, 404);
    EXPECT_EQ(Call(bob, "GET", "/api/v1/watchlists").Json().at("items").as_array().size(), 0u);
    EXPECT_EQ(Call(alice, "GET", base).Json().at("items").as_array().size(), 1u);
    EXPECT_EQ(Str(Call(alice, "GET", base).Json(), "name"), "Mine");
}

// A user's watchlists are one answer: 300 lists of 200 items once made a 133 MB answer and 628 MB
// of RSS (found by attacking a running server). At most 50 lists and 1 000 symbols over all of
// them; past either, 409 watchlist.limit_reached and nothing written.
TEST_F(PlanningApi, WatchlistsAreBoundedPerUser) {
    auto user = NewUser();
    auto other = NewUser();
    std::string items;
    for (int i = 0; i < 200; ++i)
        items += std::string(i ? "," : "") + R"({"symbol":"S)" + std::to_string(i) + R"("})";
    for (int l = 0; l < 5; ++l) {
        auto r = Call(user, "POST", "/api/v1/watchlists",
                      R"({"name":"L)" + std::to_string(l) + R"(","items":[)" + items + "]}");
        ASSERT_EQ(r.status, 201) << r.body.substr(0, 300);
    }
    auto full = Call(user, "POST", "/api/v1/watchlists", R"({"name":"one more","items":[{"symbol":"X"}]})");
    EXPECT_EQ(full.status, 409) << full.body;
    EXPECT_NE(full.body.find("watchlist.limit_reached"), std::string::npos) << full.body;
    auto lists = Call(user, "GET", "/api/v1/watchlists");
    ASSERT_EQ(lists.status, 200);
    const auto first = Str(lists.Json().at("items").as_array()[0], "id");
    EXPECT_EQ(Call(user, "POST", "/api/v1/watchlists/" + first + "/items", R"({"symbol":"NEW"})").status,
              409);
    // An empty list still fits, up to 50 lists.
    for (int l = 5; l < 50; ++l) {
        ASSERT_EQ(
            Call(user, "POST", "/api/v1/watchlists", R"({"name":"E)" + std::to_string(l) + R"("})").status,
            201)
            << l;
    }
    EXPECT_EQ(Call(user, "POST", "/api/v1/watchlists", R"({"name":"51st"})").status, 409);
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.watchlists WHERE user_id = '" + IdOf(user) + "'"), 50);
    // Another user's lists are their own.
    EXPECT_EQ(Call(other, "POST", "/api/v1/watchlists", R"({"name":"Mine","items":[{"symbol":"X"}]})").status,
              201);
    // Freeing a symbol makes room again.
    const auto item = Str(lists.Json().at("items").as_array()[0].at("items").as_array()[0], "id");
    EXPECT_EQ(Call(user, "DELETE", "/api/v1/watchlists/" + first + "/items/" + item).status, 204);
    EXPECT_EQ(Call(user, "POST", "/api/v1/watchlists/" + first + "/items", R"({"symbol":"NEW"})").status,
              201);
}

// Goals and allocation rules had no count either (60 creations in a row all answered 201): at
// most 100 goals per user and 200 rules per portfolio, 409 past them and nothing written.
TEST_F(PlanningApi, GoalsAndAllocationRulesAreBounded) {
    auto user = NewUser();
    for (int i = 0; i < 100; ++i) {
        ASSERT_EQ(Call(user, "POST", "/api/v1/goals",
                       R"({"name":"G)" + std::to_string(i) +
                           R"(","target_amount":"1000","currency":"USD","target_date":"2030-01-01"})")
                      .status,
                  201)
            << i;
    }
    auto goal =
        Call(user, "POST", "/api/v1/goals",
             R"({"name":"one more","target_amount":"1000","currency":"USD","target_date":"2030-01-01"})");
    EXPECT_EQ(goal.status, 409) << goal.body;
    EXPECT_NE(goal.body.find("goal.limit_reached"), std::string::npos) << goal.body;
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.goals WHERE user_id = '" + IdOf(user) + "'"), 100);

    auto pid = CreatePortfolio(user);
    const std::string rules = "/api/v1/portfolios/" + pid + "/allocation-rules";
    for (int i = 0; i < 200; ++i) {
        ASSERT_EQ(
            Call(user, "POST", rules,
                 R"({"dimension":"SYMBOL","key":"S)" + std::to_string(i) + R"(","target_weight":"0.001"})")
                .status,
            201)
            << i;
    }
    auto rule = Call(user, "POST", rules, R"({"dimension":"SYMBOL","key":"S200","target_weight":"0.001"})");
    EXPECT_EQ(rule.status, 409) << rule.body;
    EXPECT_NE(rule.body.find("allocation.limit_reached"), std::string::npos) << rule.body;
}

std::string InDays(int days) {
    return FormatDate(AddDays(ToDate(Now()), days));
}

TEST_F(PlanningApi, GoalProgressFromLinkedPortfoliosInTheGoalCurrency) {
    auto user = NewUser();
    auto pid = CreatePortfolio(user);
    ASSERT_EQ(
        Call(user, "POST", "/api/v1/portfolios/" + pid + "/transactions",
             R"({"type":"DEPOSIT","amount":"5000","currency":"USD","executed_at":"2024-03-01T10:00:00Z"})")
            .status,
        201);
    auto target_date = InDays(3 * 365);
    auto created =
        Call(user, "POST", "/api/v1/goals",
             R"({"name":"House","target_amount":"10000","currency":"USD","target_date":")" + target_date +
                 R"(","monthly_contribution":"100","portfolio_ids":[")" + pid + R"("]})");
    ASSERT_EQ(created.status, 201) << created.body;
    auto gid = Str(created.Json(), "id");
    EXPECT_EQ(created.Json().at("portfolio_ids").as_array().size(), 1u);

    auto got = Call(user, "GET", "/api/v1/goals/" + gid);
    ASSERT_EQ(got.status, 200) << got.body;
    auto progress = got.Json().at("progress");
    EXPECT_EQ(Str(progress, "current_value"), "5000");
    EXPECT_EQ(Str(progress, "value_status"), "ok");
    EXPECT_EQ(Str(progress, "percent_of_target"), "50.00");
    EXPECT_EQ(Str(progress, "remaining"), "5000");
    // 5000 / 100 = 50 monthly contributions at 0 % growth.
    EXPECT_EQ(Str(progress, "projected_date"), FormatDate(AddMonths(ToDate(Now()), 50)));
    EXPECT_FALSE(progress.at("on_track").as_bool());
    auto growth = Decimal::FromString(Str(progress, "required_annual_growth"));
    EXPECT_GT(growth, Decimal::FromString("0.05"));
    EXPECT_LT(growth, Decimal::FromString("0.09"));
    EXPECT_EQ(Str(progress, "growth_status"), "ok");

    // A goal in EUR over a USD portfolio: without a rate the value is unknown, never 1:1.
    auto eur = Call(user, "PATCH", "/api/v1/goals/" + gid, R"({"currency":"EUR"})");
    ASSERT_EQ(eur.status, 200) << eur.body;
    progress = Call(user, "GET", "/api/v1/goals/" + gid).Json().at("progress");
    EXPECT_TRUE(progress.at("current_value").is_null());
    EXPECT_EQ(Str(progress, "value_status"), "missing_rate");
    EXPECT_TRUE(progress.at("percent_of_target").is_null());
    EXPECT_EQ(progress.at("portfolios").as_array()[0].at("missing_rates").as_array()[0].as_string(),
              "USD/EUR");

    test::QueryValue(
        test::PgUrlFor(migrate_->prefix + "_timescale"),
        "INSERT INTO market_data.latest_exchange_rates (base, quote, time, rate) VALUES ('EUR', 'USD', "
        "now(), 1.25) "
        "ON CONFLICT (base, quote) DO UPDATE SET rate = 1.25");
    progress = Call(user, "GET", "/api/v1/goals/" + gid).Json().at("progress");
    EXPECT_EQ(Str(progress, "current_value"), "4000");
    EXPECT_EQ(Str(progress, "percent_of_target"), "40.00");
}

// Issue 14.1: a 10-place amount times a 12-place rate has 22 places; the exact product threw
// decimal.precision and GET /goals/{id} answered 422. Products of money and rates are rounded
// half-even to 10 places (numeric(28, 10)): 5000.1234567891 USD x 0.923456789012 EUR/USD =
// 4617.39795207004... -> 4617.3979520700.
TEST_F(PlanningApi, CrossCurrencyGoalRoundsMoneyTimesRate) {
    auto user = NewUser();
    auto pid = CreatePortfolio(user);
    ASSERT_EQ(
        Call(
            user, "POST", "/api/v1/portfolios/" + pid + "/transactions",
            R"({"type":"DEPOSIT","amount":"5000.1234567891","currency":"USD","executed_at":"2024-03-01T10:00:00Z"})")
            .status,
        201);
    test::QueryValue(
        test::PgUrlFor(migrate_->prefix + "_timescale"),
        "INSERT INTO market_data.latest_exchange_rates (base, quote, time, rate) VALUES ('USD', 'EUR', "
        "now(), 0.923456789012) ON CONFLICT (base, quote) DO UPDATE SET rate = 0.923456789012");
    auto created = Call(user, "POST", "/api/v1/goals",
                        R"({"name":"Flat","target_amount":"10000","currency":"EUR","target_date":")" +
                            InDays(3 * 365) + R"(","portfolio_ids":[")" + pid + R"("]})");
    ASSERT_EQ(created.status, 201) << created.body;
    auto got = Call(user, "GET", "/api/v1/goals/" + Str(created.Json(), "id"));
    ASSERT_EQ(got.status, 200) << got.body;
    auto progress = got.Json().at("progress");
    EXPECT_EQ(Str(progress, "value_status"), "ok");
    EXPECT_EQ(Str(progress, "current_value"), "4617.39795207");
    EXPECT_EQ(Str(progress, "percent_of_target"), "46.17");
}

TEST_F(PlanningApi, GoalBadInputsAndIsolation) {
    auto alice = NewUser();
    auto bob = NewUser();
    auto bobs_portfolio = CreatePortfolio(bob);
    auto future = InDays(400);
    struct Case {
        std::string body;
        int status;
        const char* needle;
    };
    const Case cases[] = {
        {R"({"name":"x","target_amount":"0","currency":"USD","target_date":")" + future + R"("})", 422,
         "not_positive"},
        {R"({"name":"x","target_amount":"100","currency":"XXY","target_date":")" + future + R"("})", 422,
         "unknown_currency"},
        {R"({"name":"x","target_amount":"100","currency":"USD","target_date":"2020-01-01"})", 422,
         "not_future"},
        {R"({"name":"x","target_amount":"100","currency":"USD","target_date":"2030-02-30"})", 422,
         "target_date"},
        {R"({"name":"x","target_amount":100,"currency":"USD","target_date":")" + future + R"("})", 422,
         "target_amount"},
        {R"({"name":"x","currency":"USD","target_date":")" + future + R"("})", 422, "target_amount"},
        {R"({"name":"x","target_amount":"100","currency":"USD","target_date":")" + future +
             R"(","monthly_contribution":"-1"})",
         422, "negative"},
        {R"({"name":"x","target_amount":"100","currency":"USD","target_date":")" + future +
             R"(","portfolio_ids":[")" + bobs_portfolio + R"("]})",
         422, "goal.portfolio_not_found"},
        {R"({"name":"x","target_amount":"100","currency":"USD","target_date":")" + future + R"(","x":1})",
         400, "unknown_field"},
    };
    for (const auto& c : cases) {
        auto r = Call(alice, "POST", "/api/v1/goals", c.body);
        EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
        EXPECT_NE(r.body.find(c.needle), std::string::npos) << c.body << " -> " << r.body;
    }
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.goals WHERE user_id = '" + IdOf(alice) + "'"), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.outbox WHERE user_id = '" + IdOf(alice) + "'"), 0);

    auto created =
        Call(alice, "POST", "/api/v1/goals",
             R"({"name":"Car","target_amount":"100","currency":"USD","target_date":")" + future + R"("})");
    ASSERT_EQ(created.status, 201) << created.body;
    auto path = "/api/v1/goals/" + Str(created.Json(), "id");
    EXPECT_EQ(Call(bob, "GET", path).status, 404);
    EXPECT_EQ(Call(bob, "PATCH", path, R"({"name":"Mine"})").status, 404);
    EXPECT_EQ(Call(bob, "DELETE", path).status, 404);
    EXPECT_EQ(Call(bob, "GET", "/api/v1/goals").Json().at("items").as_array().size(), 0u);
    auto linked = Call(alice, "PATCH", path, R"({"portfolio_ids":[")" + bobs_portfolio + R"("]})");
    EXPECT_EQ(linked.status, 422) << linked.body;
    // No linked portfolio: the value is 0 and the goal needs contributions or growth.
    auto progress = Call(alice, "GET", path).Json().at("progress");
    EXPECT_EQ(Str(progress, "current_value"), "0");
    EXPECT_EQ(Str(progress, "growth_status"), "unreachable");
    EXPECT_EQ(Call(alice, "DELETE", path).status, 204);
    EXPECT_EQ(Call(alice, "GET", path).status, 404);
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.outbox WHERE aggregate_type = 'goal' AND user_id = '" +
                    IdOf(alice) + "'"),
              2);
}

TEST_F(PlanningApi, AllocationRulesAndRebalanceProposal) {
    auto user = NewUser();
    auto pid = CreatePortfolio(user);
    auto base = "/api/v1/portfolios/" + pid;
    for (
        const char* tx :
        {R"({"type":"DEPOSIT","amount":"1000","currency":"USD","executed_at":"2024-03-01T10:00:00Z"})",
         R"({"type":"BUY","symbol":"AAPL","quantity":"7","price":"100","currency":"USD","executed_at":"2024-03-02T10:00:00Z"})",
         R"({"type":"BUY","symbol":"MSFT","quantity":"3","price":"100","currency":"USD","executed_at":"2024-03-02T10:00:00Z"})"}) {
        ASSERT_EQ(Call(user, "POST", base + "/transactions", tx).status, 201);
    }
    test::QueryValue(PortfolioDb(),
                     "UPDATE portfolio.holdings SET current_price = 100 WHERE portfolio_id = '" + pid + "'");
    test::QueryValue(
        test::PgUrlFor(migrate_->prefix + "_timescale"),
        "INSERT INTO market_data.instruments (symbol, name, asset_class, sector, country, currency, "
        "fractional) "
        "VALUES ('AAPL', 'Apple', 'EQUITY', 'Technology', 'US', 'USD', false), "
        "('MSFT', 'Microsoft', 'EQUITY', 'Technology', 'US', 'USD', false) ON CONFLICT DO NOTHING");

    auto rules = base + "/allocation-rules";
    auto aapl = Call(user, "POST", rules, R"({"dimension":"SYMBOL","key":"AAPL","target_weight":"0.5"})");
    ASSERT_EQ(aapl.status, 201) << aapl.body;
    EXPECT_EQ(Str(aapl.Json(), "tolerance"), "0.05");
    ASSERT_EQ(Call(user, "POST", rules,
                   R"({"dimension":"SYMBOL","key":"MSFT","target_weight":"0.5","tolerance":"0.02"})")
                  .status,
              201);
    struct Case {
        const char* body;
        int status;
        const char* needle;
    };
    const Case bad[] = {
        {R"({"dimension":"SYMBOL","key":"NVDA","target_weight":"0.1"})", 422, "weights_exceed_one"},
        {R"({"dimension":"SYMBOL","key":"AAPL","target_weight":"0"})", 409, "allocation.duplicate"},
        {R"({"dimension":"REGION","key":"EU","target_weight":"0.1"})", 422, "dimension"},
        {R"({"dimension":"CURRENCY","key":"EURO","target_weight":"0.1"})", 422, "key"},
        {R"({"dimension":"COUNTRY","key":"us","target_weight":"0.1"})", 422, "key"},
        {R"({"dimension":"ASSET_CLASS","key":"BOND","target_weight":"1.5"})", 422, "target_weight"},
        {R"({"dimension":"ASSET_CLASS","key":"BOND","target_weight":"0.1234567"})", 422, "target_weight"},
        {R"({"dimension":"ASSET_CLASS","key":"BOND","target_weight":"-0.1"})", 422, "negative"},
        {R"({"dimension":"ASSET_CLASS","key":"BOND"})", 422, "target_weight"},
        {R"({"dimension":"ASSET_CLASS","key":"BOND","target_weight":"0.1","armed":true})", 400, "armed"},
    };
    for (const auto& c : bad) {
        auto r = Call(user, "POST", rules, c.body);
        EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
        EXPECT_NE(r.body.find(c.needle), std::string::npos) << c.body << " -> " << r.body;
    }
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.allocation_rules WHERE portfolio_id = '" + pid + "'"), 2);

    auto proposal = Call(user, "GET", base + "/rebalance");
    ASSERT_EQ(proposal.status, 200) << proposal.body;
    auto p = proposal.Json();
    EXPECT_FALSE(p.at("executed").as_bool());
    EXPECT_EQ(Str(p, "total_value"), "1000");
    auto trades = p.at("trades").as_array();
    ASSERT_EQ(trades.size(), 2u) << proposal.body;
    EXPECT_EQ(Str(trades[0], "side"), "SELL");
    EXPECT_EQ(Str(trades[0], "symbol"), "AAPL");
    EXPECT_EQ(Str(trades[0], "quantity"), "2");
    EXPECT_EQ(Str(trades[1], "side"), "BUY");
    EXPECT_EQ(Str(trades[1], "symbol"), "MSFT");
    EXPECT_EQ(Str(trades[1], "quantity"), "2");
    EXPECT_EQ(Str(p.at("rules").as_array()[0], "weight_before"), "0.700000");
    EXPECT_TRUE(p.at("rules").as_array()[0].at("within_after").as_bool());
    EXPECT_EQ(Str(p, "instruments_status"), "ok");
    EXPECT_EQ(p.at("unknown_instruments").as_array().size(), 0u);
    // A proposal executes nothing.
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.transactions WHERE portfolio_id = '" + pid + "'"), 3);

    // A higher minimum trade size drops both 200 trades.
    ASSERT_EQ(Call(user, "PATCH", base, R"({"min_trade_amount":"250"})").status, 200);
    p = Call(user, "GET", base + "/rebalance").Json();
    EXPECT_EQ(p.at("trades").as_array().size(), 0u);
    EXPECT_EQ(Str(p.at("rules").as_array()[0], "reason"), "below_min_trade");

    auto rule_id = Str(aapl.Json(), "id");
    auto patched = Call(user, "PATCH", rules + "/" + rule_id, R"({"target_weight":"0.7"})");
    EXPECT_EQ(patched.status, 422) << patched.body;  // 0.7 + 0.5 > 1
    patched = Call(user, "PATCH", rules + "/" + rule_id, R"({"target_weight":"0.45","tolerance":"0.3"})");
    ASSERT_EQ(patched.status, 200) << patched.body;
    EXPECT_EQ(Str(patched.Json(), "target_weight"), "0.45");

    // An unpriced position makes the proposal impossible, said explicitly.
    test::QueryValue(PortfolioDb(),
                     "UPDATE portfolio.holdings SET current_price = NULL WHERE portfolio_id = '" + pid +
                         "' AND symbol = 'MSFT'");
    auto unpriced = Call(user, "GET", base + "/rebalance");
    EXPECT_EQ(unpriced.status, 422);
    EXPECT_NE(unpriced.body.find("rebalance.missing_price"), std::string::npos) << unpriced.body;

    auto bob = NewUser();
    EXPECT_EQ(Call(bob, "GET", rules).status, 404);
    EXPECT_EQ(Call(bob, "GET", base + "/rebalance").status, 404);
    EXPECT_EQ(Call(bob, "POST", rules, R"({"dimension":"SYMBOL","key":"X","target_weight":"0.1"})").status,
              404);
    EXPECT_EQ(Call(bob, "DELETE", rules + "/" + rule_id).status, 404);

    EXPECT_EQ(Call(user, "DELETE", rules + "/" + rule_id).status, 204);
    EXPECT_EQ(Call(user, "DELETE", rules + "/" + rule_id).status, 404);
    EXPECT_EQ(Call(user, "GET", rules).Json().at("items").as_array().size(), 1u);
    // The rules' own events: two created, one updated, one deleted (the drift watch's breach
    // events, which the after-write hook records when it runs, are not counted here).
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.outbox WHERE aggregate_type = 'allocation_rule' AND "
                    "event_type LIKE 'allocation\\_rule.%' AND user_id = '" +
                    IdOf(user) + "'"),
              4);
}

TEST_F(PlanningApi, DailySnapshotsNetOfFlowsAndSkippedWhenUnknown) {
    auto user = NewUser();
    auto pid = CreatePortfolio(user);
    auto unpriced = CreatePortfolio(user);
    auto base = "/api/v1/portfolios/" + pid;
    ASSERT_EQ(
        Call(user, "POST", base + "/transactions",
             R"({"type":"DEPOSIT","amount":"1000","currency":"USD","executed_at":"2024-03-01T10:00:00Z"})")
            .status,
        201);
    for (const auto& p : {pid, unpriced}) {
        ASSERT_EQ(
            Call(
                user, "POST", "/api/v1/portfolios/" + p + "/transactions",
                R"({"type":"BUY","symbol":"AAPL","quantity":"5","price":"100","currency":"USD","executed_at":"2024-03-01T11:00:00Z"})")
                .status,
            201);
    }
    test::QueryValue(PortfolioDb(),
                     "UPDATE portfolio.holdings SET current_price = 120 WHERE portfolio_id = '" + pid + "'");
    auto& pool = app_->Db(ServiceRole::kPortfolio, Database::kPortfolio, 0);
    auto rates = market::MakeRateDirectory(*app_);
    PgRepository repo;
    auto run = [&](const char* day) {
        return Run(WriteDailySnapshots(pool, repo, *rates, DateFromString(day)));
    };
    EXPECT_GE(run("2024-03-01"), 1);
    auto row = [&](const char* day, const char* column) {
        return test::QueryValue(PortfolioDb(),
                                std::string("SELECT ") + column +
                                    "::text FROM portfolio.portfolio_snapshots WHERE portfolio_id = '" + pid +
                                    "' AND snapshot_date = '" + day + "'");
    };
    // 5 x 120 held + 500 cash; 1000 deposited that day; no previous day.
    EXPECT_EQ(row("2024-03-01", "total_value"), "1100.0000000000");
    EXPECT_EQ(row("2024-03-01", "cash_value"), "500.0000000000");
    EXPECT_EQ(row("2024-03-01", "holdings_value"), "600.0000000000");
    EXPECT_EQ(row("2024-03-01", "invested_capital"), "500.0000000000");
    EXPECT_EQ(row("2024-03-01", "net_flows"), "1000.0000000000");
    EXPECT_EQ(row("2024-03-01", "coalesce(day_change::text, 'null')"), "null");

    test::QueryValue(PortfolioDb(),
                     "UPDATE portfolio.holdings SET current_price = 130 WHERE portfolio_id = '" + pid + "'");
    run("2024-03-02");
    run("2024-03-02");  // a second run refreshes the day's row
    EXPECT_EQ(row("2024-03-02", "total_value"), "1150.0000000000");
    EXPECT_EQ(row("2024-03-02", "day_change"), "50.0000000000");
    EXPECT_EQ(row("2024-03-02", "day_change_percent"), "4.54545455");
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.portfolio_snapshots WHERE portfolio_id = '" + pid + "'"),
              2);
    // No price: no snapshot rather than a wrong one.
    EXPECT_EQ(
        Count("SELECT count(*) FROM portfolio.portfolio_snapshots WHERE portfolio_id = '" + unpriced + "'"),
        0);
}

// Issue 14.6: the snapshot's flows and its value cover the same money. A USD portfolio:
//   03-01 deposit 100 USD                                    total 100
//   03-02 deposit 1,000 EUR at 1.1 (1,100 USD; EUR/USD 1.1)  foreign cash is part of the value:
//         total 1,200, net flows 1,100, day change 0 (it was 100 - 100 - 1,100 = -1,100)
//   03-03 transfer in 5 XYZ carried at 50, now at 100        an in-kind flow at market value:
//         total 1,700, net flows 500, day change 0 (it was +500 with no flow)
TEST_F(PlanningApi, DailySnapshotFlowsMatchTheValue) {
    auto user = NewUser();
    auto pid = CreatePortfolio(user);
    auto tx = "/api/v1/portfolios/" + pid + "/transactions";
    test::QueryValue(
        test::PgUrlFor(migrate_->prefix + "_timescale"),
        "INSERT INTO market_data.latest_exchange_rates (base, quote, time, rate) VALUES ('EUR', 'USD', "
        "now(), 1.1) ON CONFLICT (base, quote) DO UPDATE SET rate = 1.1");
    auto& pool = app_->Db(ServiceRole::kPortfolio, Database::kPortfolio, 0);
    auto rates = market::MakeRateDirectory(*app_);
    PgRepository repo;
    auto run = [&](const char* day) {
        return Run(WriteDailySnapshots(pool, repo, *rates, DateFromString(day)));
    };
    auto row = [&](const char* day, const char* column) {
        return test::QueryValue(PortfolioDb(), std::string("SELECT coalesce(") + column +
                                                   "::text, 'null') FROM portfolio.portfolio_snapshots WHERE "
                                                   "portfolio_id = '" +
                                                   pid + "' AND snapshot_date = '" + day + "'");
    };
    ASSERT_EQ(
        Call(user, "POST", tx,
             R"({"type":"DEPOSIT","amount":"100","currency":"USD","executed_at":"2024-03-01T10:00:00Z"})")
            .status,
        201);
    run("2024-03-01");
    EXPECT_EQ(row("2024-03-01", "total_value"), "100.0000000000");

    ASSERT_EQ(
        Call(
            user, "POST", tx,
            R"({"type":"DEPOSIT","amount":"1000","currency":"EUR","fx_rate":"1.1","executed_at":"2024-03-02T10:00:00Z"})")
            .status,
        201);
    run("2024-03-02");
    EXPECT_EQ(row("2024-03-02", "cash_value"), "1200.0000000000");
    EXPECT_EQ(row("2024-03-02", "total_value"), "1200.0000000000");
    EXPECT_EQ(row("2024-03-02", "net_flows"), "1100.0000000000");
    EXPECT_EQ(row("2024-03-02", "day_change"), "0.0000000000");

    ASSERT_EQ(
        Call(
            user, "POST", tx,
            R"({"type":"TRANSFER_IN","symbol":"XYZ","quantity":"5","price":"50","currency":"USD","executed_at":"2024-03-03T10:00:00Z"})")
            .status,
        201);
    test::QueryValue(PortfolioDb(),
                     "UPDATE portfolio.holdings SET current_price = 100 WHERE portfolio_id = '" + pid +
                         "' AND symbol = 'XYZ'");
    run("2024-03-03");
    EXPECT_EQ(row("2024-03-03", "total_value"), "1700.0000000000");
    EXPECT_EQ(row("2024-03-03", "net_flows"), "500.0000000000");
    EXPECT_EQ(row("2024-03-03", "day_change"), "0.0000000000");
    EXPECT_EQ(row("2024-03-03", "day_change_percent"), "0.00000000");

    // Foreign cash without any rate: the value is unknown, so no row rather than a wrong one.
    ASSERT_EQ(
        Call(
            user, "POST", tx,
            R"({"type":"DEPOSIT","amount":"10","currency":"CHF","fx_rate":"1.2","executed_at":"2024-03-04T10:00:00Z"})")
            .status,
        201);
    run("2024-03-04");
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.portfolio_snapshots WHERE portfolio_id = '" + pid +
                    "' AND snapshot_date = '2024-03-04'"),
              0);
}

// Issue 14.13 in the rebalancing proposal: a position's value is quantity x price x rate rounded
// once. 10^9 TINY at 0.0000123456 USD with 0.923456789012 EUR per USD is 11 400.6281344265 EUR;
// a per-unit price rounded to 10 places first (0.0000114006) made it 11 400.6000, and every
// weight and the total with it. With 600 EUR of cash the total is 12 000.6281344265.
TEST_F(PlanningApi, RebalanceValuesPositionsWithoutEarlyRounding) {
    auto user = NewUser();
    auto created = Call(user, "POST", "/api/v1/portfolios", R"({"name":"Tiny","currency":"EUR"})");
    ASSERT_EQ(created.status, 201) << created.body;
    auto pid = Str(created.Json(), "id");
    auto base = "/api/v1/portfolios/" + pid;
    ASSERT_EQ(
        Call(user, "POST", base + "/transactions",
             R"({"type":"DEPOSIT","amount":"600","currency":"EUR","executed_at":"2024-03-01T10:00:00Z"})")
            .status,
        201);
    ASSERT_EQ(
        Call(
            user, "POST", base + "/transactions",
            R"({"type":"BUY","symbol":"TINY","quantity":"1000000000","price":"0.0000123456","currency":"USD","fx_rate":"0.923456789012","executed_at":"2024-03-01T11:00:00Z"})")
            .status,
        201);
    // The purchase is paid with USD deposited for it, so no USD cash remains (total_value counts
    // all cash, docs/portfolio.md "Value").
    ASSERT_EQ(
        Call(
            user, "POST", base + "/transactions",
            R"({"type":"DEPOSIT","amount":"12345.6","currency":"USD","fx_rate":"0.923456789012","executed_at":"2024-03-01T10:30:00Z"})")
            .status,
        201);
    test::QueryValue(PortfolioDb(),
                     "UPDATE portfolio.holdings SET current_price = 0.0000123456, fx_rate = 0.923456789012 "
                     "WHERE portfolio_id = '" +
                         pid + "'");
    test::QueryValue(
        test::PgUrlFor(migrate_->prefix + "_timescale"),
        "INSERT INTO market_data.latest_exchange_rates (base, quote, time, rate) VALUES ('USD', 'EUR', "
        "now(), 0.923456789012) ON CONFLICT (base, quote) DO UPDATE SET rate = 0.923456789012");
    ASSERT_EQ(Call(user, "POST", base + "/allocation-rules",
                   R"({"dimension":"SYMBOL","key":"TINY","target_weight":"0.95","tolerance":"0.01"})")
                  .status,
              201);
    auto proposal = Call(user, "GET", base + "/rebalance");
    ASSERT_EQ(proposal.status, 200) << proposal.body;
    EXPECT_EQ(Str(proposal.Json(), "total_value"), "12000.6281344265") << proposal.body;
}

TEST_F(PlanningApi, AdvisorsActWithinTheirGrant) {
    auto client = NewUser();
    auto reader = NewUser("ADVISOR");
    auto manager = NewUser("ADVISOR");
    directory_->grants[IdOf(reader)].read.push_back(*UserId::Parse(IdOf(client)));
    directory_->grants[IdOf(manager)].manage.push_back(*UserId::Parse(IdOf(client)));
    auto created = Call(client, "POST", "/api/v1/watchlists", R"({"name":"Client list"})");
    ASSERT_EQ(created.status, 201);
    auto path = "/api/v1/watchlists/" + Str(created.Json(), "id");
    auto goal = Call(client, "POST", "/api/v1/goals",
                     R"({"name":"Retire","target_amount":"100000","currency":"USD","target_date":")" +
                         InDays(900) + R"("})");
    ASSERT_EQ(goal.status, 201);
    auto goal_path = "/api/v1/goals/" + Str(goal.Json(), "id");

    EXPECT_EQ(Call(reader, "GET", path).status, 200);
    EXPECT_EQ(Call(reader, "GET", goal_path).status, 200);
    EXPECT_EQ(Call(reader, "POST", path + "/items", R"({"symbol":"AAPL"})").status, 404);
    EXPECT_EQ(Call(reader, "PATCH", goal_path, R"({"name":"Mine"})").status, 404);
    auto added = Call(manager, "POST", path + "/items", R"({"symbol":"AAPL"})");
    EXPECT_EQ(added.status, 201) << added.body;
    EXPECT_EQ(Call(manager, "PATCH", goal_path, R"({"monthly_contribution":"500"})").status, 200);
    // The item belongs to the client; the outbox names the advisor as the actor.
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.watchlist_items WHERE user_id = '" + IdOf(client) + "'"),
              1);
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.outbox WHERE actor_id = '" + IdOf(manager) +
                    "' AND user_id = '" + IdOf(client) + "'"),
              2);
}

}  // namespace
}  // namespace nn::portfolio
