#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/time.hpp"

namespace nn {
class App;
}
namespace nn::db {
class Pool;
}

// The daily portfolio_snapshots job (docs/portfolio.md "Daily snapshots").
namespace nn::portfolio {

inline constexpr std::string_view kSnapshotJobName = "portfolio.daily_snapshots";

// Writes (or refreshes) `date`'s portfolio.portfolio_snapshots row of every active portfolio
// whose value is known, in SYSTEM context, in one statement; returns the rows written. Foreign
// cash is converted at the latest rates read from `market` (market_data.latest_exchange_rates).
boost::asio::awaitable<std::int64_t> WriteDailySnapshots(db::Pool& pool, db::Pool& market, Date date);

// Schedules WriteDailySnapshots for the current UTC date every `interval` under the lease
// public.job_leases of the portfolio database.
void AddSnapshotJob(App& app, std::chrono::milliseconds interval);

}  // namespace nn::portfolio
