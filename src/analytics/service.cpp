#include "analytics/service.hpp"

#include <algorithm>
#include <set>

#include "analytics/history.hpp"
#include "analytics/json_io.hpp"
#include "analytics/market_reader.hpp"
#include "analytics/movements.hpp"
#include "analytics/range.hpp"
#include "analytics/report.hpp"
#include "analytics/transaction_reader.hpp"
#include "core/error.hpp"
#include "infra/app/app.hpp"

namespace nn::analytics {
namespace asio = boost::asio;

namespace {

// Closes and rates are read from this many days before the period, so the opening day has the
// last close before it even across long holidays.
constexpr int kLookbackDays = 14;

}  // namespace

PerformanceService::PerformanceService(App& app,
                                       std::shared_ptr<portfolio::Service> portfolios,
                                       ServiceOptions options)
    : app_(app), portfolios_(std::move(portfolios)), options_(options) {}

asio::awaitable<boost::json::object> PerformanceService::Performance(const portfolio::Actor& actor,
                                                                     PortfolioId id,
                                                                     PerformanceQuery query,
                                                                     std::size_t shard) {
    const portfolio::Portfolio p = co_await portfolios_->GetPortfolio(actor, id, shard);

    const std::vector<portfolio::Transaction> txs =
        co_await LoadAllTransactions(*portfolios_, actor, id, options_.page_size, shard);
    if (txs.empty()) {
        throw Error(ErrorKind::kUnprocessable, "analytics.no_history",
                    "the portfolio has no transactions yet");
    }

    HistoryInputs inputs;
    inputs.base_currency = std::string(p.currency.Code());
    inputs.movements = ToMovements(txs, p.currency);
    Date inception = inputs.movements.front().date;
    std::set<std::string> symbols;
    std::set<std::string> currencies;
    for (const portfolio::Transaction& tx : txs) {
        if (tx.symbol) {
            symbols.insert(*tx.symbol);
            // The portfolio service keeps a symbol in one currency (holdings.currency_mismatch).
            inputs.instrument_currency[*tx.symbol] = std::string(tx.currency.Code());
        }
        if (tx.currency != p.currency) {
            currencies.insert(std::string(tx.currency.Code()));
        }
    }
    for (const Movement& m : inputs.movements) {
        inception = std::min(inception, m.date);
    }

    const Date today = ToDate(Now());
    DateRange range;
    if (query.from || query.to) {
        range = ExplicitRange(query.from.value_or(inception), query.to.value_or(today), today, inception);
    } else {
        const std::string name = query.range.value_or("MAX");
        const std::optional<DateRange> named = NamedRange(name, today, inception);
        if (!named) {
            throw Error(ErrorKind::kUnprocessable, "analytics.invalid_range",
                        "range must be one of 1D, 1W, 1M, 3M, YTD, 1Y, 3Y, 5Y, MAX");
        }
        range = *named;
        query.range = name;
    }

    db::Pool& market = app_.Db(ServiceRole::kAnalytics, Database::kTimescale, shard);
    const Date window_start = AddDays(range.first, -kLookbackDays);
    // Named vectors: g++ 12 cannot pass a braced list inside a coroutine (docs/architecture.md).
    const std::vector<std::string> symbol_list(symbols.begin(), symbols.end());
    const std::vector<std::string> currency_list(currencies.begin(), currencies.end());
    inputs.closes = co_await LoadCloses(market, symbol_list, window_start, range.last);
    inputs.rates = co_await LoadRates(market, currency_list, inputs.base_currency, window_start, range.last);
    const History history = RebuildHistory(inputs, range.first, range.last);

    std::optional<BenchmarkSeries> benchmark;
    std::optional<std::string> benchmark_symbol = query.benchmark;
    if (!benchmark_symbol && !p.benchmarks.empty()) {
        benchmark_symbol = p.benchmarks.front();
    }
    if (benchmark_symbol) {
        const std::vector<std::string> benchmark_list{*benchmark_symbol};
        auto closes = co_await LoadCloses(market, benchmark_list, window_start, range.last);
        BenchmarkSeries series{*benchmark_symbol, {}};
        for (const DatedValue& close : closes[*benchmark_symbol]) {
            series.closes.push_back({close.date, close.value.ToDouble()});
        }
        benchmark = std::move(series);
    }

    AnalyseOptions options;
    options.risk.risk_free_rate = query.risk_free_rate;
    options.max_chart_points = options_.max_chart_points;
    const PerformanceReport report = Analyse(history.period, benchmark, options);

    ReportContext context;
    context.portfolio_id = id.ToString();
    context.currency = inputs.base_currency;
    context.range = query.from || query.to ? std::nullopt : query.range;
    context.risk_free_rate = query.risk_free_rate;
    context.gaps = history.gaps;
    co_return ToJson(report, context);
}

}  // namespace nn::analytics
