#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.hpp"
#include "portfolio/allocation/rebalance.hpp"

// The allocation view (docs/analytics.md §12): market value and weight per symbol, asset class,
// sector, country and currency, with cash as a group of its own, and the drift of each
// allocation rule. Pure: the service values the positions and the cash.
namespace nn::analytics {

// The groupings, in the order they are reported.
inline constexpr std::array<std::string_view, 5> kAllocationDimensions{"symbol", "asset_class", "sector",
                                                                       "country", "currency"};

// The key of cash in every grouping but currency (where cash counts in its own currency).
inline constexpr std::string_view kCashKey = "CASH";

struct AllocationPosition {
    std::string symbol;
    Decimal value;  // market value in the portfolio currency (exact)
    std::string currency;
    std::optional<std::string> asset_class, sector, country;  // unknown: nullopt
};

struct CashValue {
    std::string currency;
    Decimal value;  // the balance converted to the portfolio currency
};

struct AllocationGroup {
    std::optional<std::string> key;  // nullopt: attribute unknown (no instruments row or no sector)
    Decimal value;
    std::optional<Decimal> weight;  // value / total, 6 places; nullopt when the total is <= 0
};

struct RuleDrift {
    portfolio::AllocationRule rule;
    std::optional<Decimal> weight;  // nullopt when the total is <= 0
    std::optional<Decimal> drift;   // weight - target
    bool breached = false;          // |drift| > tolerance
};

struct Allocation {
    Decimal total;  // positions + cash
    // One list per requested dimension (kAllocationDimensions order), largest value first.
    std::vector<std::pair<std::string, std::vector<AllocationGroup>>> groupings;
    std::vector<RuleDrift> rules;  // in the order given
};

// Groups the positions and the cash for each of `dimensions` and measures each rule with
// portfolio::MeasureRules (the rebalancing proposal's weight_before), cash included as the
// group CASH of asset class, sector, country and symbol and in its own currency.
Allocation ComputeAllocation(const std::vector<AllocationPosition>& positions,
                             const std::vector<CashValue>& cash,
                             const std::vector<portfolio::AllocationRule>& rules,
                             const std::vector<std::string>& dimensions);

}  // namespace nn::analytics
