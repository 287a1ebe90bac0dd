#pragma once

#include <chrono>
#include <string>

#include <boost/json/object.hpp>

#include "core/time.hpp"
#include "infra/http/json.hpp"
#include "infra/http/router.hpp"
#include "portfolio/model.hpp"
#include "portfolio/service.hpp"

// JSON <-> model for the portfolio API (field names follow the schema's columns).
namespace nn::portfolio {

// The earliest executed_at a transaction may have (analytics histories are day by day from the
// first transaction).
inline constexpr Timestamp kEarliestTransaction{std::chrono::sys_days{std::chrono::year{1900} / 1 / 1}};

// Reads and validates a transaction; every problem is collected into `in` (call Finish after).
// Rules: quantity > 0, price >= 0, amount > 0, fee >= 0, at most 18 integer and 10 fractional
// digits (fx_rate 12), a known ISO 4217 currency, executed_at from kEarliestTransaction to
// now + max_future, the fields each type needs (docs/portfolio.md).
Transaction ReadTransaction(http::FieldReader& in,
                            Timestamp now,
                            std::chrono::seconds max_future = std::chrono::seconds(300));

boost::json::object ToJson(const Transaction& t, PortfolioId portfolio);
boost::json::object ToJson(const Portfolio& p);
boost::json::object ToJson(const HoldingsView& view);

// The schemas of what ReadTransaction reads and the ToJson above write, as the router's
// components: TransactionInput, Transaction, Portfolio, Holdings, ImportResult, Symbol.
void AddSchemas(http::Router& routes);

}  // namespace nn::portfolio
