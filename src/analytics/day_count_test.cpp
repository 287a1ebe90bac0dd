#include "analytics/day_count.hpp"

#include <gtest/gtest.h>

namespace nn::analytics {
namespace {

struct DayCountCase {
    const char* first;
    const char* last;
    double years;
};

TEST(YearFraction, ByAnniversaries) {
    const DayCountCase cases[] = {
        {"2023-01-01", "2023-12-31", 1.0},  // 365 days, a whole year
        {"2024-01-01", "2024-12-31", 1.0},  // 366 days (leap year), still a whole year
        {"2023-03-01", "2024-02-29", 1.0},  // spans 29 February
        {"2021-01-01", "2023-12-31", 3.0},
        {"2024-01-01", "2024-06-30", 182.0 / 366.0},  // 182 days of a 366-day year
        {"2023-01-01", "2023-07-01", 182.0 / 365.0},
        // Back one year from 2024-07-01 is 2023-07-01; the opening (2022-12-31) to it is 182 days
        // of the 365-day year ending on 2023-07-01.
        {"2023-01-01", "2024-07-01", 1.0 + 182.0 / 365.0},
        {"2024-05-10", "2024-05-10", 1.0 / 366.0},    // one day; the year ending 2024-05-10 holds 29 Feb
        {"2024-02-29", "2025-02-27", 365.0 / 366.0},  // opening 2024-02-28: one day short of a year
        {"2024-02-29", "2025-02-28", 1.0},            // opening 2024-02-28 to 2025-02-28
    };
    for (const DayCountCase& c : cases) {
        EXPECT_NEAR(YearFraction(DateFromString(c.first), DateFromString(c.last)), c.years, 1e-12)
            << c.first << ".." << c.last;
    }
}

TEST(Annualise, OnlyFromOneYear) {
    EXPECT_FALSE(Annualise(0.05, 0.5).has_value());
    EXPECT_FALSE(Annualise(0.05, 0.999).has_value());
    EXPECT_NEAR(*Annualise(0.05, 1.0), 0.05, 1e-15);
    EXPECT_NEAR(*Annualise(0.21, 2.0), 0.10, 1e-12);    // 1.1^2 = 1.21
    EXPECT_NEAR(*Annualise(0.331, 3.0), 0.10, 1e-12);   // 1.1^3 = 1.331
    EXPECT_NEAR(*Annualise(-0.19, 2.0), -0.10, 1e-12);  // 0.9^2 = 0.81
    EXPECT_FALSE(Annualise(-1.0, 2.0).has_value());     // total loss
}

}  // namespace
}  // namespace nn::analytics
