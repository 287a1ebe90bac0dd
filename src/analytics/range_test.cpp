#include "analytics/range.hpp"

#include <gtest/gtest.h>

#include "analytics/day_count.hpp"
#include "core/error.hpp"

namespace nn::analytics {
namespace {

Date At(const char* text) {
    return DateFromString(text);
}

struct Case {
    const char* name;
    const char* today;
    const char* first;
};

TEST(NamedRange, StartsTheDayAfterTheSameDateOnePeriodEarlier) {
    const Date inception = At("2000-01-01");
    const Case cases[] = {
        {"1D", "2024-03-01", "2024-03-01"},  {"1W", "2024-03-01", "2024-02-24"},
        {"1M", "2024-03-31", "2024-03-01"},  // 1 month before 03-31 is 02-29 (clamped)
        {"3M", "2024-05-15", "2024-02-16"},  {"YTD", "2024-05-15", "2024-01-01"},
        {"1Y", "2024-02-29", "2023-03-01"},  // a year before 29 Feb is 28 Feb
        {"3Y", "2025-06-30", "2022-07-01"},  {"5Y", "2025-01-01", "2020-01-02"},
        {"MAX", "2025-01-01", "2000-01-01"},
    };
    for (const Case& c : cases) {
        const std::optional<DateRange> range = NamedRange(c.name, At(c.today), inception);
        ASSERT_TRUE(range.has_value()) << c.name;
        EXPECT_EQ(range->first, At(c.first)) << c.name;
        EXPECT_EQ(range->last, At(c.today)) << c.name;
    }
}

TEST(NamedRange, YearRangesAreWholeYears) {
    for (const char* today : {"2024-02-29", "2025-02-28", "2024-12-31", "2023-07-04"}) {
        const DateRange one = *NamedRange("1Y", At(today), At("1990-01-01"));
        EXPECT_NEAR(YearFraction(one.first, one.last), 1.0, 1e-12) << today;
        const DateRange five = *NamedRange("5Y", At(today), At("1990-01-01"));
        EXPECT_NEAR(YearFraction(five.first, five.last), 5.0, 1e-12) << today;
    }
}

TEST(NamedRange, ClampedToInceptionAndUnknownNames) {
    const DateRange r = *NamedRange("1Y", At("2024-06-30"), At("2024-05-02"));
    EXPECT_EQ(r.first, At("2024-05-02"));
    EXPECT_FALSE(NamedRange("2W", At("2024-06-30"), At("2024-05-02")).has_value());
    EXPECT_FALSE(NamedRange("1y", At("2024-06-30"), At("2024-05-02")).has_value());
}

TEST(ExplicitRange, ClampsAndRejects) {
    const DateRange r = ExplicitRange(At("2020-01-01"), At("2030-01-01"), At("2024-06-30"), At("2021-03-04"));
    EXPECT_EQ(r.first, At("2021-03-04"));
    EXPECT_EQ(r.last, At("2024-06-30"));
    EXPECT_THROW(ExplicitRange(At("2024-02-01"), At("2024-01-01"), At("2024-06-30"), At("2020-01-01")),
                 Error);
    EXPECT_THROW(ExplicitRange(At("2019-01-01"), At("2019-12-31"), At("2024-06-30"), At("2020-01-01")),
                 Error);
}

}  // namespace
}  // namespace nn::analytics
