// The ingest pipeline against a migrated timescale database (as nexanest_market) and Redis.
#include <gtest/gtest.h>

#include <libpq-fe.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <map>
#include <random>

#include "core/error.hpp"
#include "infra/db/pool.hpp"
#include "infra/db/result.hpp"
#include "infra/migrate/migrator.hpp"
#include "infra/redis/client.hpp"
#include "infra/redis/url.hpp"
#include "market/pg_repository.hpp"
#include "market/service.hpp"
#include "tests/support/app_fixture.hpp"
#include "tests/support/test_env.hpp"

namespace nn::market {
namespace {
namespace asio = boost::asio;

// One migrated database set for the whole binary.
struct MigratedSet {
    std::string AdminUrl() const {
        return migrate::AdminUrlFor(options, migrate::Database::kTimescale).Reveal();
    }
    std::string MarketUrl() const {
        return migrate::ServiceUrlFor(options, migrate::ServiceRole::kMarket, migrate::Database::kTimescale)
            .Reveal();
    }
    test::SuiteDatabases options{"mkt_", {migrate::Database::kTimescale}};
};

MigratedSet& Set() {
    static MigratedSet set;
    return set;
}

// Blocking superuser queries for set-up and checks; returns the first column of each row.
std::vector<std::string> IngestQuery(const std::string& sql) {
    PGconn* c = PQconnectdb(Set().AdminUrl().c_str());
    PGresult* r = PQexec(c, sql.c_str());
    std::vector<std::string> out;
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
        std::string err = PQerrorMessage(c);
        PQclear(r);
        PQfinish(c);
        throw std::runtime_error(err);
    }
    for (int i = 0; i < PQntuples(r); ++i)
        out.emplace_back(PQgetisnull(r, i, 0) ? "NULL" : PQgetvalue(r, i, 0));
    PQclear(r);
    PQfinish(c);
    return out;
}

std::string One(const std::string& sql) {
    auto rows = IngestQuery(sql);
    return rows.empty() ? std::string() : rows.front();
}

// The rollups that recomputing from raw gives, minus what the tables hold (and the other way
// round), for the given symbols: empty means identical.
std::vector<std::string> RollupDiff(const std::string& symbols) {
    const std::string raw =
        "(SELECT time, symbol, coalesce(open, close) o, coalesce(high, close) h, coalesce(low, close) l, "
        "close c,"
        " coalesce(volume, 0) v FROM market_data.stock_prices WHERE symbol IN (" +
        symbols + "))";
    const std::string agg =
        "(array_agg(o ORDER BY time))[1], max(h), min(l), (array_agg(c ORDER BY time DESC))[1], "
        "sum(v)::bigint,"
        " count(*)::int, min(time), max(time)";
    auto bucket = [&](const std::string& width) {
        return "SELECT symbol, date_bin('" + width + "', time, timestamptz '2000-01-03') b, " + agg +
               " FROM " + raw + " r GROUP BY 1, 2";
    };
    auto stored = [&](const std::string& table, const std::string& key) {
        return "SELECT symbol, " + key +
               ", open, high, low, close, volume, tick_count, open_time, close_time FROM "
               "market_data." +
               table + " WHERE symbol IN (" + symbols + ")";
    };
    const std::string daily =
        "SELECT r.symbol, (r.time AT TIME ZONE i.exchange_timezone)::date, (array_agg(o ORDER BY "
        "r.time))[1], max(h), "
        "min(l), (array_agg(c ORDER BY r.time DESC))[1], sum(v)::bigint, count(*)::int, min(r.time), "
        "max(r.time) FROM " +
        raw + " r JOIN market_data.instruments i ON i.symbol = r.symbol GROUP BY 1, 2";
    std::vector<std::string> diff;
    for (auto [expected, actual] : {std::pair{bucket("1 minute"), stored("bars_1m", "bucket")},
                                    std::pair{bucket("1 hour"), stored("ohlcv_1h", "bucket")},
                                    std::pair{daily, stored("ohlcv_1d", "trading_date")}}) {
        for (auto& row :
             IngestQuery("SELECT format('%s', x) FROM ((" + expected + ") EXCEPT (" + actual + ")) x"))
            diff.push_back("missing " + row);
        for (auto& row :
             IngestQuery("SELECT format('%s', x) FROM ((" + actual + ") EXCEPT (" + expected + ")) x"))
            diff.push_back("extra " + row);
    }
    return diff;
}

class IngestTest : public ::testing::Test {
protected:
    void SetUp() override {
        sym_ = "T" + test::UniqueName("").substr(0, 8);
        for (auto& c : sym_) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        stream_ = test::UniqueName("nn:test:prices:");
        IngestQuery(
            "INSERT INTO market_data.instruments (symbol, name, asset_class, currency, exchange_timezone) "
            "VALUES "
            "('" +
            sym_ + "', 'Test', 'EQUITY', 'USD', 'America/New_York'), ('" + sym_ +
            "B', 'Test B', 'EQUITY', 'USD', 'UTC'), ('" + sym_ + "X', 'Index', 'INDEX', 'USD', 'UTC')");
        db::PoolOptions o;
        o.connection.url = Set().MarketUrl();
        o.max_size = 4;
        pool_ = std::make_unique<db::Pool>(io_.get_executor(), std::move(o));
        repo_ = std::make_unique<PgRepository>(*pool_);
        redis::Options ro;
        ro.url = redis::ParseUrl(test::RedisUrl());
        redis_ = std::make_unique<redis::Client>(io_.get_executor(), std::move(ro));
        options_.stream = stream_;
        options_.relay_min_age = std::chrono::seconds(0);
        svc_ = std::make_unique<MarketService>(*repo_, redis_.get(), options_);
    }
    void TearDown() override {
        Run([&]() -> asio::awaitable<void> {
            std::vector<std::string> keys{stream_, PriceKey(sym_), PriceKey(sym_ + "B")};
            for (const auto& s : extra_symbols_) keys.push_back(PriceKey(s));
            co_await redis_->DelMany(keys);
        });
        redis_->Close();
        pool_->Close();
    }

