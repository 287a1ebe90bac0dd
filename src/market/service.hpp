#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "market/model.hpp"
#include "market/repository.hpp"

namespace nn::redis {
class Client;
}

namespace nn::market {

struct MarketOptions {
    IngestLimits limits;
    RetentionWindows retention;
    std::chrono::milliseconds maintenance_interval{std::chrono::hours(1)};
    std::chrono::milliseconds reconcile_interval{std::chrono::hours(1)};
    // The reconcile job recomputes [now - window, now - 5 min) from raw; keep it shorter than
    // the raw retention, or bars whose ticks were dropped would be rebuilt from nothing.
    std::chrono::hours reconcile_window{72};
    std::chrono::milliseconds relay_interval{std::chrono::seconds(5)};
    // The relay leaves younger events to the ingest call that is publishing them right now.
    std::chrono::seconds relay_min_age{5};
    std::int64_t stream_max_len = 100'000;  // XADD MAXLEN ~
    std::string stream{kPriceStream};       // tests use their own
};

// The ingest pipeline and the reads that prefer Redis. One per shard (its pool and Redis
// client belong to that shard); also used directly by the CLI (import, feed simulate --direct).
//
//   validate (pure, nothing written on failure)
//   → Repository::StorePrices (one transaction: COPY → raw → rollups → latest → outbox row)
//   → after commit: latest prices into Redis (newest wins) and XADD nn:events:prices,
//     then the outbox row is marked published. When Redis is down the row stays pending and
//     RelayOutbox (a job) publishes it later: at-least-once, consumers dedupe by batch_id.
class MarketService {
public:
    MarketService(Repository& repo, redis::Client* redis, MarketOptions options);

    // Throws nn::Error kUnprocessable (validation.failed / market.unknown_symbol, every offending
    // element named in its field errors) or kPayloadTooLarge (market.batch_too_large) before
    // anything is written. Returns after commit.
    boost::asio::awaitable<IngestResult> IngestPrices(SeriesKind kind, std::vector<PriceRow> rows);
    boost::asio::awaitable<IngestResult> IngestFx(std::vector<FxRow> rows);
    // The same without the batch-size limit (CLI import, the direct feed): the caller chunks.
    boost::asio::awaitable<IngestResult> IngestPricesUnlimited(SeriesKind kind, std::vector<PriceRow> rows);

    // Redis first; the database when Redis is down or has no entry.
    boost::asio::awaitable<std::optional<LatestPrice>> Latest(const std::string& symbol);
    boost::asio::awaitable<std::vector<LatestPrice>> LatestMany(const std::vector<std::string>& symbols);

    // Publishes pending outbox events (older than relay_min_age); returns how many.
    boost::asio::awaitable<int> RelayOutbox(int limit = 500);

    Repository& Repo() noexcept { return repo_; }
    const MarketOptions& Options() const noexcept { return options_; }

private:
    boost::asio::awaitable<IngestResult> Ingest(SeriesKind kind, std::vector<PriceRow> rows, bool limited);
    // Redis half of one event: latest values, then XADD. False when Redis failed.
    boost::asio::awaitable<bool> Publish(std::int64_t outbox_id, const std::string& payload);

    Repository& repo_;
    redis::Client* redis_;
    MarketOptions options_;
};

}  // namespace nn::market
