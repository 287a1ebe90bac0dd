#include "analytics/statement.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include <boost/json/array.hpp>

#include "analytics/json_values.hpp"
#include "analytics/movements.hpp"
#include "core/error.hpp"
#include "portfolio/holdings.hpp"

namespace nn::analytics {
namespace json = boost::json;
using portfolio::Transaction;
using portfolio::TransactionType;

namespace {

constexpr int kScale = 10;

// The last value on or before `day` of an ascending series.
std::optional<Decimal> AsOf(const std::map<std::string, std::vector<DatedValue>>& series,
                            const std::string& key,
                            Date day) {
    const auto it = series.find(key);
    if (it == series.end()) return std::nullopt;
    std::optional<Decimal> last;
    for (const DatedValue& v : it->second) {
        if (v.date > day) break;
        last = v.value;
    }
    return last;
}

// A sum that becomes unknown as soon as one term is.
void Add(std::optional<Decimal>& sum, const std::optional<Decimal>& term) {
    if (sum && term) {
        *sum += *term;
    } else {
        sum.reset();
    }
}

std::optional<Decimal> Times(const Decimal& amount, const std::optional<Decimal>& rate) {
    if (!rate) return std::nullopt;
    return Decimal::Mul(amount, *rate, kScale).Normalized();
}

}  // namespace

StatementPeriod MonthlyPeriod(int year, int month) {
    const Date start{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                     std::chrono::day(1)};
    const Date end{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                   std::chrono::day(static_cast<unsigned>(DaysInMonth(year, month)))};
    return {"MONTHLY", start, end};
}

StatementPeriod AnnualPeriod(int year) {
    return {"ANNUAL", Date{std::chrono::year(year), std::chrono::January, std::chrono::day(1)},
            Date{std::chrono::year(year), std::chrono::December, std::chrono::day(31)}};
}

namespace {

// The transactions up to the statement's day replayed over the opening checkpoint (or from the
// first transaction): the ledger the statement values. Throws as BuildStatement says.
portfolio::Ledger ReplayToDate(const StatementInputs& in, const std::vector<Transaction>& to_date) {
    const portfolio::Portfolio& p = in.portfolio;
    if (in.opening && in.opening->day && *in.opening->day > LatestOpening(in.period.start)) {
        throw Error(ErrorKind::kInternal, "analytics.late_checkpoint", "the checkpoint is inside the period");
    }
    if (in.opening && in.opening->refused) {
        throw Error(ErrorKind::kUnprocessable, in.opening->refused->code, in.opening->refused->message);
    }
    const portfolio::LedgerSettings settings{p.currency, p.cost_basis_method, p.allow_short};
    auto ledger = in.opening ? portfolio::Replay(to_date, settings, in.opening->ledger)
                             : portfolio::Replay(to_date, settings);
    if (!ledger) {
        throw Error(ErrorKind::kUnprocessable, ledger.Error().code, ledger.Error().message);
    }
    return std::move(*ledger);
}

// Prices and rates at the statement's day: market data first, the last trade price and rate as
// fallbacks for a symbol or currency without market data.
class Pricing {
public:
    Pricing(const StatementInputs& in, const std::vector<Transaction>& to_date)
        : in_(in), base_(in.portfolio.currency.Code()) {
        if (in.opening) {
            last_trade_price_ = in.opening->trade_price;
            last_trade_rate_ = in.opening->trade_rate;
        }
        for (const Transaction& tx : to_date) {
            if (tx.symbol && tx.price) last_trade_price_[*tx.symbol] = *tx.price;
            if (tx.fx_rate && tx.currency != in.portfolio.currency)
                last_trade_rate_[std::string(tx.currency.Code())] = *tx.fx_rate;
        }
    }

    std::optional<Decimal> RateOf(const std::string& currency) const {
        if (currency == base_) return Decimal::FromInt(1);
        if (auto r = AsOf(in_.rates, currency, in_.as_of)) return r;
        const auto t = last_trade_rate_.find(currency);
        if (t == last_trade_rate_.end()) return std::nullopt;
        return t->second;
    }

