#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/actor.hpp"
#include "core/decimal.hpp"
#include "core/ids.hpp"
#include "portfolio/goals/model.hpp"

namespace nn::db {
class Pool;
class Transaction;
}  // namespace nn::db

namespace nn::portfolio {

// Every SQL statement of the goals (portfolio.goals, goal_portfolios and their outbox rows).
// Each runs inside the transaction the service opened as the acting user (RLS decides what a
// call sees). Exchange rates are the market's (market::RateDirectory, through the portfolio
// service), not this repository's.
class GoalRepository {
public:
    virtual ~GoalRepository() = default;

    // The actor's goals (at most 500) with their linked portfolios.
    virtual boost::asio::awaitable<std::vector<Goal>> List(db::Transaction& tx) = 0;
    // nullopt when the actor cannot see the goal.
    virtual boost::asio::awaitable<std::optional<Goal>> Find(db::Transaction& tx, Uuid id) = 0;
    // The goal locked for a write; nullopt when absent or readable but not writable.
    virtual boost::asio::awaitable<std::optional<Goal>> LockWritable(db::Transaction& tx, Uuid id) = 0;
    // Inserts the goal's own row (its links go through ReplaceLinks).
    virtual boost::asio::awaitable<void> Insert(db::Transaction& tx, const Goal& goal) = 0;
    // Stores name, target, currency, date, contribution and notes.
    virtual boost::asio::awaitable<void> Update(db::Transaction& tx, const Goal& goal) = 0;
    virtual boost::asio::awaitable<void> Delete(db::Transaction& tx, Uuid id) = 0;
    // Replaces the goal's links by goal.portfolio_ids; anything but kStored aborts the
    // transaction.
    enum class Links { kStored, kForeignPortfolio, kDuplicatePortfolio };
    virtual boost::asio::awaitable<Links> ReplaceLinks(db::Transaction& tx, const Goal& goal) = 0;
    // One portfolio.outbox row (aggregate "goal") in the same transaction.
    virtual boost::asio::awaitable<void> AddEvent(db::Transaction& tx,
                                                  const Actor& actor,
                                                  UserId owner,
                                                  Uuid goal,
                                                  std::string_view event,
                                                  const std::string& payload,
                                                  const std::string& request_id) = 0;

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
