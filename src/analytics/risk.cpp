#include "analytics/risk.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace nn::analytics {
namespace {

bool IsWeekend(Date date) {
    const std::chrono::weekday day = DayOfWeek(date);
    return day == std::chrono::Saturday || day == std::chrono::Sunday;
}

double Mean(std::span<const double> xs) {
    return std::accumulate(xs.begin(), xs.end(), 0.0) / static_cast<double>(xs.size());
}

// Sample variance (n - 1); precondition xs.size() >= 2.
double SampleVariance(std::span<const double> xs) {
    const double mean = Mean(xs);
    double sum = 0.0;
    for (double x : xs) {
        sum += (x - mean) * (x - mean);
    }
    return sum / static_cast<double>(xs.size() - 1);
}

std::vector<double> Excess(std::span<const double> returns, const RiskOptions& options) {
    const double rf = options.risk_free_rate / options.periods_per_year;
    std::vector<double> out;
    out.reserve(returns.size());
    for (double r : returns) {
        out.push_back(r - rf);
    }
    return out;
}

}  // namespace

std::vector<DayReturn> TradingDayReturns(const std::vector<DayReturn>& daily) {
    std::vector<DayReturn> out;
    double pending = 1.0;
    bool has_pending = false;
    for (const DayReturn& r : daily) {
        if (!r.defined) {
            continue;
        }
        pending *= 1.0 + r.value;
        has_pending = true;
        if (!IsWeekend(r.date)) {
            out.push_back({r.date, pending - 1.0, true});
            pending = 1.0;
            has_pending = false;
        }
    }
    if (has_pending) {
        out.push_back({daily.back().date, pending - 1.0, true});
    }
    return out;
}

std::vector<double> Values(const std::vector<DayReturn>& returns) {
    std::vector<double> out;
    out.reserve(returns.size());
    for (const DayReturn& r : returns) {
        out.push_back(r.value);
    }
    return out;
}

std::optional<double> Volatility(std::span<const double> returns, const RiskOptions& options) {
    if (returns.size() < 2) {
        return std::nullopt;
    }
    return std::sqrt(SampleVariance(returns)) * std::sqrt(options.periods_per_year);
}

std::optional<double> DownsideDeviation(std::span<const double> returns, const RiskOptions& options) {
    if (returns.empty()) {
        return std::nullopt;
    }
    double sum = 0.0;
    for (double x : Excess(returns, options)) {
        const double below = std::min(x, 0.0);
        sum += below * below;
    }
    return std::sqrt(sum / static_cast<double>(returns.size())) * std::sqrt(options.periods_per_year);
}

std::optional<double> Sharpe(std::span<const double> returns, const RiskOptions& options) {
    if (returns.size() < 2) {
        return std::nullopt;
    }
    const std::vector<double> excess = Excess(returns, options);
    const double sd = std::sqrt(SampleVariance(excess));
    if (sd == 0.0) {
        return std::nullopt;
    }
    return Mean(excess) / sd * std::sqrt(options.periods_per_year);
}

std::optional<double> Sortino(std::span<const double> returns, const RiskOptions& options) {
    const std::optional<double> downside = DownsideDeviation(returns, options);
    if (!downside || *downside == 0.0) {
        return std::nullopt;
    }
    return Mean(Excess(returns, options)) * options.periods_per_year / *downside;
}

std::optional<double> HistoricalVar(std::span<const double> returns, double confidence) {
    if (returns.empty()) {
        return std::nullopt;
    }
    std::vector<double> sorted(returns.begin(), returns.end());
    std::sort(sorted.begin(), sorted.end());
    const double position = (1.0 - confidence) * static_cast<double>(sorted.size() - 1);
    const auto below = static_cast<std::size_t>(std::floor(position));
    const std::size_t above = std::min(below + 1, sorted.size() - 1);
    const double fraction = position - static_cast<double>(below);
    const double quantile = sorted[below] + fraction * (sorted[above] - sorted[below]);
    return -quantile;
}

