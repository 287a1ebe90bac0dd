#include "analytics/returns.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/error.hpp"
#include "core/testing.hpp"

namespace nn::analytics {
namespace {

using nn::testing::D;

DayPoint ReturnsDay(const char* date, const char* value, const char* in = "0", const char* out = "0") {
    DayPoint p;
    p.date = DateFromString(date);
    p.value = D(value);
    p.inflow = D(in);
    p.outflow = D(out);
    return p;
}

// The worked example of docs/analytics.md §6, computed by hand:
//   opening value 1000 (end of 2024-02-27)
//   2024-02-28: value 1100, no flow        r1 = 1100 / 1000 - 1            = 0.10
//   2024-02-29: deposit 500, value 1650    r2 = 1650 / (1100 + 500) - 1    = 0.03125
//   2024-03-01: withdrawal 300, value 1400 r3 = (1400 + 300) / 1650 - 1    = 1/33
//   TWR = 1.1 * 1.03125 * 1700/1650 - 1 = 1.16875 - 1                      = 0.16875
//   gain = 1400 - 1000 - 500 + 300 = 200
//   Modified Dietz: T = 3 days; deposit at the start of day 2: w = (3 - 1)/3; withdrawal at the
//   end of day 3: w = 0; 200 / (1000 + 500 * 2/3)                          = 0.15
//   simple: 200 / (1000 + 500)                                             = 0.133333...
Period WorkedExample() {
    Period p;
    p.opening_value = D("1000");
    p.days = {ReturnsDay("2024-02-28", "1100"), ReturnsDay("2024-02-29", "1650", "500"),
              ReturnsDay("2024-03-01", "1400", "0", "300")};
    p.days[0].income = D("20");
    p.days[2].fx_effect = D("-5");
    return p;
}

TEST(Returns, WorkedExampleDaily) {
    const std::vector<DayReturn> daily = DailyReturns(WorkedExample());
    ASSERT_EQ(daily.size(), 3u);
    EXPECT_NEAR(daily[0].value, 0.10, 1e-15);
    EXPECT_NEAR(daily[1].value, 0.03125, 1e-15);
    EXPECT_NEAR(daily[2].value, 1.0 / 33.0, 1e-15);
    for (const DayReturn& r : daily) {
        EXPECT_TRUE(r.defined);
    }
    EXPECT_NEAR(TimeWeightedReturn(daily), 0.16875, 1e-14);
}

TEST(Returns, WorkedExampleOtherMethods) {
    const Period period = WorkedExample();
    EXPECT_NEAR(*ModifiedDietz(period), 0.15, 1e-14);
    const GainSplit gain = SplitGain(period);
    EXPECT_EQ(gain.total, D("200"));
    EXPECT_EQ(gain.inflows, D("500"));
    EXPECT_EQ(gain.outflows, D("300"));
    EXPECT_EQ(gain.income, D("20"));
    EXPECT_EQ(gain.currency, D("-5"));
    EXPECT_EQ(gain.capital, D("185"));  // 200 - 20 - (-5)
    EXPECT_NEAR(*SimpleReturn(gain), 200.0 / 1500.0, 1e-15);
}

// Money-weighted (issue 14.14: every flow on its own day, as spreadsheet XIRR and Portfolio
// Performance date them): -1000 on 2024-02-27 (the opening value, that day's close), -500 on
// 02-29 (day 2), +300 and +1400 on 03-01 (day 3). With g the daily growth factor, everything
// carried to day 3: 1000 g^3 + 500 g = 1700; the period return is m = g^3 - 1 (~0.17273 by hand:
// g = 1.054546 gives 1172.73 + 527.27 = 1700.0).
TEST(Returns, WorkedExampleMoneyWeighted) {
    const PeriodPerformance perf = Measure(WorkedExample());
    ASSERT_TRUE(perf.money_weighted.has_value()) << perf.money_weighted_unavailable;
    const double m = *perf.money_weighted;
    const double g = std::cbrt(1.0 + m);
    EXPECT_NEAR(1000.0 * g * g * g + 500.0 * g, 1700.0, 1e-5);
    EXPECT_NEAR(m, 0.17273, 5e-5);
    EXPECT_FALSE(perf.money_weighted_annualised.has_value());  // 3 days: never annualised
    EXPECT_FALSE(perf.time_weighted_annualised.has_value());
    EXPECT_EQ(perf.days, 3);
    EXPECT_NEAR(perf.years, 3.0 / 366.0, 1e-15);  // the year after 2024-02-28 holds 29 Feb
}

TEST(Returns, OneDay) {
    Period p;
    p.opening_value = D("100");
    p.days = {ReturnsDay("2024-05-10", "105")};
    const PeriodPerformance perf = Measure(p);
    EXPECT_NEAR(perf.time_weighted, 0.05, 1e-15);
    EXPECT_NEAR(*perf.modified_dietz, 0.05, 1e-15);
    EXPECT_NEAR(*perf.simple, 0.05, 1e-15);
    ASSERT_TRUE(perf.money_weighted.has_value());
    EXPECT_NEAR(*perf.money_weighted, 0.05, 1e-9);
}

// Without flows every method measures the same thing: V_end / V_0 - 1 = 1210 / 1000 - 1.
TEST(Returns, NoFlowsAllMethodsAgree) {
    Period p;
    p.opening_value = D("1000");
    p.days = {ReturnsDay("2023-01-02", "1050"), ReturnsDay("2023-01-03", "990"),
              ReturnsDay("2023-01-04", "1210")};
    const PeriodPerformance perf = Measure(p);
    EXPECT_NEAR(perf.time_weighted, 0.21, 1e-14);
    EXPECT_NEAR(*perf.modified_dietz, 0.21, 1e-14);
    EXPECT_NEAR(*perf.simple, 0.21, 1e-14);
    ASSERT_TRUE(perf.money_weighted.has_value()) << perf.money_weighted_unavailable;
    EXPECT_NEAR(*perf.money_weighted, 0.21, 1e-8);
}

// A portfolio opened on the first day and emptied on the last:
//   day 1: deposit 1000 at the start, value 1010       r = 1010 / 1000 - 1
//   day 2: value 1020                                  r = 1020 / 1010 - 1
//   day 3: everything sold and 1030 withdrawn, value 0 r = (0 + 1030) / 1020 - 1
// TWR = 1030 / 1000 - 1 = 3%; MD: gain 30 over 1000 * 1 (deposit weight 1, withdrawal 0) = 3%.
TEST(Returns, FlowsOnFirstAndLastDayEverythingSold) {
    Period p;
    p.opening_value = D("0");
    p.days = {ReturnsDay("2024-12-30", "1010", "1000"), ReturnsDay("2024-12-31", "1020"),
              ReturnsDay("2025-01-01", "0", "0", "1030")};
    const PeriodPerformance perf = Measure(p);
    EXPECT_NEAR(perf.time_weighted, 0.03, 1e-14);
    EXPECT_NEAR(*perf.modified_dietz, 0.03, 1e-14);
    EXPECT_NEAR(*perf.simple, 0.03, 1e-14);
    ASSERT_TRUE(perf.money_weighted.has_value());
    // Money-weighted, every flow on its own day (issue 14.14): the 1000 was in from 12-30 to
    // 01-01, two of the period's three days (opening 12-29), so the rate over the period is
    // 1.03^(3/2) - 1 (a spreadsheet's XIRR of -1000 on 12-30 and +1030 on 01-01 is the same rate a
    // year). It used to be 3% with the withdrawal dated 01-02.
    EXPECT_NEAR(*perf.money_weighted, std::pow(1.03, 1.5) - 1.0, 1e-8);
    EXPECT_EQ(perf.gain.total, D("30"));
    EXPECT_EQ(perf.gain.closing_value, D("0"));
}

// Days with zero value and no flow have no capital at work: undefined, chained as 0.
TEST(Returns, ZeroValueDays) {
    Period p;
    p.opening_value = D("0");
    p.days = {ReturnsDay("2024-01-01", "0"), ReturnsDay("2024-01-02", "0"),
              ReturnsDay("2024-01-03", "220", "200"), ReturnsDay("2024-01-04", "0", "0", "231"),
              ReturnsDay("2024-01-05", "0")};
    const std::vector<DayReturn> daily = DailyReturns(p);
    ASSERT_EQ(daily.size(), 5u);
    EXPECT_FALSE(daily[0].defined);
    EXPECT_FALSE(daily[1].defined);
    EXPECT_TRUE(daily[2].defined);
    EXPECT_NEAR(daily[2].value, 0.10, 1e-15);
    EXPECT_NEAR(daily[3].value, 0.05, 1e-15);  // 231 / 220 - 1
    EXPECT_FALSE(daily[4].defined);
    EXPECT_NEAR(TimeWeightedReturn(daily), 1.1 * 1.05 - 1.0, 1e-14);
}

TEST(Returns, NothingInvestedHasNoSimpleOrMoneyWeightedReturn) {
    Period p;
    p.opening_value = D("0");
    p.days = {ReturnsDay("2024-01-01", "0"), ReturnsDay("2024-01-02", "0")};
    const PeriodPerformance perf = Measure(p);
    EXPECT_EQ(perf.time_weighted, 0.0);
    EXPECT_FALSE(perf.simple.has_value());
    EXPECT_FALSE(perf.modified_dietz.has_value());
    EXPECT_FALSE(perf.money_weighted.has_value());
    EXPECT_FALSE(perf.money_weighted_unavailable.empty());
}

// A leap-year period of exactly one calendar year is annualised, and the annual figure equals
// the period figure (1 year). 2024-01-01..2024-12-31 has 366 days.
TEST(Returns, LeapYearAnnualisation) {
    Period p;
    p.opening_value = D("1000");
    p.days = {ReturnsDay("2024-01-01", "1000"), ReturnsDay("2024-12-31", "1100")};
    const PeriodPerformance perf = Measure(p);
    EXPECT_EQ(perf.days, 366);
    EXPECT_NEAR(perf.years, 1.0, 1e-15);
    ASSERT_TRUE(perf.time_weighted_annualised.has_value());
    EXPECT_NEAR(*perf.time_weighted_annualised, 0.10, 1e-14);
    // The XIRR counts 366 / 365 years: 1.1^(365/366) - 1, as a spreadsheet would.
    ASSERT_TRUE(perf.money_weighted_annualised.has_value());
    EXPECT_NEAR(*perf.money_weighted_annualised, std::pow(1.1, 365.0 / 366.0) - 1.0, 1e-8);
}

// Over two years with flows, the annualised money-weighted return is the spreadsheet XIRR of
// the investor's flows dated by the convention: the opening value and each deposit on the
// date they arrive (start of day), each withdrawal and the closing value on the day after (end
// of day). So a user can check it with =XIRR() on these five rows.
// Issue 14.14: the annual money-weighted figure is =XIRR(values, dates) of the rows a user would
// type: the opening value on its own day (the close of 2021-12-31), each deposit and each
// withdrawal on the day it happened, the closing value on the last day (2023-12-31). It used to
// date the withdrawal and the closing value one day later (2023-03-11, 2024-01-01).
TEST(Returns, AnnualisedMoneyWeightedIsTheSpreadsheetXirr) {
    Period p;
    p.opening_value = D("10000");
    p.days = {ReturnsDay("2022-01-01", "10100"), ReturnsDay("2022-06-15", "13000", "2500"),
              ReturnsDay("2023-03-10", "11800", "0", "1500"), ReturnsDay("2023-12-31", "12900")};
    const PeriodPerformance perf = Measure(p);
    ASSERT_TRUE(perf.money_weighted_annualised.has_value()) << perf.money_weighted_unavailable;
    const std::vector<CashFlow> flows{
        {DateFromString("2021-12-31"), D("-10000")},
        {DateFromString("2022-06-15"), D("-2500")},
        {DateFromString("2023-03-10"), D("1500")},
        {DateFromString("2023-12-31"), D("12900")},
    };
    const auto xirr = Xirr(flows);
    ASSERT_TRUE(xirr.HasValue());
    EXPECT_NEAR(*perf.money_weighted_annualised, *xirr, 1e-9);
    EXPECT_NEAR(perf.years, 2.0, 1e-15);
    // Gain 12900 - 10000 - 2500 + 1500 = 1900 on 12500 put in.
    EXPECT_NEAR(*perf.simple, 1900.0 / 12500.0, 1e-15);
}

// Issue 14.14: a deposit and a withdrawal of the same amount on the same day cancel out in the
// money-weighted return, as they do in a spreadsheet (same date, opposite signs); they used to
// be a day apart, a one-day loan at the portfolio's rate.
TEST(Returns, SameDayDepositAndWithdrawalCancel) {
    Period with;
    with.opening_value = D("1000");
    with.days = {ReturnsDay("2024-01-01", "1050"), ReturnsDay("2024-01-02", "1100", "5000", "5000"),
                 ReturnsDay("2024-01-03", "1210")};
    Period without = with;
    without.days[1].inflow = D("0");
    without.days[1].outflow = D("0");
    const PeriodPerformance a = Measure(with);
    const PeriodPerformance b = Measure(without);
    ASSERT_TRUE(a.money_weighted && b.money_weighted);
    EXPECT_NEAR(*a.money_weighted, *b.money_weighted, 1e-9);
    EXPECT_NEAR(*b.money_weighted, 0.21, 1e-8);
}

// 10 shares at 50 USD -> 52 USD while USD/EUR goes 0.90 -> 0.92 (EUR per USD):
// value 450 EUR -> 478.40 EUR, change 28.40 = price 10 * 2 * 0.90 = 18.00 + currency
// 520 * 0.02 = 10.40.
TEST(Returns, CurrencyEffectSplitsTheDayChangeExactly) {
    const Decimal effect = DayCurrencyEffect(D("520"), D("0.90"), D("0.92"));
    EXPECT_EQ(effect, D("10.40"));
    const Decimal price_effect = D("10") * (D("52") - D("50")) * D("0.90");
    EXPECT_EQ(price_effect + effect, D("10") * D("52") * D("0.92") - D("10") * D("50") * D("0.90"));
    EXPECT_EQ(DayCurrencyEffect(D("520"), D("0.92"), D("0.90")), D("-10.40"));
}

TEST(Returns, SetNetFlowSplitsBySign) {
    DayPoint p;
    SetNetFlow(p, D("25.5"));
    EXPECT_EQ(p.inflow, D("25.5"));
    EXPECT_TRUE(p.outflow.IsZero());
    SetNetFlow(p, D("-7"));
    EXPECT_TRUE(p.inflow.IsZero());
    EXPECT_EQ(p.outflow, D("7"));
}

TEST(Returns, RejectsBadSeries) {
    Period empty;
    EXPECT_THROW(DailyReturns(empty), Error);
    Period unsorted;
    unsorted.days = {ReturnsDay("2024-01-02", "1"), ReturnsDay("2024-01-01", "1")};
    EXPECT_THROW(DailyReturns(unsorted), Error);
    Period duplicate;
    duplicate.days = {ReturnsDay("2024-01-01", "1"), ReturnsDay("2024-01-01", "1")};
    EXPECT_THROW(Measure(duplicate), Error);
    Period negative;
    negative.days = {ReturnsDay("2024-01-01", "-1")};
    EXPECT_THROW(ModifiedDietz(negative), Error);
}

// Properties on a one-asset portfolio: a deposit on day t buys units at the start of the day
// (yesterday's close), a withdrawal sells at the day's close. Then TWR is exactly the price
// return p_T / p_0 - 1, whatever the flows (and so unchanged when they are scaled); with flat
// prices it is 0.
struct Simulation {
    Period period;
    double price_return = 0.0;
};

Simulation Simulate(const std::vector<Decimal>& prices,
                    std::uint32_t seed,
                    int flow_scale,
                    int opening_units) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> kind(0, 3);
    std::uniform_int_distribution<int> units(1, 5);
    Simulation s;
    Decimal held = Decimal::FromInt(opening_units);
    s.period.opening_value = held * prices[0];
    Date date = DateFromString("2024-02-26");
    for (std::size_t t = 1; t < prices.size(); ++t) {
        DayPoint d;
        d.date = date = AddDays(date, 1);
        const int k = kind(rng);
        const Decimal n = Decimal::FromInt(units(rng) * flow_scale);
        if (k == 0) {
            d.inflow = n * prices[t - 1];
            held += n;
        }
        if (k == 1 && held >= n) {
            d.outflow = n * prices[t];
            held -= n;
        }
        if (k == 2) {  // sell everything
            d.outflow = held * prices[t];
            held = Decimal();
        }
        d.value = held * prices[t];
        s.period.days.push_back(d);
    }
    s.price_return = prices.back().ToDouble() / prices.front().ToDouble() - 1.0;
    return s;
}

std::vector<Decimal> RandomPrices(std::uint32_t seed, int days) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> cents(5000, 15000);
    std::vector<Decimal> prices;
    for (int i = 0; i <= days; ++i) {
        prices.push_back(Decimal::FromUnscaled(cents(rng), 2));
    }
    return prices;
}

