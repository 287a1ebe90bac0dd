#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/decimal.hpp"

// Rebalancing proposals (docs/portfolio.md "Allocation rules and rebalancing"): pure logic on
// values the service gathers. Nothing is executed.
namespace nn::portfolio {

// SYMBOL | ASSET_CLASS | SECTOR | CURRENCY | COUNTRY
struct AllocationRule {
    std::string dimension;
    std::string key;
    Decimal target_weight;  // fraction of the total value (securities + base cash)
    Decimal tolerance;      // absolute fraction
};

struct RebalancePosition {
    std::string symbol;
    Decimal quantity;
    Decimal price;            // per unit, in the portfolio currency (current price x current rate)
    bool fractional = false;  // false: whole units only
    std::optional<std::string> asset_class, sector, currency, country;
    // The position's market value in the portfolio currency as held (quantity x price x rate
    // rounded once), when known; otherwise quantity x price. Trades move it by units x price.
    std::optional<Decimal> value;
};

struct RebalanceInput {
    std::vector<RebalancePosition> positions;
    Decimal cash;  // available cash in the portfolio currency
    std::vector<AllocationRule> rules;
    Decimal min_trade_amount;
    // Foreign cash at the current rate: part of the total the weights divide (total_value =
    // holdings + all cash, docs/portfolio.md "Value"), never spent on buys.
    Decimal other_cash;
};

struct ProposedTrade {
    std::string symbol;
    std::string side;  // BUY | SELL
    Decimal quantity;  // > 0
    Decimal price;
    Decimal amount;  // quantity x price
};

struct RuleOutcome {
    AllocationRule rule;
    Decimal weight_before;
    Decimal weight_after;
    bool within_before = true;
    bool within_after = true;
    // Why a rule stays outside its tolerance: "no_holding" (nothing held to buy in the group),
    // "whole_units", "below_min_trade", "insufficient_cash", "conflicting_rules".
    std::optional<std::string> reason;
};

struct RebalanceProposal {
    std::vector<ProposedTrade> trades;  // sells first, then buys
    std::vector<RuleOutcome> rules;
    Decimal total_value;
    Decimal cash_before;
    Decimal cash_after;
};

// Brings every rule outside its tolerance back to its target: a rule's value gap is shared by
// the group's held positions in proportion to their value (rules on one symbol from several
// dimensions add up), quantities are rounded toward zero (whole units unless fractional, else 6
// places), trades under min_trade_amount are dropped, sells run first and buys spend at most
// the cash available (largest gaps first).
RebalanceProposal ProposeRebalance(const RebalanceInput& in);

// Each rule's current weight (its group's value / (positions + cash)) and whether it lies within
// its tolerance: the weight_before and within_before of ProposeRebalance, without proposing
// trades (weight_after = weight_before). Used by the allocation view.
std::vector<RuleOutcome> MeasureRules(const RebalanceInput& in);

// Whether a position belongs to a rule's group.
bool InGroup(const RebalancePosition& p, const AllocationRule& rule);

}  // namespace nn::portfolio
