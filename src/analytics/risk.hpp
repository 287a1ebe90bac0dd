#pragma once

#include <optional>
#include <span>
#include <vector>

#include "analytics/returns.hpp"
#include "core/time.hpp"

namespace nn::analytics {

// Ratios and statistics are double (DESIGN.md §2); every input here is already a return or a
// level, never money.
struct RiskOptions {
    // Observations per year used to annualise: 252 trading days (returns are per trading day,
    // see TradingDayReturns).
    double periods_per_year = 252.0;
    // Annual risk-free rate (0.03 = 3%); per observation it is risk_free_rate / periods_per_year.
    double risk_free_rate = 0.0;
};

// Calendar-day returns folded into trading-day returns: the returns of a Saturday and a Sunday
// are chained into the following weekday's, (1 + r_sat)(1 + r_sun)(1 + r_mon) - 1, so a week has
// five observations whether or not snapshots exist on weekends. A series that ends on a weekend
// keeps its pending weekend return as a last observation dated that day. Undefined days (no
// capital at work) are skipped.
std::vector<DayReturn> TradingDayReturns(const std::vector<DayReturn>& daily);

// The values of a series of returns, in order.
std::vector<double> Values(const std::vector<DayReturn>& returns);

// Annualised volatility: sample standard deviation (n - 1) of the returns * sqrt(periods/year).
// nullopt with fewer than two returns.
std::optional<double> Volatility(std::span<const double> returns, const RiskOptions& options);

// Annualised downside deviation: sqrt(sum(min(r_i - rf, 0)^2) / n) * sqrt(periods/year), with
// rf the risk-free rate per observation (the minimum acceptable return). nullopt when empty.
std::optional<double> DownsideDeviation(std::span<const double> returns, const RiskOptions& options);

// Sharpe ratio: mean(r_i - rf) / stdev(r_i - rf) * sqrt(periods/year) (arithmetic, sample
// standard deviation). nullopt with fewer than two returns or zero deviation.
std::optional<double> Sharpe(std::span<const double> returns, const RiskOptions& options);

// Sortino ratio: mean(r_i - rf) * periods/year / DownsideDeviation. nullopt when the downside
// deviation is zero (no return below rf) or there are no returns.
std::optional<double> Sortino(std::span<const double> returns, const RiskOptions& options);

// Historical value at risk for one observation at `confidence` (0.95): minus the
// (1 - confidence) quantile of the returns, quantile by linear interpolation between order
// statistics (position (n - 1) * p, as a spreadsheet's PERCENTILE.INC). 0.021 means "on 5% of
// days the loss was 2.1% or more". nullopt when empty.
std::optional<double> HistoricalVar(std::span<const double> returns, double confidence = 0.95);

// A dated level: a wealth index, an index close.
struct Level {
    Date date;
    double value = 0.0;
};

// The wealth index of a period: 1.0 at the end of the day before the first day, then
// prod(1 + r) after each day.
std::vector<Level> WealthIndex(const std::vector<DayReturn>& daily);

// The deepest fall from a running peak: depth = trough / peak - 1 (<= 0). peak is the date of
// the highest level before the trough, trough the date of the lowest level after it,
// duration_days the calendar days from peak to trough, recovery the first date after the trough
// whose level is back at or above the peak (nullopt: not recovered yet) and recovery_days the
// calendar days from trough to recovery. Without any fall: depth 0 and peak = trough = the first
// date. nullopt for an empty series.
struct Drawdown {
    double depth = 0.0;
    Date peak;
    Date trough;
    int duration_days = 0;
    std::optional<Date> recovery;
    std::optional<int> recovery_days;
};

std::optional<Drawdown> MaxDrawdown(std::span<const Level> levels);

// Beta and correlation of a portfolio against a benchmark. Both series are levels (a wealth
// index and the benchmark's closes); they are aligned on the dates present in both, and returns
// are taken between consecutive common dates, so a gap in either series (a holiday, a missing
// close) yields one longer return on both sides rather than misaligned days.
// beta = cov(p, b) / var(b), correlation = cov(p, b) / (sd(p) sd(b)); sample moments.
// nullopt where fewer than two common returns or a zero variance.
// Active return a = p - b on the same returns: tracking error = sample sd(a) x sqrt(periods per
// year), information ratio = mean(a) x periods per year / tracking error (nullopt when it is 0).
struct BenchmarkRelation {
    std::optional<double> beta;
    std::optional<double> correlation;
    std::optional<double> tracking_error;
    std::optional<double> information_ratio;
    int observations = 0;  // common returns used
};

BenchmarkRelation RelateToBenchmark(std::span<const Level> portfolio,
                                    std::span<const Level> benchmark,
                                    double periods_per_year = 252.0);

// Returns between consecutive common dates of two level series (exposed for tests and charts).
struct AlignedReturns {
    std::vector<Date> dates;
    std::vector<double> first;
    std::vector<double> second;
};

AlignedReturns AlignReturns(std::span<const Level> a, std::span<const Level> b);

}  // namespace nn::analytics
