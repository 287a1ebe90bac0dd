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
#include "portfolio/subdomain.hpp"

namespace nn {
class App;
}

// The goal use cases and their progress. Every call runs as the acting user under RLS; every
// write adds one outbox row in the same transaction.
namespace nn::portfolio {

class Service;

inline constexpr RowNotFound kGoalNotFound{"goal.not_found", "no such goal"};

class GoalService {
public:
    // `portfolios` values the linked portfolios; its repository writes the goals' outbox rows.
    GoalService(App& app, std::shared_ptr<Service> portfolios, std::shared_ptr<GoalRepository> repository);

    boost::asio::awaitable<std::vector<Goal>> List(const Actor& actor, std::size_t shard);
    // The goal with its progress at `today`.
    boost::asio::awaitable<GoalView> Get(const Actor& actor, Uuid id, Date today, std::size_t shard);
    // A linked portfolio that is not the owner's is 422 goal.portfolio_not_found.
    boost::asio::awaitable<Goal> Create(const ActingRequest& request, Goal draft);
    boost::asio::awaitable<Goal> Update(const ActingRequest& request, Uuid id, GoalChange change);
    boost::asio::awaitable<void> Delete(const ActingRequest& request, Uuid id);

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

    boost::asio::awaitable<void> ReplaceLinks(db::Transaction& tx, const Goal& goal);

    std::shared_ptr<Service> portfolios_;
    Subdomain subdomain_;
    std::shared_ptr<GoalRepository> repository_;
    GoalHook goal_hook_;
};

}  // namespace nn::portfolio