    // The pools and Redis clients keep timers alive, so the loop runs until the future is ready.
    template <class T>
    void Drive(std::future<T>& fut) {
        io_.restart();
        while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
            io_.run_one_for(std::chrono::milliseconds(20));
        }
    }

    template <class F>
    void Run(F body) {
        auto fut = asio::co_spawn(io_, body(), asio::use_future);
        Drive(fut);
        fut.get();
    }

    PriceRow Tick(const std::string& time,
                  const std::string& close,
                  std::int64_t volume,
                  std::string symbol = {}) {
        return PriceRow{TimestampFromString(time),
                        symbol.empty() ? sym_ : symbol,
                        std::nullopt,
                        std::nullopt,
                        std::nullopt,
                        Decimal::FromString(close),
                        volume};
    }

    std::string Count(const std::string& table) {
        return One("SELECT count(*) FROM market_data." + table + " WHERE symbol LIKE '" + sym_ + "%'");
    }

    // Instruments made by a test (one per exchange time zone), whose Redis keys TearDown removes.
    std::vector<std::string> AddInstruments(const std::vector<std::pair<std::string, std::string>>& zones) {
        std::vector<std::string> symbols;
        for (const auto& [suffix, zone] : zones) {
            symbols.push_back(sym_ + suffix);
            IngestQuery(
                "INSERT INTO market_data.instruments (symbol, name, asset_class, currency, "
                "exchange_timezone) "
                "VALUES ('" +
                symbols.back() + "', 'Zone test', 'EQUITY', 'USD', '" + zone + "')");
        }
        extra_symbols_.insert(extra_symbols_.end(), symbols.begin(), symbols.end());
        return symbols;
    }

    std::string sym_;
    std::vector<std::string> extra_symbols_;
    std::string stream_;
    asio::io_context io_;
    std::unique_ptr<db::Pool> pool_;
    std::unique_ptr<PgRepository> repo_;
    std::unique_ptr<redis::Client> redis_;
    MarketOptions options_;
    std::unique_ptr<MarketService> svc_;
};

