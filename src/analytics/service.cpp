#include "analytics/service.hpp"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "analytics/history.hpp"
#include "analytics/history_store.hpp"
#include "analytics/json_io.hpp"
#include "analytics/market_reader.hpp"
#include "analytics/movements.hpp"
#include "analytics/period_opening.hpp"
#include "analytics/range.hpp"
#include "analytics/read_checkpoint.hpp"
#include "analytics/report.hpp"
#include "analytics/transaction_reader.hpp"
#include "core/error.hpp"
#include "infra/app/app.hpp"
#include "infra/db/errors.hpp"
#include "portfolio/holdings.hpp"

namespace nn::analytics {
namespace asio = boost::asio;

namespace {

// The reconstruction's inputs from the transactions (closes and rates still to load), the
// symbols and foreign currencies to load them for, and the first day with a transaction.
struct Assembled {
    HistoryInputs inputs;
    std::set<std::string> symbols;
    std::set<std::string> currencies;
    Date inception;
};

// `txs`: every transaction, in SortForReplay order (a day's movements apply in that order).
Assembled Assemble(const portfolio::Portfolio& p, const std::vector<portfolio::Transaction>& txs) {
    Assembled a;
    a.inputs.base_currency = std::string(p.currency.Code());
    a.inputs.movements = ToMovements(txs, p.currency);
    a.inception = a.inputs.movements.front().date;
    for (const portfolio::Transaction& tx : txs) {
        if (tx.symbol) {
            a.symbols.insert(*tx.symbol);
        }
        if (tx.currency != p.currency) {
            a.currencies.insert(std::string(tx.currency.Code()));
        }
    }
    for (const Movement& m : a.inputs.movements) {
        a.inception = std::min(a.inception, m.date);
    }
    return a;
}

asio::awaitable<void> LoadMarket(const MarketReads& market,
                                 Assembled& a,
                                 const std::vector<portfolio::Transaction>& txs,
                                 Date from,
                                 Date to,
                                 std::size_t shard) {
    // Named vectors: g++ 12 cannot pass a braced list inside a coroutine (docs/architecture.md).
    const std::vector<std::string> symbol_list(a.symbols.begin(), a.symbols.end());
    // The instrument's own currency decides how its closes convert (not a transaction's).
    const std::map<std::string, std::string> listed =
        co_await LoadInstrumentCurrencies(market, symbol_list, shard);
    a.inputs.instrument_currency = InstrumentCurrencies(txs, listed);
    for (const auto& [symbol, currency] : a.inputs.instrument_currency) {
        if (currency != a.inputs.base_currency) a.currencies.insert(currency);
    }
    const std::vector<std::string> currency_list(a.currencies.begin(), a.currencies.end());
    a.inputs.closes = co_await LoadCloses(market, symbol_list, from, to, shard);
    a.inputs.rates = co_await LoadRates(market, currency_list, a.inputs.base_currency, from, to, shard);
}

// The query's explicit from/to, or its named range (MAX when none; the name is kept in the query).
DateRange ResolveRange(PerformanceQuery& query, Date inception, Date today) {
    if (query.from || query.to) {
        return ExplicitRange(query.from.value_or(inception), query.to.value_or(today), today, inception);
    }
    const std::string name = query.range.value_or("MAX");
    const std::optional<DateRange> named = NamedRange(name, today, inception);
    if (!named) {
        throw Error(ErrorKind::kUnprocessable, "analytics.invalid_range",
                    "range must be one of 1D, 1W, 1M, 3M, YTD, 1Y, 3Y, 5Y, MAX");
    }
    query.range = name;
    return *named;
}

// The benchmark's daily closes from `from` to `to`; none without a symbol.
asio::awaitable<std::optional<BenchmarkSeries>> LoadBenchmark(
    const MarketReads& market, std::optional<std::string> symbol, Date from, Date to, std::size_t shard) {
    if (!symbol) co_return std::nullopt;
    // A named vector: g++ 12 cannot pass a braced list inside a coroutine (docs/architecture.md).
    const std::vector<std::string> benchmark_list{*symbol};
    auto closes = co_await LoadCloses(market, benchmark_list, from, to, shard);
    BenchmarkSeries series{*symbol, {}};
    for (const DatedValue& close : closes[*symbol]) {
        series.closes.push_back({close.date, close.value.ToDouble()});
    }
    co_return series;
}

}  // namespace

PerformanceService::PerformanceService(App& app,
                                       std::shared_ptr<portfolio::Service> portfolios,
                                       MarketReads market,
                                       ServiceOptions options)
    : app_(app), portfolios_(std::move(portfolios)), market_(std::move(market)), options_(options) {}

asio::awaitable<boost::json::object> PerformanceService::Performance(const Actor& actor,
                                                                     PortfolioId id,
                                                                     PerformanceQuery query,
                                                                     std::size_t shard) {
    const portfolio::Portfolio p = co_await portfolios_->GetPortfolio(actor, id, shard);
    // The ledger's version and first day, without reading its transactions (issue 16).
    const portfolio::LedgerHead head = co_await portfolios_->ReadLedgerHead(actor, id, shard);
    if (!head.first_executed_at) {
        throw Error(ErrorKind::kUnprocessable, "analytics.no_history",
                    "the portfolio has no transactions yet");
    }
    const Date inception = ToDate(*head.first_executed_at);
    const std::string base(p.currency.Code());

    const Date today = ToDate(Now());
    const DateRange range = ResolveRange(query, inception, today);

    // Days before today come from the stored history when it was built from this very ledger
    // (§14); today, whose values still move, is always rebuilt.
    const std::string fingerprint = LedgerFingerprint(head.version, p.currency);
    const Date stored_last = std::min(range.last, AddDays(today, -1));
    db::Pool& stored_pool = app_.Db(ServiceRole::kAnalytics, Database::kAnalytics, shard);
    std::optional<History> stored;
    if (range.first <= stored_last) {
        stored = co_await LoadStoredHistory(stored_pool, actor, id, fingerprint, range.first, stored_last);
    }
    const Date rebuild_first = stored ? AddDays(stored_last, 1) : range.first;

    const Date window_start = AddDays(range.first, -kLookbackDays);
    History history;
    if (rebuild_first <= range.last) {
        // From the read checkpoint before the days to rebuild and the transactions since (§17).
        PeriodOpening opening = co_await OpenPeriod(app_, market_, *portfolios_, actor, p, head.version,
                                                    rebuild_first, range.last, options_.page_size, shard);
        HistoryInputs inputs;
        inputs.base_currency = base;
        inputs.movements = ToMovements(opening.after, p.currency);
        inputs.instrument_currency = std::move(opening.instrument_currency);
        const std::vector<std::string> symbol_list(opening.symbols.begin(), opening.symbols.end());
        const std::vector<std::string> currency_list(opening.currencies.begin(), opening.currencies.end());
        const Date from = AddDays(rebuild_first, -kLookbackDays);
        inputs.closes = co_await LoadCloses(market_, symbol_list, from, range.last, shard);
        inputs.rates = co_await LoadRates(market_, currency_list, base, from, range.last, shard);
        history = RebuildHistory(inputs, rebuild_first, range.last, opening.checkpoint.history);
    }
    if (stored) {
        for (DayPoint& day : history.period.days) stored->period.days.push_back(std::move(day));
        for (HistoryGap& gap : history.gaps) stored->gaps.push_back(std::move(gap));
        history = std::move(*stored);
    } else if (range.first == inception && range.first <= stored_last) {
        // A full rebuild from inception: keep its settled days for the next request. Best
        // effort: a READ advisor may not write, and the answer does not depend on it.
        History settled = history;
        settled.period.days.resize(static_cast<std::size_t>(DaysBetween(range.first, stored_last) + 1));
        try {
            co_await StoreHistory(stored_pool, actor, id, p.user_id, base, fingerprint, std::move(settled));
        } catch (const db::DbError& e) {
            spdlog::debug("analytics: history of {} not stored: {}", id.ToString(), e.what());
        }
    }

    std::optional<std::string> benchmark_symbol = query.benchmark;
    if (!benchmark_symbol && !p.benchmarks.empty()) benchmark_symbol = p.benchmarks.front();
    const std::optional<BenchmarkSeries> benchmark =
        co_await LoadBenchmark(market_, benchmark_symbol, window_start, range.last, shard);

    AnalyseOptions options;
    options.risk.risk_free_rate = query.risk_free_rate;
    options.max_chart_points = options_.max_chart_points;
    const PerformanceReport report = Analyse(history.period, benchmark, options);

    ReportContext context;
    context.portfolio_id = id.ToString();
    context.currency = base;
    context.range = query.from || query.to ? std::nullopt : query.range;
    context.risk_free_rate = query.risk_free_rate;
    context.gaps = history.gaps;
    context.history_source = stored ? "stored" : "rebuilt";
    co_return ToJson(report, context);
}

asio::awaitable<boost::json::object> PerformanceService::StoreHistoryRange(
    const Actor& actor, PortfolioId id, std::optional<Date> from, std::optional<Date> to, std::size_t shard) {
    const portfolio::Portfolio p = co_await portfolios_->GetPortfolio(actor, id, shard);
    // The version first: transactions written meanwhile make the build stale, never mislabelled.
    const portfolio::LedgerHead head = co_await portfolios_->ReadLedgerHead(actor, id, shard);
    std::vector<portfolio::Transaction> txs =
        co_await LoadAllTransactions(*portfolios_, actor, id, options_.page_size, shard);
    portfolio::SortForReplay(txs);
    if (txs.empty()) {
        throw Error(ErrorKind::kUnprocessable, "analytics.no_history",
                    "the portfolio has no transactions yet");
    }
    Assembled a = Assemble(p, txs);
    // Only settled days are stored: today's values still move.
    const Date yesterday = AddDays(ToDate(Now()), -1);
    const DateRange range =
        ExplicitRange(from.value_or(a.inception), to.value_or(yesterday), yesterday, a.inception);
    co_await LoadMarket(market_, a, txs, AddDays(range.first, -kLookbackDays), range.last, shard);
    History history = RebuildHistory(a.inputs, range.first, range.last);
    const std::string fingerprint = LedgerFingerprint(head.version, p.currency);
    const std::size_t days = history.period.days.size();
    db::Pool& stored_pool = app_.Db(ServiceRole::kAnalytics, Database::kAnalytics, shard);
    bool refused = false;
    HistoryBuild build;
    try {
        build = co_await StoreHistory(stored_pool, actor, id, p.user_id, a.inputs.base_currency, fingerprint,
                                      std::move(history));
    } catch (const db::InsufficientPrivilege&) {
        refused = true;  // a READ advisor: as for other writes, no more than a 404
    }
    if (refused) {
        throw Error(ErrorKind::kNotFound, "portfolio.not_found", "no such portfolio");
    }
    boost::json::object out;
    out["portfolio_id"] = id.ToString();
    out["from"] = FormatDate(range.first);
    out["to"] = FormatDate(range.last);
    out["days"] = days;
    out["stored_from"] = FormatDate(build.first_day);
    out["stored_to"] = FormatDate(build.last_day);
    out["fingerprint"] = build.fingerprint;
    co_return out;
}

}  // namespace nn::analytics
