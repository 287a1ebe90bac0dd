#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/actor.hpp"
#include "core/currency.hpp"
#include "core/decimal.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "portfolio/goals/model.hpp"
#include "portfolio/goals/repository.hpp"

namespace nn {
class App;
}

// The goal use cases and their progress. Every call runs as the acting user under RLS; every
// write adds one outbox row in the same transaction.
namespace nn::portfolio {

class Service;

class GoalService {
public:
    GoalService(App& app, std::shared_ptr<Service> portfolios, std::shared_ptr<GoalRepository> repository)
        : app_(app), portfolios_(std::move(portfolios)), repository_(std::move(repository)) {}

    boost::asio::awaitable<std::vector<Goal>> List(const Actor& actor, std::size_t shard);
    // The goal with its progress at `today`.
    boost::asio::awaitable<GoalView> Get(const Actor& actor, Uuid id, Date today, std::size_t shard);
    // A linked portfolio that is not the owner's is 422 goal.portfolio_not_found.
    boost::asio::awaitable<Goal> Create(const Actor& actor,
                                        Goal draft,
                                        const std::string& request_id,
                                        std::size_t shard);
    boost::asio::awaitable<Goal> Update(
        const Actor& actor, Uuid id, GoalChange change, const std::string& request_id, std::size_t shard);
    boost::asio::awaitable<void> Delete(const Actor& actor,
                                        Uuid id,
                                        const std::string& request_id,
                                        std::size_t shard);

    // Called after a goal was created or changed (the goal watch, module.cpp); its failures are
    // logged, never the request's.
    using GoalHook = std::function<boost::asio::awaitable<void>(Uuid goal, std::size_t shard)>;
    void OnGoalChanged(GoalHook hook) { goal_hook_ = std::move(hook); }

    // For the milestone watch (goal_watch.hpp), as SYSTEM: the goals linked to any of these
    // portfolios, and raising a goal's milestone to `pct` with its goal.milestone_reached event
    // (`payload`) in one transaction; false when the goal was at `pct` or above already.
    boost::asio::awaitable<std::vector<Uuid>> GoalsLinkedTo(std::vector<PortfolioId> portfolios,
                                                            std::size_t shard);
    boost::asio::awaitable<bool> RaiseMilestone(Uuid goal, int pct, std::string payload, std::size_t shard);

private:
    boost::asio::awaitable<void> GoalChanged(Uuid goal, std::size_t shard);
    boost::asio::awaitable<LinkedValue> ValueIn(const Actor& actor,
                                                PortfolioId portfolio,
                                                Currency currency,
                                                std::size_t shard);
    // Units of `to` per unit of `from` (either direction, the market's latest rate through the
    // portfolio service's RateDirectory, rounded to 12 places); nullopt when unknown.
    boost::asio::awaitable<std::optional<Decimal>> CurrentRate(const std::string& from,
                                                               const std::string& to,
                                                               std::size_t shard);

    boost::asio::awaitable<Goal> LockWritable(db::Transaction& tx, Uuid id);
    boost::asio::awaitable<void> ReplaceLinks(db::Transaction& tx, const Goal& goal);

    App& app_;
    std::shared_ptr<Service> portfolios_;
    std::shared_ptr<GoalRepository> repository_;
    GoalHook goal_hook_;
};

}  // namespace nn::portfolio