TEST_F(IngestTest, LateAndDuplicateTicksMergeLikeARecompute) {
    const std::string day = FormatDate(ToDate(Now() - std::chrono::hours(24)));
    auto t = [&](const char* hms) { return day + "T" + hms + "Z"; };
    std::vector<PriceRow> first{Tick(t("14:30:10"), "400.00", 10), Tick(t("14:30:20"), "401.50", 5),
                                Tick(t("14:30:40"), "399.00", 7),
                                Tick(t("15:10:00"), "402.00", 1, sym_ + "B")};
    // a late tick earlier in the same minute, a duplicate, a tick in the next hour, and (01:30
    // UTC) one on the previous New York trading date
    std::vector<PriceRow> second{Tick(t("14:30:05"), "398.00", 3), Tick(t("14:30:20"), "401.50", 5),
                                 Tick(t("15:00:00"), "405.00", 2), Tick(t("01:30:00"), "390.00", 4)};
    IngestResult r1, r2, replay;
    Run([&]() -> asio::awaitable<void> {
        r1 = co_await svc_->IngestPrices(SeriesKind::kStock, first);
        r2 = co_await svc_->IngestPrices(SeriesKind::kStock, second);
        replay = co_await svc_->IngestPrices(SeriesKind::kStock, first);
    });
    EXPECT_EQ(r1.inserted, 4);
    EXPECT_EQ(r2.inserted, 3);
    EXPECT_EQ(replay.inserted, 0);
    EXPECT_EQ(replay.updated_latest, 0);
    const std::string syms = "'" + sym_ + "', '" + sym_ + "B'";
    EXPECT_EQ(RollupDiff(syms), std::vector<std::string>{});

    // the minute bar itself: open from the late tick, duplicate volume counted once
    EXPECT_EQ(One("SELECT format('%s %s %s %s %s %s', trim_scale(open), trim_scale(high), trim_scale(low), "
                  "trim_scale(close), volume, tick_count) FROM market_data.bars_1m WHERE symbol = '" +
                  sym_ + "' AND bucket = '" + t("14:30:00") + "'"),
              "398 401.5 398 399 25 4");
    // 01:30 UTC belongs to the previous New York trading date
    EXPECT_EQ(IngestQuery("SELECT trading_date::text FROM market_data.ohlcv_1d WHERE symbol = '" + sym_ +
                          "' ORDER BY 1")
                  .size(),
              2u);
    EXPECT_EQ(
        One("SELECT trim_scale(close)::text FROM market_data.latest_prices WHERE symbol = '" + sym_ + "'"),
        "405");

    // the reconcile job rebuilds the hour bars from the raw segments (spoilt here first)
    IngestQuery(
        "UPDATE market_data.ohlcv_1h SET close = close + 1, tick_count = tick_count + 7 WHERE symbol IN (" +
        syms + ")");
    ASSERT_NE(RollupDiff(syms), std::vector<std::string>{});
    std::int64_t written = 0;
    Run([&]() -> asio::awaitable<void> {
        written = co_await repo_->Reconcile(Now() - std::chrono::hours(72), Now());
    });
    EXPECT_GT(written, 0);
    EXPECT_EQ(RollupDiff(syms), std::vector<std::string>{});
}

