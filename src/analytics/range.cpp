#include "analytics/range.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace nn::analytics {
namespace {

DateRange Since(Date opening_day, Date today, Date inception) {
    return {std::max(AddDays(opening_day, 1), inception), today};
}

}  // namespace

std::optional<DateRange> NamedRange(std::string_view name, Date today, Date inception) {
    inception = std::min(inception, today);
    if (name == "1D") {
        return Since(AddDays(today, -1), today, inception);
    }
    if (name == "1W") {
        return Since(AddDays(today, -7), today, inception);
    }
    if (name == "1M") {
        return Since(AddMonths(today, -1), today, inception);
    }
    if (name == "3M") {
        return Since(AddMonths(today, -3), today, inception);
    }
    if (name == "YTD") {
        return Since(AddDays(Date{today.year(), std::chrono::January, std::chrono::day{1}}, -1), today,
                     inception);
    }
    if (name == "1Y") {
        return Since(AddMonths(today, -12), today, inception);
    }
    if (name == "3Y") {
        return Since(AddMonths(today, -36), today, inception);
    }
    if (name == "5Y") {
        return Since(AddMonths(today, -60), today, inception);
    }
    if (name == "MAX") {
        return DateRange{inception, today};
    }
    return std::nullopt;
}

DateRange ExplicitRange(Date from, Date to, Date today, Date inception) {
    if (to < from) {
        throw Error(ErrorKind::kUnprocessable, "analytics.invalid_range", "from is after to");
    }
    const Date last = std::min(to, today);
    const Date first = std::max(from, inception);
    if (last < first) {
        throw Error(ErrorKind::kUnprocessable, "analytics.invalid_range",
                    "the range ends before the portfolio's first transaction or starts in the future");
    }
    return {first, last};
}

}  // namespace nn::analytics
