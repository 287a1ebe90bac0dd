#include "analytics/day_count.hpp"

#include <gtest/gtest.h>

namespace nn::analytics {
namespace {

struct Case {
    const char* first;
    const char* last;
    double years;
};

TEST(YearFraction, ByAnniversaries) {
    const Case cases[] = {
        {"2023-01-01", "2023-12-31", 1.0},  // 365 days, a whole year
        {"2024-01-01", "2024-12-31", 1.0},  // 366 days (leap year), still a whole year
        {"2023-03-01", "2024-02-29", 1.0},  // spans 29 February
        {"2021-01-01", "2023-12-31", 3.0},
        {"2024-01-01", "2024-06-30", 182.0 / 366.0},  // 182 days of a 366-day year
        {"2023-01-01", "2023-07-01", 182.0 / 365.0},
        {"2023-01-01", "2024-07-01", 1.0 + 183.0 / 366.0},  // 2024-01-01..2024-07-01 is 183 days
        {"2024-05-10", "2024-05-10", 1.0 / 365.0},          // one day; the year after 2024-05-10 has 365
        {"2024-02-29", "2025-02-27", 1.0},                  // the anniversary of 29 Feb is 28 Feb
    };
    for (const Case& c : cases) {
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
