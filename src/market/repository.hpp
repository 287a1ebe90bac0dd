#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/decimal.hpp"
#include "core/time.hpp"
#include "market/model.hpp"

namespace nn::market {

// The market repository: the records it reads and writes, then the interface (`Repository`)
// the service and handlers call. pg_repository.hpp holds the PostgreSQL implementation (the SQL).

struct Instrument {
    std::string symbol;
    std::string name;
    std::string asset_class;  // EQUITY, ETF, FUND, BOND, CRYPTO, COMMODITY, CASH, INDEX, OTHER
    std::optional<std::string> sector;
    std::optional<std::string> industry;
    std::optional<std::string> country;  // ISO 3166 alpha-2
    std::string currency;                // ISO 4217
    std::optional<std::string> exchange;
    std::string exchange_timezone = "UTC";  // defines the trading date of daily bars
    bool fractional = false;
    bool is_active = true;
    Timestamp created_at{};
    Timestamp updated_at{};
};

// Fields of a PATCH; unset fields keep their value.
struct InstrumentPatch {
    std::optional<std::string> name;
    std::optional<std::string> asset_class;
    std::optional<std::optional<std::string>> sector;
    std::optional<std::optional<std::string>> industry;
    std::optional<std::optional<std::string>> country;
    std::optional<std::string> currency;
    std::optional<std::optional<std::string>> exchange;
    std::optional<std::string> exchange_timezone;
    std::optional<bool> fractional;
    std::optional<bool> is_active;
};

struct InstrumentQuery {
    std::optional<std::string> text;  // symbol or name prefix, case-insensitive
    std::optional<std::string> asset_class;
    std::optional<std::string> after_symbol;  // keyset cursor
    std::size_t limit = 50;
};

// One bar of a history query. `date` is set for 1d/1w/1mo (trading dates), `time` otherwise.
struct Bar {
    std::optional<Timestamp> time;
    std::optional<Date> date;
    std::optional<Decimal> open;
    std::optional<Decimal> high;
    std::optional<Decimal> low;
    Decimal close;
    std::optional<std::int64_t> volume;
};

struct FxQuote {
    std::string base;
    std::string quote;
    Decimal rate;
    Timestamp time;
    bool inverted = false;  // derived from the quote/base rate
};

// What one committed ingest transaction did; payload is the event (JSON text) when a latest
// price moved, written to the outbox in the same transaction.
struct StoredBatch {
    std::int64_t inserted = 0;
    std::int64_t updated_latest = 0;
    std::optional<std::int64_t> outbox_id;
    std::optional<std::string> payload;
};

struct OutboxEvent {
    std::int64_t id = 0;
    std::string payload;
};

// Retention windows of the maintenance job; nullopt keeps data forever.
struct RetentionWindows {
    std::optional<std::chrono::hours> raw{24 * 90};      // stock_price_segments, market_index_segments
    std::optional<std::chrono::hours> bars_1m{24 * 90};  // ohlcv_1m (the minutes of expired raw data)
    std::optional<std::chrono::hours> bars_1h;           // ohlcv_1h
    std::optional<std::chrono::hours> bars_1d;           // ohlcv_1d
    std::optional<std::chrono::hours> fx;                // exchange_rates
};

// Every SQL statement of market data (the timescale database, role nexanest_market), behind an
// interface a test can replace; PgRepository (pg_repository.hpp) is the implementation. Each
// call is its own transaction (or read) on the implementation's pool.
class Repository {
public:
    virtual ~Repository() = default;

    // The ingest pipeline's database half, one transaction: unknown symbols refused (nn::Error
    // kUnprocessable "market.unknown_symbol" naming the first row of each) → binary COPY of the
    // ticks as per-symbol-minute segments into the raw table and of their minute partials into a
    // TEMP table → the symbols' writer lock and the check that no stored tick is repeated (if one
    // is, the batch is redone under the lock with the stored ticks left out) → the partials merge
    // into ohlcv_1h/1d and latest_prices → the event row in market_data.outbox. 1m bars are the
    // segments' own (market_data.bars_1m). A deadlock or serialization failure retries the whole transaction.
    // order: IngestOrder(rows) (ValidatePrices gives it).
    virtual boost::asio::awaitable<StoredBatch> StorePrices(SeriesKind kind,
                                                            const std::vector<PriceRow>& rows,
                                                            const std::vector<std::uint32_t>& order,
                                                            const std::string& batch_id) = 0;
    virtual boost::asio::awaitable<StoredBatch> StoreFx(const std::vector<FxRow>& rows,
                                                        const std::string& batch_id) = 0;

    // Outbox relay: events older than min_age not yet published, oldest first.
    virtual boost::asio::awaitable<std::vector<OutboxEvent>> PendingEvents(std::chrono::seconds min_age,
                                                                           int limit) = 0;
    virtual boost::asio::awaitable<void> MarkPublished(std::int64_t outbox_id) = 0;
    virtual boost::asio::awaitable<void> MarkFailed(std::int64_t outbox_id, const std::string& error) = 0;
    virtual boost::asio::awaitable<std::int64_t> DeletePublishedBefore(std::chrono::hours age) = 0;

    // Reads.
    virtual boost::asio::awaitable<std::vector<LatestPrice>> Latest(
        const std::vector<std::string>& symbols) = 0;
    // PriceDirectory::PreviousClose: the previous close (decimal text) when the latest price is of
    // the UTC trading date of `time` (RFC 3339).
    virtual boost::asio::awaitable<std::optional<std::string>> PreviousClose(const std::string& symbol,
                                                                             const std::string& time) = 0;
    virtual boost::asio::awaitable<std::vector<Bar>> History(SeriesKind kind,
                                                             const std::string& symbol,
                                                             Timestamp from,
                                                             Timestamp to,
                                                             Interval interval,
                                                             int limit) = 0;
    virtual boost::asio::awaitable<std::optional<FxQuote>> Fx(const std::string& base,
                                                              const std::string& quote,
                                                              std::optional<Timestamp> at) = 0;

    // Instruments. Create throws 409 when the symbol exists; Update returns nullopt when absent.
    virtual boost::asio::awaitable<Instrument> CreateInstrument(const Instrument& instrument) = 0;
    virtual boost::asio::awaitable<std::optional<Instrument>> UpdateInstrument(
        const std::string& symbol, const InstrumentPatch& patch) = 0;
    virtual boost::asio::awaitable<std::optional<Instrument>> GetInstrument(const std::string& symbol) = 0;
    virtual boost::asio::awaitable<std::vector<Instrument>> SearchInstruments(
        const InstrumentQuery& query) = 0;

    // Recomputes ohlcv_1h for [from, to) (whole hours) and ohlcv_1d for the trading dates
    // lying wholly inside it, from the raw segments. Returns the bars written.
    virtual boost::asio::awaitable<std::int64_t> Reconcile(Timestamp from, Timestamp to) = 0;

    // Applies the retention windows and runs pg_partman maintenance per partition set
    // (partitions made ahead, expired ones dropped; expired raw segments are first folded into
    // ohlcv_1m by partman_maint.compact_segments), through the partman_maint functions.
    virtual boost::asio::awaitable<void> Maintain(const RetentionWindows& windows) = 0;
    // Rows that fell into default partitions (no partition for their time), per partition set.
    virtual boost::asio::awaitable<std::vector<std::pair<std::string, std::int64_t>>>
    DefaultPartitionRows() = 0;
};

}  // namespace nn::market