TEST(ReturnsProperty, FlatPricesGiveZeroWhateverTheFlows) {
    for (std::uint32_t seed = 1; seed <= 50; ++seed) {
        const std::vector<Decimal> flat(40, D("123.45"));
        const Simulation s = Simulate(flat, seed, 1, 10);
        EXPECT_EQ(TimeWeightedReturn(DailyReturns(s.period)), 0.0) << seed;
    }
}

TEST(ReturnsProperty, TwrIsThePriceReturnWhateverTheFlows) {
    for (std::uint32_t seed = 1; seed <= 50; ++seed) {
        const std::vector<Decimal> prices = RandomPrices(seed, 60);
        // The opening holding may be 0: the first deposit then starts the clock.
        const Simulation s = Simulate(prices, seed * 7, 1, static_cast<int>(seed % 3));
        const double twr = TimeWeightedReturn(DailyReturns(s.period));
        // Before the first deposit and after a full sale nothing is at work, so compare with the
        // price return over the days that had capital.
        double expected = 1.0;
        Decimal previous = s.period.opening_value;
        for (std::size_t t = 0; t < s.period.days.size(); ++t) {
            const DayPoint& d = s.period.days[t];
            if (!(previous + d.inflow).IsZero()) {
                expected *= prices[t + 1].ToDouble() / prices[t].ToDouble();
            }
            previous = d.value;
        }
        EXPECT_NEAR(twr, expected - 1.0, 1e-12) << seed;
    }
}

TEST(ReturnsProperty, ScalingFlowsLeavesTwrUnchanged) {
    // The same trades with every flow and the opening holding scaled by 3 and by 1000.
    const std::vector<Decimal> prices = RandomPrices(99, 80);
    for (std::uint32_t seed = 1; seed <= 20; ++seed) {
        const double base = TimeWeightedReturn(DailyReturns(Simulate(prices, seed, 1, 10).period));
        for (int scale : {3, 1000}) {
            const double scaled =
                TimeWeightedReturn(DailyReturns(Simulate(prices, seed, scale, 10 * scale).period));
            EXPECT_NEAR(scaled, base, 1e-12) << seed << " x" << scale;
        }
    }
}

}  // namespace
}  // namespace nn::analytics