    // The holding's price and where it came from ("close", "last_trade" or "none"), and the rate
    // of the currency that price is quoted in.
    void Price(StatementHolding& out) const {
        out.price = AsOf(in_.closes, out.symbol, in_.as_of);
        out.price_source = "close";
        if (!out.price) {
            const auto t = last_trade_price_.find(out.symbol);
            out.price_source = t == last_trade_price_.end() ? "none" : "last_trade";
            if (t != last_trade_price_.end()) out.price = t->second;
        }
        // A close is quoted in the instrument's currency, a trade price in the holding's.
        const auto listed = in_.instrument_currency.find(out.symbol);
        out.rate =
            RateOf(out.price_source == "close" && listed != in_.instrument_currency.end() ? listed->second
                                                                                          : out.currency);
    }

private:
    const StatementInputs& in_;
    std::string base_;
    std::map<std::string, Decimal> last_trade_price_;
    std::map<std::string, Decimal> last_trade_rate_;
};

// The open positions and cash balances at the statement's day, valued in the base currency.
void ValuePositions(Statement& s,
                    const portfolio::Ledger& ledger,
                    const Pricing& pricing,
                    portfolio::CostBasisMethod method) {
    s.holdings_value = Decimal();
    for (const auto& [symbol, h] : ledger.holdings) {
        if (h.quantity.IsZero()) continue;
        StatementHolding out;
        out.symbol = symbol;
        out.currency = std::string(h.currency.Code());
        out.quantity = h.quantity.Normalized();
        out.cost_basis = h.CostBasis(method).Normalized();
        pricing.Price(out);
        if (out.price) out.market_value = Decimal::Mul(out.quantity, *out.price, kScale).Normalized();
        if (out.market_value) out.market_value_base = Times(*out.market_value, out.rate);
        Add(s.holdings_value, out.market_value_base);
        s.holdings.push_back(std::move(out));
    }
    s.cash_value = Decimal();
    for (const auto& [currency, balance] : ledger.cash) {
        if (balance.IsZero()) continue;
        StatementCash c;
        c.currency = std::string(currency.Code());
        c.balance = balance.Normalized();
        c.rate = pricing.RateOf(c.currency);
        c.value_base = Times(c.balance, c.rate);
        Add(s.cash_value, c.value_base);
        s.cash.push_back(std::move(c));
    }
    s.total_value = s.holdings_value;
    Add(s.total_value, s.cash_value);
}

// The period's transactions, income and fees, at their trade-date rates; returns the period's
// transactions by id (for the realised lines' types).
std::map<std::string, const Transaction*> PeriodLines(Statement& s,
                                                      const StatementInputs& in,
                                                      const std::vector<Transaction>& to_date) {
    const portfolio::Portfolio& p = in.portfolio;
    std::map<std::string, const Transaction*> by_id;
    s.dividends = Decimal();
    s.interest = Decimal();
    s.fees_total = Decimal();
    for (const Transaction& tx : to_date) {
        const Date day = ToDate(tx.executed_at);
        if (day < in.period.start) continue;
        by_id[tx.id.ToString()] = &tx;
        s.transactions.push_back(tx);
        const std::string type(portfolio::TypeName(tx.type));
        const std::string currency(tx.currency.Code());
        const std::optional<Decimal> rate = portfolio::TradeRate(tx, p.currency);
        if (tx.type == TransactionType::kDividend || tx.type == TransactionType::kInterest) {
            const Decimal net = tx.amount.value_or(Decimal()) - tx.fee;
            StatementLine line{day, type, tx.symbol, currency, net.Normalized(), Times(net, rate), {}, {}};
            Add(tx.type == TransactionType::kDividend ? s.dividends : s.interest, line.amount_base);
            s.income.push_back(std::move(line));
        }
        const Decimal fee =
            tx.type == TransactionType::kFee ? tx.amount.value_or(Decimal()) + tx.fee : tx.fee;
        if (!fee.IsZero()) {
            StatementLine line{day, type, tx.symbol, currency, fee.Normalized(), Times(fee, rate), {}, {}};
            Add(s.fees_total, line.amount_base);
            s.fees.push_back(std::move(line));
        }
    }
    return by_id;
}

// The closing trades of the period with their realised gains (by the portfolio's method).
void RealizedLines(Statement& s,
                   const StatementInputs& in,
                   const portfolio::Ledger& ledger,
                   const std::map<std::string, const Transaction*>& by_id) {
    const bool average = in.portfolio.cost_basis_method == portfolio::CostBasisMethod::kAverage;
    s.realized_total = Decimal();
    for (const auto& [symbol, h] : ledger.holdings) {
        for (const portfolio::Sale& sale : h.sales) {
            const Date day = ToDate(sale.executed_at);
            if (day < in.period.start) continue;
            const auto tx = by_id.find(sale.transaction_id.ToString());
            StatementLine line;
            line.date = day;
            line.type = tx == by_id.end() ? "SELL" : std::string(portfolio::TypeName(tx->second->type));
            line.symbol = symbol;
            line.currency = std::string(h.currency.Code());
            line.amount = (average ? sale.realized_average : sale.realized_fifo).Normalized();
            const std::optional<Decimal>& realized_base =
                average ? sale.realized_average_base : sale.realized_fifo_base;
            if (realized_base) line.amount_base = realized_base->Normalized();
            line.quantity = sale.quantity.Normalized();
            line.proceeds = sale.proceeds.Normalized();
            Add(s.realized_total, line.amount_base);
            s.realized.push_back(std::move(line));
        }
    }
    std::stable_sort(s.realized.begin(), s.realized.end(),
                     [](const StatementLine& a, const StatementLine& b) { return a.date < b.date; });
}

// The period's performance and data gaps from the history rebuilt over the period.
void AnalysePeriod(Statement& s, const StatementInputs& in, const std::vector<Transaction>& to_date) {
    HistoryInputs history;
    history.base_currency = std::string(in.portfolio.currency.Code());
    history.movements = ToMovements(to_date, in.portfolio.currency);
    history.closes = in.closes;
    history.rates = in.rates;
    History rebuilt;
    if (in.opening) {
        SymbolCurrencies currencies = in.opening->currencies;
        AddCurrencies(currencies, to_date);
        history.instrument_currency = InstrumentCurrencies(currencies, in.instrument_currency);
        rebuilt = RebuildHistory(history, in.period.start, in.as_of, in.opening->history);
    } else {
        history.instrument_currency = InstrumentCurrencies(to_date, in.instrument_currency);
        rebuilt = RebuildHistory(history, in.period.start, in.as_of);
    }
    AnalyseOptions options;
    options.max_chart_points = 3;  // a statement has no chart
    s.performance = Analyse(rebuilt.period, in.benchmark, options);
    s.gaps = rebuilt.gaps;
}

}  // namespace

Statement BuildStatement(const StatementInputs& in) {
    const portfolio::Portfolio& p = in.portfolio;
    Statement s;
    s.period = in.period;
    s.as_of = in.as_of;
    s.portfolio_id = p.id.ToString();
    s.currency = std::string(p.currency.Code());
    s.cost_basis_method = std::string(portfolio::MethodName(p.cost_basis_method));

    std::vector<Transaction> to_date;
    for (const Transaction& tx : in.transactions) {
        if (ToDate(tx.executed_at) <= in.as_of) to_date.push_back(tx);
    }
    portfolio::SortForReplay(to_date);
    const portfolio::Ledger ledger = ReplayToDate(in, to_date);
    ValuePositions(s, ledger, Pricing(in, to_date), p.cost_basis_method);
    RealizedLines(s, in, ledger, PeriodLines(s, in, to_date));
    AnalysePeriod(s, in, to_date);
    return s;
}

namespace {

json::object SummaryJson(const Statement& s) {
    const PeriodPerformance& perf = s.performance.performance;
    json::object summary;
    summary["opening_value"] = MoneyJson(perf.gain.opening_value);
    summary["closing_value"] = MoneyJson(perf.gain.closing_value);
    summary["inflows"] = MoneyJson(perf.gain.inflows);
    summary["outflows"] = MoneyJson(perf.gain.outflows);
    summary["gain"] = MoneyJson(perf.gain.total);
    summary["capital_gain"] = MoneyJson(perf.gain.capital);
    summary["currency_effect"] = MoneyJson(perf.gain.currency);
    summary["dividends"] = MoneyJson(s.dividends);
    summary["interest"] = MoneyJson(s.interest);
    summary["fees"] = MoneyJson(s.fees_total);
    summary["realized_gains"] = MoneyJson(s.realized_total);
    summary["holdings_value"] = MoneyJson(s.holdings_value);
    summary["cash_value"] = MoneyJson(s.cash_value);
    summary["total_value"] = MoneyJson(s.total_value);
    return summary;
}

json::object PerformanceJson(const PerformanceReport& report) {
    const PeriodPerformance& perf = report.performance;
    json::object performance;
    performance["days"] = perf.days;
    performance["time_weighted"] = perf.time_weighted;
    performance["time_weighted_annualized"] = NumberJson(perf.time_weighted_annualised);
    performance["money_weighted"] = NumberJson(perf.money_weighted);
    performance["money_weighted_unavailable_reason"] =
        perf.money_weighted ? json::value(nullptr) : json::value(perf.money_weighted_unavailable);
    performance["modified_dietz"] = NumberJson(perf.modified_dietz);
    performance["simple"] = NumberJson(perf.simple);
    if (report.benchmark) {
        const BenchmarkFigures& b = *report.benchmark;
        performance["benchmark"] = json::object{{"symbol", b.symbol},
                                                {"return", NumberJson(b.period_return)},
                                                {"excess_return", NumberJson(b.excess_return)}};
    } else {
        performance["benchmark"] = nullptr;
    }
    return performance;
}

json::array HoldingsJson(const std::vector<StatementHolding>& items) {
    json::array holdings;
    for (const StatementHolding& h : items) {
        holdings.push_back(json::object{{"symbol", h.symbol},
                                        {"currency", h.currency},
                                        {"quantity", h.quantity.ToString()},
                                        {"cost_basis", h.cost_basis.ToString()},
                                        {"price", MoneyJson(h.price)},
                                        {"price_source", h.price_source},
                                        {"rate", MoneyJson(h.rate)},
                                        {"market_value", MoneyJson(h.market_value)},
                                        {"market_value_base", MoneyJson(h.market_value_base)}});
    }
    return holdings;
}

json::array CashJson(const std::vector<StatementCash>& items) {
    json::array cash;
    for (const StatementCash& c : items) {
        cash.push_back(json::object{{"currency", c.currency},
                                    {"balance", c.balance.ToString()},
                                    {"rate", MoneyJson(c.rate)},
                                    {"value_base", MoneyJson(c.value_base)}});
    }
    return cash;
}

json::array TransactionsJson(const std::vector<Transaction>& items) {
    json::array transactions;
    for (const Transaction& tx : items) {
        transactions.push_back(json::object{{"id", tx.id.ToString()},
                                            {"executed_at", FormatRfc3339(tx.executed_at)},
                                            {"type", portfolio::TypeName(tx.type)},
                                            {"symbol", TextJson(tx.symbol)},
                                            {"quantity", MoneyJson(tx.quantity)},
                                            {"price", MoneyJson(tx.price)},
                                            {"amount", MoneyJson(tx.amount)},
                                            {"fee", tx.fee.ToNormalizedString()},
                                            {"currency", tx.currency.Code()},
                                            {"fx_rate", MoneyJson(tx.fx_rate)},
                                            {"notes", TextJson(tx.notes)}});
    }
    return transactions;
}

// Income and fee lines ("amount"), or realised-gain lines ("realized", with quantity and proceeds).
json::array LinesJson(const std::vector<StatementLine>& items, bool realized) {
    json::array arr;
    for (const StatementLine& l : items) {
        json::object o{{"date", FormatDate(l.date)},
                       {"type", l.type},
                       {"symbol", TextJson(l.symbol)},
                       {"currency", l.currency},
                       {realized ? "realized" : "amount", l.amount.ToString()},
                       {realized ? "realized_base" : "amount_base", MoneyJson(l.amount_base)}};
        if (realized) {
            o["quantity"] = MoneyJson(l.quantity);
            o["proceeds"] = MoneyJson(l.proceeds);
        }
        arr.push_back(std::move(o));
    }
    return arr;
}

json::array GapsJson(const std::vector<HistoryGap>& items) {
    json::array gaps;
    for (const HistoryGap& gap : items) {
        gaps.push_back(json::object{{"date", FormatDate(gap.date)}, {"what", gap.what}});
    }
    return gaps;
}

}  // namespace

json::object StatementJson(const Statement& s) {
    json::object out;
    out["report_type"] = s.period.type;
    out["period_start"] = FormatDate(s.period.start);
    out["period_end"] = FormatDate(s.period.end);
    out["as_of"] = FormatDate(s.as_of);
    out["portfolio_id"] = s.portfolio_id;
    out["currency"] = s.currency;
    out["cost_basis_method"] = s.cost_basis_method;
    out["summary"] = SummaryJson(s);
    out["performance"] = PerformanceJson(s.performance);
    out["holdings"] = HoldingsJson(s.holdings);
    out["cash"] = CashJson(s.cash);
    out["transactions"] = TransactionsJson(s.transactions);
    out["income"] = LinesJson(s.income, false);
    out["fees"] = LinesJson(s.fees, false);
    out["realized_gains"] = LinesJson(s.realized, true);
    out["data_gaps"] = GapsJson(s.gaps);
    out["definitions"] = "docs/analytics.md";
    return out;
}

std::string NeutralizeCsvFormula(std::string_view cell) {
    if (cell.empty() || std::string_view("=+-@\t\r").find(cell.front()) == std::string_view::npos) {
        return std::string(cell);
    }
    // A signed number stays a number ("-12.50", "+3", "-1e-5"); anything else gets a quote.
    std::size_t i = 1, digits = 0;
    if (cell.front() == '-' || cell.front() == '+') {
        while (i < cell.size() && std::isdigit(static_cast<unsigned char>(cell[i]))) ++i, ++digits;
        if (i < cell.size() && cell[i] == '.') {
            ++i;
            while (i < cell.size() && std::isdigit(static_cast<unsigned char>(cell[i]))) ++i, ++digits;
        }
        if (digits > 0 && i < cell.size() && (cell[i] == 'e' || cell[i] == 'E')) {
            std::size_t j = i + 1, exp = 0;
            if (j < cell.size() && (cell[j] == '-' || cell[j] == '+')) ++j;
            while (j < cell.size() && std::isdigit(static_cast<unsigned char>(cell[j]))) ++j, ++exp;
            if (exp > 0) i = j;
        }
        if (digits > 0 && i == cell.size()) return std::string(cell);
    }
    return "'" + std::string(cell);
}

namespace {

class CsvWriter {
public:
    void Section(const std::string& name, const std::vector<std::string>& header) {
        if (!out_.empty()) out_ += "\r\n";
        Row({name});
        Row(header);
    }
    void Row(const std::vector<std::string>& fields) {
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (i > 0) out_ += ',';
            Field(fields[i]);
        }
        out_ += "\r\n";
    }
    std::string Take() { return std::move(out_); }

private:
    void Field(const std::string& raw) {
        const std::string f = NeutralizeCsvFormula(raw);
        if (f.find_first_of(",\"\r\n") == std::string::npos) {
            out_ += f;
            return;
        }
        out_ += '"';
        for (char c : f) {
            if (c == '"') out_ += '"';
            out_ += c;
        }
        out_ += '"';
    }
    std::string out_;
};

std::string Str(const std::optional<Decimal>& d) {
    return d ? d->ToNormalizedString() : std::string();
}

std::string Str(const std::optional<double>& d) {
    if (!d) return {};
    return fmt::format("{}", *d);  // the shortest text that reads back as the same double
}

}  // namespace

