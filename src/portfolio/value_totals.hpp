#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "core/currency.hpp"
#include "core/decimal.hpp"
#include "infra/http/schema.hpp"

namespace nn::market {
class RateDirectory;
}

// One meaning of a portfolio's value, wherever it is reported (docs/portfolio.md "Value"):
//   holdings_value = the open holdings at current price x current rate (portfolio currency),
//   cash_value     = every cash balance, a foreign one at the current rate rounded to 10 places,
//   total_value    = holdings_value + cash_value.
// The holdings endpoint, the summary, the live feed, the snapshots, goals and statements all
// report these three; each is unknown (null) when a price or rate it needs is missing.
namespace nn::portfolio {

using RateList = std::vector<std::pair<std::string, Decimal>>;  // currency → units of base per unit

// The latest rate of each foreign currency into `base` through the market's RateDirectory (either
// direction, the inverse rounded to 12 places; each rounded to 12 places). A currency without a
// rate is left out; the market database being down leaves all out (logged), so the figures say
// "missing_rate".
boost::asio::awaitable<RateList> LatestRates(market::RateDirectory& rates,
                                             const std::vector<std::string>& currencies,
                                             Currency base,
                                             std::size_t shard);

// The latest rates for many portfolios at once (the summary, the live feed): one LatestRates
// query per distinct portfolio currency over every foreign currency wanted into it, not one per
// portfolio. Key: the portfolio currency's code.
using RatesByBase = std::map<std::string, RateList, std::less<>>;
boost::asio::awaitable<RatesByBase> LatestRatesByBase(
    market::RateDirectory& rates,
    const std::map<std::string, std::vector<std::string>>& wanted,
    std::size_t shard);

struct ValueTotals {
    std::optional<Decimal> holdings;
    std::optional<Decimal> cash;
    std::optional<Decimal> total;
    std::string status = "ok";               // ok | missing_price | missing_rate
    std::vector<std::string> missing_rates;  // "USD/EUR": a foreign cash balance without a rate
};

// The totals from the holdings' value (nullopt with `holdings_status` saying why) and the cash
// balances. A zero foreign balance needs no rate.
ValueTotals TotalsOf(std::optional<Decimal> holdings,
                     std::string_view holdings_status,
                     const std::vector<std::pair<std::string, Decimal>>& cash,
                     const RateList& rates,
                     Currency base);

// The balances of the SQL form string_agg(currency || ':' || balance, ',') ("EUR:12.5,USD:3").
std::vector<std::pair<std::string, Decimal>> ParseBalances(std::string_view text);

// Writes holdings_value, cash_value, total_value (null when unknown), value_status and
// missing_rates into a response object.
void PutTotals(boost::json::object& out, const ValueTotals& totals);
// The schema of what PutTotals writes (the fields of the answers that carry them).
std::vector<http::Field> TotalsSchemaFields();

}  // namespace nn::portfolio
