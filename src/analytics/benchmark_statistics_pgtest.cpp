// analytics.benchmark_statistics written from market_data for every INDEX instrument.
#include <gtest/gtest.h>

#include "analytics/analytics_api_fixture.hpp"
#include "analytics/benchmark_statistics.hpp"

namespace nn::analytics {
namespace {

struct StatisticsSuite {
    static constexpr const char* kPrefix = "t_an_bst_";
};
using BenchmarkStatisticsDb = testing::AnalyticsApi<StatisticsSuite>;

// The closes of benchmark_statistics_test.cpp (40, 50, 100, 110, 99, 121).
TEST_F(BenchmarkStatisticsDb, EveryRangeOfEveryIndex) {
    const std::string ix = "IX" + test::UniqueName("").substr(0, 6);
    Sql(TimescaleDb(), "INSERT INTO market_data.instruments (symbol, name, asset_class, currency) VALUES ('" +
                           ix + "', 'Index', 'INDEX', 'USD')");
    Sql(TimescaleDb(),
        "INSERT INTO market_data.ohlcv_1d (symbol, trading_date, open, high, low, close, tick_count, "
        "open_time, "
        "close_time) SELECT '" +
            ix +
            "', d::date, c, c, c, c, 1, d, d FROM (VALUES ('2023-12-29'::timestamptz, 40), ('2024-02-07', "
            "50), "
            "('2024-03-04', 100), ('2024-03-05', 110), ('2024-03-06', 99), ('2024-03-07', 121)) AS v(d, c)");
    auto run = [&] {
        return Run(WriteBenchmarkStatistics(*app_, MakeMarketReads(*app_), DateFromString("2024-03-07"), 0));
    };
    EXPECT_EQ(run(), 7);
    auto value = [&](const char* range, const char* column) {
        return Sql(AnalyticsDb(), std::string("SELECT coalesce(") + column +
                                      "::text, 'null') FROM analytics.benchmark_statistics WHERE symbol = '" +
                                      ix + "' AND as_of = '2024-03-07' AND range = '" + range + "'");
    };
    EXPECT_NEAR(std::stod(value("1M", "total_return")), 121.0 / 50 - 1, 1e-12);
    EXPECT_NEAR(std::stod(value("YTD", "total_return")), 121.0 / 40 - 1, 1e-12);
    EXPECT_EQ(value("1M", "start_date"), "2024-02-08");
    EXPECT_EQ(value("1M", "observations"), "4");
    EXPECT_EQ(value("MAX", "max_drawdown_peak"), "2024-03-05");
    EXPECT_NEAR(std::stod(value("MAX", "max_drawdown")), 99.0 / 110 - 1, 1e-12);
    EXPECT_EQ(value("MAX", "annualized_return"), "null");
    EXPECT_EQ(run(), 0);  // already done for that day
}

}  // namespace
}  // namespace nn::analytics
