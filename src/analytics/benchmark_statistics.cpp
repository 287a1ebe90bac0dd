#include "analytics/benchmark_statistics.hpp"

#include <spdlog/spdlog.h>

#include "analytics/day_count.hpp"
#include "analytics/market_reader.hpp"
#include "analytics/range.hpp"
#include "infra/app/app.hpp"
#include "infra/db/query.hpp"
#include "infra/db/result.hpp"
#include "infra/jobs/scheduler.hpp"
#include "market/instrument_directory.hpp"

namespace nn::analytics {
namespace asio = boost::asio;

namespace {

constexpr db::Query kDone{
    "SELECT count(*) FROM analytics.benchmark_statistics WHERE symbol = $1 AND as_of = $2",
    "analytics.benchmark_statistics_done"};

constexpr db::Query kUpsert{
    "INSERT INTO analytics.benchmark_statistics (symbol, as_of, range, start_date, total_return, "
    "annualized_return, volatility, downside_deviation, max_drawdown, max_drawdown_peak, "
    "max_drawdown_trough, "
    "sharpe_ratio, sortino_ratio, var_95, observations, computed_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, now()) "
    "ON CONFLICT (symbol, as_of, range) DO UPDATE SET start_date = EXCLUDED.start_date, "
    "total_return = EXCLUDED.total_return, annualized_return = EXCLUDED.annualized_return, "
    "volatility = EXCLUDED.volatility, downside_deviation = EXCLUDED.downside_deviation, "
    "max_drawdown = EXCLUDED.max_drawdown, max_drawdown_peak = EXCLUDED.max_drawdown_peak, "
    "max_drawdown_trough = EXCLUDED.max_drawdown_trough, sharpe_ratio = EXCLUDED.sharpe_ratio, "
    "sortino_ratio = EXCLUDED.sortino_ratio, var_95 = EXCLUDED.var_95, observations = EXCLUDED.observations, "
    "computed_at = now()",
    "analytics.upsert_benchmark_statistics"};

// The whole history: MAX needs every close.
const Date kEarliest{std::chrono::year(1900), std::chrono::January, std::chrono::day(1)};

}  // namespace

std::optional<BenchmarkStatistics> ComputeBenchmarkStatistics(const std::vector<DatedValue>& closes,
                                                              std::string_view range,
                                                              Date as_of) {
    std::vector<const DatedValue*> upto;
    for (const DatedValue& c : closes) {
        if (c.date <= as_of) upto.push_back(&c);
    }
    if (upto.empty()) return std::nullopt;
    const std::optional<DateRange> named = NamedRange(range, as_of, upto.front()->date);
    if (!named) return std::nullopt;
    Period period;
    bool opened = false;
    // The range is measured between its bounds (§2), not between its first and last close: it
    // opens at the close of the day before its first day (or at its first close when the index
    // has none before) and ends on as_of, trading day or not.
    Date opening = AddDays(named->first, -1);
    for (const DatedValue* c : upto) {
        if (c->date < named->first) {
            period.opening_value = c->value;  // the last close before the range
            opened = true;
        } else if (!opened) {
            period.opening_value = c->value;  // none before: the range opens at its first close
            opening = c->date;
            opened = true;
        } else {
            DayPoint p;
            p.date = c->date;
            p.value = c->value;
            period.days.push_back(p);
        }
    }
    if (period.days.empty()) return std::nullopt;
    AnalyseOptions options;
    options.max_chart_points = 3;  // no chart is kept
    const PerformanceReport report = Analyse(period, std::nullopt, options);
    BenchmarkStatistics out;
    out.start_date = named->first;
    out.total_return = report.performance.time_weighted;
    out.annualized_return = Annualise(out.total_return, YearFraction(AddDays(opening, 1), as_of));
    out.risk = report.risk;
    return out;
}

asio::awaitable<int> WriteBenchmarkStatistics(App& app, MarketReads market, Date as_of, std::size_t shard) {
    db::Pool& store = app.Db(ServiceRole::kAnalytics, Database::kAnalytics, shard);
    const std::vector<std::string> symbols = co_await market.instruments->ActiveIndexSymbols(shard);
    int written = 0;
    for (const std::string& symbol : symbols) {
        const db::Result done = co_await store.Execute(kDone, symbol, as_of);
        if (done[0].Get<std::int64_t>(0) == static_cast<std::int64_t>(kStatisticsRanges.size())) continue;
        const std::vector<std::string> list{symbol};
        auto closes = co_await LoadCloses(market, list, kEarliest, as_of, shard);
        for (std::string_view range : kStatisticsRanges) {
            const std::optional<BenchmarkStatistics> s =
                ComputeBenchmarkStatistics(closes[symbol], range, as_of);
            if (!s) continue;
            const std::string range_name(range);
            const std::optional<Drawdown>& dd = s->risk.max_drawdown;
            const std::optional<double> depth = dd ? std::optional<double>(dd->depth) : std::nullopt;
            const std::optional<Date> peak = dd ? std::optional<Date>(dd->peak) : std::nullopt;
            const std::optional<Date> trough = dd ? std::optional<Date>(dd->trough) : std::nullopt;
            co_await store.Execute(kUpsert, symbol, as_of, range_name, s->start_date, s->total_return,
                                   s->annualized_return, s->risk.volatility, s->risk.downside_deviation,
                                   depth, peak, trough, s->risk.sharpe, s->risk.sortino, s->risk.var_95,
                                   s->risk.observations);
            ++written;
        }
    }
    co_return written;
}

void AddBenchmarkStatisticsJob(App& app, MarketReads market, std::chrono::milliseconds interval) {
    db::Pool* pool = &app.Db(ServiceRole::kAnalytics, Database::kAnalytics, 0);
    App* owner = &app;
    app.Jobs().Add({.name = std::string(kBenchmarkStatisticsJobName),
                    .interval = interval,
                    .lease_pool = pool,
                    .run = [owner, market]() -> asio::awaitable<void> {
                        const int n =
                            co_await WriteBenchmarkStatistics(*owner, market, AddDays(ToDate(Now()), -1), 0);
                        if (n > 0) spdlog::info("analytics: {} benchmark statistics row(s) written", n);
                    }});
}

}  // namespace nn::analytics
