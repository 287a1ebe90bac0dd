// A benchmark's own statistics per range (docs/analytics.md §15), by hand.
#include "analytics/benchmark_statistics.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace nn::analytics {
namespace {

// Closes: 40 on Fri 2023-12-29, 50 on Wed 2024-02-07, then 100, 110, 99, 121 on Mon 4 to
// Thu 7 March 2024. As of 2024-03-07:
//   1M  opens at the last close before 2024-02-08 (50):  121 / 50 - 1 = 1.42
//   YTD opens at the last close of 2023 (40):           121 / 40 - 1 = 2.025
//   1Y, MAX: no close before 2023-03-08 / the first close: the range opens at 40: 2.025
std::vector<DatedValue> Closes() {
    std::vector<DatedValue> out;
    for (const auto& [date, value] :
         std::vector<std::pair<const char*, const char*>>{{"2023-12-29", "40"},
                                                          {"2024-02-07", "50"},
                                                          {"2024-03-04", "100"},
                                                          {"2024-03-05", "110"},
                                                          {"2024-03-06", "99"},
                                                          {"2024-03-07", "121"}}) {
        out.push_back({DateFromString(date), Decimal::FromString(value)});
    }
    return out;
}

TEST(BenchmarkStatistics, RangesOpenAtTheLastCloseBefore) {
    const Date as_of = DateFromString("2024-03-07");
    struct Case {
        const char* range;
        const char* start;
        double total;
        int observations;
    };
    const Case cases[] = {
        {"1M", "2024-02-08", 121.0 / 50 - 1, 4},   // 100/50, 110/100, 99/110, 121/99
        {"3M", "2023-12-29", 121.0 / 40 - 1, 5},   // before the first close: starts there (§8)
        {"YTD", "2024-01-01", 121.0 / 40 - 1, 5},  // 50/40 and the four above
        {"MAX", "2023-12-29", 121.0 / 40 - 1, 5},
    };
    for (const Case& c : cases) {
        const auto s = ComputeBenchmarkStatistics(Closes(), c.range, as_of);
        ASSERT_TRUE(s) << c.range;
        EXPECT_EQ(FormatDate(s->start_date), c.start) << c.range;
        EXPECT_NEAR(s->total_return, c.total, 1e-12) << c.range;
        EXPECT_EQ(s->risk.observations, c.observations) << c.range;
        EXPECT_FALSE(s->annualized_return) << c.range;  // under a year
    }
    // The only fall: 110 -> 99 (-10%), from 5 to 6 March, recovered on the 7th.
    const auto max = ComputeBenchmarkStatistics(Closes(), "MAX", as_of);
    ASSERT_TRUE(max->risk.max_drawdown);
    EXPECT_NEAR(max->risk.max_drawdown->depth, 99.0 / 110.0 - 1.0, 1e-12);
    EXPECT_EQ(FormatDate(max->risk.max_drawdown->peak), "2024-03-05");
    EXPECT_EQ(FormatDate(max->risk.max_drawdown->trough), "2024-03-06");
    // Volatility of the 1M returns: sample standard deviation x sqrt(252).
    const double r[] = {1.0, 0.1, 99.0 / 110 - 1, 121.0 / 99 - 1};
    double mean = 0;
    for (double x : r) mean += x / 4;
    double ss = 0;
    for (double x : r) ss += (x - mean) * (x - mean);
    const auto month = ComputeBenchmarkStatistics(Closes(), "1M", as_of);
    ASSERT_TRUE(month->risk.volatility);
    EXPECT_NEAR(*month->risk.volatility, std::sqrt(ss / 3) * std::sqrt(252.0), 1e-9);
}

// Issue 14.7: a range is measured between its bounds, not between its first and last close. As
// of Sunday 2024-03-10 the 1Y range runs from Saturday 2023-03-11 to that Sunday: exactly one
// year (§2), opening at Friday 2023-03-10's close. Closes 100 (Fri 2023-03-10), 110 (Mon
// 2023-03-13), 121 (Fri 2024-03-08): total 21 %, and over exactly a year annualised 21 % too.
// Measured from the first close after the opening (03-13) to the last (03-08) it was under a year
// and the annual figure null whenever the as-of day was not a trading day.
TEST(BenchmarkStatistics, YearsAreTheRangeBoundsNotTheCloses) {
    const std::vector<DatedValue> closes{{DateFromString("2023-03-10"), Decimal::FromInt(100)},
                                         {DateFromString("2023-03-13"), Decimal::FromInt(110)},
                                         {DateFromString("2024-03-08"), Decimal::FromInt(121)}};
    const auto s = ComputeBenchmarkStatistics(closes, "1Y", DateFromString("2024-03-10"));
    ASSERT_TRUE(s);
    EXPECT_EQ(FormatDate(s->start_date), "2023-03-11");
    EXPECT_NEAR(s->total_return, 0.21, 1e-12);
    ASSERT_TRUE(s->annualized_return);
    EXPECT_NEAR(*s->annualized_return, 0.21, 1e-12);
    // As of Monday 2024-03-11 (no close yet) the same: the range opens at the close of Saturday
    // 2023-03-11, i.e. Friday's, and is one year long.
    const auto monday = ComputeBenchmarkStatistics(closes, "1Y", DateFromString("2024-03-11"));
    ASSERT_TRUE(monday && monday->annualized_return);
    EXPECT_NEAR(*monday->annualized_return, 0.21, 1e-12);
}

TEST(BenchmarkStatistics, NothingToMeasure) {
    EXPECT_FALSE(ComputeBenchmarkStatistics({}, "MAX", DateFromString("2024-03-07")));
    // A single close opens the range and leaves no day.
    EXPECT_FALSE(ComputeBenchmarkStatistics({{DateFromString("2024-03-07"), Decimal::FromInt(5)}}, "MAX",
                                            DateFromString("2024-03-07")));
    // Closes after as_of are ignored.
    EXPECT_FALSE(ComputeBenchmarkStatistics(Closes(), "MAX", DateFromString("2023-12-28")));
    EXPECT_FALSE(ComputeBenchmarkStatistics(Closes(), "2W", DateFromString("2024-03-07")));
}

}  // namespace
}  // namespace nn::analytics
