#include "analytics/xirr.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace nn::analytics {
namespace {

CashFlow XirrFlow(const char* date, const char* amount) {
    return {DateFromString(date), Decimal::FromString(amount)};
}

// The spreadsheet documentation's example (reference_vectors_test.cpp) in another order.
TEST(Xirr, OrderOfFlowsDoesNotMatter) {
    const std::vector<CashFlow> flows{
        XirrFlow("2009-04-01", "2750"), XirrFlow("2008-10-30", "4250"), XirrFlow("2008-01-01", "-10000"),
        XirrFlow("2009-02-15", "3250"), XirrFlow("2008-03-01", "2750"),
    };
    const auto rate = Xirr(flows);
    ASSERT_TRUE(rate.HasValue());
    EXPECT_NEAR(*rate, 0.373362535, 1e-8);
}

struct XirrCase {
    const char* name;
    std::vector<TimedFlow> flows;
    double expected;
};

TEST(SolveIrr, ClosedFormCases) {
    const std::vector<XirrCase> cases{
        // 100 -> 110 in one year: 10%.
        {"one_year_gain", {{0.0, -100.0}, {1.0, 110.0}}, 0.10},
        // 100 -> 121 in two years: 1.1^2 = 1.21, so 10%.
        {"two_years", {{0.0, -100.0}, {2.0, 121.0}}, 0.10},
        // 100 -> 50 in one year: -50%.
        {"loss", {{0.0, -100.0}, {1.0, 50.0}}, -0.50},
        // 1 -> 1000 in one year: 99,900% (beyond where Newton from 10% is comfortable).
        {"huge_gain", {{0.0, -1.0}, {1.0, 1000.0}}, 999.0},
        // 100 -> 0.01 in one year: -99.99%.
        {"near_total_loss", {{0.0, -100.0}, {1.0, 0.01}}, -0.9999},
        // A coupon bond at par: -100, +5 after 1 year, +105 after 2 years yields 5%.
        {"bond_at_par", {{0.0, -100.0}, {1.0, 5.0}, {2.0, 105.0}}, 0.05},
        // Half a year, 100 -> 105: (1.05)^2 - 1 = 10.25% a year.
        {"half_year", {{0.0, -100.0}, {0.5, 105.0}}, 0.1025},
    };
    for (const XirrCase& c : cases) {
        const auto rate = SolveIrr(c.flows);
        ASSERT_TRUE(rate.HasValue()) << c.name;
        EXPECT_NEAR(*rate, c.expected, 1e-7 * std::max(1.0, std::abs(c.expected))) << c.name;
    }
}

TEST(SolveIrr, NoRateWithoutBothSigns) {
    const std::vector<TimedFlow> all_paid{{0.0, -100.0}, {1.0, -50.0}};
    const auto rate = SolveIrr(all_paid);
    ASSERT_FALSE(rate.HasValue());
    EXPECT_EQ(rate.Error(), XirrFailure::kNoSignChange);
}

TEST(SolveIrr, TooFewFlows) {
    const std::vector<TimedFlow> one{{0.0, -100.0}};
    EXPECT_EQ(SolveIrr(one).Error(), XirrFailure::kTooFewFlows);
    EXPECT_EQ(SolveIrr({}).Error(), XirrFailure::kTooFewFlows);
}

// -100 + 230 v - 132 v^2 = 0 with v = 1 / (1 + r): v = (230 +- 10) / 264, so r = 10% and 20%.
TEST(SolveIrr, TwoRootsAreAmbiguous) {
    const std::vector<TimedFlow> flows{{0.0, -100.0}, {1.0, 230.0}, {2.0, -132.0}};
    const auto rate = SolveIrr(flows);
    ASSERT_FALSE(rate.HasValue());
    EXPECT_EQ(rate.Error(), XirrFailure::kMultipleRoots);
    EXPECT_NE(std::string(Describe(rate.Error())), "unknown");
}

// Issue 14.12: two roots inside one cell of the scan. -100 + 226 v - 127.65 v^2 = 0 gives
// v = (226 +- 4) / 255.3, so r = 11 % and 15 % (ln 1.11 = 0.104, ln 1.15 = 0.140: one 0.05
// cell of ln(1 + r)). The NPV is negative on both sides, so no bracket was seen and the answer
// was "no rate": it must be "several rates solve it".
TEST(SolveIrr, TwoRootsInOneScanCell) {
    const std::vector<TimedFlow> flows{{0.0, -100.0}, {1.0, 226.0}, {2.0, -127.65}};
    const auto rate = SolveIrr(flows);
    ASSERT_FALSE(rate.HasValue());
    EXPECT_EQ(rate.Error(), XirrFailure::kMultipleRoots);
    // Scaled to other periods (the same equation in half-years, in ten years) the answer holds.
    for (double scale : {0.5, 10.0}) {
        const std::vector<TimedFlow> scaled{{0.0, -100.0}, {scale, 226.0}, {2.0 * scale, -127.65}};
        const auto r = SolveIrr(scaled);
        ASSERT_FALSE(r.HasValue()) << scale;
        EXPECT_EQ(r.Error(), XirrFailure::kMultipleRoots) << scale;
    }
}

// -100 + 50 v - 100 v^2 has discriminant 2500 - 40000 < 0: negative for every v.
TEST(SolveIrr, SignChangesWithoutRoot) {
    const std::vector<TimedFlow> flows{{0.0, -100.0}, {1.0, 50.0}, {2.0, -100.0}};
    const auto rate = SolveIrr(flows);
    ASSERT_FALSE(rate.HasValue());
    EXPECT_EQ(rate.Error(), XirrFailure::kNoRoot);
}

// Several sign changes but one root: -100, +50, -10, +80 over three years. Solved by the
// bracketing path; the test checks the NPV at the answer is zero (computed here, by hand).
TEST(SolveIrr, SeveralSignChangesOneRoot) {
    const std::vector<TimedFlow> flows{{0.0, -100.0}, {1.0, 50.0}, {2.0, -10.0}, {3.0, 80.0}};
    const auto rate = SolveIrr(flows);
    ASSERT_TRUE(rate.HasValue());
    const double v = 1.0 / (1.0 + *rate);
    EXPECT_NEAR(-100.0 + 50.0 * v - 10.0 * v * v + 80.0 * v * v * v, 0.0, 1e-6);
    EXPECT_GT(*rate, 0.0);
    EXPECT_LT(*rate, 0.2);
}

}  // namespace
}  // namespace nn::analytics
