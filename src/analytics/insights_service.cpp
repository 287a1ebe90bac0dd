#include "analytics/insights_service.hpp"

#include <set>
#include <string>
#include <vector>

#include <boost/json/array.hpp>

#include "analytics/insights.hpp"
#include "analytics/market_reader.hpp"
#include "analytics/transaction_reader.hpp"
#include "core/money.hpp"
#include "infra/app/app.hpp"
#include "portfolio/holdings.hpp"

namespace nn::analytics {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

json::value OptDecimal(const std::optional<Decimal>& d) {
    if (!d) return nullptr;
    return json::value(d->Normalized().ToString());
}

// The open positions valued in the base currency (the unvalued listed apart) and the capital
// invested in them; returns every held symbol.
std::vector<std::string> AddPositions(InsightInputs& in,
                                      const std::vector<portfolio::HoldingView>& holdings) {
    std::vector<std::string> symbols;
    for (const portfolio::HoldingView& h : holdings) {
        if (h.row.quantity.IsZero()) continue;
        symbols.push_back(h.row.symbol);
        if (!h.value.market_value_base) {
            in.unvalued.push_back(h.row.symbol);
            continue;
        }
        in.positions.push_back({h.row.symbol, h.row.currency, *h.value.market_value_base});
        const std::optional<Decimal> cost = h.row.currency == in.base_currency
                                                ? std::optional<Decimal>(h.row.cost_basis)
                                                : h.row.cost_basis_base;
        if (cost) in.invested += *cost;
    }
    return symbols;
}

// The cash balances at the latest rates to the base currency (those without a rate listed apart).
template <class Balances>
void AddCash(InsightInputs& in, const Balances& cash, const std::map<std::string, Decimal>& rates) {
    for (const auto& [currency, balance] : cash) {
        if (balance.IsZero()) continue;
        if (currency == in.base_currency) {
            in.cash[currency] += balance;
        } else if (const auto rate = rates.find(currency); rate != rates.end()) {
            in.cash[currency] += Decimal::Mul(balance, rate->second, kMoneyScale);
        } else {
            in.unvalued_cash.push_back(currency);
        }
    }
}

// Fees of the 12 months to today at trade-date rates.
void AddFees(InsightInputs& in, const std::vector<portfolio::Transaction>& txs, const Currency& base) {
    for (const portfolio::Transaction& tx : txs) {
        Decimal fee = tx.fee;
        if (tx.type == portfolio::TransactionType::kFee && tx.amount) fee += *tx.amount;
        if (fee.IsZero()) continue;
        const std::optional<Decimal> rate = portfolio::TradeRate(tx, base);
        if (!rate) {
            ++in.fees_without_rate;
            continue;
        }
        in.fees_12m += Decimal::Mul(fee, *rate, kMoneyScale);
    }
}

json::array InsightsJson(const std::vector<Insight>& insights) {
    json::array items;
    for (const Insight& i : insights) {
        json::array subjects;
        for (const std::string& s : i.subjects) subjects.push_back(json::value(s));
        json::object o;
        o["rule"] = i.rule;
        o["severity"] = i.severity;
        o["figure"] = OptDecimal(i.figure);
        o["threshold"] = OptDecimal(i.threshold);
        if (i.effect) o["effect"] = OptDecimal(i.effect);
        o["subjects"] = std::move(subjects);
        o["detail"] = i.detail;
        items.push_back(std::move(o));
    }
    return items;
}

}  // namespace

asio::awaitable<json::object> InsightsService::Insights(const Actor& actor,
                                                        PortfolioId id,
                                                        std::size_t shard) {
    const portfolio::HoldingsView view = co_await portfolios_->Holdings(actor, id, shard);
    const std::string base(view.portfolio.currency.Code());
    const Date today = ToDate(Now());
    // Only the 12 months to today and each held symbol's last trade: never every transaction
    // (issue 16, §17).
    const Date year_ago = AddMonths(today, -12);
    const std::vector<portfolio::Transaction> txs =
        co_await LoadTransactionsBetween(*portfolios_, actor, id, StartOfDay(AddDays(year_ago, 1)),
                                         StartOfDay(AddDays(today, 1)), page_size_, shard);

    InsightInputs in;
    in.base_currency = base;
    in.today = today;
    const std::vector<std::string> symbols = AddPositions(in, view.holdings);

    std::vector<std::string> foreign;
    for (const auto& [currency, balance] : view.cash) {
        if (currency != base && !balance.IsZero()) foreign.push_back(currency);
    }
    const std::map<std::string, Decimal> rates = co_await LoadLatestRatesTo(market_, foreign, base, shard);
    AddCash(in, view.cash, rates);
    AddFees(in, txs, view.portfolio.currency);
    // Only held symbols are judged for trades after their last close.
    const std::map<std::string, Timestamp> last_trades =
        co_await portfolios_->LastTransactionTimes(actor, id, symbols, shard);
    for (const auto& [symbol, at] : last_trades) in.last_transaction_date[symbol] = ToDate(at);

    const std::map<std::string, DatedValue> last = co_await LoadLastCloses(market_, symbols, today, shard);
    const std::map<std::string, DatedValue> then = co_await LoadLastCloses(market_, symbols, year_ago, shard);
    for (const auto& [symbol, close] : last) {
        in.last_close_date[symbol] = close.date;
        in.last_close[symbol] = close.value;
    }
    for (const auto& [symbol, close] : then) in.close_year_ago[symbol] = close.value;
    in.latest_price_date = co_await LoadLatestPriceDates(market_, symbols, shard);

    json::object out;
    out["portfolio_id"] = id.ToString();
    out["currency"] = base;
    out["as_of"] = FormatDate(today);
    out["total_value"] = InsightsTotal(in).Normalized().ToString();
    out["insights"] = InsightsJson(ComputeInsights(in));
    out["definitions"] = "docs/analytics.md §16";
    co_return out;
}

}  // namespace nn::analytics
