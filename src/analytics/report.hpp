#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "analytics/returns.hpp"
#include "analytics/risk.hpp"

namespace nn::analytics {

// A benchmark's daily closes. To measure the whole period, include the last close before the
// period's first day (the opening level); without it the benchmark is measured from its first
// close inside the period.
struct BenchmarkSeries {
    std::string symbol;
    std::vector<Level> closes;  // ascending dates
};

struct AnalyseOptions {
    RiskOptions risk;
    std::size_t max_chart_points = 500;
};

struct RiskFigures {
    int observations = 0;  // trading-day returns used
    std::optional<double> volatility;
    std::optional<double> downside_deviation;
    std::optional<double> sharpe;
    std::optional<double> sortino;
    std::optional<double> var_95;
    std::optional<Drawdown> max_drawdown;
};

struct BenchmarkFigures {
    std::string symbol;
    std::optional<double> period_return;  // last close / opening close - 1
    std::optional<double> annualised;
    std::optional<double> excess_return;  // portfolio TWR - benchmark return, same period
    BenchmarkRelation relation;           // beta, correlation on trading-day returns
};

// One chart point: a real day of the period (never an average).
struct ChartPoint {
    Date date;
    Decimal value;
    double time_weighted = 0.0;              // cumulative TWR since the period's start
    std::optional<double> benchmark_return;  // cumulative benchmark return (last known close)
};

struct PerformanceReport {
    PeriodPerformance performance;
    RiskFigures risk;
    std::optional<BenchmarkFigures> benchmark;
    std::vector<ChartPoint> chart;  // at most max_chart_points, first and last day included
};

// Every figure of docs/analytics.md for one period, and the chart series.
PerformanceReport Analyse(const Period& period,
                          const std::optional<BenchmarkSeries>& benchmark,
                          const AnalyseOptions& options = {});

}  // namespace nn::analytics