std::string StatementCsv(const Statement& s) {
    CsvWriter w;
    const PeriodPerformance& perf = s.performance.performance;
    w.Section("summary", {"field", "value"});
    const std::vector<std::pair<std::string, std::string>> summary{
        {"report_type", s.period.type},
        {"period_start", FormatDate(s.period.start)},
        {"period_end", FormatDate(s.period.end)},
        {"as_of", FormatDate(s.as_of)},
        {"portfolio_id", s.portfolio_id},
        {"currency", s.currency},
        {"cost_basis_method", s.cost_basis_method},
        {"opening_value", perf.gain.opening_value.ToNormalizedString()},
        {"closing_value", perf.gain.closing_value.ToNormalizedString()},
        {"inflows", perf.gain.inflows.ToNormalizedString()},
        {"outflows", perf.gain.outflows.ToNormalizedString()},
        {"gain", perf.gain.total.ToNormalizedString()},
        {"capital_gain", perf.gain.capital.ToNormalizedString()},
        {"currency_effect", perf.gain.currency.ToNormalizedString()},
        {"dividends", Str(s.dividends)},
        {"interest", Str(s.interest)},
        {"fees", Str(s.fees_total)},
        {"realized_gains", Str(s.realized_total)},
        {"holdings_value", Str(s.holdings_value)},
        {"cash_value", Str(s.cash_value)},
        {"total_value", Str(s.total_value)},
    };
    for (const auto& [field, value] : summary) w.Row({field, value});

    w.Section("performance", {"measure", "value"});
    w.Row({"days", std::to_string(perf.days)});
    w.Row({"time_weighted", Str(std::optional<double>(perf.time_weighted))});
    w.Row({"time_weighted_annualized", Str(perf.time_weighted_annualised)});
    w.Row({"money_weighted", Str(perf.money_weighted)});
    w.Row({"money_weighted_unavailable_reason", perf.money_weighted ? "" : perf.money_weighted_unavailable});
    w.Row({"modified_dietz", Str(perf.modified_dietz)});
    w.Row({"simple", Str(perf.simple)});
    if (s.performance.benchmark) {
        w.Row({"benchmark", s.performance.benchmark->symbol});
        w.Row({"benchmark_return", Str(s.performance.benchmark->period_return)});
        w.Row({"excess_return", Str(s.performance.benchmark->excess_return)});
    }

    w.Section("holdings", {"symbol", "currency", "quantity", "cost_basis", "price", "price_source", "rate",
                           "market_value", "market_value_base"});
    for (const StatementHolding& h : s.holdings) {
        w.Row({h.symbol, h.currency, h.quantity.ToString(), h.cost_basis.ToString(), Str(h.price),
               h.price_source, Str(h.rate), Str(h.market_value), Str(h.market_value_base)});
    }
    w.Section("cash", {"currency", "balance", "rate", "value_base"});
    for (const StatementCash& c : s.cash) {
        w.Row({c.currency, c.balance.ToString(), Str(c.rate), Str(c.value_base)});
    }
    w.Section("transactions", {"id", "executed_at", "type", "symbol", "quantity", "price", "amount", "fee",
                               "currency", "fx_rate", "notes"});
    for (const Transaction& tx : s.transactions) {
        w.Row({tx.id.ToString(), FormatRfc3339(tx.executed_at), std::string(portfolio::TypeName(tx.type)),
               tx.symbol.value_or(""), Str(tx.quantity), Str(tx.price), Str(tx.amount),
               tx.fee.ToNormalizedString(), std::string(tx.currency.Code()), Str(tx.fx_rate),
               tx.notes.value_or("")});
    }
    w.Section("income", {"date", "type", "symbol", "currency", "amount", "amount_base"});
    for (const StatementLine& l : s.income) {
        w.Row({FormatDate(l.date), l.type, l.symbol.value_or(""), l.currency, l.amount.ToString(),
               Str(l.amount_base)});
    }
    w.Section("fees", {"date", "type", "symbol", "currency", "amount", "amount_base"});
    for (const StatementLine& l : s.fees) {
        w.Row({FormatDate(l.date), l.type, l.symbol.value_or(""), l.currency, l.amount.ToString(),
               Str(l.amount_base)});
    }
    w.Section("realized_gains",
              {"date", "type", "symbol", "currency", "quantity", "proceeds", "realized", "realized_base"});
    for (const StatementLine& l : s.realized) {
        w.Row({FormatDate(l.date), l.type, l.symbol.value_or(""), l.currency, Str(l.quantity),
               Str(l.proceeds), l.amount.ToString(), Str(l.amount_base)});
    }
    return w.Take();
}

}  // namespace nn::analytics
