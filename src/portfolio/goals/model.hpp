#pragma once

#include <cstdint>

#include <optional>
#include <string>
#include <vector>

#include "core/currency.hpp"
#include "core/decimal.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "portfolio/goals/goal_progress.hpp"

// Savings goals (portfolio.goals / goal_portfolios): the values. Their pure rules are
// goal_progress.hpp (progress) and goal_watch.hpp (MilestoneOf).
namespace nn::portfolio {

// A user's goals are one answer (GET /goals, each with its progress): at most 100.
inline constexpr std::int64_t kMaxGoals = 100;

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

}  // namespace nn::portfolio
