// The daily snapshot job (src/portfolio/snapshot_job.cpp) and the analytics returns follow one
// flow-timing convention (docs/analytics.md §1): the stored day_change_percent is the daily
// return the time-weighted return chains, and total_return is the gain since inception.
#include <gtest/gtest.h>

#include "analytics/analytics_api_fixture.hpp"
#include "analytics/returns.hpp"
#include "market/rate_directory.hpp"
#include "portfolio/pg_repository.hpp"
#include "portfolio/snapshot_job.hpp"

namespace nn::analytics {
namespace {

struct SnapshotSuite {
    static constexpr const char* kPrefix = "t_an_snap_";
};
using SnapshotConvention = testing::AnalyticsApi<SnapshotSuite>;

// Three days around 29 February 2024 (a leap day), by hand:
//   02-28  deposit 1,000, buy 5 at 100, close 120: total 600 + 500 = 1,100; no previous row;
//          total_return 1,100 - 1,000 = 100, 10% of the 1,000 paid in
//   02-29  deposit 500 (start of day), close 130: total 650 + 1,000 = 1,650;
//          day_change 1,650 - 1,100 - 500 = 50; % = 50 / (1,100 + 500) = 3.125%
//          (the old end-of-day convention gave 50 / 1,100 = 4.545%)
//          total_return 1,650 - 1,500 = 150, 10% of 1,500
//   03-01  withdraw 300 (end of day), close 140: total 700 + 700 = 1,400;
//          day_change 1,400 - 1,650 + 300 = 50; % = 50 / 1,650 = 3.03030303%
//          total_return 1,400 - 1,200 = 200, 13.33333333% of 1,500
TEST_F(SnapshotConvention, DayChangePercentIsTheAnalyticsDailyReturn) {
    const std::string user = NewUser();
    const std::string pid = CreatePortfolio(user);
    auto& pool = app_->Db(ServiceRole::kPortfolio, Database::kPortfolio, 0);
    auto rates = market::MakeRateDirectory(*app_);
    portfolio::PgRepository repo;
    auto run = [&](const char* day) {
        return Run(portfolio::WriteDailySnapshots(pool, repo, *rates, DateFromString(day)));
    };
    auto price = [&](const char* p) {
        Sql(PortfolioDb(), std::string("UPDATE portfolio.holdings SET current_price = ") + p +
                               " WHERE portfolio_id = '" + pid + "'");
    };
    auto row = [&](const char* day, const char* column) {
        return Sql(PortfolioDb(),
                   std::string("SELECT coalesce(") + column +
                       "::text, 'null') FROM portfolio.portfolio_snapshots WHERE portfolio_id = '" + pid +
                       "' AND snapshot_date = '" + day + "'");
    };

    Tx(user, pid,
       R"({"type":"DEPOSIT","amount":"1000","currency":"USD","executed_at":"2024-02-28T09:00:00Z"})");
    Tx(user, pid,
       R"({"type":"BUY","symbol":"SNAPX","quantity":"5","price":"100","currency":"USD","executed_at":"2024-02-28T10:00:00Z"})");
    price("120");
    run("2024-02-28");
    Tx(user, pid,
       R"({"type":"DEPOSIT","amount":"500","currency":"USD","executed_at":"2024-02-29T09:00:00Z"})");
    price("130");
    run("2024-02-29");
    Tx(user, pid,
       R"({"type":"WITHDRAWAL","amount":"300","currency":"USD","executed_at":"2024-03-01T16:00:00Z"})");
    price("140");
    run("2024-03-01");

    struct Expected {
        const char* day;
        const char* total;
        const char* net_flows;
        const char* day_change;
        const char* day_change_percent;
        const char* total_return;
        const char* total_return_percent;
    };
    const Expected table[] = {
        {"2024-02-28", "1100.0000000000", "1000.0000000000", "null", "null", "100.0000000000", "10.00000000"},
        {"2024-02-29", "1650.0000000000", "500.0000000000", "50.0000000000", "3.12500000", "150.0000000000",
         "10.00000000"},
        {"2024-03-01", "1400.0000000000", "-300.0000000000", "50.0000000000", "3.03030303", "200.0000000000",
         "13.33333333"},
    };
    for (const Expected& e : table) {
        EXPECT_EQ(row(e.day, "total_value"), e.total) << e.day;
        EXPECT_EQ(row(e.day, "net_flows"), e.net_flows) << e.day;
        EXPECT_EQ(row(e.day, "day_change"), e.day_change) << e.day;
        EXPECT_EQ(row(e.day, "day_change_percent"), e.day_change_percent) << e.day;
        EXPECT_EQ(row(e.day, "total_return"), e.total_return) << e.day;
        EXPECT_EQ(row(e.day, "total_return_percent"), e.total_return_percent) << e.day;
    }

    // The stored rows as an analytics period (opening = the first row): each day's return is the
    // stored percentage.
    Period period;
    period.opening_value = Decimal::FromString("1100");
    for (const char* day : {"2024-02-29", "2024-03-01"}) {
        DayPoint p;
        p.date = DateFromString(day);
        p.value = Decimal::FromString(row(day, "total_value"));
        SetNetFlow(p, Decimal::FromString(row(day, "net_flows")));
        period.days.push_back(p);
    }
    const std::vector<DayReturn> daily = DailyReturns(period);
    ASSERT_EQ(daily.size(), 2u);
    EXPECT_NEAR(daily[0].value * 100, std::stod(row("2024-02-29", "day_change_percent")), 1e-8);
    EXPECT_NEAR(daily[1].value * 100, std::stod(row("2024-03-01", "day_change_percent")), 1e-8);
}

}  // namespace
}  // namespace nn::analytics
