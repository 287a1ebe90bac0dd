#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "market/model.hpp"
#include "market/repository.hpp"

namespace nn::db {
class Pool;
class QueryRunner;
}  // namespace nn::db

namespace nn::market {

// Retention windows of the maintenance job; nullopt keeps data forever.
struct RetentionWindows {
    std::optional<std::chrono::hours> raw{24 * 90};      // stock_price_segments, market_index_segments
    std::optional<std::chrono::hours> bars_1m{24 * 90};  // ohlcv_1m (the minutes of expired raw data)
    std::optional<std::chrono::hours> bars_1h;           // ohlcv_1h
    std::optional<std::chrono::hours> bars_1d;           // ohlcv_1d
    std::optional<std::chrono::hours> fx;                // exchange_rates
};

// The market data SQL, on the timescale database as nexanest_market. One per pool (shard).
class PgRepository {
public:
    explicit PgRepository(db::Pool& pool);
    // History (bars over a range) reads through `history`, which may be a read replica
    // (db::ReadRouter, docs/scale-out.md); everything else on `pool`, the primary.
    PgRepository(db::Pool& pool, db::QueryRunner& history) : pool_(pool), history_(history) {}

    // The ingest pipeline's database half, one transaction: unknown symbols refused (nn::Error
    // kUnprocessable "market.unknown_symbol" naming the first row of each) → binary COPY of the
    // ticks as per-symbol-minute segments into the raw table and of their minute partials into a
    // TEMP table → the symbols' writer lock and the check that no stored tick is repeated (if one
    // is, the batch is redone under the lock with the stored ticks left out) → the partials merge
    // into ohlcv_1h/1d and latest_prices → the event row in market_data.outbox. 1m bars are the
    // segments' own (market_data.bars_1m). A deadlock or serialization failure retries the whole transaction.
    // order: IngestOrder(rows) (ValidatePrices gives it).
    boost::asio::awaitable<StoredBatch> StorePrices(SeriesKind kind,
                                                    const std::vector<PriceRow>& rows,
                                                    const std::vector<std::uint32_t>& order,
                                                    const std::string& batch_id);
    boost::asio::awaitable<StoredBatch> StoreFx(const std::vector<FxRow>& rows, const std::string& batch_id);

    // Outbox relay: events older than min_age not yet published, oldest first.
    boost::asio::awaitable<std::vector<OutboxEvent>> PendingEvents(std::chrono::seconds min_age, int limit);
    boost::asio::awaitable<void> MarkPublished(std::int64_t outbox_id);
    boost::asio::awaitable<void> MarkFailed(std::int64_t outbox_id, const std::string& error);
    boost::asio::awaitable<std::int64_t> DeletePublishedBefore(std::chrono::hours age);

    // Reads.
    boost::asio::awaitable<std::vector<LatestPrice>> Latest(const std::vector<std::string>& symbols);
    // PriceDirectory::PreviousClose: the previous close (decimal text) when the latest price is of
    // the UTC trading date of `time` (RFC 3339).
    boost::asio::awaitable<std::optional<std::string>> PreviousClose(const std::string& symbol,
                                                                     const std::string& time);
    boost::asio::awaitable<std::vector<Bar>> History(SeriesKind kind,
                                                     const std::string& symbol,
                                                     Timestamp from,
                                                     Timestamp to,
                                                     Interval interval,
                                                     int limit);
    boost::asio::awaitable<std::optional<FxQuote>> Fx(const std::string& base,
                                                      const std::string& quote,
                                                      std::optional<Timestamp> at);

    // Instruments. Create throws 409 when the symbol exists; Update returns nullopt when absent.
    boost::asio::awaitable<Instrument> CreateInstrument(const Instrument& instrument);
    boost::asio::awaitable<std::optional<Instrument>> UpdateInstrument(const std::string& symbol,
                                                                       const InstrumentPatch& patch);
    boost::asio::awaitable<std::optional<Instrument>> GetInstrument(const std::string& symbol);
    boost::asio::awaitable<std::vector<Instrument>> SearchInstruments(const InstrumentQuery& query);

    // Recomputes ohlcv_1h for [from, to) (whole hours) and ohlcv_1d for the trading dates
    // lying wholly inside it, from the raw segments. Returns the bars written.
    boost::asio::awaitable<std::int64_t> Reconcile(Timestamp from, Timestamp to);

    // Applies the retention windows and runs pg_partman maintenance per partition set
    // (partitions made ahead, expired ones dropped; expired raw segments are first folded into
    // ohlcv_1m by partman_maint.compact_segments), through the partman_maint functions.
    boost::asio::awaitable<void> Maintain(const RetentionWindows& windows);
    // Rows that fell into default partitions (no partition for their time), per partition set.
    boost::asio::awaitable<std::vector<std::pair<std::string, std::int64_t>>> DefaultPartitionRows();

private:
    db::Pool& pool_;
    db::QueryRunner& history_;
};

}  // namespace nn::market
