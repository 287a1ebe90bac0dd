#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/ids.hpp"
#include "portfolio/allocation/drift_watch.hpp"
#include "portfolio/goals/goal_watch.hpp"
#include "portfolio/value_feed.hpp"

namespace nn {
class App;
}

// What runs after a portfolio's holdings moved, whether by a price batch (PriceConsumer's
// on_applied) or a transaction write (Service::OnHoldingsChanged): the drift watch, the goal
// watch and the live value feed. Each is best effort on its own: one failing does not stop the
// others, and nothing here fails the write or holds a price entry back (the next change
// evaluates again).
namespace nn::portfolio {

class AllocationService;
class GoalService;

struct Watches {
    std::shared_ptr<DriftWatch> drift;
    std::shared_ptr<GoalWatch> goals;
    std::shared_ptr<ValueFeed> values;

    // By value: a coroutine must own its arguments.
    boost::asio::awaitable<void> HoldingsChanged(std::vector<ChangedPortfolio> changed, std::size_t shard);
};

// `repo` and `rates` are the value feed's (the portfolio service's, Service::Repo() and
// Service::Rates()). The services are held weakly (DriftWatch): keep them alive as long as the
// watches are used.
std::shared_ptr<Watches> MakeWatches(App& app,
                                     std::shared_ptr<Repository> repo,
                                     const std::shared_ptr<AllocationService>& allocation,
                                     const std::shared_ptr<GoalService>& goals,
                                     std::shared_ptr<market::RateDirectory> rates,
                                     ValueFeedOptions values = {});

}  // namespace nn::portfolio
