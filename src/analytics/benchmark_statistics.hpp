#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "analytics/history.hpp"
#include "analytics/market_reader.hpp"
#include "analytics/report.hpp"
#include "core/time.hpp"

namespace nn {
class App;
}

// analytics.benchmark_statistics (docs/analytics.md §15): each market index's own figures per
// standard range, as of the last settled day, from its daily closes with the formulas of §3-4.
namespace nn::analytics {

inline constexpr std::array<std::string_view, 7> kStatisticsRanges{"1M", "3M", "YTD", "1Y",
                                                                   "3Y", "5Y", "MAX"};
inline constexpr std::string_view kBenchmarkStatisticsJobName = "analytics.benchmark_statistics";

struct BenchmarkStatistics {
    Date start_date;  // the range's first day
    double total_return = 0.0;
    std::optional<double> annualized_return;
    RiskFigures risk;
};

// The closes (ascending) as a period over the named range ending `as_of`: the opening level is
// the last close before the first day (the first close in the range when there is none, as for
// MAX); each close is a day. nullopt without a close after the opening one.
std::optional<BenchmarkStatistics> ComputeBenchmarkStatistics(const std::vector<DatedValue>& closes,
                                                              std::string_view range,
                                                              Date as_of);

// Upserts the statistics of every active INDEX instrument (the market's InstrumentDirectory) for
// every range as of `as_of`, from its daily closes (the market's HistoryDirectory); returns the
// rows written. Symbols already done for `as_of` are skipped. By value: a coroutine must own its
// arguments.
boost::asio::awaitable<int> WriteBenchmarkStatistics(App& app,
                                                     MarketReads market,
                                                     Date as_of,
                                                     std::size_t shard);

// Runs WriteBenchmarkStatistics for yesterday (the last settled day) every `interval` under the
// lease public.job_leases of the analytics database.
void AddBenchmarkStatisticsJob(App& app, MarketReads market, std::chrono::milliseconds interval);

}  // namespace nn::analytics
