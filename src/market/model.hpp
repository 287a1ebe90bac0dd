#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.hpp"
#include "core/error.hpp"
#include "core/time.hpp"

namespace nn::market {

// Which raw table a price series goes to. Both share the rollups and latest_prices (an index
// symbol is an instrument with asset class INDEX).
enum class SeriesKind { kStock, kIndex };
std::string_view KindName(SeriesKind kind) noexcept;  // "stock", "index"

// The path of a field of a batch element in error answers: "prices[3].time".
std::string ElementPath(std::string_view list, std::size_t i, std::string_view field);

// One tick or bar. A tick carries only close (and maybe volume); a bar carries OHLC too.
struct PriceRow {
    Timestamp time;
    std::string symbol;
    std::optional<Decimal> open;
    std::optional<Decimal> high;
    std::optional<Decimal> low;
    Decimal close;
    std::optional<std::int64_t> volume;
    friend bool operator==(const PriceRow&, const PriceRow&) = default;
};

// The new ticks of one batch folded per (symbol, minute): what the rollups merge. Every rollup
// level is a fold (open/close = price at the earliest/latest time, high/low = max/min, volume and
// tick count = sums), so folding a batch into minute partials and those into 1m/1h/1d bars gives
// the same bars as folding the ticks themselves; the database then merges ~1 000 partials per
// 50 000 ticks instead of re-reading every tick three times.
struct PartialBar {
    std::string_view symbol;  // into the batch's rows, which outlive it
    Timestamp bucket;         // the UTC minute holding the ticks
    Decimal open;             // coalesce(open, close) of the earliest tick
    Decimal high;             // max of coalesce(high, close)
    Decimal low;              // min of coalesce(low, close)
    Decimal close;            // close of the latest tick
    std::int64_t volume = 0;  // sum of coalesce(volume, 0)
    std::int32_t tick_count = 0;
    Timestamp open_time;
    Timestamp close_time;
    std::optional<std::int64_t> close_volume;  // the latest tick's volume (latest_prices.volume)
};

// kMinute: one partial per (symbol, minute). kTick: one per tick, for the rare minute whose
// first and last tick fall on different exchange trading dates (only in zones whose UTC offset
// is not a whole number of minutes, e.g. Africa/Monrovia before 1972), which a minute partial
// could not split between two daily bars.
enum class PartialGrouping { kMinute, kTick };

// Indices of rows in (symbol, time) order, each (symbol, time) once: the first of identical
// repeats (validation refuses repeats that differ). Sorted rows give every writer the same
// lock order and make the primary-key inserts of one symbol land next to each other.
std::vector<std::uint32_t> IngestOrder(const std::vector<PriceRow>& rows);

// The partials of rows[order[...]] (IngestOrder's output), in (symbol, bucket, time) order.
std::vector<PartialBar> FoldPartials(const std::vector<PriceRow>& rows,
                                     const std::vector<std::uint32_t>& order,
                                     PartialGrouping grouping);

// rate = units of quote per unit of base at time.
struct FxRow {
    Timestamp time;
    std::string base;
    std::string quote;
    Decimal rate;
    friend bool operator==(const FxRow&, const FxRow&) = default;
};

struct IngestLimits {
    std::size_t max_rows = 50'000;         // per batch (HTTP); larger → 413
    std::chrono::seconds max_future{300};  // clock skew allowed for timestamps
    Timestamp min_time = Timestamp{};      // 1970-01-01: older is rejected
};

// What a committed batch did.
struct IngestResult {
    std::string batch_id;             // UUID v7; the event's batch_id
    std::int64_t received = 0;        // rows in the batch
    std::int64_t inserted = 0;        // new raw rows (duplicates and replays are not counted)
    std::int64_t updated_latest = 0;  // symbols whose latest price moved forward
    bool event_published = false;     // false: the event waits in the outbox for the relay
};

// Decimal text → price: strictly positive, at most 18 integer and 10 fractional digits (the
// numeric(28, 10) columns). NaN/Infinity are not decimals. nullopt with a reason code.
struct PriceParse {
    std::optional<Decimal> value;
    std::string code;  // "not_decimal", "too_precise", "too_large", "not_positive"
    std::string message;
};
PriceParse ParsePrice(std::string_view text);

// Checks a batch before anything is written; every problem is reported, each naming the
// element ("prices[3].high"). `list` is the JSON array name ("prices", "rates"). When the batch
// is valid and ingest_order is given, it receives IngestOrder(rows) (computed on the way).
std::vector<FieldError> ValidatePrices(const std::vector<PriceRow>& rows,
                                       Timestamp now,
                                       const IngestLimits& limits,
                                       std::string_view list = "prices",
                                       std::vector<std::uint32_t>* ingest_order = nullptr);
std::vector<FieldError> ValidateFx(const std::vector<FxRow>& rows,
                                   Timestamp now,
                                   const IngestLimits& limits,
                                   std::string_view list = "rates");

// A JSON price batch {"<list>": [{time, symbol, open?, high?, low?, close, volume?}, ...]} read
// straight from its text, without building a document: the HTTP ingest's fast path. It gives up
// (nullopt) at anything that is not a clean batch (a syntax error, an unknown or repeated key, a
// value of the wrong type, a NUL, a string over max_string_bytes, a non-ASCII symbol, a price or
// time that does not parse), and the caller then parses strictly (http::ParseJsonBody +
// ParsePriceBatch), which names the problem. For a clean batch both give the same rows.
std::optional<std::vector<PriceRow>> ParseCleanPriceBatch(std::string_view json,
                                                          std::string_view list,
                                                          std::size_t max_string_bytes);

bool IsValidSymbol(std::string_view symbol) noexcept;  // ^[A-Za-z0-9^.=_:-]{1,32}$
bool IsCurrencyCode(std::string_view code) noexcept;   // ^[A-Z]{3}$

// Bar intervals of the history query.
enum class Interval { kRaw, k1m, k5m, k15m, k1h, k1d, k1w, k1mo };
std::optional<Interval> ParseInterval(std::string_view text) noexcept;
std::string_view IntervalName(Interval interval) noexcept;

// The latest price as cached in Redis under PriceKey(symbol): "<unix micros>|<price>", so a
// Lua script can keep only the newest (concurrent batches may finish out of order).
struct LatestPrice {
    std::string symbol;
    Timestamp time;
    Decimal price;
    std::optional<std::int64_t> volume;
    std::optional<Decimal> prev_close;
};
std::string PriceKey(std::string_view symbol);
std::string EncodeCachedPrice(Timestamp time, const Decimal& price);
std::optional<LatestPrice> DecodeCachedPrice(std::string_view symbol, std::string_view value);

// The Redis Stream every committed batch that moved a latest price is announced on
// (docs/market.md "Price-update events").
inline constexpr std::string_view kPriceStream = "nn:events:prices";

}  // namespace nn::market
