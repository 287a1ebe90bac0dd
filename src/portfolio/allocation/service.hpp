#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/decimal.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "portfolio/allocation/rebalance.hpp"
#include "portfolio/pg_repository.hpp"

namespace nn {
class App;
}

// Allocation rules (portfolio.allocation_rules) and the rebalancing proposal built from them.
// Every call runs as the acting user under RLS; every rule write adds one outbox row in the same
// transaction. Nothing is ever executed.
namespace nn::portfolio {

class Service;

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
    // "ok", or "unavailable" when market_data.instruments could not be read (then every
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

class AllocationService {
public:
    AllocationService(App& app, std::shared_ptr<Service> portfolios)
        : app_(app), portfolios_(std::move(portfolios)) {}

    boost::asio::awaitable<std::vector<StoredRule>> List(const Actor& actor,
                                                         PortfolioId portfolio,
                                                         std::size_t shard);
    // The targets of one dimension may not add up to more than 1 (422
    // allocation.weights_exceed_one); a second rule on the same key is 409.
    boost::asio::awaitable<StoredRule> Create(const Actor& actor,
                                              PortfolioId portfolio,
                                              AllocationRule rule,
                                              const std::string& request_id,
                                              std::size_t shard);
    boost::asio::awaitable<StoredRule> Update(const Actor& actor,
                                              PortfolioId portfolio,
                                              Uuid id,
                                              std::optional<Decimal> target_weight,
                                              std::optional<Decimal> tolerance,
                                              const std::string& request_id,
                                              std::size_t shard);
    boost::asio::awaitable<void> Delete(
        const Actor& actor, PortfolioId portfolio, Uuid id, const std::string& request_id, std::size_t shard);

    // The inputs of Rebalance; positions without a price or rate and short positions are listed,
    // not refused.
    boost::asio::awaitable<AllocationInputs> Inputs(const Actor& actor,
                                                    PortfolioId portfolio,
                                                    std::size_t shard);

    // 422 rebalance.missing_price / rebalance.missing_rate when an open position cannot be
    // valued in the portfolio currency (a proposal on a guessed value would be wrong).
    boost::asio::awaitable<RebalanceView> Rebalance(const Actor& actor,
                                                    PortfolioId portfolio,
                                                    std::size_t shard);

private:
    App& app_;
    std::shared_ptr<Service> portfolios_;
};

}  // namespace nn::portfolio
