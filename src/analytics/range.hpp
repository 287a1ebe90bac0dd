#pragma once

#include <optional>
#include <string_view>

#include "core/time.hpp"

namespace nn::analytics {

// The days a performance request covers, both included. The opening value is the portfolio's
// value at the end of the day before `first` (0 when the portfolio did not exist yet).
struct DateRange {
    Date first;
    Date last;
};

// A named range ending today (docs/analytics.md §8). Each starts the day after the same date one
// period earlier, so its opening value is that date's close: 1D = today; 1W = the last 7 days;
// 1M, 3M = since the same day 1 or 3 months ago; YTD = since 1 January; 1Y, 3Y, 5Y = since the
// same day 1, 3, 5 years ago; MAX = since `inception` (the first day with a transaction). A
// range reaching before inception starts at inception. nullopt for an unknown name.
std::optional<DateRange> NamedRange(std::string_view name, Date today, Date inception);

// An explicit from/to range, clamped to [inception, today]. Throws nn::Error kUnprocessable
// "analytics.invalid_range" when from > to or to is before inception.
DateRange ExplicitRange(Date from, Date to, Date today, Date inception);

}  // namespace nn::analytics
