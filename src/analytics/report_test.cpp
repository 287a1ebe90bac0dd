#include "analytics/report.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace nn::analytics {
namespace {

Date ReportAt(const char* text) {
    return DateFromString(text);
}

DayPoint ReportDay(Date date, const char* value, const char* in = "0") {
    DayPoint p;
    p.date = date;
    p.value = Decimal::FromString(value);
    p.inflow = Decimal::FromString(in);
    return p;
}

// Mon 2024-03-04 .. Fri 2024-03-08 with a weekend before (Sat 03-02, Sun 03-03):
//   opening 1000 (Fri 03-01); Sat 1000, Sun 1000, Mon 1100, Tue 990, Wed 990 + deposit 10 -> 1000,
//   Thu 1100, Fri 1045.
// Daily: 0, 0, +10%, -10%, 0 (1000 / (990 + 10)), +10%, -5%. TWR = 1.1 * 0.9 * 1.1 * 0.95 - 1.
// The benchmark closes Fri 100 (opening), Mon 110, Tue 99, (no Wed), Thu 108.9, Fri 103.455:
// +10%, -10%, +10% (Tue->Thu), -5%: period return 1.03455 - 1 = 3.455%.
Period Week() {
    Period p;
    p.opening_value = Decimal::FromInt(1000);
    p.days = {ReportDay(ReportAt("2024-03-02"), "1000"),       ReportDay(ReportAt("2024-03-03"), "1000"),
              ReportDay(ReportAt("2024-03-04"), "1100"),       ReportDay(ReportAt("2024-03-05"), "990"),
              ReportDay(ReportAt("2024-03-06"), "1000", "10"), ReportDay(ReportAt("2024-03-07"), "1100"),
              ReportDay(ReportAt("2024-03-08"), "1045")};
    return p;
}

BenchmarkSeries Bench() {
    return {"IDX",
            {{ReportAt("2024-02-29"), 95.0},
             {ReportAt("2024-03-01"), 100.0},
             {ReportAt("2024-03-04"), 110.0},
             {ReportAt("2024-03-05"), 99.0},
             {ReportAt("2024-03-07"), 108.9},
             {ReportAt("2024-03-08"), 103.455},
             {ReportAt("2024-03-11"), 500.0}}};
}

TEST(Report, WeekWithBenchmark) {
    const PerformanceReport report = Analyse(Week(), Bench());
    const double twr = 1.1 * 0.9 * 1.1 * 0.95 - 1.0;
    EXPECT_NEAR(report.performance.time_weighted, twr, 1e-12);

    // Weekend folded into Monday: 5 trading-day returns (+10%, -10%, 0, +10%, -5%).
    EXPECT_EQ(report.risk.observations, 5);
    // mean 0.01; deviations .09 -.11 -.01 .09 -.06; squares sum .0081+.0121+.0001+.0081+.0036
    // = .032; /4 = .008; sd = .0894427; * sqrt(252) = 1.4198591
    EXPECT_NEAR(*report.risk.volatility, std::sqrt(0.008) * std::sqrt(252.0), 1e-9);
    ASSERT_TRUE(report.risk.max_drawdown.has_value());
    // Wealth 1, 1, 1, 1.1, 0.99, 0.99, 1.089, 1.03455: peak 1.1 (Mon) -> 0.99 (Tue): -10%.
    EXPECT_NEAR(report.risk.max_drawdown->depth, -0.10, 1e-12);
    EXPECT_EQ(report.risk.max_drawdown->peak, ReportAt("2024-03-04"));
    EXPECT_EQ(report.risk.max_drawdown->trough, ReportAt("2024-03-05"));
    EXPECT_FALSE(report.risk.max_drawdown->recovery.has_value());  // 1.089 < 1.1

    ASSERT_TRUE(report.benchmark.has_value());
    EXPECT_EQ(report.benchmark->symbol, "IDX");
    EXPECT_NEAR(*report.benchmark->period_return, 0.03455, 1e-12);
    EXPECT_NEAR(*report.benchmark->excess_return, twr - 0.03455, 1e-12);
    EXPECT_FALSE(report.benchmark->annualised.has_value());
    // Common dates Fri(opening), Mon, Tue, Thu, Fri: 4 returns, identical on both sides.
    EXPECT_EQ(report.benchmark->relation.observations, 4);
    EXPECT_NEAR(*report.benchmark->relation.beta, 1.0, 1e-9);
    EXPECT_NEAR(*report.benchmark->relation.correlation, 1.0, 1e-9);

    ASSERT_EQ(report.chart.size(), 7u);
    EXPECT_EQ(report.chart.front().date, ReportAt("2024-03-02"));
    EXPECT_EQ(report.chart.back().value, Decimal::FromInt(1045));
    EXPECT_NEAR(report.chart.back().time_weighted, twr, 1e-12);
    // Wednesday has no close: the chart carries Tuesday's (99 / 100 - 1).
    EXPECT_NEAR(*report.chart[4].benchmark_return, -0.01, 1e-12);
    EXPECT_NEAR(*report.chart.back().benchmark_return, 0.03455, 1e-12);
}

TEST(Report, ChartIsBounded) {
    Period p;
    p.opening_value = Decimal::FromInt(100);
    Date date = ReportAt("2015-01-01");
    for (int i = 0; i < 3653; ++i) {
        p.days.push_back(ReportDay(date, i % 2 == 0 ? "101" : "100"));
        date = AddDays(date, 1);
    }
    AnalyseOptions options;
    options.max_chart_points = 250;
    const PerformanceReport report = Analyse(p, std::nullopt, options);
    EXPECT_EQ(report.chart.size(), 250u);
    EXPECT_EQ(report.chart.front().date, p.days.front().date);
    EXPECT_EQ(report.chart.back().date, p.days.back().date);
    EXPECT_FALSE(report.benchmark.has_value());
    EXPECT_FALSE(report.chart.back().benchmark_return.has_value());
    EXPECT_TRUE(report.performance.time_weighted_annualised.has_value());  // ten years
}

}  // namespace
}  // namespace nn::analytics
