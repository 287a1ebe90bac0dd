#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "core/time.hpp"

namespace nn {
class App;
}
namespace nn::db {
class Pool;
}
namespace nn::market {
class RateDirectory;
}

// The daily portfolio_snapshots job (docs/portfolio.md "Daily snapshots").
namespace nn::portfolio {

class Repository;

inline constexpr std::string_view kSnapshotJobName = "portfolio.daily_snapshots";

// Writes (or refreshes) `date`'s portfolio.portfolio_snapshots row of every active portfolio
// whose value is known, in SYSTEM context, in one statement (Repository::WriteDailySnapshots);
// returns the rows written. Foreign cash is converted at every latest rate of `market_rates`
// (read before the transaction, on shard 0).
boost::asio::awaitable<std::int64_t> WriteDailySnapshots(db::Pool& pool,
                                                         Repository& repo,
                                                         market::RateDirectory& market_rates,
                                                         Date date);

// Schedules WriteDailySnapshots for the current UTC date every `interval` under the lease
// public.job_leases of the portfolio database.
void AddSnapshotJob(App& app,
                    std::shared_ptr<Repository> repo,
                    std::shared_ptr<market::RateDirectory> rates,
                    std::chrono::milliseconds interval);

}  // namespace nn::portfolio
