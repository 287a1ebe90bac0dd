#pragma once

#include <optional>
#include <string>

#include "core/decimal.hpp"
#include "core/time.hpp"

// Goal progress (docs/portfolio.md "Goals"): pure arithmetic on values the service gathers.
namespace nn::portfolio {

struct GoalInputs {
    Decimal current_value;  // linked portfolios' value in the goal currency
    Decimal target_amount;  // > 0
    Decimal monthly_contribution;
    Date today;
    Date target_date;
};

struct GoalProgress {
    Decimal percent_of_target;   // current / target x 100, 2 places (may exceed 100)
    Decimal remaining;           // max(target - current, 0)
    int contributions_left = 0;  // monthly contributions paid before the target date
    // Annual growth rate r (a fraction: 0.05 = 5 %) with
    //   current x (1 + r)^t + sum_m contribution x (1 + r)^(t - t_m) = target,
    // t = years to the target date, t_m = years to the m-th monthly contribution; 6 places.
    // nullopt with `growth_status` saying why: "target_date_passed", "unreachable" (needs more
    // than 10 000 % a year, or there is nothing to grow). A negative rate means the target is
    // reached even with that yearly loss.
    std::optional<Decimal> required_annual_growth;
    std::string growth_status = "ok";
    // First month end at which current + k x contribution >= target, assuming 0 % growth;
    // nullopt when there is no contribution and the target is not reached.
    std::optional<Date> projected_date;
    bool reached = false;
    std::optional<bool> on_track;  // projected_date <= target_date (at 0 % growth)
};

GoalProgress ComputeGoalProgress(const GoalInputs& in);

}  // namespace nn::portfolio
