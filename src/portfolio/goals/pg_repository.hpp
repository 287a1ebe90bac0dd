#pragma once

#include "portfolio/goals/repository.hpp"

namespace nn::portfolio {

// The goal statements on the portfolio database.
class PgGoalRepository final : public GoalRepository {
public:
    boost::asio::awaitable<std::vector<Goal>> List(db::Transaction& tx) override;
    boost::asio::awaitable<std::optional<Goal>> Find(db::Transaction& tx, Uuid id) override;
    boost::asio::awaitable<std::optional<Goal>> LockWritable(db::Transaction& tx, Uuid id) override;
    boost::asio::awaitable<std::int64_t> LockAndCount(db::Transaction& tx, UserId owner) override;
    boost::asio::awaitable<void> Insert(db::Transaction& tx, const Goal& goal) override;
    boost::asio::awaitable<void> Update(db::Transaction& tx, const Goal& goal) override;
    boost::asio::awaitable<void> Delete(db::Transaction& tx, Uuid id) override;
    boost::asio::awaitable<Links> ReplaceLinks(db::Transaction& tx, const Goal& goal) override;
    boost::asio::awaitable<std::vector<Uuid>> LinkedGoals(
        db::Transaction& tx, const std::vector<PortfolioId>& portfolios) override;
    boost::asio::awaitable<std::optional<UserId>> RaiseMilestone(db::Transaction& tx,
                                                                 Uuid goal,
                                                                 int pct) override;
    boost::asio::awaitable<void> AddMilestoneEvent(db::Transaction& tx,
                                                   UserId owner,
                                                   Uuid goal,
                                                   const std::string& payload) override;
};

}  // namespace nn::portfolio
