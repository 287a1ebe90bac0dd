// Published reference figures, reproduced with NexaNest's formulas (issue 14, "Reference
// vectors"). Each case cites its source; the numbers are copied from it, not worked out here.
// Tests worked out under NexaNest's own rules live in xirr_test, returns_test and risk_test.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "analytics/returns.hpp"
#include "analytics/risk.hpp"
#include "analytics/xirr.hpp"

namespace nn::analytics {
namespace {

CashFlow ReferenceFlow(const char* date, const char* amount) {
    return {DateFromString(date), Decimal::FromString(amount)};
}

// --- Spreadsheet XIRR ---------------------------------------------------------------------

// The example of the XIRR function's documentation (Microsoft Excel "XIRR function";
// LibreOffice Calc Help "XIRR"): 0.373362535 (37.34 %).
TEST(ReferenceSpreadsheet, XirrDocumentationExample) {
    const std::vector<CashFlow> flows{
        ReferenceFlow("2008-01-01", "-10000"), ReferenceFlow("2008-03-01", "2750"),
        ReferenceFlow("2008-10-30", "4250"), ReferenceFlow("2009-02-15", "3250"),
        ReferenceFlow("2009-04-01", "2750")};
    const auto rate = Xirr(flows);
    ASSERT_TRUE(rate.HasValue());
    EXPECT_NEAR(*rate, 0.373362535, 1e-8);
}

// --- Portfolio Performance ----------------------------------------------------------------
// portfolio-performance/portfolio, name.abuchen.portfolio.tests/src/name/abuchen/portfolio/math/
// IRRTest.java (commit 64f8527aa5d1e871c998ff8a570606cb989da4f1), whose expected values are
// Excel's XIRR of the same flows.

// testSimpleExcelTestCase: -200 on 2010-01-01, +210 on 2010-12-31 -> 0.050140747 (8 places).
TEST(ReferencePortfolioPerformance, SimpleExcelTestCase) {
    const std::vector<CashFlow> flows{ReferenceFlow("2010-01-01", "-200"),
                                      ReferenceFlow("2010-12-31", "210")};
    const auto rate = Xirr(flows);
    ASSERT_TRUE(rate.HasValue());
    EXPECT_NEAR(*rate, 0.050140747, 5e-9);
}

// testComplexExcelTestCaseWithSlowCurve: -> 0.1444629967 (PP asserts within 0.0001).
TEST(ReferencePortfolioPerformance, ComplexExcelTestCaseWithSlowCurve) {
    const std::vector<CashFlow> flows{
        ReferenceFlow("2002-11-30", "-4398"), ReferenceFlow("2007-06-11", "200"),
        ReferenceFlow("2008-05-11", "270"),   ReferenceFlow("2009-05-01", "280"),
        ReferenceFlow("2010-06-01", "280"),   ReferenceFlow("2011-05-02", "300"),
        ReferenceFlow("2012-04-30", "330"),   ReferenceFlow("2012-12-06", "14508")};
    const auto rate = Xirr(flows);
    ASSERT_TRUE(rate.HasValue());
    EXPECT_NEAR(*rate, 0.1444629967, 1e-4);
}

// testSmallConvergenceInterval (PP issue #1904): -> -0.999251643 (within 0.0001).
TEST(ReferencePortfolioPerformance, SmallConvergenceInterval) {
    const std::vector<CashFlow> flows{ReferenceFlow("2019-05-24", "-1560.94"),
                                      ReferenceFlow("2020-01-13", "-1160"),
                                      ReferenceFlow("2020-06-29", "42.80")};
    const auto rate = Xirr(flows);
    ASSERT_TRUE(rate.HasValue());
    EXPECT_NEAR(*rate, -0.999251643, 1e-4);
}

// --- empyrical ----------------------------------------------------------------------------
// quantopian/empyrical, empyrical/tests/test_stats.py (commit
// 0a9fa5848a3ed519be0f514df9e3a04fb7b37ad3), daily returns starting 2000-01-30, annualisation
// 252, asserted there to 8 decimal places. empyrical drops the leading NaN of mixed_returns;
// so do we (it is not a return). Its required_return is per period; ours is an annual rate
// divided by 252, so a per-day 0.1 is passed as 25.2.

const std::vector<double> kMixed{0.01, 0.10, -0.04, 0.02, 0.03, 0.02, 0.01, -0.10};  // NaN dropped
const std::vector<double> kPositive{0.01, 0.02, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01};
const std::vector<double> kNegative{0.0, -0.06, -0.07, -0.01, -0.09, -0.02, -0.06, -0.08, -0.05};

constexpr double kPlaces8 = 1.5e-8;  // numpy's assert_almost_equal(decimal=8)

// The wealth index of daily returns dated from `first`, for the drawdown and beta.
std::vector<Level> Levels(const std::vector<double>& returns, const char* first) {
    std::vector<DayReturn> daily;
    Date day = DateFromString(first);
    for (double r : returns) {
        daily.push_back({day, r, true});
        day = AddDays(day, 1);
    }
    return WealthIndex(daily);
}

TEST(ReferenceEmpyrical, AnnualVolatility) {
    // test_annual_volatility: (mixed_returns, DAILY, 0.9136465399704637)
    EXPECT_NEAR(*Volatility(kMixed, RiskOptions{}), 0.9136465399704637, kPlaces8);
}

TEST(ReferenceEmpyrical, SharpeRatio) {
    // test_sharpe_ratio: mixed 1.7238613961706866, positive 52.915026221291804,
    // negative -24.406808633910085 (risk-free 0)
    EXPECT_NEAR(*Sharpe(kMixed, RiskOptions{}), 1.7238613961706866, kPlaces8);
    EXPECT_NEAR(*Sharpe(kPositive, RiskOptions{}), 52.915026221291804, 1e-6);
    EXPECT_NEAR(*Sharpe(kNegative, RiskOptions{}), -24.406808633910085, 1e-6);
}

TEST(ReferenceEmpyrical, DownsideRisk) {
    // test_downside_risk: (mixed, 0.0, DAILY, 0.60448325038829653), (mixed, 0.1, DAILY,
    // 1.7161730681956295)
    EXPECT_NEAR(*DownsideDeviation(kMixed, RiskOptions{}), 0.60448325038829653, kPlaces8);
    RiskOptions per_day_tenth;
    per_day_tenth.risk_free_rate = 0.1 * 252;
    EXPECT_NEAR(*DownsideDeviation(kMixed, per_day_tenth), 1.7161730681956295, kPlaces8);
}

TEST(ReferenceEmpyrical, SortinoRatio) {
    // test_sortino: (mixed, 0.0, DAILY, 2.605531251673693), (negative, 0.0, DAILY,
    // -13.532743075043401)
    EXPECT_NEAR(*Sortino(kMixed, RiskOptions{}), 2.605531251673693, kPlaces8);
    EXPECT_NEAR(*Sortino(kNegative, RiskOptions{}), -13.532743075043401, 1e-6);
}

TEST(ReferenceEmpyrical, MaxDrawdown) {
    // test_max_drawdown: mixed -0.1, negative -0.36590730349873601, [10, -10, 10] % -> -0.10
    EXPECT_NEAR(MaxDrawdown(Levels(kMixed, "2000-01-31"))->depth, -0.1, kPlaces8);
    EXPECT_NEAR(MaxDrawdown(Levels(kNegative, "2000-01-30"))->depth, -0.36590730349873601, kPlaces8);
    EXPECT_NEAR(MaxDrawdown(Levels({0.10, -0.10, 0.10}, "2000-01-30"))->depth, -0.10, kPlaces8);
}

TEST(ReferenceEmpyrical, Beta) {
    // test_alpha_beta: (mixed_returns, negative_returns[1:]) -> beta -0.71296296296296313, both
    // on 2000-01-31 .. 2000-02-07
    const std::vector<double> negative_from_second(kNegative.begin() + 1, kNegative.end());
    const BenchmarkRelation relation =
        RelateToBenchmark(Levels(kMixed, "2000-01-31"), Levels(negative_from_second, "2000-01-31"));
    ASSERT_TRUE(relation.beta.has_value());
    EXPECT_NEAR(*relation.beta, -0.71296296296296313, kPlaces8);
    EXPECT_EQ(relation.observations, 8);
}

// --- Modified Dietz -----------------------------------------------------------------------

DayPoint ReferenceDay(const char* date, const char* value, const char* in = "0", const char* out = "0") {
    DayPoint p;
    p.date = DateFromString(date);
    p.value = Decimal::FromString(value);
    p.inflow = Decimal::FromString(in);
    p.outflow = Decimal::FromString(out);
    return p;
}

// Wikipedia, "Modified Dietz method", section "Example": 100 at the start of the first year, 300
// at the end of the second, an inflow of 50 at the end of the first year (beginning of the
// second; neither year a leap year): (300 - 100 - 50) / (100 + 50 / 2) = 120 %.
TEST(ReferenceModifiedDietz, WikipediaTwoYearExample) {
    Period p;
    p.opening_value = Decimal::FromInt(100);
    p.days = {ReferenceDay("2001-01-01", "100"), ReferenceDay("2002-01-01", "150", "50"),
              ReferenceDay("2002-12-31", "300")};
    const std::optional<double> md = ModifiedDietz(p);
    ASSERT_TRUE(md.has_value());
    EXPECT_NEAR(*md, 1.2, 1e-12);
}

// A GIPS composite-return practice question (CFA Level III, "Overview of the Global Investment
// Performance Standards: GIPS verification", bloombergprep.com practice 400/bac110): October
// (31 days), 585.60 at the start, 602.34 at the end; flows -15.05, +19.82, +16.42, -18.96 at
// 5, 9, 15 and 24 days into the month, each weighted (31 - D) / 31: about 2.45 %. Our inflows
// arrive at the start of their day (D days in = the day first + D) and outflows leave at its
// end (D days in = the end of day first + D - 1), which gives the same weights.
TEST(ReferenceModifiedDietz, GipsCompositeMonth) {
    Period p;
    p.opening_value = Decimal::FromString("585.60");
    p.days = {ReferenceDay("2024-10-01", "585.60"),
              ReferenceDay("2024-10-05", "570", "0", "15.05"),  // -15.05, D = 5
              ReferenceDay("2024-10-10", "590", "19.82"),       // +19.82, D = 9
              ReferenceDay("2024-10-16", "606", "16.42"),       // +16.42, D = 15
              ReferenceDay("2024-10-24", "590", "0", "18.96"),  // -18.96, D = 24
              ReferenceDay("2024-10-31", "602.34")};
    const std::optional<double> md = ModifiedDietz(p);
    ASSERT_TRUE(md.has_value());
    EXPECT_NEAR(*md, 0.0245, 5e-5);
}

}  // namespace
}  // namespace nn::analytics