// Batches in random order whose ticks crowd around minute, hour, UTC-day and local-midnight
// boundaries of exchanges at whole, half and quarter hour offsets (and Lord Howe's 30-minute
// daylight saving shift), with a replayed batch and a batch overlapping an earlier one: the bars
// the minute partials built equal a recompute from raw, and latest_prices holds each symbol's
// newest tick.
TEST_F(IngestTest, BatchesAcrossMinuteHourAndTradingDateBoundariesMatchARecompute) {
    auto symbols = AddInstruments({{"K", "Asia/Kolkata"},
                                   {"N", "Asia/Kathmandu"},
                                   {"L", "Australia/Lord_Howe"},
                                   {"C", "America/St_Johns"}});
    symbols.push_back(sym_);        // America/New_York
    symbols.push_back(sym_ + "B");  // UTC
    const Timestamp day = std::chrono::floor<std::chrono::days>(Now() - std::chrono::hours(36));
    std::mt19937_64 rng(2024);
    std::map<std::pair<std::string, Timestamp>, PriceRow> unique;
    while (unique.size() < 6000) {
        // half the ticks within 90 s of a quarter hour (every local midnight here is one)
        std::int64_t offset_ms = static_cast<std::int64_t>(rng() % (24 * 3600 * 1000));
        if (rng() % 2 == 0) {
            const std::int64_t quarter = static_cast<std::int64_t>(rng() % 96) * 900'000;
            offset_ms =
                std::max<std::int64_t>(0, quarter + static_cast<std::int64_t>(rng() % 180'000) - 90'000);
        }
        PriceRow r{day + std::chrono::milliseconds(offset_ms),
                   symbols[rng() % symbols.size()],
                   std::nullopt,
                   std::nullopt,
                   std::nullopt,
                   Decimal::FromUnscaled(static_cast<std::int64_t>(5'000 + rng() % 1'000), 2),
                   static_cast<std::int64_t>(rng() % 100)};
        if (rng() % 5 == 0) r.volume.reset();
        unique.emplace(std::make_pair(r.symbol, r.time), r);
    }
    std::vector<PriceRow> all;
    for (auto& [key, row] : unique) all.push_back(row);
    std::shuffle(all.begin(), all.end(), rng);
    std::vector<std::vector<PriceRow>> batches(6);
    for (std::size_t i = 0; i < all.size(); ++i) batches[i % 6].push_back(all[i]);
    std::vector<PriceRow> overlapping = batches[5];
    overlapping.insert(overlapping.end(), batches[2].begin(), batches[2].begin() + 300);
    std::int64_t inserted = 0;
    std::int64_t replayed = -1;
    Run([&]() -> asio::awaitable<void> {
        for (int b : {3, 0, 2, 4, 1})
            inserted += (co_await svc_->IngestPrices(SeriesKind::kStock, batches[b])).inserted;
        inserted += (co_await svc_->IngestPrices(SeriesKind::kStock, overlapping)).inserted;
        replayed = (co_await svc_->IngestPrices(SeriesKind::kStock, batches[3])).inserted;
    });
    EXPECT_EQ(inserted, static_cast<std::int64_t>(all.size()));
    EXPECT_EQ(replayed, 0);
    std::string list;
    for (const auto& s : symbols) list += (list.empty() ? "'" : ", '") + s + "'";
    EXPECT_EQ(RollupDiff(list), std::vector<std::string>{});
    for (const auto& s : symbols) {
        const PriceRow* newest = nullptr;
        for (const auto& r : all) {
            if (r.symbol == s && (newest == nullptr || newest->time < r.time)) newest = &r;
        }
        ASSERT_NE(newest, nullptr);
        EXPECT_EQ(
            One("SELECT format('%s %s', trim_scale(close), (extract(epoch FROM time) * 1000)::bigint) FROM "
                "market_data.latest_prices WHERE symbol = '" +
                s + "'"),
            newest->close.ToNormalizedString() + " " +
                std::to_string(newest->time.time_since_epoch().count() / 1000))
            << s;
    }
    // the ticks span two trading dates in every zone that is not UTC
    EXPECT_EQ(One("SELECT count(*) FROM market_data.ohlcv_1d WHERE symbol = '" + sym_ + "N'"), "2");
}

// Liberia kept UTC-0:44:30 until 1972, so one UTC minute can hold ticks of two Monrovia trading
// dates; that batch is redone with one partial per tick and the daily bars still split right.
TEST_F(IngestTest, AMinuteSpanningTwoTradingDatesStillSplitsTheDailyBars) {
    const auto m = AddInstruments({{"M", "Africa/Monrovia"}}).front();
    std::vector<PriceRow> rows{Tick("1971-06-01T00:44:50Z", "2", 3, m),
                               Tick("1971-06-01T00:43:00Z", "0.5", 1, m),
                               Tick("1971-06-01T00:44:10Z", "1", 4, m)};
    IngestResult r;
    Run([&]() -> asio::awaitable<void> { r = co_await svc_->IngestPrices(SeriesKind::kStock, rows); });
    EXPECT_EQ(r.inserted, 3);
    EXPECT_EQ(RollupDiff("'" + m + "'"), std::vector<std::string>{});
    EXPECT_EQ(IngestQuery("SELECT format('%s %s %s', trading_date, trim_scale(close), tick_count) FROM "
                          "market_data.ohlcv_1d "
                          "WHERE symbol = '" +
                          m + "' ORDER BY 1"),
              (std::vector<std::string>{"1971-05-31 1 2", "1971-06-01 2 1"}));
    EXPECT_EQ(One("SELECT tick_count FROM market_data.bars_1m WHERE symbol = '" + m +
                  "' AND bucket = '1971-06-01T00:44:00Z'"),
              "2");

    // a stored tick (the staged path) and new ticks on both sides of that midnight in the same
    // minute: the third way, staged with one partial per tick
    std::vector<PriceRow> more{Tick("1971-06-01T00:44:50Z", "2", 3, m),
                               Tick("1971-06-01T00:44:20Z", "1.25", 1, m),
                               Tick("1971-06-01T00:44:40Z", "1.75", 1, m)};
    Run([&]() -> asio::awaitable<void> { r = co_await svc_->IngestPrices(SeriesKind::kStock, more); });
    EXPECT_EQ(r.inserted, 2);
    EXPECT_EQ(RollupDiff("'" + m + "'"), std::vector<std::string>{});
    EXPECT_EQ(
        IngestQuery(
            "SELECT format('%s %s %s %s', trading_date, trim_scale(open), trim_scale(close), tick_count) "
            "FROM market_data.ohlcv_1d WHERE symbol = '" +
            m + "' ORDER BY 1"),
        (std::vector<std::string>{"1971-05-31 0.5 1.25 3", "1971-06-01 1.75 2 2"}));
}

TEST_F(IngestTest, BadInputIsRejectedWithNothingWritten) {
    const auto now = FormatRfc3339(std::chrono::floor<std::chrono::seconds>(Now() - std::chrono::minutes(1)));
    auto expect_rejected = [&](std::vector<PriceRow> rows, const std::string& field,
                               const std::string& code) {
        try {
            Run([&]() -> asio::awaitable<void> { co_await svc_->IngestPrices(SeriesKind::kStock, rows); });
            ADD_FAILURE() << "accepted a batch with a bad " << field;
        } catch (const Error& e) {
            EXPECT_EQ(e.Kind(), ErrorKind::kUnprocessable);
            ASSERT_FALSE(e.FieldErrors().empty());
            EXPECT_EQ(e.FieldErrors()[0].field, field);
            EXPECT_EQ(e.FieldErrors()[0].code, code);
        }
    };
    auto good = Tick(now, "10", 1);
    auto negative = Tick(now, "10", 1);
    negative.close = Decimal::FromString("-1");
    expect_rejected({good, negative}, "prices[1].close", "not_positive");
    auto inverted = good;
    inverted.high = Decimal::FromString("9");
    inverted.low = Decimal::FromString("11");
    expect_rejected({good, inverted}, "prices[1].high", "below_low");
    auto future = Tick(FormatRfc3339(Now() + std::chrono::hours(2)), "10", 1);
    expect_rejected({good, future}, "prices[1].time", "in_future");
    expect_rejected({good, Tick(now, "10", 1, sym_ + "NOPE")}, "prices[1].symbol", "unknown_symbol");
    // an index symbol is not a stock
    expect_rejected({good, Tick(now, "10", 1, sym_ + "X")}, "prices[1].symbol", "unknown_symbol");
    std::vector<PriceRow> huge(options_.limits.max_rows + 1, good);
    try {
        Run([&]() -> asio::awaitable<void> { co_await svc_->IngestPrices(SeriesKind::kStock, huge); });
        ADD_FAILURE() << "accepted an oversized batch";
    } catch (const Error& e) {
        EXPECT_EQ(e.Kind(), ErrorKind::kPayloadTooLarge);
        EXPECT_EQ(e.Code(), "market.batch_too_large");
    }
    for (auto table : {"stock_prices", "bars_1m", "ohlcv_1h", "ohlcv_1d", "latest_prices"}) {
        EXPECT_EQ(Count(table), "0") << table;
    }
    EXPECT_EQ(One("SELECT count(*) FROM market_data.outbox WHERE payload::text LIKE '%" + sym_ + "%'"), "0");
}

TEST_F(IngestTest, LatestPricesUnderConcurrentBatches) {
    // 8 batches in flight at once on 4 connections; each carries ticks of both symbols at
    // interleaved times, so they commit in an order unrelated to their prices' times.
    const Timestamp base = std::chrono::floor<std::chrono::seconds>(Now() - std::chrono::hours(1));
    std::vector<std::vector<PriceRow>> batches(8);
    for (int i = 0; i < 400; ++i) {
        auto time = FormatRfc3339(base + std::chrono::seconds(i));
        auto price = std::to_string(100 + i) + ".25";
        batches[static_cast<std::size_t>((i * 7) % 8)].push_back(
            Tick(time, price, 1, i % 2 ? sym_ : sym_ + "B"));
    }
    std::vector<std::future<IngestResult>> futures;
    for (auto& b : batches) {
        futures.push_back(asio::co_spawn(io_, svc_->IngestPrices(SeriesKind::kStock, b), asio::use_future));
    }
    for (auto& f : futures) Drive(f);
    for (auto& f : futures) EXPECT_EQ(f.get().received, 50);
    // the newest tick per symbol: 399 (odd → sym_) and 398 (even → B)
    EXPECT_EQ(
        One("SELECT trim_scale(close)::text FROM market_data.latest_prices WHERE symbol = '" + sym_ + "'"),
        "499.25");
    EXPECT_EQ(
        One("SELECT trim_scale(close)::text FROM market_data.latest_prices WHERE symbol = '" + sym_ + "B'"),
        "498.25");
    EXPECT_EQ(Count("stock_prices"), "400");
    EXPECT_EQ(RollupDiff("'" + sym_ + "', '" + sym_ + "B'"), std::vector<std::string>{});
    std::vector<LatestPrice> latest;
    Run([&]() -> asio::awaitable<void> {
        std::vector<std::string> symbols{sym_, sym_ + "B"};
        latest = co_await svc_->LatestMany(symbols);
        auto cached = co_await redis_->Get(PriceKey(sym_));
        EXPECT_TRUE(cached.has_value());
    });
    ASSERT_EQ(latest.size(), 2u);
    EXPECT_EQ(latest[0].price, Decimal::FromString("499.25"));
    EXPECT_EQ(latest[1].price, Decimal::FromString("498.25"));
}

// Two copies of one batch at once on two connections: both COPY their segments, one takes the
// writers' lock first and commits, the other then finds overlapping stored segments, is rolled
// back and redone under the lock with the stored ticks removed; the ticks count once.
TEST_F(IngestTest, TheSameBatchTwiceAtOnceCountsOnce) {
    const Timestamp base = std::chrono::floor<std::chrono::seconds>(Now() - std::chrono::hours(2));
    std::vector<PriceRow> batch;
    for (int i = 0; i < 2000; ++i) {
        batch.push_back(Tick(FormatRfc3339(base + std::chrono::milliseconds(i * 250)),
                             std::to_string(100 + i % 37) + ".5", i % 9, i % 3 ? sym_ : sym_ + "B"));
    }
    auto a = asio::co_spawn(io_, svc_->IngestPrices(SeriesKind::kStock, batch), asio::use_future);
    auto b = asio::co_spawn(io_, svc_->IngestPrices(SeriesKind::kStock, batch), asio::use_future);
    Drive(a);
    Drive(b);
    const auto ra = a.get();
    const auto rb = b.get();
    EXPECT_EQ(ra.inserted + rb.inserted, 2000);
    EXPECT_EQ(Count("stock_prices"), "2000");
    EXPECT_EQ(RollupDiff("'" + sym_ + "', '" + sym_ + "B'"), std::vector<std::string>{});
}

// Batches sharing some ticks and interleaving others in the same minutes, six at once on four
// connections, twice over: every (symbol, time) is stored once, the inserted counts add up to
// the distinct ticks, and the bars equal a recompute from raw.
TEST_F(IngestTest, OverlappingBatchesAtOnceStoreEveryTickOnce) {
    const Timestamp base = std::chrono::floor<std::chrono::minutes>(Now() - std::chrono::hours(3));
    std::mt19937 rng(11);
    std::vector<std::vector<PriceRow>> batches(6);
    constexpr int kTicks = 900;
    for (int i = 0; i < kTicks; ++i) {
        const auto tick = Tick(FormatRfc3339(base + std::chrono::milliseconds(i * 400)),
                               std::to_string(50 + i % 41) + ".125", i % 7, i % 2 ? sym_ : sym_ + "B");
        const auto first = rng() % 6;
        batches[first].push_back(tick);
        if (rng() % 3 == 0) batches[(first + 1 + rng() % 5) % 6].push_back(tick);
    }
    std::int64_t inserted = 0;
    for (int round = 0; round < 2; ++round) {
        std::vector<std::future<IngestResult>> futures;
        for (auto& b : batches) {
            futures.push_back(
                asio::co_spawn(io_, svc_->IngestPrices(SeriesKind::kStock, b), asio::use_future));
        }
        for (auto& f : futures) Drive(f);
        for (auto& f : futures) inserted += f.get().inserted;
    }
    EXPECT_EQ(inserted, kTicks);
    EXPECT_EQ(Count("stock_prices"), std::to_string(kTicks));
    EXPECT_EQ(One("SELECT count(DISTINCT (symbol, time)) FROM market_data.stock_prices WHERE symbol IN ('" +
                  sym_ + "', '" + sym_ + "B')"),
              std::to_string(kTicks));
    EXPECT_EQ(RollupDiff("'" + sym_ + "', '" + sym_ + "B'"), std::vector<std::string>{});
}

TEST_F(IngestTest, RedisDownStillCommitsAndTheRelayPublishesLater) {
    redis::Options dead;
    dead.url = redis::ParseUrl("redis://127.0.0.1:1/0");
    dead.connect_timeout = std::chrono::milliseconds(200);
    auto down = std::make_unique<redis::Client>(io_.get_executor(), std::move(dead));
    MarketService offline(*repo_, down.get(), options_);
    const auto time =
        FormatRfc3339(std::chrono::floor<std::chrono::seconds>(Now() - std::chrono::minutes(2)));
    IngestResult r;
    std::optional<LatestPrice> latest;
    Run([&]() -> asio::awaitable<void> {
        std::vector<PriceRow> rows{Tick(time, "55.5", 10)};
        r = co_await offline.IngestPrices(SeriesKind::kStock, rows);
        latest = co_await offline.Latest(sym_);
    });
    down->Close();
    EXPECT_EQ(r.inserted, 1);
    EXPECT_FALSE(r.event_published);
    ASSERT_TRUE(latest) << "the read falls back to the database";
    EXPECT_EQ(latest->price, Decimal::FromString("55.5"));
    EXPECT_EQ(One("SELECT count(*) FROM market_data.outbox WHERE published_at IS NULL AND aggregate_id = '" +
                  r.batch_id + "'"),
              "1");

    int relayed = 0;
    std::vector<redis::StreamEntry> entries;
    std::optional<std::string> cached;
    Run([&]() -> asio::awaitable<void> {
        relayed = co_await svc_->RelayOutbox();
        entries = co_await redis_->XRange(stream_);
        cached = co_await redis_->Get(PriceKey(sym_));
    });
    EXPECT_GE(relayed, 1);
    bool found = false;
    for (const auto& e : entries) {
        std::map<std::string, std::string> f(e.fields.begin(), e.fields.end());
        if (f["batch_id"] != r.batch_id) continue;
        found = true;
        EXPECT_EQ(f["kind"], "stock");
        EXPECT_EQ(f["count"], "1");
        EXPECT_NE(f["prices"].find("\"symbol\":\"" + sym_ + "\""), std::string::npos) << f["prices"];
        EXPECT_NE(f["prices"].find("\"price\":\"55.5\""), std::string::npos) << f["prices"];
    }
    EXPECT_TRUE(found) << "the outbox event reached the stream";
    ASSERT_TRUE(cached);
    EXPECT_NE(cached->find("|55.5"), std::string::npos);
    EXPECT_EQ(One("SELECT count(*) FROM market_data.outbox WHERE published_at IS NULL AND aggregate_id = '" +
                  r.batch_id + "'"),
              "0");
}

TEST_F(IngestTest, RetentionDropsExpiredPartitions) {
    const Timestamp old = std::chrono::floor<std::chrono::days>(Now() - std::chrono::hours(24 * 200));
    Run([&]() -> asio::awaitable<void> {
        static constexpr db::Query kEnsure{
            "SELECT partman_maint.ensure_partitions('market_data.stock_price_segments', $1, $2)",
            "test.ensure"};
        co_await pool_->Execute(kEnsure, old, old + std::chrono::hours(48));
        std::vector<PriceRow> rows{Tick(FormatRfc3339(old + std::chrono::hours(12)), "20", 1)};
        co_await svc_->IngestPrices(SeriesKind::kStock, rows);
    });
    const std::string partition_of =
        "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'market_data.stock_price_segments'::regclass AND c.relname = "
        "'stock_price_segments_p" +
        FormatDate(ToDate(old)).replace(4, 1, "_").replace(7, 1, "_") + "'";
    EXPECT_EQ(One(partition_of), "1");
    EXPECT_EQ(Count("stock_prices"), "1");
    Run([&]() -> asio::awaitable<void> { co_await repo_->Maintain(options_.retention); });
    EXPECT_EQ(One(partition_of), "0") << "the 200-day-old partition is past the 90-day retention";
    EXPECT_EQ(Count("stock_prices"), "0");
    // partitions ahead exist after maintenance
    EXPECT_EQ(One("SELECT count(*) > 0 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                  "WHERE i.inhparent = 'market_data.stock_price_segments'::regclass AND c.relname = "
                  "'stock_price_segments_p" +
                  FormatDate(AddDays(ToDate(Now()), 3)).replace(4, 1, "_").replace(7, 1, "_") + "'"),
              "t");
}

// Raw retention shorter than the 1m bars': an expired segment partition is folded into
// ohlcv_1m and dropped in one step, so the minute bar reads the same before and after.
TEST_F(IngestTest, ExpiredRawSegmentsLeaveTheirMinuteBars) {
    const Timestamp old = std::chrono::floor<std::chrono::days>(Now() - std::chrono::hours(24 * 40));
    const Timestamp minute = old + std::chrono::hours(12);
    Run([&]() -> asio::awaitable<void> {
        static constexpr db::Query kEnsure{
            "SELECT partman_maint.ensure_partitions('market_data.stock_price_segments', $1, $2)",
            "test.ensure_segments"};
        co_await pool_->Execute(kEnsure, old, old + std::chrono::hours(48));
        // two batches: two segments of one minute
        std::vector<PriceRow> first{Tick(FormatRfc3339(minute + std::chrono::seconds(10)), "20.5", 3),
                                    Tick(FormatRfc3339(minute + std::chrono::seconds(30)), "19.25", 4)};
        std::vector<PriceRow> second{Tick(FormatRfc3339(minute + std::chrono::seconds(5)), "21", 5),
                                     Tick(FormatRfc3339(minute + std::chrono::seconds(50)), "20", 6)};
        co_await svc_->IngestPrices(SeriesKind::kStock, first);
        co_await svc_->IngestPrices(SeriesKind::kStock, second);
    });
    const std::string bar =
        "SELECT format('%s %s %s %s %s %s %s %s', trim_scale(open), trim_scale(high), trim_scale(low), "
        "trim_scale(close), volume, tick_count, open_time, close_time) FROM market_data.bars_1m WHERE symbol "
        "= '" +
        sym_ + "' AND bucket = '" + FormatRfc3339(minute) + "'";
    const std::string before = One(bar);
    EXPECT_EQ(before.substr(0, 20), "21 21 19.25 20 18 4 ") << before;
    EXPECT_EQ(Count("stock_prices"), "4");
    RetentionWindows w = options_.retention;
    w.raw = std::chrono::hours(24 * 30);
    Run([&]() -> asio::awaitable<void> { co_await repo_->Maintain(w); });
    EXPECT_EQ(Count("stock_prices"), "0") << "the 40-day-old segments are past the 30-day raw window";
    EXPECT_EQ(One("SELECT count(*) FROM market_data.ohlcv_1m WHERE symbol = '" + sym_ + "'"), "1");
    EXPECT_EQ(One(bar), before);
    EXPECT_EQ(One("SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                  "WHERE i.inhparent = 'market_data.stock_price_segments'::regclass AND c.relname = "
                  "'stock_price_segments_p" +
                  FormatDate(ToDate(old)).replace(4, 1, "_").replace(7, 1, "_") + "'"),
              "0");
}

}  // namespace
}  // namespace nn::market
