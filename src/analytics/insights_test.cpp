// Portfolio health checks (docs/analytics.md §16) on a portfolio worked by hand.
#include "analytics/insights.hpp"
#include "core/testing.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace nn::analytics {
namespace {

using nn::testing::D;

// EUR portfolio, today 2026-12-04: AAA 500 EUR, BBB 300 (a USD holding), CCC 100 EUR, cash 100
// EUR; DDD held without a price. Total 1,000.
//   largest position AAA 0.5 (critical above 0.40); top five 0.9 (warning above 0.60)
//   Herfindahl of the holdings (900): (5/9)^2 + (3/9)^2 + (1/9)^2 = 35/81 = 0.432099 (warning)
//   USD 0.3 of the total (ok up to 0.50)
//   fees 12 on 800 invested: 0.015 (warning above 0.01)
//   cash 0.1 (ok up to 0.10); holdings' price return over the year: AAA 100 -> 110, BBB 50 -> 45,
//   CCC without a close a year ago: (500 x 0.1 + 300 x -0.1) / 800 = 0.025, so the cash gave up
//   0.1 x 0.025 = 0.0025
//   data: DDD unvalued (critical); BBB's latest price 10 days old and CCC without one; BBB's last
//   close 10 days old and CCC without one; AAA traded today after its last close (yesterday)
InsightInputs Example() {
    InsightInputs in;
    in.base_currency = "EUR";
    in.today = DateFromString("2026-12-04");
    in.positions = {{"BBB", "USD", D("300")}, {"AAA", "EUR", D("500")}, {"CCC", "EUR", D("100")}};
    in.cash["EUR"] = D("100");
    in.unvalued = {"DDD"};
    in.fees_12m = D("12");
    in.invested = D("800");
    in.last_close_date = {{"AAA", DateFromString("2026-12-03")}, {"BBB", DateFromString("2026-11-24")}};
    in.last_close = {{"AAA", D("110")}, {"BBB", D("45")}};
    in.close_year_ago = {{"AAA", D("100")}, {"BBB", D("50")}};
    in.latest_price_date = {{"AAA", DateFromString("2026-12-04")}, {"BBB", DateFromString("2026-11-24")}};
    in.last_transaction_date = {{"AAA", DateFromString("2026-12-04")}, {"BBB", DateFromString("2026-11-14")}};
    return in;
}

std::map<std::string, Insight> ByRule(const std::vector<Insight>& insights) {
    std::map<std::string, Insight> out;
    for (const Insight& i : insights) out[i.rule] = i;
    return out;
}

TEST(Insights, WorkedPortfolio) {
    const InsightInputs in = Example();
    EXPECT_EQ(InsightsTotal(in), D("1000"));
    auto r = ByRule(ComputeInsights(in));
    ASSERT_EQ(r.size(), 10u);

    struct Expected {
        const char* rule;
        const char* severity;
        const char* figure;
        std::vector<std::string> subjects;
    };
    const Expected table[] = {
        {"concentration.largest_position", "critical", "0.5", {"AAA"}},
        {"concentration.top5", "warning", "0.9", {"AAA", "BBB", "CCC"}},
        {"concentration.herfindahl", "warning", "0.432099", {}},
        {"currency.single_exposure", "ok", "0.3", {"USD"}},
        {"fees.ratio", "warning", "0.015", {}},
        {"cash.drag", "ok", "0.1", {}},
        {"data.missing_rates_or_prices", "critical", "1", {"DDD"}},
        {"data.no_recent_price", "warning", "2", {"BBB", "CCC"}},
        {"data.stale_closes", "warning", "2", {"BBB", "CCC"}},
        {"data.transactions_after_last_price", "info", "1", {"AAA"}},
    };
    for (const Expected& e : table) {
        SCOPED_TRACE(e.rule);
        ASSERT_TRUE(r.contains(e.rule));
        const Insight& i = r[e.rule];
        EXPECT_EQ(i.severity, e.severity);
        ASSERT_TRUE(i.figure.has_value());
        EXPECT_EQ(*i.figure, D(e.figure));
        EXPECT_EQ(i.subjects, e.subjects);
        EXPECT_FALSE(i.detail.empty());
    }
    ASSERT_TRUE(r["cash.drag"].effect.has_value());
    EXPECT_EQ(*r["cash.drag"].effect, D("-0.0025"));
}

TEST(Insights, EmptyAndSingleCurrency) {
    InsightInputs in;
    in.base_currency = "USD";
    in.today = DateFromString("2026-12-04");
    in.cash["USD"] = D("50");
    auto r = ByRule(ComputeInsights(in));
    EXPECT_EQ(r["concentration.largest_position"].severity, "ok");
    EXPECT_EQ(*r["concentration.largest_position"].figure, D("0"));
    EXPECT_EQ(r["currency.single_exposure"].severity, "ok");
    EXPECT_EQ(r["fees.ratio"].severity, "info");  // nothing invested: no ratio
    EXPECT_FALSE(r["fees.ratio"].figure.has_value());
    EXPECT_EQ(r["cash.drag"].severity, "warning");  // all cash
    EXPECT_EQ(*r["cash.drag"].figure, D("1"));
    EXPECT_EQ(r["data.stale_closes"].severity, "ok");
}

}  // namespace
}  // namespace nn::analytics
