#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/decimal.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "infra/redis/client.hpp"
#include "portfolio/model.hpp"

namespace nn {
class App;
}

// The price-update consumer (docs/portfolio.md "Price flow"): a Redis Streams consumer group on
// the market's event stream. Each entry is one committed ingest batch; applying it is one
// statement in SYSTEM context, recorded in portfolio.processed_events by batch_id in the same
// transaction, so an entry delivered twice (a crash before XACK, XAUTOCLAIM by another
// instance) changes nothing the second time. Entries are acknowledged only after that commit.
namespace nn::portfolio {

class Repository;

struct PriceEvent {
    std::string batch_id;
    std::vector<PricePoint> prices;
    std::vector<RatePoint> rates;
};

// Parses one stream entry: fields batch_id, kind (stock | index | fx), prices or rates (JSON
// arrays of {symbol, price, time} / {base, quote, rate, time}, decimals as strings). nullopt for a
// malformed entry (it is acknowledged and logged, never retried forever).
std::optional<PriceEvent> ParsePriceEvent(const redis::FieldValues& fields);

struct PriceConsumerOptions {
    std::string stream = "nn:events:prices";
    std::string group = "portfolio";
    std::string consumer;  // this instance's name; default host:pid
    std::int64_t batch = 100;
    std::chrono::milliseconds block{1000};
    // Pending entries idle this long (their consumer died) are claimed with XAUTOCLAIM.
    std::chrono::milliseconds claim_idle{30'000};
    // analytics_ts.portfolio_snapshots: at most one row per portfolio per interval.
    std::chrono::seconds snapshot_interval{300};
    std::string cache_prefix = "nn:portfolio:";
    // Called after a batch moved holdings, with the affected portfolios (the drift and goal
    // watches and the live value feed, module.cpp); its failures are logged and never hold the
    // entry back.
    std::function<boost::asio::awaitable<void>(std::vector<ChangedPortfolio> portfolios)> on_applied;
};

struct ApplyResult {
    bool duplicate = false;  // batch already applied
    std::size_t holdings_updated = 0;
    std::vector<ChangedPortfolio> changed;  // the portfolios whose holdings moved, with their owners
    std::size_t snapshots_written = 0;
};

class PriceConsumer : public std::enable_shared_from_this<PriceConsumer> {
public:
    // `repo`: the domain's repository (MakeServices'), every statement of the flow.
    PriceConsumer(App& app, std::shared_ptr<Repository> repo, PriceConsumerOptions options);
    ~PriceConsumer();

    // Applies one event (exposed for tests and the relay): one transaction in the portfolio
    // database, then snapshots and cache invalidation.
    boost::asio::awaitable<ApplyResult> Apply(const PriceEvent& event);
    // One round: claim stale pending entries, then read new ones (blocking up to `block`);
    // returns the number of entries handled.
    boost::asio::awaitable<std::size_t> RunOnce();
    // Runs rounds on shard 0 until Stop(); the loop keeps the consumer alive (make it with
    // std::make_shared).
    void Start();
    void Stop();

    const PriceConsumerOptions& Options() const noexcept { return options_; }

private:
    boost::asio::awaitable<void> Handle(const std::vector<redis::StreamEntry>& entries);
    boost::asio::awaitable<std::size_t> Snapshots(const std::vector<ChangedPortfolio>& changed);

    App& app_;
    std::shared_ptr<Repository> repo_;
    PriceConsumerOptions options_;
    bool group_ready_ = false;
    std::map<Uuid, std::chrono::steady_clock::time_point> last_snapshot_;
    std::shared_ptr<std::atomic<bool>> stop_;  // the round loop's flag (redis::StartRoundLoop)
};

}  // namespace nn::portfolio
