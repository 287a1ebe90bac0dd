#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/currency.hpp"
#include "core/decimal.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "portfolio/goals/goal_progress.hpp"
#include "portfolio/pg_repository.hpp"

namespace nn {
class App;
}

// Savings goals (portfolio.goals / goal_portfolios) and their progress. Every call runs as the
// acting user under RLS; every write adds one outbox row in the same transaction.
namespace nn::portfolio {

class Service;

struct Goal {
    Uuid id;
    UserId user_id;
    std::string name;
    Decimal target_amount;
    Currency currency = Currency::FromCode("USD");
    Date target_date{};
    Decimal monthly_contribution;
    std::optional<std::string> notes;
    std::vector<PortfolioId> portfolio_ids;
    std::optional<Timestamp> achieved_at;
    Timestamp created_at{};
    Timestamp updated_at{};
};

// One linked portfolio's value in the goal currency; nullopt with `status` saying why
// ("missing_price", "missing_rate").
struct LinkedValue {
    PortfolioId id;
    std::optional<Decimal> value;
    std::string status = "ok";
    std::vector<std::string> missing_rates;  // "EUR/USD": no current rate for that pair
};

struct GoalView {
    Goal goal;
    std::vector<LinkedValue> portfolios;
    std::optional<Decimal> current_value;  // nullopt when any linked value is unknown
    std::string value_status = "ok";
    std::optional<GoalProgress> progress;  // nullopt when the current value is unknown
};

// A partial change: absent fields keep their stored values.
struct GoalChange {
    std::optional<std::string> name;
    std::optional<Decimal> target_amount;
    std::optional<Currency> currency;
    std::optional<Date> target_date;
    std::optional<Decimal> monthly_contribution;
    std::optional<std::optional<std::string>> notes;
    std::optional<std::vector<PortfolioId>> portfolio_ids;
};

class GoalService {
public:
    GoalService(App& app, std::shared_ptr<Service> portfolios)
        : app_(app), portfolios_(std::move(portfolios)) {}

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

private:
    boost::asio::awaitable<void> GoalChanged(Uuid goal, std::size_t shard);
    boost::asio::awaitable<LinkedValue> ValueIn(const Actor& actor,
                                                PortfolioId portfolio,
                                                Currency currency,
                                                std::size_t shard);
    // Units of `to` per unit of `from` from market_data.latest_exchange_rates (either direction).
    boost::asio::awaitable<std::optional<Decimal>> CurrentRate(const std::string& from,
                                                               const std::string& to,
                                                               std::size_t shard);

    App& app_;
    std::shared_ptr<Service> portfolios_;
    GoalHook goal_hook_;
};

}  // namespace nn::portfolio
