#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/decimal.hpp"
#include "core/ids.hpp"

namespace nn {
class App;
}

// Goal milestones (docs/portfolio.md "Drift and goal alerts"): after the price consumer moved
// the holdings of a linked portfolio, after a transaction write in one, and after a goal is
// created or changed, the goal's progress (GoalService::Get, the figure GET /goals/{id} shows)
// is compared with the milestones 25, 50, 75 and 100 % of the target. Reaching one above
// portfolio.goals.last_milestone_pct raises that high-water mark in a guarded UPDATE and writes
// one outbox event `goal.milestone_reached` (notify turns it into a GOAL_MILESTONE
// notification), so each milestone is announced at most once per goal, also under concurrent
// evaluations; a jump over several milestones announces the highest one only.
namespace nn::portfolio {

class GoalService;

// The highest of 25, 50, 75, 100 that `percent` reaches; nullopt below 25.
std::optional<int> MilestoneOf(const Decimal& percent);

class GoalWatch {
public:
    // Weak: the goal service's hook owns this watch (see DriftWatch).
    GoalWatch(App& app, std::weak_ptr<GoalService> goals) : app_(app), goals_(std::move(goals)) {}

    // Evaluates every goal linked to one of these portfolios; returns the milestones announced.
    boost::asio::awaitable<int> CheckPortfolios(std::vector<PortfolioId> portfolios, std::size_t shard);
    // Evaluates one goal; true when it announced a milestone. A goal whose value is unknown (a
    // missing price or rate) is left as it is.
    boost::asio::awaitable<bool> CheckGoal(Uuid goal, std::size_t shard);

private:
    App& app_;
    std::weak_ptr<GoalService> goals_;
};

}  // namespace nn::portfolio
