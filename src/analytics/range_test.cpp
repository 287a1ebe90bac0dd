#include "analytics/range.hpp"

#include <gtest/gtest.h>

#include "analytics/day_count.hpp"
#include "core/error.hpp"

namespace nn::analytics {
namespace {

Date RangeAt(const char* text) {
    return DateFromString(text);
}

struct RangeCase {
    const char* name;
    const char* today;
    const char* first;
};

TEST(NamedRange, StartsTheDayAfterTheSameDateOnePeriodEarlier) {
    const Date inception = RangeAt("2000-01-01");
    const RangeCase cases[] = {
        {"1D", "2024-03-01", "2024-03-01"},  {"1W", "2024-03-01", "2024-02-24"},
        {"1M", "2024-03-31", "2024-03-01"},  // 1 month before 03-31 is 02-29 (clamped)
        {"3M", "2024-05-15", "2024-02-16"},  {"YTD", "2024-05-15", "2024-01-01"},
        {"1Y", "2024-02-29", "2023-03-01"},  // a year before 29 Feb is 28 Feb
        {"3Y", "2025-06-30", "2022-07-01"},  {"5Y", "2025-01-01", "2020-01-02"},
        {"MAX", "2025-01-01", "2000-01-01"},
    };
    for (const RangeCase& c : cases) {
        const std::optional<DateRange> range = NamedRange(c.name, RangeAt(c.today), inception);
        ASSERT_TRUE(range.has_value()) << c.name;
        EXPECT_EQ(range->first, RangeAt(c.first)) << c.name;
        EXPECT_EQ(range->last, RangeAt(c.today)) << c.name;
    }
}

TEST(NamedRange, YearRangesAreWholeYears) {
    for (const char* today : {"2024-02-29", "2025-02-28", "2024-12-31", "2023-07-04"}) {
        const DateRange one = *NamedRange("1Y", RangeAt(today), RangeAt("1990-01-01"));
        EXPECT_NEAR(YearFraction(one.first, one.last), 1.0, 1e-12) << today;
        const DateRange five = *NamedRange("5Y", RangeAt(today), RangeAt("1990-01-01"));
        EXPECT_NEAR(YearFraction(five.first, five.last), 5.0, 1e-12) << today;
    }
}

TEST(NamedRange, ClampedToInceptionAndUnknownNames) {
    const DateRange r = *NamedRange("1Y", RangeAt("2024-06-30"), RangeAt("2024-05-02"));
    EXPECT_EQ(r.first, RangeAt("2024-05-02"));
    EXPECT_FALSE(NamedRange("2W", RangeAt("2024-06-30"), RangeAt("2024-05-02")).has_value());
    EXPECT_FALSE(NamedRange("1y", RangeAt("2024-06-30"), RangeAt("2024-05-02")).has_value());
}

TEST(ExplicitRange, ClampsAndRejects) {
    const DateRange r = ExplicitRange(RangeAt("2020-01-01"), RangeAt("2030-01-01"), RangeAt("2024-06-30"),
                                      RangeAt("2021-03-04"));
    EXPECT_EQ(r.first, RangeAt("2021-03-04"));
    EXPECT_EQ(r.last, RangeAt("2024-06-30"));
    EXPECT_THROW(ExplicitRange(RangeAt("2024-02-01"), RangeAt("2024-01-01"), RangeAt("2024-06-30"),
                               RangeAt("2020-01-01")),
                 Error);
    EXPECT_THROW(ExplicitRange(RangeAt("2019-01-01"), RangeAt("2019-12-31"), RangeAt("2024-06-30"),
                               RangeAt("2020-01-01")),
                 Error);
}

}  // namespace
}  // namespace nn::analytics
