#pragma once

#include <optional>

#include "core/time.hpp"

namespace nn::analytics {

// Length of the period from the start of `first` to the end of `last` (both included), in
// years by anniversaries counted back from `last`: the period is measured from the close of the
// day before `first` (the opening) to the close of `last`; N whole years are those with
// last - N years >= opening, and the remaining days (opening to last - N years) are divided by
// the length (365 or 366) of the year that ends on last - N years. A 1Y, 3Y or 5Y range (which
// opens on the same date N years earlier, range.hpp) is therefore exactly 1, 3 or 5 years, leap
// days or not. Precondition: first <= last.
double YearFraction(Date first, Date last) noexcept;

// The annual rate equivalent to a period return: (1 + period_return)^(1 / years) - 1, only for
// periods of at least one year (nullopt otherwise: a short period is never extrapolated), and
// nullopt when period_return <= -1 (a total loss has no annual equivalent).
std::optional<double> Annualise(double period_return, double years) noexcept;

}  // namespace nn::analytics
