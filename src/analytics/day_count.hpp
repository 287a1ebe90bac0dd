#pragma once

#include <optional>

#include "core/time.hpp"

namespace nn::analytics {

// Length of the period from the start of `first` to the end of `last` (both inclusive), in
// years by anniversaries: the number of whole years N such that first + N years <= last + 1 day,
// plus the remaining days divided by the length (365 or 366) of the year that follows the Nth
// anniversary. A 1Y, 3Y or 5Y range is therefore exactly 1, 3 or 5 years, leap days or not.
// Precondition: first <= last.
double YearFraction(Date first, Date last) noexcept;

// The annual rate equivalent to a period return: (1 + period_return)^(1 / years) - 1, only for
// periods of at least one year (nullopt otherwise: a short period is never extrapolated), and
// nullopt when period_return <= -1 (a total loss has no annual equivalent).
std::optional<double> Annualise(double period_return, double years) noexcept;

}  // namespace nn::analytics
