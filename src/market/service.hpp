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

// One page of a history query: at most the asked number of bars, `more` when a next page exists.
struct HistoryPage {
    std::vector<Bar> bars;
    bool more = false;
};

// The ingest pipeline, the reads that prefer Redis, and the use cases of history, rates,
// instruments and the maintenance jobs over the repository. One per shard (its pool and Redis
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

    // Bars of [from, to) at `interval`, at most `limit` of them. An instrument without bars in
    // the range is an empty page; no bars and no instrument throws nn::Error kNotFound
    // "market.unknown_symbol".
    boost::asio::awaitable<HistoryPage> History(SeriesKind kind,
                                                const std::string& symbol,
                                                Timestamp from,
                                                Timestamp to,
                                                Interval interval,
                                                int limit);
    // The rate of base in quote at `at` (the latest when nullopt), possibly inverted from
    // quote/base; nn::Error kNotFound "market.no_rate" when there is none.
    boost::asio::awaitable<FxQuote> Fx(const std::string& base,
                                       const std::string& quote,
                                       std::optional<Timestamp> at);

    // Instruments. Get and Update throw nn::Error kNotFound "market.unknown_symbol" when the
    // symbol is absent; Create throws kConflict "market.instrument_exists" when it exists.
    boost::asio::awaitable<std::vector<Instrument>> SearchInstruments(const InstrumentQuery& query);
    boost::asio::awaitable<Instrument> GetInstrument(const std::string& symbol);
    boost::asio::awaitable<Instrument> CreateInstrument(const Instrument& instrument);
    boost::asio::awaitable<Instrument> UpdateInstrument(const std::string& symbol,
                                                        const InstrumentPatch& patch);

    // The maintenance job: the retention windows and partition maintenance, a warning per
    // default partition holding rows, published outbox rows older than a day deleted.
    boost::asio::awaitable<void> Maintain();
    // The reconcile job: rebuilds the bars of [now - 5 min - reconcile_window, now - 5 min) from
    // the raw data (the last minutes are still being ingested). Returns the bars written.
    boost::asio::awaitable<std::int64_t> Reconcile(Timestamp now);

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
