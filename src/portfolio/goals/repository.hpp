#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/ids.hpp"
#include "portfolio/goals/model.hpp"
#include "portfolio/subdomain_rows.hpp"

namespace nn::portfolio {

// Every SQL statement of the goals (portfolio.goals, goal_portfolios; their outbox rows go
// through the Subdomain, the milestone's SYSTEM row is here). List and Find return the goals
// with their linked portfolios (subdomain_rows.hpp). Exchange rates are the market's
// (market::RateDirectory, through the portfolio service), not this repository's.
class GoalRepository : public SubdomainRows<Goal, Uuid> {
public:
    // How many goals `owner` has, with the owner's goals locked for this transaction (one
    // creator at a time, so kMaxGoals holds).
    virtual boost::asio::awaitable<std::int64_t> LockAndCount(db::Transaction& tx, UserId owner) = 0;
    // Inserts the goal's own row (its links go through ReplaceLinks).
    virtual boost::asio::awaitable<void> Insert(db::Transaction& tx, const Goal& goal) = 0;
    // Stores name, target, currency, date, contribution and notes.
    virtual boost::asio::awaitable<void> Update(db::Transaction& tx, const Goal& goal) = 0;
    // Replaces the goal's links by goal.portfolio_ids; anything but kStored aborts the
    // transaction.
    enum class Links { kStored, kForeignPortfolio, kDuplicatePortfolio };
    virtual boost::asio::awaitable<Links> ReplaceLinks(db::Transaction& tx, const Goal& goal) = 0;

    // The milestone watch (goal_watch.hpp), run as SYSTEM:
    // the goals linked to any of these portfolios;
    virtual boost::asio::awaitable<std::vector<Uuid>> LinkedGoals(
        db::Transaction& tx, const std::vector<PortfolioId>& portfolios) = 0;
    // raises the goal's high-water mark to `pct` when it is below (and sets achieved_at at 100);
    // returns the owner when it was raised, nullopt when another evaluation got there first;
    virtual boost::asio::awaitable<std::optional<UserId>> RaiseMilestone(db::Transaction& tx,
                                                                         Uuid goal,
                                                                         int pct) = 0;
    // the goal.milestone_reached outbox row.
    virtual boost::asio::awaitable<void> AddMilestoneEvent(db::Transaction& tx,
                                                           UserId owner,
                                                           Uuid goal,
                                                           const std::string& payload) = 0;
};

}  // namespace nn::portfolio
