#include "analytics/day_count.hpp"

#include <cmath>

namespace nn::analytics {

double YearFraction(Date first, Date last) noexcept {
    const Date end = AddDays(last, 1);  // the period ends when `last` ends
    int whole = 0;
    while (AddMonths(first, 12 * (whole + 1)) <= end) {
        ++whole;
    }
    const Date anniversary = AddMonths(first, 12 * whole);
    const int rest = DaysBetween(anniversary, end);
    const int year_length = DaysBetween(anniversary, AddMonths(first, 12 * (whole + 1)));
    return whole + static_cast<double>(rest) / year_length;
}

std::optional<double> Annualise(double period_return, double years) noexcept {
    if (years < 1.0 || period_return <= -1.0) {
        return std::nullopt;
    }
    return std::pow(1.0 + period_return, 1.0 / years) - 1.0;
}

}  // namespace nn::analytics
