#include "analytics/report.hpp"

#include <algorithm>

#include "analytics/day_count.hpp"
#include "analytics/downsample.hpp"

namespace nn::analytics {
namespace {

RiskFigures MeasureRisk(const PeriodPerformance& perf, const RiskOptions& options) {
    RiskFigures risk;
    const std::vector<double> returns = Values(TradingDayReturns(perf.daily));
    risk.observations = static_cast<int>(returns.size());
    risk.volatility = Volatility(returns, options);
    risk.downside_deviation = DownsideDeviation(returns, options);
    risk.sharpe = Sharpe(returns, options);
    risk.sortino = Sortino(returns, options);
    risk.var_95 = HistoricalVar(returns, 0.95);
    risk.max_drawdown = MaxDrawdown(WealthIndex(perf.daily));
    return risk;
}

// The benchmark's closes that matter: the last one before the period (the opening level) and
// every one inside it.
std::vector<Level> BenchmarkWindow(const BenchmarkSeries& series, Date first, Date last) {
    std::vector<Level> out;
    std::optional<Level> opening;
    for (const Level& close : series.closes) {
        if (close.date < first) {
            opening = close;
        } else if (close.date <= last) {
            out.push_back(close);
        }
    }
    if (opening) {
        out.insert(out.begin(), *opening);
    }
    return out;
}

BenchmarkFigures MeasureBenchmark(const BenchmarkSeries& series,
                                  const std::vector<Level>& window,
                                  const PeriodPerformance& perf) {
    BenchmarkFigures out;
    out.symbol = series.symbol;
    if (window.size() >= 2 && window.front().value > 0.0) {
        out.period_return = window.back().value / window.front().value - 1.0;
        out.annualised = Annualise(*out.period_return, perf.years);
        out.excess_return = perf.time_weighted - *out.period_return;
    }
    // Beta and correlation on trading days: the wealth index only on weekdays, aligned with the
    // closes (which exist on trading days only).
    std::vector<Level> wealth;
    for (const Level& level : WealthIndex(perf.daily)) {
        const std::chrono::weekday day = DayOfWeek(level.date);
        if (day != std::chrono::Saturday && day != std::chrono::Sunday) {
            wealth.push_back(level);
        }
    }
    out.relation = RelateToBenchmark(wealth, window);
    return out;
}

}  // namespace

PerformanceReport Analyse(const Period& period,
                          const std::optional<BenchmarkSeries>& benchmark,
                          const AnalyseOptions& options) {
    PerformanceReport report;
    report.performance = Measure(period);
    const PeriodPerformance& perf = report.performance;
    report.risk = MeasureRisk(perf, options.risk);

    std::vector<Level> window;
    if (benchmark) {
        window = BenchmarkWindow(*benchmark, perf.first, perf.last);
        report.benchmark = MeasureBenchmark(*benchmark, window, perf);
    }

    // Chart: cumulative TWR per day, then LTTB on it.
    std::vector<double> x;
    std::vector<double> y;
    x.reserve(period.days.size());
    y.reserve(period.days.size());
    double growth = 1.0;
    for (std::size_t i = 0; i < period.days.size(); ++i) {
        growth *= 1.0 + perf.daily[i].value;
        x.push_back(DaysBetween(perf.first, period.days[i].date));
        y.push_back(growth - 1.0);
    }
    std::size_t next_close = 0;
    std::optional<double> last_close;
    for (std::size_t i : DownsampleIndices(x, y, options.max_chart_points)) {
        ChartPoint point{period.days[i].date, period.days[i].value, y[i], std::nullopt};
        while (next_close < window.size() && window[next_close].date <= point.date) {
            last_close = window[next_close].value;
            ++next_close;
        }
        if (last_close && !window.empty() && window.front().value > 0.0) {
            point.benchmark_return = *last_close / window.front().value - 1.0;
        }
        report.chart.push_back(point);
    }
    return report;
}

}  // namespace nn::analytics
