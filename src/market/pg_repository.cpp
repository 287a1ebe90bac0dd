#include "market/pg_repository.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/error.hpp"
#include "infra/db/copy_in.hpp"
#include "infra/db/errors.hpp"
#include "infra/db/pool.hpp"
#include "infra/db/result.hpp"
#include "infra/db/transaction.hpp"

namespace nn::market {
namespace asio = boost::asio;

namespace {

// Session-lifetime staging tables: created once per connection, emptied at every commit.
// Typed like their targets so the binary COPY needs no casts.
// The batch's new ticks folded per (symbol, minute) (model.hpp PartialBar).
constexpr db::Query kCreateBarStage{
    "CREATE TEMP TABLE IF NOT EXISTS nn_stage_bars (symbol text NOT NULL, bucket timestamptz NOT NULL, "
    "open numeric(28,10) NOT NULL, high numeric(28,10) NOT NULL, low numeric(28,10) NOT NULL, "
    "close numeric(28,10) NOT NULL, volume bigint NOT NULL, tick_count integer NOT NULL, "
    "open_time timestamptz NOT NULL, close_time timestamptz NOT NULL, close_volume bigint) "
    "ON COMMIT DELETE ROWS",
    "market.create_bar_stage"};
constexpr db::Query kCreateFxStage{
    "CREATE TEMP TABLE IF NOT EXISTS nn_stage_fx (time timestamptz NOT NULL, base text NOT NULL, "
    "quote text NOT NULL, rate numeric(24,12) NOT NULL) ON COMMIT DELETE ROWS",
    "market.create_fx_stage"};

// Symbols of the batch ($1, a text[]) that are not instruments of the right kind (indices must
// be INDEX, stock prices anything else).
constexpr db::Query kUnknownSymbols{
    "SELECT s FROM unnest($1::text[]) s LEFT JOIN market_data.instruments i ON i.symbol = s "
    "WHERE i.symbol IS NULL OR (i.asset_class = 'INDEX') <> $2 ORDER BY 1 LIMIT 20",
    "market.unknown_symbols"};

// The merge of new partial bars into a rollup: open from the earliest tick, close from the
// latest, high/low as max/min, volume and tick_count as sums. It is associative and
// commutative, so batches may arrive in any order; only ticks the raw insert really added feed
// it, so duplicates and replays never count twice.
constexpr const char* kMergeSet =
    "open = CASE WHEN EXCLUDED.open_time < b.open_time THEN EXCLUDED.open ELSE b.open END, "
    "open_time = LEAST(b.open_time, EXCLUDED.open_time), "
    "high = GREATEST(b.high, EXCLUDED.high), low = LEAST(b.low, EXCLUDED.low), "
    "close = CASE WHEN EXCLUDED.close_time > b.close_time THEN EXCLUDED.close ELSE b.close END, "
    "close_time = GREATEST(b.close_time, EXCLUDED.close_time), "
    "volume = b.volume + EXCLUDED.volume, tick_count = b.tick_count + EXCLUDED.tick_count";

// The same fold over raw rows (reconcile) ...
constexpr const char* kAggregates =
    "(array_agg(o ORDER BY time))[1], max(h), min(l), (array_agg(c ORDER BY time DESC))[1], "
    "sum(v), count(*), min(time), max(time)";
// ... and over partial bars (of one symbol, partials never share an open or close time).
constexpr const char* kPartialAggregates =
    "(array_agg(s.open ORDER BY s.open_time))[1], max(s.high), min(s.low), "
    "(array_agg(s.close ORDER BY s.close_time DESC))[1], sum(s.volume), sum(s.tick_count), "
    "min(s.open_time), max(s.close_time)";

constexpr const char* kRfc3339 = "to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";

constexpr std::string_view SegmentTable(SeriesKind kind) {
    return kind == SeriesKind::kIndex ? "market_data.market_index_segments"
                                      : "market_data.stock_price_segments";
}
// The segments read a row per tick (views with the segment's bucket, which a reader bounds).
constexpr std::string_view RawView(SeriesKind kind) {
    return kind == SeriesKind::kIndex ? "market_data.market_indices" : "market_data.stock_prices";
}
// Bounds the buckets of a raw view to the segments that can hold ticks of [$from, $to).
constexpr const char* kBucketsOf =
    "bucket >= date_bin('1 minute', {from}, timestamptz '2000-01-03 00:00+00') AND bucket < {to}";

// The writers' lock: every transaction writing raw data of a symbol holds its instruments row
// (FOR NO KEY UPDATE, in symbol order) from its duplicate check to its commit, so two batches
// with the same tick cannot both find it absent. FK checks (FOR KEY SHARE) do not wait for it.
constexpr db::Query kLockSymbols{
    "SELECT 1 FROM market_data.instruments WHERE symbol = ANY($1::text[]) ORDER BY symbol FOR NO KEY UPDATE",
    "market.lock_symbols"};

// Whether a tick of this batch is already stored: a segment of another transaction of the same
// symbol and minute, overlapping the time span of one of this batch's partials, shares a time
// with this transaction's segment of that minute (time spans that merely interleave, as when
// two feeds write the same symbols, share none). Usually no segment overlaps at all.
std::string RepeatSql(SeriesKind kind) {
    // latest_prices.time is the newest tick ever stored for the symbol (every raw write merges
    // into it in its transaction, only forward), so a partial starting after it cannot repeat a
    // stored tick: a feed's batches, in time order, never reach the segment probes. OFFSET 0
    // keeps the probes per partial (index scans on (symbol, bucket)) instead of a scan of
    // whole partitions for this transaction's rows.
    return fmt::format(
        "WITH c AS MATERIALIZED (SELECT p.* FROM pg_temp.nn_stage_bars p"
        " LEFT JOIN market_data.latest_prices lp ON lp.symbol = p.symbol"
        " WHERE lp.time IS NULL OR lp.time >= p.open_time)"
        " SELECT EXISTS (SELECT 1 FROM c p"
        " CROSS JOIN LATERAL (SELECT s.times FROM {t} s WHERE s.symbol = p.symbol AND s.bucket = p.bucket"
        "  AND s.first_time <= p.close_time AND s.last_time >= p.open_time"
        "  AND s.writer <> pg_current_xact_id() OFFSET 0) s"
        " CROSS JOIN LATERAL (SELECT o.times FROM {t} o WHERE o.symbol = p.symbol AND o.bucket = p.bucket"
        "  AND o.writer = pg_current_xact_id() OFFSET 0) o"
        " WHERE s.times && o.times)",
        fmt::arg("t", SegmentTable(kind)));
}

// The stored ticks inside the time spans of this batch's partials.
std::string StoredTicksSql(SeriesKind kind) {
    return fmt::format(
        "SELECT v.symbol, v.time FROM pg_temp.nn_stage_bars p JOIN {} v ON v.symbol = p.symbol"
        " AND v.bucket = p.bucket AND v.time BETWEEN p.open_time AND p.close_time",
        RawView(kind));
}

constexpr db::Query kClearBars{"DELETE FROM pg_temp.nn_stage_bars", "market.clear_bar_stage"};

// nn_stage_bars → ohlcv_1h (from the UTC minute), ohlcv_1d (the trading date
// of the partial's first tick in instruments.exchange_timezone) → latest_prices (only where
// newer; prev_close/prev_close_date move when the trading date changes) → the outbox event.
// GROUP BY: ON CONFLICT cannot touch a row twice; ORDER BY: the same lock order in every writer.
// The last column counts partials whose first and last tick lie on different trading dates:
// non-zero means the daily merge was wrong and the batch is redone with per-tick partials.
std::string MergeSql() {
    return fmt::format(
        "WITH s AS MATERIALIZED ("
        " SELECT x.*, (x.open_time AT TIME ZONE i.exchange_timezone)::date AS open_date,"
        " (x.close_time AT TIME ZONE i.exchange_timezone)::date AS close_date"
        " FROM pg_temp.nn_stage_bars x JOIN market_data.instruments i ON i.symbol = x.symbol"
        "), h1 AS ("
        " INSERT INTO market_data.ohlcv_1h AS b"
        " (symbol, bucket, open, high, low, close, volume, tick_count, open_time, close_time)"
        " SELECT s.symbol, date_bin('1 hour', s.bucket, timestamptz '2000-01-03 00:00+00'), {agg}"
        " FROM s GROUP BY 1, 2 ORDER BY 1, 2"
        " ON CONFLICT (symbol, bucket) DO UPDATE SET {merge}"
        "), d1 AS ("
        " INSERT INTO market_data.ohlcv_1d AS b"
        " (symbol, trading_date, open, high, low, close, volume, tick_count, open_time, close_time)"
        " SELECT s.symbol, s.open_date, {agg} FROM s GROUP BY 1, 2 ORDER BY 1, 2"
        " ON CONFLICT (symbol, trading_date) DO UPDATE SET {merge}"
        "), lp AS ("
        " INSERT INTO market_data.latest_prices AS p (symbol, time, close, volume)"
        " SELECT DISTINCT ON (symbol) symbol, close_time, close, close_volume FROM s"
        " ORDER BY symbol, close_time DESC"
        " ON CONFLICT (symbol) DO UPDATE SET"
        // a newer trading date: the close we held becomes the previous close
        "  prev_close = CASE WHEN p.time < date_trunc('day', EXCLUDED.time, {tz}) THEN p.close ELSE "
        "p.prev_close END,"
        "  prev_close_date = CASE WHEN p.time < date_trunc('day', EXCLUDED.time, {tz})"
        "   THEN (p.time AT TIME ZONE {tz})::date ELSE p.prev_close_date END,"
        "  time = EXCLUDED.time, close = EXCLUDED.close, volume = EXCLUDED.volume, updated_at = now()"
        " WHERE EXCLUDED.time > p.time"
        " RETURNING symbol, time, close"
        "), ev AS ("
        " INSERT INTO market_data.outbox (aggregate_type, aggregate_id, event_type, payload)"
        " SELECT 'prices', $1::text, 'prices.updated', jsonb_build_object('batch_id', $1::text, 'kind', "
        "$2::text,"
        "  'count', count(*), 'prices', jsonb_agg(jsonb_build_object('symbol', symbol,"
        "  'price', trim_scale(close)::text, 'time', {rfc}) ORDER BY symbol))"
        " FROM lp HAVING count(*) > 0"
        " RETURNING id, payload::text AS payload"
        ")"
        " SELECT (SELECT count(*) FROM lp), (SELECT id FROM ev), (SELECT payload FROM ev),"
        " (SELECT count(*) FROM s WHERE open_date <> close_date)",
        fmt::arg("agg", kPartialAggregates), fmt::arg("merge", kMergeSet),
        fmt::arg("tz",
                 "(SELECT i.exchange_timezone FROM market_data.instruments i WHERE i.symbol = p.symbol)"),
        fmt::arg("rfc", kRfc3339));
}

constexpr const char* kFxIngestSql =
    "WITH ins AS ("
    " INSERT INTO market_data.exchange_rates (time, base, quote, rate)"
    " SELECT time, base, quote, rate FROM pg_temp.nn_stage_fx ORDER BY base, quote, time"
    " ON CONFLICT (base, quote, time) DO NOTHING RETURNING time, base, quote, rate"
    "), lp AS ("
    " INSERT INTO market_data.latest_exchange_rates AS p (base, quote, time, rate)"
    " SELECT DISTINCT ON (base, quote) base, quote, time, rate FROM ins ORDER BY base, quote, time DESC"
    " ON CONFLICT (base, quote) DO UPDATE SET time = EXCLUDED.time, rate = EXCLUDED.rate, updated_at = now()"
    " WHERE EXCLUDED.time > p.time RETURNING base, quote, time, rate"
    "), ev AS ("
    " INSERT INTO market_data.outbox (aggregate_type, aggregate_id, event_type, payload)"
    " SELECT 'fx', $1::text, 'fx.updated', jsonb_build_object('batch_id', $1::text, 'kind', 'fx',"
    "  'count', count(*), 'rates', jsonb_agg(jsonb_build_object('base', base, 'quote', quote,"
    "  'rate', trim_scale(rate)::text, 'time', to_char(time AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))"
    "  ORDER BY base, quote))"
    " FROM lp HAVING count(*) > 0"
    " RETURNING id, payload::text AS payload"
    ")"
    " SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM lp), (SELECT id FROM ev), (SELECT payload "
    "FROM ev)";

// Raw ticks of [$1, $2).
const std::string kRawColumns = fmt::format(
    "SELECT time, symbol, coalesce(open, close) AS o, coalesce(high, close) AS h, coalesce(low, close) AS l,"
    " close AS c, coalesce(volume, 0) AS v FROM {{}} WHERE {} AND time >= $1 AND time < $2",
    fmt::format(fmt::runtime(kBucketsOf), fmt::arg("from", "$1"), fmt::arg("to", "$2")));

std::string RawBoth() {
    return "(" + fmt::format(fmt::runtime(kRawColumns), RawView(SeriesKind::kStock)) + " UNION ALL " +
           fmt::format(fmt::runtime(kRawColumns), RawView(SeriesKind::kIndex)) + ")";
}

constexpr const char* kReplaceSet =
    "open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close, "
    "volume = EXCLUDED.volume, tick_count = EXCLUDED.tick_count, open_time = EXCLUDED.open_time, "
    "close_time = EXCLUDED.close_time";

const std::string& ReconcileBucketSql(std::string_view table, std::string_view width) {
    static std::map<std::string, std::string> cache;
    auto key = std::string(table);
    auto it = cache.find(key);
    if (it == cache.end()) {
        it = cache
                 .emplace(
                     key,
                     fmt::format("INSERT INTO market_data.{} AS b (symbol, bucket, open, high, low, close, "
                                 "volume, tick_count, open_time, close_time) "
                                 "SELECT symbol, date_bin('{}', time, timestamptz '2000-01-03 00:00+00'), {} "
                                 "FROM {} r GROUP BY 1, 2 ORDER BY 1, 2 "
                                 "ON CONFLICT (symbol, bucket) DO UPDATE SET {}",
                                 table, width, kAggregates, RawBoth(), kReplaceSet))
                 .first;
    }
    return it->second;
}

const std::string& ReconcileDailySql() {
    static const std::string sql = fmt::format(
        "INSERT INTO market_data.ohlcv_1d AS b (symbol, trading_date, open, high, low, close, volume, "
        "tick_count, "
        "open_time, close_time) "
        "SELECT r.symbol, (r.time AT TIME ZONE i.exchange_timezone)::date AS d, "
        "(array_agg(o ORDER BY r.time))[1], max(h), min(l), (array_agg(c ORDER BY r.time DESC))[1], "
        "sum(v), count(*), min(r.time), max(r.time) "
        "FROM {} r JOIN market_data.instruments i ON i.symbol = r.symbol "
        "WHERE (r.time AT TIME ZONE i.exchange_timezone)::date BETWEEN $3 AND $4 "
        "GROUP BY 1, 2 ORDER BY 1, 2 ON CONFLICT (symbol, trading_date) DO UPDATE SET {}",
        RawBoth(), kReplaceSet);
    return sql;
}

constexpr db::Query kDeleteHourBars{"DELETE FROM market_data.ohlcv_1h WHERE bucket >= $1 AND bucket < $2",
                                    "market.reconcile_delete_1h"};
constexpr db::Query kDeleteDayBars{"DELETE FROM market_data.ohlcv_1d WHERE trading_date BETWEEN $1 AND $2",
                                   "market.reconcile_delete_1d"};

// History: one statement per (raw table, interval). Columns: time, date, open, high, low,
// close, volume. Coarser bars come from finer rollups (5m/15m from 1m, 1w/1mo from 1d).
std::string HistorySql(SeriesKind kind, Interval interval) {
    constexpr const char* kFromMinutes =
        "SELECT date_bin(interval '{}', bucket, timestamptz '2000-01-03 00:00+00') AS t, NULL::date, "
        "(array_agg(open ORDER BY open_time))[1], max(high), min(low), (array_agg(close ORDER BY close_time "
        "DESC))[1], "
        "sum(volume)::bigint FROM market_data.bars_1m WHERE symbol = $1 AND bucket >= $2 AND bucket < $3 "
        "GROUP BY 1 ORDER BY 1 LIMIT $4";
    constexpr const char* kFromDays =
        "SELECT NULL::timestamptz, date_trunc('{}', trading_date)::date AS d, "
        "(array_agg(open ORDER BY open_time))[1], max(high), min(low), (array_agg(close ORDER BY close_time "
        "DESC))[1], "
        "sum(volume)::bigint FROM market_data.ohlcv_1d WHERE symbol = $1 "
        "AND trading_date BETWEEN ($2 AT TIME ZONE 'UTC')::date AND ($3 AT TIME ZONE 'UTC')::date "
        "GROUP BY 2 ORDER BY 2 LIMIT $4";
    switch (interval) {
        case Interval::kRaw:
            return fmt::format(
                "SELECT time, NULL::date, open, high, low, close, volume FROM {} "
                "WHERE symbol = $1 AND {} AND time >= $2 AND time < $3 ORDER BY time LIMIT $4",
                RawView(kind),
                fmt::format(fmt::runtime(kBucketsOf), fmt::arg("from", "$2"), fmt::arg("to", "$3")));
        case Interval::k1m:
        case Interval::k1h:
            return fmt::format(
                "SELECT bucket, NULL::date, open, high, low, close, volume FROM market_data.{} "
                "WHERE symbol = $1 AND bucket >= $2 AND bucket < $3 ORDER BY bucket LIMIT $4",
                interval == Interval::k1m ? "bars_1m" : "ohlcv_1h");
        case Interval::k5m:
            return fmt::format(fmt::runtime(kFromMinutes), "5 minutes");
        case Interval::k15m:
            return fmt::format(fmt::runtime(kFromMinutes), "15 minutes");
        case Interval::k1d:
            return "SELECT NULL::timestamptz, trading_date, open, high, low, close, volume FROM "
                   "market_data.ohlcv_1d "
                   "WHERE symbol = $1 AND trading_date BETWEEN ($2 AT TIME ZONE 'UTC')::date AND "
                   "($3 AT TIME ZONE 'UTC')::date ORDER BY trading_date LIMIT $4";
        case Interval::k1w:
            return fmt::format(fmt::runtime(kFromDays), "week");
        case Interval::k1mo:
            return fmt::format(fmt::runtime(kFromDays), "month");
    }
    return {};
}

struct HistoryStatement {
    std::string sql;
    std::string name;
};

const HistoryStatement& HistoryFor(SeriesKind kind, Interval interval) {
    static const auto table = [] {
        std::map<std::pair<int, int>, HistoryStatement> m;
        for (auto k : {SeriesKind::kStock, SeriesKind::kIndex}) {
            for (int i = 0; i <= static_cast<int>(Interval::k1mo); ++i) {
                auto iv = static_cast<Interval>(i);
                m[{static_cast<int>(k), i}] = HistoryStatement{
                    HistorySql(k, iv), fmt::format("market.history_{}_{}", KindName(k), IntervalName(iv))};
            }
        }
        return m;
    }();
    return table.at({static_cast<int>(kind), static_cast<int>(interval)});
}

constexpr const char* kInstrumentColumns =
    "symbol, name, asset_class, sector, industry, country, currency, exchange, exchange_timezone, "
    "fractional, "
    "is_active, created_at, updated_at";

Instrument InstrumentFrom(const db::Row& r) {
    Instrument i;
    i.symbol = r.Get<std::string>(0);
    i.name = r.Get<std::string>(1);
    i.asset_class = r.Get<std::string>(2);
    i.sector = r.Get<std::optional<std::string>>(3);
    i.industry = r.Get<std::optional<std::string>>(4);
    i.country = r.Get<std::optional<std::string>>(5);
    i.currency = r.Get<std::string>(6);
    i.exchange = r.Get<std::optional<std::string>>(7);
    i.exchange_timezone = r.Get<std::string>(8);
    i.fractional = r.Get<bool>(9);
    i.is_active = r.Get<bool>(10);
    i.created_at = r.Get<Timestamp>(11);
    i.updated_at = r.Get<Timestamp>(12);
    return i;
}

const std::string kInsertInstrumentSql = fmt::format(
    "INSERT INTO market_data.instruments (symbol, name, asset_class, sector, industry, country, currency, "
    "exchange, "
    "exchange_timezone, fractional, is_active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
    "RETURNING {}",
    kInstrumentColumns);
const std::string kUpdateInstrumentSql = fmt::format(
    "UPDATE market_data.instruments SET name = coalesce($2, name), asset_class = coalesce($3, asset_class), "
    "sector = CASE WHEN $4 THEN $5 ELSE sector END, industry = CASE WHEN $6 THEN $7 ELSE industry END, "
    "country = CASE WHEN $8 THEN $9 ELSE country END, currency = coalesce($10, currency), "
    "exchange = CASE WHEN $11 THEN $12 ELSE exchange END, "
    "exchange_timezone = coalesce($13, exchange_timezone), fractional = coalesce($14, fractional), "
    "is_active = coalesce($15, is_active), updated_at = now() WHERE symbol = $1 RETURNING {}",
    kInstrumentColumns);
const std::string kGetInstrumentSql =
    fmt::format("SELECT {} FROM market_data.instruments WHERE symbol = $1", kInstrumentColumns);
const std::string kSearchInstrumentsSql = fmt::format(
    "SELECT {} FROM market_data.instruments "
    "WHERE ($1::text IS NULL OR upper(symbol) LIKE upper($1::text) || '%' OR lower(name) LIKE "
    "lower($1::text) || '%') "
    "AND ($2::text IS NULL OR asset_class = $2::text) AND ($3::text IS NULL OR symbol > $3::text) "
    "ORDER BY symbol LIMIT $4",
    kInstrumentColumns);

std::string LikeEscape(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\\' || c == '%' || c == '_') out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

std::optional<std::string> HoursText(const std::optional<std::chrono::hours>& h) {
    if (!h) return std::nullopt;
    return fmt::format("{} hours", h->count());
}

StoredBatch StoredFrom(const db::Result& res) {
    StoredBatch out;
    const auto row = res[0];
    out.inserted = row.Get<std::int64_t>(0);
    out.updated_latest = row.Get<std::int64_t>(1);
    out.outbox_id = row.Get<std::optional<std::int64_t>>(2);
    out.payload = row.Get<std::optional<std::string>>(3);
    return out;
}

}  // namespace

namespace {

// Why a first attempt at a batch is rolled back and redone another way; never leaves
// StorePrices.
struct RawRowsMayBeStored {};
struct MinuteSpansTwoTradingDates {};

// How the raw rows get in. kOptimistic: COPY the segments straight into the raw table, then
// take the writers' lock and check that no stored tick repeats one of them (the COPYs of
// concurrent batches run in parallel; only the check and the merges wait for each other).
// kLocked, after a repeat: take the lock first, read the stored ticks the batch could repeat
// and write only the others.
enum class RawWrite { kOptimistic, kLocked };

// The batch's symbols, in order, from its minute partials (symbol, bucket order).
std::vector<std::string> DistinctSymbols(const std::vector<PartialBar>& minutes) {
    std::vector<std::string> out;
    for (const PartialBar& p : minutes) {
        if (out.empty() || out.back() != p.symbol) out.emplace_back(p.symbol);
    }
    return out;
}

asio::awaitable<void> CopyBars(db::Transaction& tx, const std::vector<PartialBar>& bars) {
    static const std::vector<std::string> kColumns{"symbol",    "bucket",     "open",        "high",
                                                   "low",       "close",      "volume",      "tick_count",
                                                   "open_time", "close_time", "close_volume"};
    co_await tx.Flush();
    auto copy = co_await db::CopyIn::Begin(tx.Conn(), "nn_stage_bars", kColumns);
    for (const PartialBar& b : bars) {
        copy.AddRow(b.symbol, b.bucket, b.open, b.high, b.low, b.close, b.volume, b.tick_count, b.open_time,
                    b.close_time, b.close_volume);
        if (copy.ShouldFlush()) co_await copy.Flush();
    }
    co_await copy.Finish();
}

// rows[order[...]] as segments (one row of parallel arrays per symbol-minute) into the raw
// table. minutes: FoldPartials(rows, order, kMinute), one per segment, in the same order; each
// covers tick_count consecutive positions of order and is the segment's minute bar.
asio::awaitable<void> CopySegments(db::Transaction& tx,
                                   SeriesKind kind,
                                   const std::vector<PriceRow>& rows,
                                   const std::vector<std::uint32_t>& order,
                                   const std::vector<PartialBar>& minutes) {
    static const std::vector<std::string> kColumns{
        "symbol", "bucket",     "first_time", "last_time", "open",  "high", "low",    "close",
        "volume", "tick_count", "times",      "opens",     "highs", "lows", "closes", "volumes"};
    co_await tx.Flush();
    auto copy = co_await db::CopyIn::Begin(tx.Conn(), SegmentTable(kind), kColumns);
    std::size_t begin = 0;
    for (const PartialBar& m : minutes) {
        const auto n = static_cast<std::size_t>(m.tick_count);
        auto row = [&rows, &order, begin](std::size_t k) -> const PriceRow& {
            return rows[order[begin + k]];
        };
        bool any_open = false, any_high = false, any_low = false, any_volume = false;
        for (std::size_t k = 0; k < n; ++k) {
            const PriceRow& r = row(k);
            any_open = any_open || r.open.has_value();
            any_high = any_high || r.high.has_value();
            any_low = any_low || r.low.has_value();
            any_volume = any_volume || r.volume.has_value();
        }
        auto optional_array = [&](bool any, std::optional<Decimal> PriceRow::*field) {
            auto a = db::ArrayField{
                n, [&row, field](std::size_t k) -> const std::optional<Decimal>& { return row(k).*field; }};
            return any ? std::optional(a) : std::nullopt;
        };
        auto volumes = db::ArrayField{
            n, [&row](std::size_t k) -> const std::optional<std::int64_t>& { return row(k).volume; }};
        copy.AddRow(m.symbol, m.bucket, m.open_time, m.close_time, m.open, m.high, m.low, m.close, m.volume,
                    m.tick_count, db::ArrayField{n, [&row](std::size_t k) { return row(k).time; }},
                    optional_array(any_open, &PriceRow::open), optional_array(any_high, &PriceRow::high),
                    optional_array(any_low, &PriceRow::low),
                    db::ArrayField{n, [&row](std::size_t k) -> const Decimal& { return row(k).close; }},
                    any_volume ? std::optional(volumes) : std::nullopt);
        if (copy.ShouldFlush()) co_await copy.Flush();
        begin += n;
    }
    co_await copy.Finish();
}

// One attempt at a batch, inside tx. Throws RawRowsMayBeStored (kOptimistic) or
// MinuteSpansTwoTradingDates (kMinute) for the caller to roll back and retry differently.
asio::awaitable<StoredBatch> StoreOnce(db::Transaction& tx,
                                       SeriesKind kind,
                                       const std::vector<PriceRow>& rows,
                                       const std::vector<std::uint32_t>& all,
                                       const std::vector<PartialBar>& all_minutes,
                                       const db::TextArray& symbols,
                                       RawWrite write,
                                       PartialGrouping grouping,
                                       const std::string& batch_id) {
    static const std::string kMerge = MergeSql();
    static const std::string kRepeat[2] = {RepeatSql(SeriesKind::kStock), RepeatSql(SeriesKind::kIndex)};
    static const std::string kStored[2] = {StoredTicksSql(SeriesKind::kStock),
                                           StoredTicksSql(SeriesKind::kIndex)};
    const int k = kind == SeriesKind::kIndex ? 1 : 0;
    db::Pipeline setup;
    setup.Push(kCreateBarStage).Push(kUnknownSymbols, symbols, kind == SeriesKind::kIndex);
    if (write == RawWrite::kLocked) setup.Push(kLockSymbols, symbols);
    auto prepared = co_await tx.RunPipeline(std::move(setup), std::nullopt);
    const db::Result& unknown = prepared[1];
    if (!unknown.Empty()) {
        std::vector<FieldError> errors;
        for (const auto& u : unknown) {
            auto symbol = u.Get<std::string>(0);
            auto it =
                std::find_if(rows.begin(), rows.end(), [&](const PriceRow& r) { return r.symbol == symbol; });
            errors.push_back({fmt::format("prices[{}].symbol", it - rows.begin()), "unknown_symbol",
                              fmt::format("'{}' is not a known {} instrument (create it first: POST "
                                          "/api/v1/market/instruments)",
                                          symbol, kind == SeriesKind::kIndex ? "index" : "non-index")});
        }
        throw Error(ErrorKind::kUnprocessable, "market.unknown_symbol",
                    "the batch names unknown symbols; nothing was written", std::move(errors));
    }

    StoredBatch out;
    const std::vector<std::uint32_t>* order = &all;
    const std::vector<PartialBar>* minutes = &all_minutes;
    std::vector<std::uint32_t> fresh;
    std::vector<PartialBar> fresh_minutes;
    if (write == RawWrite::kLocked) {
        // Under the lock nobody else adds ticks of these symbols: drop the stored ones.
        co_await CopyBars(tx, all_minutes);
        const db::Query stored_query{kStored[k],
                                     k == 1 ? "market.stored_index_ticks" : "market.stored_ticks"};
        auto stored = co_await tx.Execute(stored_query);
        std::set<std::pair<std::string, Timestamp>> seen;
        for (const auto& r : stored) seen.emplace(r.Get<std::string>(0), r.Get<Timestamp>(1));
        fresh.reserve(all.size());
        for (auto i : all) {
            if (!seen.contains({rows[i].symbol, rows[i].time})) fresh.push_back(i);
        }
        order = &fresh;
        if (fresh.empty()) co_return out;  // a full replay: nothing to write, no event
        co_await tx.Execute(kClearBars);
        fresh_minutes = FoldPartials(rows, fresh, PartialGrouping::kMinute);
        minutes = &fresh_minutes;
    }
    co_await CopySegments(tx, kind, rows, *order, *minutes);
    out.inserted = static_cast<std::int64_t>(order->size());
    std::vector<PartialBar> ticks;  // named: g++ 12 mishandles a temporary in a co_await conditional
    if (grouping == PartialGrouping::kTick) ticks = FoldPartials(rows, *order, grouping);
    co_await CopyBars(tx, grouping == PartialGrouping::kMinute ? *minutes : ticks);
    if (write == RawWrite::kOptimistic) {
        co_await tx.Execute(kLockSymbols, symbols);
        const db::Query repeat{kRepeat[k], k == 1 ? "market.index_repeats" : "market.repeats"};
        if ((co_await tx.Execute(repeat))[0].Get<bool>(0)) throw RawRowsMayBeStored{};
    }

    const db::Query merge{kMerge, "market.merge_bars"};
    auto res = co_await tx.Execute(merge, batch_id, std::string(KindName(kind)));
    const auto row = res[0];
    if (row.Get<std::int64_t>(3) != 0) throw MinuteSpansTwoTradingDates{};
    out.updated_latest = row.Get<std::int64_t>(0);
    out.outbox_id = row.Get<std::optional<std::int64_t>>(1);
    out.payload = row.Get<std::optional<std::string>>(2);
    co_return out;
}

}  // namespace

asio::awaitable<StoredBatch> PgRepository::StorePrices(SeriesKind kind,
                                                       const std::vector<PriceRow>& rows,
                                                       const std::vector<std::uint32_t>& order,
                                                       const std::string& batch_id) {
    // Throws 422 when one symbol-minute's volumes overflow a bigint.
    const std::vector<PartialBar> minutes = FoldPartials(rows, order, PartialGrouping::kMinute);
    const db::TextArray symbols(DistinctSymbols(minutes));
    // Most batches are all new ticks in minutes of one trading date: the first attempt. A
    // segment overlapping a stored one or a minute split between trading dates rolls it back
    // (nothing of it stays) and the batch is redone the way that copes; the third attempt
    // copes with both.
    RawWrite write = RawWrite::kOptimistic;
    PartialGrouping grouping = PartialGrouping::kMinute;
    for (;;) {
        try {
            co_return co_await db::RunInTransaction(
                pool_, db::TransactionOptions(), [&](db::Transaction& tx) -> asio::awaitable<StoredBatch> {
                    co_return co_await StoreOnce(tx, kind, rows, order, minutes, symbols, write, grouping,
                                                 batch_id);
                });
        } catch (const RawRowsMayBeStored&) {
            write = RawWrite::kLocked;
        } catch (const MinuteSpansTwoTradingDates&) {
            grouping = PartialGrouping::kTick;  // per-tick partials never span two dates
        }
    }
}

asio::awaitable<StoredBatch> PgRepository::StoreFx(const std::vector<FxRow>& rows,
                                                   const std::string& batch_id) {
    static constexpr db::Query kIngest{kFxIngestSql, "market.ingest_fx"};
    co_return co_await db::RunInTransaction(
        pool_, db::TransactionOptions(), [&](db::Transaction& tx) -> asio::awaitable<StoredBatch> {
            co_await tx.Execute(kCreateFxStage);
            static const std::vector<std::string> kColumns{"time", "base", "quote", "rate"};
            auto copy = co_await db::CopyIn::Begin(tx.Conn(), "nn_stage_fx", kColumns);
            for (const FxRow& r : rows) {
                copy.AddRow(r.time, r.base, r.quote, r.rate);
                if (copy.ShouldFlush()) co_await copy.Flush();
            }
            co_await copy.Finish();
            co_return StoredFrom(co_await tx.Execute(kIngest, batch_id));
        });
}

asio::awaitable<std::vector<OutboxEvent>> PgRepository::PendingEvents(std::chrono::seconds min_age,
                                                                      int limit) {
    static constexpr db::Query kPending{
        "SELECT id, payload::text FROM market_data.outbox WHERE published_at IS NULL "
        "AND created_at < now() - $1::interval ORDER BY id LIMIT $2",
        "market.outbox_pending"};
    auto res = co_await pool_.Execute(kPending, fmt::format("{} seconds", min_age.count()),
                                      static_cast<std::int64_t>(limit));
    std::vector<OutboxEvent> out;
    for (const auto& r : res) out.push_back({r.Get<std::int64_t>(0), r.Get<std::string>(1)});
    co_return out;
}

asio::awaitable<void> PgRepository::MarkPublished(std::int64_t outbox_id) {
    static constexpr db::Query kMark{
        "UPDATE market_data.outbox SET published_at = now(), attempts = attempts + 1, last_error = NULL "
        "WHERE id = $1 AND published_at IS NULL",
        "market.outbox_published"};
    co_await pool_.Execute(kMark, outbox_id);
}

asio::awaitable<void> PgRepository::MarkFailed(std::int64_t outbox_id, const std::string& error) {
    static constexpr db::Query kMark{
        "UPDATE market_data.outbox SET attempts = attempts + 1, last_error = left($2, 500) WHERE id = $1",
        "market.outbox_failed"};
    co_await pool_.Execute(kMark, outbox_id, error);
}

asio::awaitable<std::int64_t> PgRepository::DeletePublishedBefore(std::chrono::hours age) {
    static constexpr db::Query kDelete{
        "DELETE FROM market_data.outbox WHERE published_at < now() - $1::interval", "market.outbox_cleanup"};
    auto res = co_await pool_.Execute(kDelete, fmt::format("{} hours", age.count()));
    co_return res.RowsAffected();
}

asio::awaitable<std::vector<LatestPrice>> PgRepository::Latest(const std::vector<std::string>& symbols) {
    static constexpr db::Query kLatest{
        "SELECT symbol, time, close, volume, prev_close FROM market_data.latest_prices "
        "WHERE symbol = ANY($1::text[]) ORDER BY symbol",
        "market.latest"};
    auto res = co_await pool_.Execute(kLatest, db::TextArray(symbols));
    std::vector<LatestPrice> out;
    for (const auto& r : res) {
        out.push_back({r.Get<std::string>(0), r.Get<Timestamp>(1), r.Get<Decimal>(2),
                       r.Get<std::optional<std::int64_t>>(3), r.Get<std::optional<Decimal>>(4)});
    }
    co_return out;
}

asio::awaitable<std::optional<std::string>> PgRepository::PreviousClose(const std::string& symbol,
                                                                        const std::string& time) {
    // The previous close applies only to a tick of the latest price's trading date.
    static constexpr db::Query kPrevClose{
        "SELECT prev_close::text FROM market_data.latest_prices WHERE symbol = $1 AND prev_close IS NOT NULL "
        "AND (time AT TIME ZONE 'UTC')::date = ($2::timestamptz AT TIME ZONE 'UTC')::date",
        "market.prev_close"};
    auto res = co_await pool_.Execute(kPrevClose, symbol, time);
    std::optional<std::string> out;
    for (const auto& r : res) out = r.Get<std::string>(0);
    co_return out;
}

PgRepository::PgRepository(db::Pool& pool) : pool_(pool), history_(pool) {}

asio::awaitable<std::vector<Bar>> PgRepository::History(
    SeriesKind kind, const std::string& symbol, Timestamp from, Timestamp to, Interval interval, int limit) {
    const HistoryStatement& st = HistoryFor(kind, interval);
    const db::Query query{st.sql, st.name};
    auto res = co_await history_.Execute(query, symbol, from, to, static_cast<std::int64_t>(limit));
    std::vector<Bar> out;
    out.reserve(static_cast<std::size_t>(res.Size()));
    for (const auto& r : res) {
        out.push_back({r.Get<std::optional<Timestamp>>(0), r.Get<std::optional<Date>>(1),
                       r.Get<std::optional<Decimal>>(2), r.Get<std::optional<Decimal>>(3),
                       r.Get<std::optional<Decimal>>(4), r.Get<Decimal>(5),
                       r.Get<std::optional<std::int64_t>>(6)});
    }
    co_return out;
}

asio::awaitable<std::optional<FxQuote>> PgRepository::Fx(const std::string& base,
                                                         const std::string& quote,
                                                         std::optional<Timestamp> at) {
    // The direct pair wins; otherwise the inverse of quote/base.
    static constexpr db::Query kFx{
        "(SELECT base::text, quote::text, rate, time, false FROM market_data.exchange_rates "
        " WHERE base = $1 AND quote = $2 AND time <= coalesce($3, 'infinity') ORDER BY time DESC LIMIT 1) "
        "UNION ALL "
        "(SELECT quote::text, base::text, round(1 / rate, 12), time, true FROM market_data.exchange_rates "
        " WHERE base = $2 AND quote = $1 AND time <= coalesce($3, 'infinity') ORDER BY time DESC LIMIT 1) "
        "ORDER BY 5 LIMIT 1",
        "market.fx"};
    auto res = co_await pool_.Execute(kFx, base, quote, at);
    if (res.Empty()) co_return std::nullopt;
    auto r = res[0];
    co_return FxQuote{r.Get<std::string>(0), r.Get<std::string>(1), r.Get<Decimal>(2), r.Get<Timestamp>(3),
                      r.Get<bool>(4)};
}

asio::awaitable<Instrument> PgRepository::CreateInstrument(const Instrument& i) {
    const db::Query query{kInsertInstrumentSql, "market.insert_instrument"};
    try {
        auto res =
            co_await pool_.Execute(query, i.symbol, i.name, i.asset_class, i.sector, i.industry, i.country,
                                   i.currency, i.exchange, i.exchange_timezone, i.fractional, i.is_active);
        co_return InstrumentFrom(res[0]);
    } catch (const db::UniqueViolation&) {
        throw Error(ErrorKind::kConflict, "market.instrument_exists",
                    fmt::format("instrument {} already exists", i.symbol));
    }
}

asio::awaitable<std::optional<Instrument>> PgRepository::UpdateInstrument(const std::string& symbol,
                                                                          const InstrumentPatch& p) {
    const db::Query query{kUpdateInstrumentSql, "market.update_instrument"};
    auto flat = [](const std::optional<std::optional<std::string>>& v) {
        return v ? *v : std::optional<std::string>();
    };
    auto res = co_await pool_.Execute(
        query, symbol, p.name, p.asset_class, p.sector.has_value(), flat(p.sector), p.industry.has_value(),
        flat(p.industry), p.country.has_value(), flat(p.country), p.currency, p.exchange.has_value(),
        flat(p.exchange), p.exchange_timezone, p.fractional, p.is_active);
    if (res.Empty()) co_return std::nullopt;
    co_return InstrumentFrom(res[0]);
}

asio::awaitable<std::optional<Instrument>> PgRepository::GetInstrument(const std::string& symbol) {
    const db::Query query{kGetInstrumentSql, "market.get_instrument"};
    auto res = co_await pool_.Execute(query, symbol);
    if (res.Empty()) co_return std::nullopt;
    co_return InstrumentFrom(res[0]);
}

asio::awaitable<std::vector<Instrument>> PgRepository::SearchInstruments(const InstrumentQuery& q) {
    const db::Query query{kSearchInstrumentsSql, "market.search_instruments"};
    std::optional<std::string> text;
    if (q.text) text = LikeEscape(*q.text);
    auto res = co_await pool_.Execute(query, text, q.asset_class, q.after_symbol,
                                      static_cast<std::int64_t>(q.limit));
    std::vector<Instrument> out;
    for (const auto& r : res) out.push_back(InstrumentFrom(r));
    co_return out;
}

asio::awaitable<std::int64_t> PgRepository::Reconcile(Timestamp from, Timestamp to) {
    using std::chrono::hours;
    const Timestamp f = std::chrono::floor<hours>(from);
    const Timestamp t = std::chrono::floor<hours>(to);
    if (t <= f) co_return 0;
    // trading dates lying wholly inside [f, t) whatever the exchange's offset (at most ±14 h)
    const Date d1 = AddDays(ToDate(f), 1);
    const Date d2 = AddDays(ToDate(t), -2);
    const db::Query hour{ReconcileBucketSql("ohlcv_1h", "1 hour"), "market.reconcile_1h"};
    const db::Query day{ReconcileDailySql(), "market.reconcile_1d"};
    co_return co_await db::RunInTransaction(
        pool_, db::TransactionOptions(), [&](db::Transaction& tx) -> asio::awaitable<std::int64_t> {
            std::int64_t written = 0;
            co_await tx.Execute(kDeleteHourBars, f, t);
            written += (co_await tx.Execute(hour, f, t)).RowsAffected();
            if (!(d2 < d1)) {
                co_await tx.Execute(kDeleteDayBars, d1, d2);
                written += (co_await tx.Execute(day, f, t, d1, d2)).RowsAffected();
            }
            co_return written;
        });
}

asio::awaitable<void> PgRepository::Maintain(const RetentionWindows& w) {
    static constexpr db::Query kSetRetention{"SELECT partman_maint.set_retention($1, $2::interval)",
                                             "market.set_retention"};
    static constexpr db::Query kRun{"SELECT partman_maint.run_maintenance($1)", "market.run_maintenance"};
    static constexpr db::Query kCompact{"SELECT partman_maint.compact_segments($1, $2::interval)",
                                        "market.compact_segments"};
    const std::pair<const char*, std::optional<std::chrono::hours>> sets[] = {
        {"market_data.ohlcv_1m", w.bars_1m},
        {"market_data.ohlcv_1h", w.bars_1h},
        {"market_data.ohlcv_1d", w.bars_1d},
        {"market_data.exchange_rates", w.fx}};
    for (const auto& [table, window] : sets) {
        co_await pool_.Execute(kSetRetention, std::string(table), HoursText(window));
        co_await pool_.Execute(kRun, std::string(table));
    }
    // Raw segments past their window fold into ohlcv_1m (as far as its window, set above, keeps
    // minutes) and go; pg_partman only makes their partitions ahead.
    for (const char* table : {"market_data.stock_price_segments", "market_data.market_index_segments"}) {
        co_await pool_.Execute(kCompact, std::string(table), HoursText(w.raw));
        co_await pool_.Execute(kRun, std::string(table));
    }
}

asio::awaitable<std::vector<std::pair<std::string, std::int64_t>>> PgRepository::DefaultPartitionRows() {
    static constexpr db::Query kRows{
        "SELECT parent_table, row_count FROM partman_maint.default_partition_rows() "
        "WHERE parent_table LIKE 'market\\_data.%' ORDER BY 1",
        "market.default_partition_rows"};
    auto res = co_await pool_.Execute(kRows);
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const auto& r : res) out.emplace_back(r.Get<std::string>(0), r.Get<std::int64_t>(1));
    co_return out;
}

}  // namespace nn::market
