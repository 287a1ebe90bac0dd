#include "analytics/day_count.hpp"

#include <cmath>

namespace nn::analytics {

double YearFraction(Date first, Date last) noexcept {
    const Date opening = AddDays(first, -1);  // the close the period is measured from
    int whole = 0;
    while (AddMonths(last, -12 * (whole + 1)) >= opening) {
        ++whole;
    }
    const Date anniversary = AddMonths(last, -12 * whole);
    const int rest = DaysBetween(opening, anniversary);
    const int year_length = DaysBetween(AddMonths(anniversary, -12), anniversary);
    return whole + static_cast<double>(rest) / year_length;
}

std::optional<double> Annualise(double period_return, double years) noexcept {
    if (years < 1.0 || period_return <= -1.0) {
        return std::nullopt;
    }
    return std::pow(1.0 + period_return, 1.0 / years) - 1.0;
}

}  // namespace nn::analytics