std::vector<Level> WealthIndex(const std::vector<DayReturn>& daily) {
    std::vector<Level> out;
    if (daily.empty()) {
        return out;
    }
    out.reserve(daily.size() + 1);
    double level = 1.0;
    out.push_back({AddDays(daily.front().date, -1), level});
    for (const DayReturn& r : daily) {
        level *= 1.0 + r.value;
        out.push_back({r.date, level});
    }
    return out;
}

std::optional<Drawdown> MaxDrawdown(std::span<const Level> levels) {
    if (levels.empty()) {
        return std::nullopt;
    }
    Drawdown best;
    best.peak = best.trough = levels.front().date;
    std::size_t peak = 0;
    std::size_t best_peak = 0;
    for (std::size_t i = 0; i < levels.size(); ++i) {
        // ">=": the peak is the last day at the high-water mark before the trough (empyrical's
        // get_max_drawdown_underwater), consistent with recovery counting "back at the peak".
        if (levels[i].value >= levels[peak].value) {
            peak = i;
        }
        if (levels[peak].value <= 0.0) {
            continue;
        }
        const double depth = levels[i].value / levels[peak].value - 1.0;
        if (depth < best.depth) {
            best.depth = depth;
            best.peak = levels[peak].date;
            best.trough = levels[i].date;
            best_peak = peak;
        }
    }
    if (best.depth < 0.0) {
        best.duration_days = DaysBetween(best.peak, best.trough);
        const double peak_value = levels[best_peak].value;
        for (std::size_t i = best_peak; i < levels.size(); ++i) {
            if (levels[i].date > best.trough && levels[i].value >= peak_value) {
                best.recovery = levels[i].date;
                best.recovery_days = DaysBetween(best.trough, levels[i].date);
                break;
            }
        }
    }
    return best;
}

AlignedReturns AlignReturns(std::span<const Level> a, std::span<const Level> b) {
    AlignedReturns out;
    std::size_t i = 0;
    std::size_t j = 0;
    std::optional<std::pair<double, double>> previous;
    while (i < a.size() && j < b.size()) {
        if (a[i].date < b[j].date) {
            ++i;
        } else if (b[j].date < a[i].date) {
            ++j;
        } else {
            if (previous && previous->first != 0.0 && previous->second != 0.0) {
                out.dates.push_back(a[i].date);
                out.first.push_back(a[i].value / previous->first - 1.0);
                out.second.push_back(b[j].value / previous->second - 1.0);
            }
            previous = std::make_pair(a[i].value, b[j].value);
            ++i;
            ++j;
        }
    }
    return out;
}

BenchmarkRelation RelateToBenchmark(std::span<const Level> portfolio,
                                    std::span<const Level> benchmark,
                                    double periods_per_year) {
    const AlignedReturns aligned = AlignReturns(portfolio, benchmark);
    BenchmarkRelation out;
    out.observations = static_cast<int>(aligned.dates.size());
    if (aligned.dates.size() < 2) {
        return out;
    }
    const double mean_p = Mean(aligned.first);
    const double mean_b = Mean(aligned.second);
    double cov = 0.0;
    double var_p = 0.0;
    double var_b = 0.0;
    for (std::size_t k = 0; k < aligned.dates.size(); ++k) {
        const double dp = aligned.first[k] - mean_p;
        const double db = aligned.second[k] - mean_b;
        cov += dp * db;
        var_p += dp * dp;
        var_b += db * db;
    }
    if (var_b > 0.0) {
        out.beta = cov / var_b;
    }
    if (var_b > 0.0 && var_p > 0.0) {
        out.correlation = cov / std::sqrt(var_p * var_b);
    }
    const double mean_a = mean_p - mean_b;
    double var_a = 0.0;
    for (std::size_t k = 0; k < aligned.dates.size(); ++k) {
        const double da = aligned.first[k] - aligned.second[k] - mean_a;
        var_a += da * da;
    }
    const double n = static_cast<double>(aligned.dates.size());
    out.tracking_error = std::sqrt(var_a / (n - 1.0)) * std::sqrt(periods_per_year);
    if (*out.tracking_error > 0.0) {
        out.information_ratio = mean_a * periods_per_year / *out.tracking_error;
    }
    return out;
}

}  // namespace nn::analytics
