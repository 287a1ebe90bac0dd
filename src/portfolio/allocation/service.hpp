#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/actor.hpp"
#include "core/decimal.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "portfolio/allocation/model.hpp"
#include "portfolio/allocation/rebalance.hpp"
#include "portfolio/allocation/repository.hpp"
#include "portfolio/model.hpp"
#include "portfolio/subdomain.hpp"

namespace nn {
class App;
}
namespace nn::market {
class InstrumentDirectory;
}

// Allocation rules and the rebalancing proposal built from them. Every call runs as the acting
// user under RLS; every rule write adds one outbox row in the same transaction. Nothing is ever
// executed.
namespace nn::portfolio {

class Service;

inline constexpr RowNotFound kRuleNotFound{"allocation.not_found", "no such allocation rule"};

class AllocationService {
public:
    // `portfolios` values the holdings (its repository finds the rules' portfolio and writes
    // their outbox rows); `instruments`: the market's instrument facts (asset class, sector,
    // country, fractional).
    AllocationService(App& app,
                      std::shared_ptr<Service> portfolios,
                      std::shared_ptr<AllocationRepository> repository,
                      std::shared_ptr<market::InstrumentDirectory> instruments);

    boost::asio::awaitable<std::vector<StoredRule>> List(const Actor& actor,
                                                         PortfolioId portfolio,
                                                         std::size_t shard);
    // The targets of one dimension may not add up to more than 1 (422
    // allocation.weights_exceed_one); a second rule on the same key is 409.
    boost::asio::awaitable<StoredRule> Create(const ActingRequest& request,
                                              PortfolioId portfolio,
                                              AllocationRule rule);
    boost::asio::awaitable<StoredRule> Update(const ActingRequest& request,
                                              PortfolioId portfolio,
                                              Uuid id,
                                              std::optional<Decimal> target_weight,
                                              std::optional<Decimal> tolerance);
    boost::asio::awaitable<void> Delete(const ActingRequest& request, PortfolioId portfolio, Uuid id);

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

    // For the drift watch (drift_watch.hpp), as SYSTEM: the active portfolios among these that
    // have rules, and recording one evaluation of a portfolio's rules (`view`, measured from
    // `started`): each rule whose armed state differs from its verdict is flipped with one
    // drift event, in one transaction.
    boost::asio::awaitable<std::vector<PortfolioId>> PortfoliosWithRules(std::vector<PortfolioId> portfolios,
                                                                         std::size_t shard);
    boost::asio::awaitable<DriftCheck> RecordDrift(PortfolioId portfolio,
                                                   const RebalanceView& view,
                                                   Timestamp started,
                                                   std::size_t shard);

private:
    boost::asio::awaitable<void> CheckDimensionSum(db::Transaction& tx,
                                                   PortfolioId portfolio,
                                                   const AllocationRule& rule,
                                                   std::optional<Uuid> except);
    // Fills the instrument attributes of `in` (or notes why they are unknown in `view`).
    boost::asio::awaitable<void> AddInstruments(RebalanceInput& in, RebalanceView& view, std::size_t shard);
    boost::asio::awaitable<void> RecordRuleDrift(db::Transaction& tx,
                                                 PortfolioId portfolio,
                                                 const RebalanceView& view,
                                                 std::size_t i,
                                                 Timestamp started,
                                                 DriftCheck& round);

    std::shared_ptr<Service> portfolios_;
    Subdomain subdomain_;
    std::shared_ptr<AllocationRepository> repository_;
    std::shared_ptr<market::InstrumentDirectory> instruments_;
};

}  // namespace nn::portfolio
