#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.hpp"
#include "core/time.hpp"

// Portfolio health checks (docs/analytics.md §16): concentration, currency exposure, fees, cash
// drag and data health, each with a severity, the figure, the threshold and the rule. Pure: the
// service values the positions and the cash and reads the market data's dates.
namespace nn::analytics {

// A valued open position in the portfolio currency.
struct InsightPosition {
    std::string symbol;
    std::string currency;  // the holding's currency
    Decimal value;         // market value in the portfolio currency (exact)
};

struct InsightInputs {
    std::string base_currency;
    Date today;
    std::vector<InsightPosition> positions;
    std::map<std::string, Decimal> cash;  // valued cash by currency, in the portfolio currency
    std::vector<std::string>
        unvalued;  // open positions without a price or rate: "SYM" (reason in the caller)
    std::vector<std::string> unvalued_cash;  // currencies of cash without a rate
    // Fees paid in the 12 months to today (trade fees, fees of income, FEE transactions), in the
    // portfolio currency at trade-date rates; and the fees whose rate was unknown (left out).
    Decimal fees_12m;
    int fees_without_rate = 0;
    Decimal invested;  // cost basis of the open positions in the portfolio currency
    // Market data per held symbol: the last daily close (date and level) and the close on or
    // before today - 1 year; the time of the latest price; the date of the last transaction.
    std::map<std::string, Date> last_close_date;
    std::map<std::string, Decimal> last_close;
    std::map<std::string, Decimal> close_year_ago;
    std::map<std::string, Date> latest_price_date;
    std::map<std::string, Date> last_transaction_date;
};

struct Insight {
    std::string rule;                   // e.g. "concentration.largest_position"
    std::string severity;               // "ok" | "info" | "warning" | "critical"
    std::optional<Decimal> figure;      // the measured figure (a fraction unless the rule says otherwise)
    std::optional<Decimal> threshold;   // the figure above which the rule is not "ok"
    std::optional<Decimal> effect;      // cash.drag: the return the cash gave up (<= 0), a fraction
    std::vector<std::string> subjects;  // the symbols or currencies concerned
    std::string detail;                 // one sentence for the reader
};

// Thresholds (fractions; docs/analytics.md §16).
inline constexpr std::string_view kLargestPositionWarning = "0.20";
inline constexpr std::string_view kLargestPositionCritical = "0.40";
inline constexpr std::string_view kTopFiveWarning = "0.60";
inline constexpr std::string_view kHerfindahlWarning = "0.25";
inline constexpr std::string_view kForeignCurrencyWarning = "0.50";
inline constexpr std::string_view kFeeRatioWarning = "0.01";
inline constexpr std::string_view kFeeRatioCritical = "0.02";
inline constexpr std::string_view kCashWeightWarning = "0.10";
inline constexpr int kStaleCloseDays = 5;   // a last close older than this is stale
inline constexpr int kRecentPriceDays = 3;  // a latest price older than this is not recent

std::vector<Insight> ComputeInsights(const InsightInputs& in);

// Total value the figures are shares of: valued positions + valued cash.
Decimal InsightsTotal(const InsightInputs& in);

}  // namespace nn::analytics
