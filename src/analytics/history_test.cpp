#include "analytics/history.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/testing.hpp"

namespace nn::analytics {
namespace {

Date HistoryAt(const char* text) {
    return DateFromString(text);
}

using nn::testing::D;

Movement HistoryCash(const char* date, const char* change, const char* flow, const char* income = "0") {
    Movement m;
    m.date = HistoryAt(date);
    m.currency = "EUR";
    m.cash_change = D(change);
    m.flow_local = D(flow);
    m.income = D(income);
    return m;
}

Movement HistoryTrade(const char* date,
                      const char* symbol,
                      const char* quantity,
                      const char* price,
                      const char* cash,
                      const char* currency = "EUR",
                      const char* rate = "0") {
    Movement m;
    m.date = HistoryAt(date);
    m.symbol = symbol;
    m.quantity_change = D(quantity);
    m.price = D(price);
    m.cash_change = D(cash);
    m.currency = currency;
    m.rate = D(rate);
    return m;
}

// Base EUR. By hand:
//   01-01 deposit 1000                         opening value (end of 01-01) = 1000
//   01-02 buy 10 AAA at 50 EUR, fee 1          cash 499 + 10 x 50          = 999
//   01-03 buy 2 BBB at 100 USD (rate 0.90), no USD cash: implicit deposit 200 x 0.90 = 180
//                                             499 + 10 x 52 + 2 x 100 x 0.90 = 1199
//   01-04 dividend 5 on AAA; USD 0.95; BBB has no close (carries 100)
//                                             504 + 10 x 54 + 200 x 0.95   = 1234
//                                             currency effect 200 x (0.95 - 0.90) = 10
//   01-05 sell 10 AAA at 55, withdraw 1054     2 x 110 x 0.95               = 209
HistoryInputs Inputs() {
    HistoryInputs in;
    in.base_currency = "EUR";
    in.movements = {
        HistoryTrade("2024-01-05", "AAA", "-10", "55", "550"),  // order does not matter
        HistoryCash("2024-01-01", "1000", "1000"),
        HistoryTrade("2024-01-02", "AAA", "10", "50", "-501"),
        HistoryTrade("2024-01-03", "BBB", "2", "100", "-200", "USD", "0.90"),
        [] {
            Movement m = HistoryCash("2024-01-04", "5", "0", "5");
            m.symbol = "AAA";
            return m;
        }(),
        HistoryCash("2024-01-05", "-1054", "-1054"),
    };
    in.closes["AAA"] = {{HistoryAt("2024-01-02"), D("50")},
                        {HistoryAt("2024-01-03"), D("52")},
                        {HistoryAt("2024-01-04"), D("54")},
                        {HistoryAt("2024-01-05"), D("55")}};
    in.closes["BBB"] = {{HistoryAt("2024-01-03"), D("100")}, {HistoryAt("2024-01-05"), D("110")}};
    in.instrument_currency["AAA"] = "EUR";
    in.instrument_currency["BBB"] = "USD";
    in.rates["USD"] = {{HistoryAt("2024-01-03"), D("0.90")}, {HistoryAt("2024-01-04"), D("0.95")}};
    return in;
}

TEST(History, RebuildsValuesFlowsIncomeAndCurrencyEffect) {
    const History h = RebuildHistory(Inputs(), HistoryAt("2024-01-02"), HistoryAt("2024-01-05"));
    EXPECT_TRUE(h.gaps.empty());
    EXPECT_EQ(h.period.opening_value, D("1000"));
    ASSERT_EQ(h.period.days.size(), 4u);
    const auto& d = h.period.days;
    EXPECT_EQ(d[0].value, D("999"));
    EXPECT_TRUE(d[0].inflow.IsZero());
    EXPECT_EQ(d[1].value, D("1199"));
    EXPECT_EQ(d[1].inflow, D("180"));
    EXPECT_TRUE(d[1].fx_effect.IsZero());
    EXPECT_EQ(d[2].value, D("1234"));
    EXPECT_EQ(d[2].income, D("5"));
    EXPECT_EQ(d[2].fx_effect, D("10"));
    EXPECT_EQ(d[3].value, D("209"));
    EXPECT_EQ(d[3].outflow, D("1054"));
    EXPECT_TRUE(d[3].fx_effect.IsZero());

    // The gain: 209 - 1000 - 180 + 1054 = 83 (AAA +50 after the 1 fee: 49; BBB 2 x 10 x 0.95 = 19;
    // currency 10; dividend 5).
    const GainSplit gain = SplitGain(h.period);
    EXPECT_EQ(gain.total, D("83"));
    EXPECT_EQ(gain.income, D("5"));
    EXPECT_EQ(gain.currency, D("10"));
    EXPECT_EQ(gain.capital, D("68"));
}

TEST(History, MissingClosesAndRatesFallBackAndAreReported) {
    HistoryInputs in = Inputs();
    in.closes.erase("BBB");
    in.rates.clear();
    const History h = RebuildHistory(in, HistoryAt("2024-01-02"), HistoryAt("2024-01-05"));
    // BBB at its trade price 100, USD at its trade rate 0.90: 01-05 value 2 x 100 x 0.90 = 180.
    EXPECT_EQ(h.period.days[3].value, D("180"));
    ASSERT_EQ(h.gaps.size(), 2u);
    for (const HistoryGap& gap : h.gaps) {
        EXPECT_TRUE(gap.what == "price:BBB" || gap.what == "rate:USD") << gap.what;
        EXPECT_EQ(gap.date, HistoryAt("2024-01-03")) << gap.what;
    }
    EXPECT_NE(h.gaps[0].what, h.gaps[1].what);
}

// A split doubles the quantity; a securities transfer in without a price is an inflow at the
// day's close: 5 CCC at 20 = 100.
TEST(History, SplitAndSecuritiesTransfer) {
    HistoryInputs in;
    in.base_currency = "EUR";
    Movement transfer = HistoryTrade("2024-06-03", "CCC", "5", "0", "0");
    transfer.securities_transfer = true;
    Movement split;
    split.date = HistoryAt("2024-06-04");
    split.symbol = "CCC";
    split.currency = "EUR";
    split.split_ratio = D("2");
    in.movements = {transfer, split};
    in.closes["CCC"] = {{HistoryAt("2024-06-03"), D("20")}, {HistoryAt("2024-06-04"), D("10.5")}};
    const History h = RebuildHistory(in, HistoryAt("2024-06-03"), HistoryAt("2024-06-04"));
    EXPECT_TRUE(h.period.opening_value.IsZero());
    EXPECT_EQ(h.period.days[0].inflow, D("100"));
    EXPECT_EQ(h.period.days[0].value, D("100"));
    EXPECT_EQ(h.period.days[1].value, D("105"));  // 10 shares x 10.5
    EXPECT_NEAR(TimeWeightedReturn(DailyReturns(h.period)), 0.05, 1e-15);
}

// Issue 14.2, GIPS: an in-kind flow is valued at market, not at its carried cost. 10 XYZ
// transferred in with a carried cost of 50 on a day XYZ closes at 100: the inflow is 1,000, the
// value 1,000 and the day's return 0 (valued at cost the day showed +100 %).
TEST(History, InKindTransferIsAFlowAtMarketValue) {
    HistoryInputs in;
    in.base_currency = "EUR";
    Movement transfer = HistoryTrade("2024-06-03", "XYZ", "10", "50", "0");
    transfer.securities_transfer = true;
    in.movements = {transfer};
    in.closes["XYZ"] = {{HistoryAt("2024-06-03"), D("100")}};
    in.instrument_currency["XYZ"] = "EUR";
    const History h = RebuildHistory(in, HistoryAt("2024-06-03"), HistoryAt("2024-06-03"));
    ASSERT_EQ(h.period.days.size(), 1u);
    EXPECT_EQ(h.period.days[0].inflow, D("1000"));
    EXPECT_EQ(h.period.days[0].value, D("1000"));
    EXPECT_NEAR(TimeWeightedReturn(DailyReturns(h.period)), 0.0, 1e-15);

    // Out in kind the same way: 4 XYZ leave at the day's close 110 (carried cost 50): outflow 440.
    Movement out = HistoryTrade("2024-06-04", "XYZ", "-4", "50", "0");
    out.securities_transfer = true;
    in.movements.push_back(out);
    in.closes["XYZ"].push_back({HistoryAt("2024-06-04"), D("110")});
    const History h2 = RebuildHistory(in, HistoryAt("2024-06-03"), HistoryAt("2024-06-04"));
    EXPECT_EQ(h2.period.days[1].outflow, D("440"));
    EXPECT_EQ(h2.period.days[1].value, D("660"));
    EXPECT_NEAR(DailyReturns(h2.period)[1].value, 0.1, 1e-15);  // (660 + 440) / 1000 - 1
}

// Issue 14.3: a short position worth less than nothing before the period. Days are valued at 0
// then (negative_value); the opening value must be too, or every range not starting at
// inception is an invalid period. By hand (USD, short selling allowed): 01-01 sell 10 SHT at 100
// (cash +1,000), SHT closes at 300 on 01-01 (value 1,000 - 3,000 = -2,000) and 250 on 01-02
// (1,000 - 2,500 = -1,500).
TEST(History, UnderWaterShortOpensAtZero) {
    HistoryInputs in;
    in.base_currency = "USD";
    in.movements = {HistoryTrade("2024-01-01", "SHT", "-10", "100", "1000", "USD")};
    in.closes["SHT"] = {{HistoryAt("2024-01-01"), D("300")}, {HistoryAt("2024-01-02"), D("250")}};
    in.instrument_currency["SHT"] = "USD";
    const History h = RebuildHistory(in, HistoryAt("2024-01-02"), HistoryAt("2024-01-02"));
    EXPECT_TRUE(h.period.opening_value.IsZero());
    EXPECT_NO_THROW(Measure(h.period));
    ASSERT_FALSE(h.gaps.empty());
    EXPECT_EQ(h.gaps.front().what, "negative_value");
    EXPECT_EQ(h.gaps.front().date, HistoryAt("2024-01-01"));
}

// Issue 14.4: money that arrives today gets no part of yesterday's rate move. Base EUR: 1 USD
// held since 01-01 (rate 0.90); on 01-02 the rate is 0.95 and 1,000 USD are deposited at that
// day's trade rate 0.95 (950 EUR). The day's gain is 1,001 x 0.95 - 0.90 - 950 = 0.05, all of it
// currency (the old dollar's move); the new money has no currency effect (0.95 - 0.95).
// End-of-day amounts gave 1,001 x 0.05 = 50.05 currency and -50.00 capital.
TEST(History, CurrencyEffectOnlyOnMoneyHeldBeforeTheDay) {
    HistoryInputs in;
    in.base_currency = "EUR";
    Movement old_money = HistoryCash("2024-01-01", "1", "1");
    old_money.currency = "USD";
    old_money.rate = D("0.90");
    Movement new_money = HistoryCash("2024-01-02", "1000", "1000");
    new_money.currency = "USD";
    new_money.rate = D("0.95");
    in.movements = {old_money, new_money};
    in.rates["USD"] = {{HistoryAt("2024-01-01"), D("0.90")}, {HistoryAt("2024-01-02"), D("0.95")}};
    const History h = RebuildHistory(in, HistoryAt("2024-01-02"), HistoryAt("2024-01-02"));
    EXPECT_EQ(h.period.opening_value, D("0.9"));
    EXPECT_EQ(h.period.days[0].inflow, D("950"));
    EXPECT_EQ(h.period.days[0].value, D("950.95"));
    EXPECT_EQ(h.period.days[0].fx_effect, D("0.05"));
    const GainSplit gain = SplitGain(h.period);
    EXPECT_EQ(gain.total, D("0.05"));
    EXPECT_EQ(gain.currency, D("0.05"));
    EXPECT_TRUE(gain.capital.IsZero()) << gain.capital;

    // New money booked at another rate than the day's closing rate: that difference is currency.
    // 1,000 USD booked at 0.94 (940 EUR), worth 950 at the close: +10 currency, +0.05 old.
    in.movements[1].rate = D("0.94");
    const History h2 = RebuildHistory(in, HistoryAt("2024-01-02"), HistoryAt("2024-01-02"));
    EXPECT_EQ(h2.period.days[0].inflow, D("940"));
    EXPECT_EQ(h2.period.days[0].fx_effect, D("10.05"));
    EXPECT_TRUE(SplitGain(h2.period).capital.IsZero());
}

// Issue 14.9: a foreign flow whose trade date has no rate (none recorded with the transaction,
// none in the market data yet) is valued at 0: that must be reported in the gaps, on its day.
TEST(History, MissingTradeDateRateIsReported) {
    HistoryInputs in;
    in.base_currency = "EUR";
    Movement deposit = HistoryCash("2024-01-01", "1000", "1000");
    deposit.currency = "USD";
    in.movements = {deposit};
    in.rates["USD"] = {{HistoryAt("2024-01-02"), D("0.95")}};  // the first rate comes a day later
    const History h = RebuildHistory(in, HistoryAt("2024-01-01"), HistoryAt("2024-01-02"));
    ASSERT_EQ(h.gaps.size(), 1u);
    EXPECT_EQ(h.gaps[0].what, "rate:USD");
    EXPECT_EQ(h.gaps[0].date, HistoryAt("2024-01-01"));
}

TEST(History, RejectsInvertedRange) {
    EXPECT_THROW(RebuildHistory(Inputs(), HistoryAt("2024-01-05"), HistoryAt("2024-01-02")), Error);
}

// A period opening after inception starts from the state a rebuild from inception reaches: cash
// overdrawn by a purchase without a deposit (an implicit deposit) is back at 0 at the end of
// that day, not netted against a later sale. By hand (USD): 01-01 buy 10 at 100 with no cash
// (-1,000: implicit deposit, cash 0); 01-02 sell 10 at 110 (cash 1,100). Rebuilt from 01-03,
// the value is 1,100 (netting would give 100).
TEST(History, LaterPeriodsStartFromTheSettledState) {
    HistoryInputs in;
    in.base_currency = "USD";
    in.movements = {HistoryTrade("2024-01-01", "AAA", "10", "100", "-1000", "USD"),
                    HistoryTrade("2024-01-02", "AAA", "-10", "110", "1100", "USD")};
    in.closes["AAA"] = {{HistoryAt("2024-01-01"), D("100")}, {HistoryAt("2024-01-02"), D("110")}};
    in.instrument_currency["AAA"] = "USD";
    const History full = RebuildHistory(in, HistoryAt("2024-01-01"), HistoryAt("2024-01-04"));
    const History later = RebuildHistory(in, HistoryAt("2024-01-03"), HistoryAt("2024-01-04"));
    ASSERT_EQ(full.period.days.size(), 4u);
    EXPECT_EQ(full.period.days[0].inflow.ToNormalizedString(), "1000");
    EXPECT_EQ(full.period.days[3].value.ToNormalizedString(), "1100");
    EXPECT_EQ(later.period.opening_value.ToNormalizedString(), "1100");
    ASSERT_EQ(later.period.days.size(), 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(later.period.days[i].value, full.period.days[i + 2].value) << i;
        EXPECT_TRUE(later.period.days[i].inflow.IsZero()) << i;
    }
}

}  // namespace
}  // namespace nn::analytics
