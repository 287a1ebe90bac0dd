#include "analytics/risk.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace nn::analytics {
namespace {

Date RiskAt(const char* text) {
    return DateFromString(text);
}

// Four daily returns, worked by hand:
//   mean = (0.01 - 0.02 + 0.03 + 0) / 4 = 0.005
//   squared deviations 0.005^2 + 0.025^2 + 0.025^2 + 0.005^2 = 0.0013; / (4 - 1) = 0.000433333
//   sd = 0.0208166600; * sqrt(252) (15.8745079) = 0.330454233
//   downside (rf 0): only -0.02 -> sqrt(0.0004 / 4) = 0.01; * sqrt(252) = 0.158745079
//   Sharpe = 0.005 / 0.02081666 * 15.8745079 = 3.81293346
//   Sortino = 0.005 * 252 / 0.158745079 = 7.93725393
const std::vector<double> kReturns{0.01, -0.02, 0.03, 0.0};

TEST(Risk, VolatilityDownsideSharpeSortino) {
    const RiskOptions options;
    EXPECT_NEAR(*Volatility(kReturns, options), 0.330454233, 1e-8);
    EXPECT_NEAR(*DownsideDeviation(kReturns, options), 0.158745079, 1e-8);
    EXPECT_NEAR(*Sharpe(kReturns, options), 3.81293346, 1e-7);
    EXPECT_NEAR(*Sortino(kReturns, options), 7.93725393, 1e-7);
}

// A 2.52% risk-free rate is 0.0001 a day: excess returns 0.0099, -0.0201, 0.0299, -0.0001.
//   Sharpe = 0.0049 / 0.02081666 * 15.8745079 = 3.73667479 (the deviation does not move)
//   downside = sqrt((0.0201^2 + 0.0001^2) / 4) * 15.8745079 = 0.159540778
//   Sortino = 0.0049 * 252 / 0.159540778 = 7.73971402
TEST(Risk, RiskFreeRate) {
    RiskOptions options;
    options.risk_free_rate = 0.0252;
    EXPECT_NEAR(*Sharpe(kReturns, options), 3.73667479, 1e-7);
    EXPECT_NEAR(*DownsideDeviation(kReturns, options), 0.159540778, 1e-8);
    EXPECT_NEAR(*Sortino(kReturns, options), 7.73971402, 1e-7);
}

TEST(Risk, DegenerateInputs) {
    const RiskOptions options;
    const std::vector<double> one{0.01};
    const std::vector<double> flat{0.001, 0.001, 0.001};
    const std::vector<double> none;
    EXPECT_FALSE(Volatility(one, options).has_value());
    EXPECT_FALSE(Sharpe(one, options).has_value());
    EXPECT_FALSE(Sharpe(flat, options).has_value());   // zero deviation
    EXPECT_FALSE(Sortino(flat, options).has_value());  // never below the risk-free rate
    EXPECT_EQ(*Volatility(flat, options), 0.0);
    EXPECT_FALSE(DownsideDeviation(none, options).has_value());
    EXPECT_FALSE(HistoricalVar(none).has_value());
}

TEST(Risk, HistoricalVarInterpolates) {
    // 21 returns -10%..+10%: position 0.05 * 20 = 1, the second smallest: -9%.
    std::vector<double> returns;
    for (int i = 10; i >= -10; --i) {  // unsorted on purpose
        returns.push_back(i / 100.0);
    }
    EXPECT_NEAR(*HistoricalVar(returns), 0.09, 1e-15);
    // 11 returns -5%..+5%: position 0.05 * 10 = 0.5, halfway between -5% and -4%.
    std::vector<double> eleven;
    for (int i = -5; i <= 5; ++i) {
        eleven.push_back(i / 100.0);
    }
    EXPECT_NEAR(*HistoricalVar(eleven), 0.045, 1e-15);
    // 99% over the 21: position 0.2 -> -10% + 0.2 * 1% = -9.8%.
    EXPECT_NEAR(*HistoricalVar(returns, 0.99), 0.098, 1e-15);
}

// A known series: 100, 120, 90, 60 (gap), 110, 125 (gap), 100.
// From the 120 peak (01-02) to 60 (01-05): 60 / 120 - 1 = -50%, 3 days; back above 120 on 01-08
// (125), 3 days after the trough. The later fall 125 -> 100 is only -20%.
TEST(Drawdown, KnownSeries) {
    const std::vector<Level> levels{{RiskAt("2024-01-01"), 100}, {RiskAt("2024-01-02"), 120},
                                    {RiskAt("2024-01-03"), 90},  {RiskAt("2024-01-05"), 60},
                                    {RiskAt("2024-01-06"), 110}, {RiskAt("2024-01-08"), 125},
                                    {RiskAt("2024-01-09"), 100}};
    const std::optional<Drawdown> dd = MaxDrawdown(levels);
    ASSERT_TRUE(dd.has_value());
    EXPECT_NEAR(dd->depth, -0.5, 1e-15);
    EXPECT_EQ(dd->peak, RiskAt("2024-01-02"));
    EXPECT_EQ(dd->trough, RiskAt("2024-01-05"));
    EXPECT_EQ(dd->duration_days, 3);
    ASSERT_TRUE(dd->recovery.has_value());
    EXPECT_EQ(*dd->recovery, RiskAt("2024-01-08"));
    EXPECT_EQ(*dd->recovery_days, 3);
}

TEST(Drawdown, NotRecoveredAndNone) {
    const std::vector<Level> falling{
        {RiskAt("2024-01-01"), 100}, {RiskAt("2024-01-02"), 80}, {RiskAt("2024-01-03"), 90}};
    const std::optional<Drawdown> dd = MaxDrawdown(falling);
    EXPECT_NEAR(dd->depth, -0.2, 1e-15);
    EXPECT_EQ(dd->trough, RiskAt("2024-01-02"));
    EXPECT_FALSE(dd->recovery.has_value());
    EXPECT_FALSE(dd->recovery_days.has_value());

    const std::vector<Level> rising{{RiskAt("2024-01-01"), 1}, {RiskAt("2024-01-02"), 2}};
    const std::optional<Drawdown> none = MaxDrawdown(rising);
    EXPECT_EQ(none->depth, 0.0);
    EXPECT_EQ(none->peak, RiskAt("2024-01-01"));
    EXPECT_EQ(none->trough, RiskAt("2024-01-01"));
    EXPECT_FALSE(MaxDrawdown(std::vector<Level>{}).has_value());
}

// Issue 14.10: the peak is the last day at the high-water mark before the trough, as empyrical's
// get_max_drawdown_underwater takes it (the last date with underwater == 0 before the valley);
// recovery is the first day back at that mark. 1.1 is reached on 01-02 and again on 01-03, the
// trough is 01-04: the peak is 01-03 (one day before the trough), recovered on 01-05.
TEST(Drawdown, PeakIsTheLastDayAtTheHighWaterMark) {
    const std::vector<Level> levels{{RiskAt("2024-01-01"), 1.0},
                                    {RiskAt("2024-01-02"), 1.1},
                                    {RiskAt("2024-01-03"), 1.1},
                                    {RiskAt("2024-01-04"), 0.99},
                                    {RiskAt("2024-01-05"), 1.1}};
    const std::optional<Drawdown> dd = MaxDrawdown(levels);
    ASSERT_TRUE(dd.has_value());
    EXPECT_NEAR(dd->depth, 0.99 / 1.1 - 1.0, 1e-15);
    EXPECT_EQ(dd->peak, RiskAt("2024-01-03"));
    EXPECT_EQ(dd->trough, RiskAt("2024-01-04"));
    EXPECT_EQ(dd->duration_days, 1);
    ASSERT_TRUE(dd->recovery.has_value());
    EXPECT_EQ(*dd->recovery, RiskAt("2024-01-05"));
    EXPECT_EQ(*dd->recovery_days, 1);
}

// The wealth index starts at 1 the day before the first return: +10% then -50% then +100%.
TEST(Drawdown, OnWealthIndex) {
    const std::vector<DayReturn> daily{{RiskAt("2024-03-04"), 0.10, true},
                                       {RiskAt("2024-03-05"), -0.50, true},
                                       {RiskAt("2024-03-06"), 1.00, true}};
    const std::vector<Level> index = WealthIndex(daily);
    ASSERT_EQ(index.size(), 4u);
    EXPECT_EQ(index[0].date, RiskAt("2024-03-03"));
    EXPECT_EQ(index[0].value, 1.0);
    EXPECT_NEAR(index[3].value, 1.1, 1e-15);
    const std::optional<Drawdown> dd = MaxDrawdown(index);
    EXPECT_NEAR(dd->depth, -0.5, 1e-15);
    EXPECT_EQ(*dd->recovery, RiskAt("2024-03-06"));  // 1.1 is back at the 1.1 peak
}

// 2024-03-01 is a Friday. Saturday and Sunday are chained into Monday.
TEST(TradingDays, WeekendsChainIntoMonday) {
    const std::vector<DayReturn> daily{
        {RiskAt("2024-03-01"), 0.01, true}, {RiskAt("2024-03-02"), 0.0, true},
        {RiskAt("2024-03-03"), 0.02, true}, {RiskAt("2024-03-04"), 0.01, true},
        {RiskAt("2024-03-05"), 0.0, false}, {RiskAt("2024-03-09"), 0.05, true}};
    const std::vector<DayReturn> trading = TradingDayReturns(daily);
    ASSERT_EQ(trading.size(), 3u);
    EXPECT_EQ(trading[0].date, RiskAt("2024-03-01"));
    EXPECT_NEAR(trading[0].value, 0.01, 1e-15);
    EXPECT_EQ(trading[1].date, RiskAt("2024-03-04"));
    EXPECT_NEAR(trading[1].value, 1.02 * 1.01 - 1.0, 1e-15);
    // The series ends on Saturday 03-09: its return stays, dated that day. 03-05 had no capital.
    EXPECT_EQ(trading[2].date, RiskAt("2024-03-09"));
    EXPECT_NEAR(trading[2].value, 0.05, 1e-15);
}

// The benchmark has no close on Wednesday 2024-03-06; the portfolio has one (150, which must not
// matter). Over every common interval the portfolio's return is twice the benchmark's, so
// beta = 2 and correlation = 1 over three returns (Mon->Tue, Tue->Thu, Thu->Fri).
TEST(Benchmark, GapsAlignOnCommonDates) {
    const std::vector<Level> bench{{RiskAt("2024-03-04"), 100.0},
                                   {RiskAt("2024-03-05"), 101.0},
                                   {RiskAt("2024-03-07"), 99.99},
                                   {RiskAt("2024-03-08"), 102.0}};
    const double b1 = 101.0 / 100.0 - 1.0;
    const double b2 = 99.99 / 101.0 - 1.0;
    const double b3 = 102.0 / 99.99 - 1.0;
    const double p1 = 100.0 * (1 + 2 * b1);
    const double p2 = p1 * (1 + 2 * b2);
    const double p3 = p2 * (1 + 2 * b3);
    const std::vector<Level> portfolio{{RiskAt("2024-03-04"), 100.0}, {RiskAt("2024-03-05"), p1},
                                       {RiskAt("2024-03-06"), 150.0}, {RiskAt("2024-03-07"), p2},
                                       {RiskAt("2024-03-08"), p3},    {RiskAt("2024-03-11"), 200.0}};
    const AlignedReturns aligned = AlignReturns(portfolio, bench);
    ASSERT_EQ(aligned.dates.size(), 3u);
    EXPECT_EQ(aligned.dates[1], RiskAt("2024-03-07"));
    EXPECT_NEAR(aligned.second[1], b2, 1e-15);
    EXPECT_NEAR(aligned.first[1], 2 * b2, 1e-12);

    const BenchmarkRelation rel = RelateToBenchmark(portfolio, bench);
    EXPECT_EQ(rel.observations, 3);
    EXPECT_NEAR(*rel.beta, 2.0, 1e-9);
    EXPECT_NEAR(*rel.correlation, 1.0, 1e-9);
}

// Opposite moves: p = -0.5 * b on every day -> beta -0.5, correlation -1. A constant benchmark
// has no variance: no beta, no correlation.
TEST(Benchmark, NegativeAndDegenerate) {
    const std::vector<Level> bench{
        {RiskAt("2024-01-01"), 100}, {RiskAt("2024-01-02"), 110}, {RiskAt("2024-01-03"), 99}};
    const std::vector<Level> portfolio{
        {RiskAt("2024-01-01"), 100}, {RiskAt("2024-01-02"), 95}, {RiskAt("2024-01-03"), 99.75}};
    // b: +10%, -10%; p: -5% (95), +5% (99.75)
    const BenchmarkRelation rel = RelateToBenchmark(portfolio, bench);
    EXPECT_NEAR(*rel.beta, -0.5, 1e-12);
    EXPECT_NEAR(*rel.correlation, -1.0, 1e-12);

    const std::vector<Level> flat{
        {RiskAt("2024-01-01"), 50}, {RiskAt("2024-01-02"), 50}, {RiskAt("2024-01-03"), 50}};
    const BenchmarkRelation none = RelateToBenchmark(portfolio, flat);
    EXPECT_EQ(none.observations, 2);
    EXPECT_FALSE(none.beta.has_value());
    EXPECT_FALSE(none.correlation.has_value());

    const std::vector<Level> disjoint{{RiskAt("2023-01-01"), 50}, {RiskAt("2023-01-02"), 51}};
    EXPECT_EQ(RelateToBenchmark(portfolio, disjoint).observations, 0);
}

// Active returns a = p - b. p: +50%, -25%; b: +25%, -50% (exact in binary) -> a = 0.25 twice:
// no dispersion, tracking error 0, no information ratio. Then p: +1%, +2%, -1% against b: +0.5%,
// +1%, 0: a = 0.005, 0.01, -0.01, mean m = 0.005/3, sample variance ((0.005 - m)^2 +
// (0.01 - m)^2 + (-0.01 - m)^2) / 2; TE = sqrt(var) x sqrt(252), IR = m x 252 / TE.
TEST(Benchmark, TrackingErrorAndInformationRatio) {
    const std::vector<Level> b1{
        {RiskAt("2024-01-01"), 100}, {RiskAt("2024-01-02"), 125}, {RiskAt("2024-01-03"), 62.5}};
    const std::vector<Level> p1{
        {RiskAt("2024-01-01"), 100}, {RiskAt("2024-01-02"), 150}, {RiskAt("2024-01-03"), 112.5}};
    const BenchmarkRelation same = RelateToBenchmark(p1, b1);
    ASSERT_TRUE(same.tracking_error);
    EXPECT_EQ(*same.tracking_error, 0.0);
    EXPECT_FALSE(same.information_ratio.has_value());

    const std::vector<Level> b{{RiskAt("2024-01-01"), 100},
                               {RiskAt("2024-01-02"), 100.5},
                               {RiskAt("2024-01-03"), 101.505},
                               {RiskAt("2024-01-04"), 101.505}};
    const std::vector<Level> p{{RiskAt("2024-01-01"), 100},
                               {RiskAt("2024-01-02"), 101},
                               {RiskAt("2024-01-03"), 103.02},
                               {RiskAt("2024-01-04"), 101.9898}};
    const double m = (0.005 + 0.01 - 0.01) / 3;
    const double var = ((0.005 - m) * (0.005 - m) + (0.01 - m) * (0.01 - m) + (-0.01 - m) * (-0.01 - m)) / 2;
    const double te = std::sqrt(var) * std::sqrt(252.0);
    const BenchmarkRelation rel = RelateToBenchmark(p, b);
    ASSERT_TRUE(rel.tracking_error && rel.information_ratio);
    EXPECT_NEAR(*rel.tracking_error, te, 1e-12);
    EXPECT_NEAR(*rel.information_ratio, m * 252 / te, 1e-9);
}

}  // namespace
}  // namespace nn::analytics
