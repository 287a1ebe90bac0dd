#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "analytics/history.hpp"
#include "analytics/read_checkpoint.hpp"
#include "analytics/report.hpp"
#include "core/decimal.hpp"
#include "core/time.hpp"
#include "portfolio/model.hpp"

// Monthly and annual statements (docs/analytics.md §13): holdings and cash at the period's end,
// the period's transactions, income, fees and realized gains, and its performance figures.
// Pure: the service loads the inputs; the JSON and CSV renderings are functions of the result.
namespace nn::analytics {

// "MONTHLY" or "ANNUAL" (analytics.reports.report_type) and the calendar days it covers.
struct StatementPeriod {
    std::string type;
    Date start;
    Date end;
};

StatementPeriod MonthlyPeriod(int year, int month);
StatementPeriod AnnualPeriod(int year);

struct StatementInputs {
    portfolio::Portfolio portfolio;
    // Without `opening`: every transaction of the portfolio (the full computation, the reference).
    // With it: a read checkpoint at or before LatestOpening(period.start), and the transactions
    // dated after its day. Either way in any order.
    std::optional<ReadCheckpoint> opening;
    std::vector<portfolio::Transaction> transactions;
    std::map<std::string, std::vector<DatedValue>> closes;  // by symbol, ascending, up to as_of
    std::map<std::string, std::vector<DatedValue>> rates;   // by currency, ascending, up to as_of
    // The instruments' own currencies (market_data.instruments) by symbol; a symbol not listed
    // is quoted in its holding's currency (InstrumentCurrencies).
    std::map<std::string, std::string> instrument_currency;
    std::optional<BenchmarkSeries> benchmark;
    StatementPeriod period;
    Date as_of;  // the last day measured: the period's end, or today while the period runs
};

struct StatementHolding {
    std::string symbol;
    std::string currency;
    Decimal quantity;
    Decimal cost_basis;  // the portfolio's method, instrument currency
    std::optional<Decimal> price;
    std::string price_source;     // "close" (last close on or before as_of), "last_trade", "none"
    std::optional<Decimal> rate;  // portfolio currency per unit, on or before as_of
    std::optional<Decimal> market_value;
    std::optional<Decimal> market_value_base;
};

struct StatementCash {
    std::string currency;
    Decimal balance;
    std::optional<Decimal> rate;
    std::optional<Decimal> value_base;
};

// A dated amount of a transaction of the period (income, a fee, a realized gain).
struct StatementLine {
    Date date;
    std::string type;  // the transaction type
    std::optional<std::string> symbol;
    std::string currency;
    Decimal amount;  // income net of its fee; the fee; the realized gain
    std::optional<Decimal> amount_base;
    std::optional<Decimal> quantity;  // realized gains: the quantity closed
    std::optional<Decimal> proceeds;  // realized gains: net of the sale's fee
};

struct Statement {
    StatementPeriod period;
    Date as_of;
    std::string portfolio_id;
    std::string currency;
    std::string cost_basis_method;           // AVERAGE | FIFO
    std::vector<StatementHolding> holdings;  // open positions at as_of
    std::vector<StatementCash> cash;
    std::vector<portfolio::Transaction> transactions;  // executed in [start, as_of], oldest first
    std::vector<StatementLine> income;                 // DIVIDEND and INTEREST
    std::vector<StatementLine> fees;                   // every fee paid, FEE transactions included
    std::vector<StatementLine> realized;               // closing trades
    // Sums in the portfolio currency; nullopt when a needed price or rate is unknown.
    std::optional<Decimal> holdings_value, cash_value, total_value;
    std::optional<Decimal> dividends, interest, fees_total, realized_total;
    PerformanceReport performance;
    std::vector<HistoryGap> gaps;
};

// Throws nn::Error kUnprocessable with the ledger's code when the transactions cannot be
// replayed (they were accepted one by one, so only a corrupted history can).
Statement BuildStatement(const StatementInputs& in);

boost::json::object StatementJson(const Statement& s);

// RFC 4180 (CRLF, fields quoted when they hold a comma, a quote or a line break): one section
// per table, each a record with the section's name, a header record, the rows and an empty
// record; the columns are listed in docs/analytics.md §13.
std::string StatementCsv(const Statement& s);

// A cell as a spreadsheet may safely open it (OWASP CSV injection): text starting with =, +, -,
// @, tab or CR gets a leading apostrophe; a signed number ("-12.50") stays as it is.
std::string NeutralizeCsvFormula(std::string_view cell);

}  // namespace nn::analytics
