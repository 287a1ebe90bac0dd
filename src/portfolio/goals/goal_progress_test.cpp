// Goal progress as a table: percent of target, the required annual growth solved numerically
// (expected values worked out independently: closed forms where one exists), the 0 % projection.
#include "portfolio/goals/goal_progress.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include <optional>
#include <string>

namespace nn::portfolio {
namespace {

struct GoalCase {
    const char* name;
    const char* current;
    const char* target;
    const char* monthly;
    const char* today;
    const char* target_date;
    const char* percent;
    const char* remaining;
    std::optional<const char*> growth;  // required annual growth, 6 places
    const char* growth_status;
    std::optional<const char*> projected;
    std::optional<bool> on_track;
    int contributions;
};

const GoalCase kCases[] = {
    // 1000 x (1 + r)^(366 / 365.25) = 1100 → r = 1.1^(365.25 / 366) - 1 = 0.0997852
    {"lump sum over a leap year", "1000", "1100", "0", "2024-01-01", "2025-01-01", "90.91", "100", "0.099785",
     "ok", std::nullopt, std::nullopt, 12},
    // Twelve contributions of 100 exactly make 1200: no growth needed; projection = the date.
    {"contributions alone suffice", "0", "1200", "100", "2025-01-01", "2026-01-01", "0.00", "1200",
     "0.000000", "ok", "2026-01-01", true, 12},
    // Already above target: 1500 x (1 + r)^(365 / 365.25) = 1000 → r = (2/3)^(365.25/365) - 1.
    {"already reached", "1500", "1000", "0", "2025-01-01", "2026-01-01", "150.00", "0", "-0.333518", "ok",
     "2025-01-01", true, 12},
    // 10 000 now and 36 x 500 (18 000) must grow to 30 000 in three years.
    {"mixed", "10000", "30000", "500", "2025-01-01", "2028-01-01", "33.33", "20000", "0.034635", "ok",
     "2028-05-01", false, 36},
    // ceil(1000 / 300) = 4 contributions → four months later, after the target date.
    {"projection rounds months up", "0", "1000", "300", "2025-01-01", "2025-03-01", "0.00", "1000",
     std::nullopt, "unreachable", "2025-05-01", false, 2},
    {"nothing to grow", "0", "1000", "0", "2025-01-01", "2030-01-01", "0.00", "1000", std::nullopt,
     "unreachable", std::nullopt, std::nullopt, 60},
    {"target date passed", "400", "1000", "100", "2025-06-01", "2025-01-01", "40.00", "600", std::nullopt,
     "target_date_passed", "2025-12-01", false, 0},
    {"target today", "400", "1000", "100", "2025-06-01", "2025-06-01", "40.00", "600", std::nullopt,
     "target_date_passed", "2025-12-01", false, 0},
};

TEST(GoalProgress, Table) {
    for (const auto& c : kCases) {
        SCOPED_TRACE(c.name);
        GoalInputs in{Decimal::FromString(c.current), Decimal::FromString(c.target),
                      Decimal::FromString(c.monthly), DateFromString(c.today), DateFromString(c.target_date)};
        auto p = ComputeGoalProgress(in);
        EXPECT_EQ(p.percent_of_target.ToString(), c.percent);
        EXPECT_EQ(p.remaining, Decimal::FromString(c.remaining));
        EXPECT_EQ(p.growth_status, c.growth_status);
        if (c.growth) {
            ASSERT_TRUE(p.required_annual_growth.has_value());
            EXPECT_NEAR(p.required_annual_growth->ToDouble(), Decimal::FromString(*c.growth).ToDouble(),
                        2e-6);
        } else {
            EXPECT_FALSE(p.required_annual_growth.has_value());
        }
        if (c.projected) {
            ASSERT_TRUE(p.projected_date.has_value());
            EXPECT_EQ(FormatDate(*p.projected_date), *c.projected);
        } else {
            EXPECT_FALSE(p.projected_date.has_value());
        }
        EXPECT_EQ(p.on_track, c.on_track);
        EXPECT_EQ(p.contributions_left, c.contributions);
        EXPECT_EQ(p.reached, Decimal::FromString(c.current) >= Decimal::FromString(c.target));
    }
}

// Issue 14.11: with overdrawn cash the current value is negative and the future value is no
// longer increasing in the rate (a higher rate also grows the debt), so the bisection on
// [-99.9999 %, 10 000 %] saw "unreachable" although 24 x 100 already turn -1000 into 1400 at 0 %.
// The answer is the lowest rate that reaches the target, checked here with the formula of
// docs/portfolio.md written out independently: -1000 (1 + r)^T + sum 100 (1 + r)^(T - t_m).
TEST(GoalProgress, NegativeCurrentValueIsReachable) {
    const Date today = DateFromString("2025-01-01");
    const Date target_date = DateFromString("2027-01-01");
    GoalInputs in{Decimal::FromString("-1000"), Decimal::FromString("1000"), Decimal::FromString("100"),
                  today, target_date};
    const GoalProgress p = ComputeGoalProgress(in);
    EXPECT_EQ(p.growth_status, "ok");
    ASSERT_TRUE(p.required_annual_growth.has_value());
    const double T = DaysBetween(today, target_date) / 365.25;
    auto future = [&](double r) {
        double v = -1000.0 * std::pow(1.0 + r, T);
        for (int m = 1; m <= 24; ++m) {
            const double t = DaysBetween(today, AddMonths(today, m)) / 365.25;
            v += 100.0 * std::pow(1.0 + r, T - t);
        }
        return v;
    };
    const double r = p.required_annual_growth->ToDouble();
    EXPECT_LT(r, 0.0);  // 1400 at 0 %: a yearly loss is still enough
    EXPECT_NEAR(future(r), 1000.0, 0.05);
    EXPECT_LT(future(r - 1e-4), 1000.0);  // and no lower rate reaches it
    EXPECT_EQ(p.contributions_left, 24);
    ASSERT_TRUE(p.projected_date.has_value());
    EXPECT_EQ(FormatDate(*p.projected_date), "2026-09-01");  // 2000 / 100 = 20 months at 0 %

    // A target beyond reach at any rate: the debt outgrows the contributions.
    GoalInputs far{Decimal::FromString("-1000"), Decimal::FromString("100000"), Decimal::FromString("100"),
                   today, target_date};
    EXPECT_EQ(ComputeGoalProgress(far).growth_status, "unreachable");
}

}  // namespace
}  // namespace nn::portfolio
