#include "portfolio/goals/goal_progress.hpp"

#include <fmt/format.h>

#include <cmath>
#include <vector>

namespace nn::portfolio {

namespace {

constexpr double kDaysPerYear = 365.25;
constexpr double kLowestRate = -0.999999;
constexpr double kHighestRate = 100.0;  // 10 000 % a year

// Future value at the target date of the current value and the contributions, at rate r.
double FutureValue(
    double current, double contribution, double years, const std::vector<double>& at, double r) {
    double total = current * std::pow(1.0 + r, years);
    for (double t : at) total += contribution * std::pow(1.0 + r, years - t);
    return total;
}

// The highest rate worth searching. With a non-negative current value FutureValue rises with r
// (every exponent is >= 0): the highest rate allowed. With a negative one (overdrawn cash) a
// higher rate also grows the debt: FutureValue rises, then falls. Its slope times (1 + r)^(1 - T)
// is C T + sum P (T - t_m) (1 + r)^(-t_m), decreasing in r, so it has one maximum; the answer is
// the lowest rate that reaches the target, found by bisection below the maximum, where
// FutureValue rises.
double HighestUsefulRate(double current, double contribution, double years, const std::vector<double>& at) {
    if (current >= 0) return kHighestRate;
    auto slope_sign = [&](double r) {
        double s = current * years;
        for (double t : at) s += contribution * (years - t) * std::pow(1.0 + r, -t);
        return s;
    };
    if (slope_sign(kHighestRate) >= 0) return kHighestRate;
    double a = kLowestRate;
    double b = kHighestRate;
    if (slope_sign(a) <= 0) {
        b = a;  // falling everywhere: the best is the lowest rate
    }
    for (int i = 0; i < 200 && b - a > 1e-12; ++i) {
        const double mid = (a + b) / 2;
        (slope_sign(mid) > 0 ? a : b) = mid;
    }
    return b;  // the rate of the largest future value
}

}  // namespace

GoalProgress ComputeGoalProgress(const GoalInputs& in) {
    GoalProgress out;
    const Decimal hundred = Decimal::FromInt(100);
    out.percent_of_target = Decimal::Div(in.current_value * hundred, in.target_amount, 2);
    out.reached = in.current_value >= in.target_amount;
    out.remaining = out.reached ? Decimal() : in.target_amount - in.current_value;

    // Projection at 0 % growth: the k-th contribution lands k months from today.
    if (out.reached) {
        out.projected_date = in.today;
    } else if (in.monthly_contribution.IsPositive()) {
        Decimal months = Decimal::Div(out.remaining, in.monthly_contribution, 0, Rounding::kCeiling);
        if (months.IntegerDigits() <= 6) {
            out.projected_date = AddMonths(in.today, static_cast<int>(std::stoll(months.ToString())));
        }
    }
    if (out.projected_date) out.on_track = *out.projected_date <= in.target_date;

    const int days = DaysBetween(in.today, in.target_date);
    if (days <= 0) {
        out.growth_status = "target_date_passed";
        return out;
    }
    const double years = days / kDaysPerYear;
    std::vector<double> at;
    for (int m = 1;; ++m) {
        Date d = AddMonths(in.today, m);
        if (d > in.target_date) break;
        at.push_back(DaysBetween(in.today, d) / kDaysPerYear);
    }
    out.contributions_left = static_cast<int>(at.size());
    const double current = in.current_value.ToDouble();
    const double contribution = in.monthly_contribution.ToDouble();
    const double target = in.target_amount.ToDouble();
    if (current <= 0 && (contribution <= 0 || at.empty())) {
        out.growth_status = "unreachable";
        return out;
    }
    double lo = kLowestRate;
    double hi = HighestUsefulRate(current, contribution, years, at);
    if (FutureValue(current, contribution, years, at, hi) < target) {
        out.growth_status = "unreachable";
        return out;
    }
    if (FutureValue(current, contribution, years, at, lo) >= target) {
        lo = hi = kLowestRate;
    }
    for (int i = 0; i < 200 && hi - lo > 1e-12; ++i) {
        const double mid = (lo + hi) / 2;
        if (FutureValue(current, contribution, years, at, mid) < target) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    out.required_annual_growth = Decimal::FromString(fmt::format("{:.6f}", hi));
    return out;
}

}  // namespace nn::portfolio
