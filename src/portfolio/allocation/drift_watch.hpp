#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/ids.hpp"
#include "portfolio/allocation/model.hpp"

namespace nn {
class App;
}

// Allocation-drift detection (docs/portfolio.md "Drift and goal alerts"). After the price
// consumer moved a portfolio's holdings, and after every transaction write, each allocation rule
// of the portfolio is compared with its tolerance using the rebalancing proposal's weights
// (AllocationService::Rebalance, so drift means exactly what the rebalance endpoint shows).
// A rule that leaves its tolerance while armed is disarmed and one outbox event
// `allocation.drift_breached` is written in the same transaction (notify turns it into an
// ALLOCATION_DRIFT notification); a disarmed rule back within its tolerance is re-armed
// (`allocation.drift_rearmed`). The state is portfolio.allocation_rules.drift_alert_armed, so a
// restart never notifies the same breach twice.
namespace nn::portfolio {

class AllocationService;

class DriftWatch {
public:
    // Weak: the service's hook owns this watch, and the service (through the allocation
    // service) must not own itself. The allocation service lives as long as its routes.
    DriftWatch(App& app, std::weak_ptr<AllocationService> allocation)
        : app_(app), allocation_(std::move(allocation)) {}

    // Evaluates the rules of those portfolios that have any (active portfolios only). A
    // portfolio that cannot be valued (a missing price or rate, a short position) or is worth
    // nothing is left as it is. By value: a coroutine must own its arguments.
    boost::asio::awaitable<DriftCheck> Check(std::vector<PortfolioId> portfolios, std::size_t shard);

private:
    App& app_;
    std::weak_ptr<AllocationService> allocation_;
};

}  // namespace nn::portfolio
