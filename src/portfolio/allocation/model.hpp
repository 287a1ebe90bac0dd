#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/decimal.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "portfolio/allocation/rebalance.hpp"

// Allocation rules (portfolio.allocation_rules) and what is measured against them: the values.
// The pure rule is rebalance.hpp (ProposeRebalance).
namespace nn::portfolio {

struct StoredRule {
    Uuid id;
    AllocationRule rule;
    Timestamp created_at{};
    Timestamp updated_at{};
};

struct RebalanceView {
    PortfolioId portfolio;
    std::string currency;
    Decimal min_trade_amount;
    RebalanceProposal proposal;
    std::vector<Uuid> rule_ids;  // parallel to proposal.rules
    // "ok", or "unavailable" when the market's instruments could not be read (then every
    // instrument is taken as whole units with unknown class, sector and country).
    std::string instruments_status = "ok";
    std::vector<std::string> unknown_instruments;  // held symbols without an instruments row
    std::vector<std::string> unpriced;             // closed holdings left out: no price
};

// What Rebalance measures, before any proposal: the valued positions with their instrument
// attributes, the base-currency cash, the rules, and every cash balance and exact base value for
// views that count all of them (the allocation view of the analytics service).
struct AllocationInputs {
    RebalanceView view;  // everything but `proposal`
    RebalanceInput input;
    std::vector<Decimal> values;  // parallel to input.positions: market value in the portfolio currency
    std::vector<std::pair<std::string, Decimal>> cash;  // every cash balance, by currency
    std::vector<std::string> missing_price;             // open positions left out: no current price
    std::vector<std::string> missing_rate;              // open positions left out: no current rate
    std::vector<std::string> short_positions;           // negative quantities (Rebalance refuses them)
};

// What one drift evaluation did (drift_watch.hpp).
struct DriftCheck {
    std::size_t evaluated = 0;  // rules compared with their tolerance
    std::size_t breached = 0;   // drift_breached events written
    std::size_t rearmed = 0;
};

}  // namespace nn::portfolio
