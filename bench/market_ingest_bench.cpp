// End-to-end market data ingest vs raw binary COPY, and the HTTP JSON batch path.
//
//   nn_bench_market_ingest [ticks=5000000] [symbols=500] [batch=200000] [http_ticks=200000] [streams=1]
//
// Migrates a throw-away database set (unique prefix, dropped at the end) on
// NEXANEST_BENCH_PG_URL or NEXANEST_TEST_PG_URL, with Redis from NEXANEST_TEST_REDIS_URL
// (optional: without it events stay in the outbox, as when Redis is down). The same ticks
// (time-ordered, `symbols` symbols, one tick per symbol per second in the last hours) are:
//   1. COPYed in binary into a bare table with the same columns, no index and no check (the
//      physical limit: what PostgreSQL takes in at all on this machine; once more after step 3,
//      and the ratio uses the mean of the two, since the shared machine's load drifts), then
//   2. COPYed in binary, in the pipeline's batches and row order (IngestOrder), into a table
//      with one row per tick and the former raw table's primary key (symbol, time), BRIN index
//      and check (migration 0001's stock_prices, unpartitioned): the raw-write step alone of the
//      row layout the segments replaced, the ceiling of any pipeline that keeps it, printed for
//      reference, then
//   3. ingested through MarketService::IngestPricesUnlimited in `batch`-row batches (the
//      path `nexanest import prices` and `feed simulate --direct` use; raw ticks stored as
//      per-symbol-minute segments, migration 0002).
// Each phase starts after a CHECKPOINT (so none pays for writing out the previous one's dirty
// pages) and runs on `streams` connections at once (for 1: `streams` COPYs of a share
// each; for 2 and 3: batches taken in turn by `streams` concurrent workers), all driven by one
// client thread.
// Then `http_ticks` more go through POST /api/v1/market/prices (5000-row JSON batches, one
// keep-alive connection) on an in-process server. Prints rows/s and the ratios.
#include <libpq-fe.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>

#include "infra/app/app.hpp"
#include "infra/db/connection.hpp"
#include "infra/db/copy_in.hpp"
#include "infra/db/pool.hpp"
#include "infra/http/test_server.hpp"
#include "infra/migrate/migrator.hpp"
#include "market/access.hpp"
#include "market/module.hpp"
#include "market/pg_repository.hpp"
#include "market/service.hpp"

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace nn;

namespace {

std::string Env(const char* a, const char* b = nullptr) {
    for (const char* n : {a, b}) {
        if (n == nullptr) continue;
        const char* v = std::getenv(n);
        if (v != nullptr && *v != '\0') return v;
    }
    return {};
}

void Exec(const std::string& url, const std::string& sql) {
    PGconn* c = PQconnectdb(url.c_str());
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        std::fprintf(stderr, "%s\n", PQerrorMessage(c));
        std::exit(1);
    }
    PQclear(r);
    PQfinish(c);
}

template <class T>
T Drive(asio::io_context& io, asio::awaitable<T> work) {
    auto fut = asio::co_spawn(io, std::move(work), asio::use_future);
    while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        io.run_one_for(std::chrono::milliseconds(20));
    }
    return fut.get();
}

// Runs the loop until every future is ready (the pools and Redis clients keep timers alive).
void DriveAll(asio::io_context& io, std::vector<std::future<void>>& done) {
    for (auto& f : done) {
        while (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
            io.run_one_for(std::chrono::milliseconds(20));
        }
    }
    for (auto& f : done) f.get();
}

std::vector<market::PriceRow> MakeTicks(std::int64_t n, int symbols, Timestamp start) {
    std::mt19937_64 rng(7);
    std::vector<market::PriceRow> rows;
    rows.reserve(static_cast<std::size_t>(n));
    std::vector<std::int64_t> price(static_cast<std::size_t>(symbols), 1'000'000);
    for (std::int64_t i = 0; i < n; ++i) {
        auto s = static_cast<std::size_t>(i % symbols);
        price[s] = std::max<std::int64_t>(10'000, price[s] + static_cast<std::int64_t>(rng() % 2001) - 1000);
        rows.push_back(
            market::PriceRow{start + std::chrono::milliseconds(1000 * (i / symbols) + static_cast<int>(s)),
                             "B" + std::to_string(s), std::nullopt, std::nullopt, std::nullopt,
                             Decimal::FromUnscaled(price[s], 4), 1 + static_cast<std::int64_t>(rng() % 500)});
    }
    return rows;
}

}  // namespace

int main(int argc, char** argv) {
    const std::int64_t ticks = argc > 1 ? std::atoll(argv[1]) : 5'000'000;
    const int symbols = argc > 2 ? std::atoi(argv[2]) : 500;
    const std::size_t batch =
        argc > 3 ? static_cast<std::size_t>(std::atoll(argv[3])) : 200'000;  // import prices' default
    const std::int64_t http_ticks = argc > 4 ? std::atoll(argv[4]) : 200'000;
    const int streams = argc > 5 ? std::max(1, std::atoi(argv[5])) : 1;
    const std::string admin = Env("NEXANEST_BENCH_PG_URL", "NEXANEST_TEST_PG_URL");
    if (admin.empty()) {
        std::fprintf(stderr, "set NEXANEST_BENCH_PG_URL (or NEXANEST_TEST_PG_URL)\n");
        return 2;
    }
    const std::string redis_url = Env("NEXANEST_TEST_REDIS_URL");
    const std::string password = Env("NEXANEST_DB_SERVICE_PASSWORD").empty()
                                     ? "bench-service-password"
                                     : Env("NEXANEST_DB_SERVICE_PASSWORD");
    migrate::Options mo;
    mo.admin_url = Secret(admin);
    mo.prefix = "bench_mkt_" + std::to_string(std::random_device{}() % 1'000'000);
    mo.service_password = Secret(password);
    mo.migrations_dir = std::string(NN_SOURCE_DIR) + "/migrations";
    migrate::Up(mo, migrate::Database::kTimescale);
    const std::string owner_url = migrate::AdminUrlFor(mo, migrate::Database::kTimescale).Reveal();
    const std::string market_url =
        migrate::ServiceUrlFor(mo, migrate::ServiceRole::kMarket, migrate::Database::kTimescale).Reveal();
    std::string inst =
        "INSERT INTO market_data.instruments (symbol, name, asset_class, currency, exchange_timezone) "
        "SELECT 'B' || g, 'Bench ' || g, 'EQUITY', 'USD', 'America/New_York' FROM generate_series(0, " +
        std::to_string(symbols - 1) + ") g";
    Exec(owner_url, inst);
    Exec(owner_url,
         "CREATE TABLE public.bare (time timestamptz, symbol text, open numeric(28,10), high numeric(28,10), "
         "low numeric(28,10), close numeric(28,10), volume bigint); GRANT ALL ON public.bare TO "
         "nexanest_market; "
         "CREATE TABLE public.keyed (time timestamptz NOT NULL, symbol text NOT NULL, open numeric(28,10), "
         "high numeric(28,10), low numeric(28,10), close numeric(28,10) NOT NULL, volume bigint, "
         "PRIMARY KEY (symbol, time), CHECK (close > 0 AND close < 'Infinity' "
         "AND (open IS NULL OR (open > 0 AND open < 'Infinity')) AND (high IS NULL OR (high > 0 AND high < "
         "'Infinity')) AND (low IS NULL OR (low > 0 AND low < 'Infinity')) "
         "AND (high IS NULL OR low IS NULL OR high >= low) AND (volume IS NULL OR volume >= 0))); "
         "CREATE INDEX ON public.keyed USING brin (time); "
         "GRANT ALL ON public.keyed TO nexanest_market");

    // ticks end a few minutes ago, one per symbol per second
    const Timestamp start =
        std::chrono::floor<std::chrono::seconds>(Now()) - std::chrono::seconds(ticks / symbols + 300);
    auto rows = MakeTicks(ticks, symbols, start);
    std::printf(
        "market ingest bench: %lld ticks, %d symbols, batches of %zu, %d stream(s) (connections at once)\n",
        static_cast<long long>(ticks), symbols, batch, streams);

    asio::io_context io(1);
    db::ConnectOptions co;
    co.url = market_url;
    co.query_timeout = std::chrono::minutes(10);
    static const std::vector<std::string> kCols{"time", "symbol", "open", "high", "low", "close", "volume"};
    // 1. one binary COPY of all rows into the bare table, split over `streams` connections; run
    // before and after the pipeline, as the machine's load drifts
    auto bare_copy = [&]() {
        Exec(admin, "CHECKPOINT");
        auto t0 = Clock::now();
        std::vector<std::future<void>> done;
        for (int k = 0; k < streams; ++k) {
            const std::size_t from =
                rows.size() * static_cast<std::size_t>(k) / static_cast<std::size_t>(streams);
            const std::size_t to =
                rows.size() * static_cast<std::size_t>(k + 1) / static_cast<std::size_t>(streams);
            done.push_back(asio::co_spawn(
                io,
                [&, from, to]() -> asio::awaitable<void> {
                    auto conn = co_await db::Connection::Connect(io.get_executor(), co);
                    auto copy = co_await db::CopyIn::Begin(*conn, "public.bare", kCols);
                    for (std::size_t i = from; i < to; ++i) {
                        const auto& r = rows[i];
                        copy.AddRow(r.time, r.symbol, r.open, r.high, r.low, r.close, r.volume);
                        if (copy.ShouldFlush()) co_await copy.Flush();
                    }
                    co_await copy.Finish();
                },
                asio::use_future));
        }
        DriveAll(io, done);
        return static_cast<double>(ticks) / std::chrono::duration<double>(Clock::now() - t0).count();
    };
    const double bare_before = bare_copy();
    std::printf("  raw binary COPY into a bare table : %10.0f rows/s\n", bare_before);
    // 2. the raw-write step of the pipeline alone: the same batches, each in IngestOrder, one COPY each
    double keyed_rate = 0;
    {
        Exec(admin, "CHECKPOINT");
        auto t0 = Clock::now();
        std::size_t next = 0;  // the next batch's first row; the workers share one thread
        std::vector<std::future<void>> done;
        for (int k = 0; k < streams; ++k) {
            done.push_back(asio::co_spawn(
                io,
                [&]() -> asio::awaitable<void> {
                    auto conn = co_await db::Connection::Connect(io.get_executor(), co);
                    while (next < rows.size()) {
                        const std::size_t i = next;
                        next = std::min(rows.size(), i + batch);
                        const std::vector<market::PriceRow> chunk(
                            rows.begin() + static_cast<std::ptrdiff_t>(i),
                            rows.begin() + static_cast<std::ptrdiff_t>(next));
                        auto copy = co_await db::CopyIn::Begin(*conn, "public.keyed", kCols);
                        for (auto o : market::IngestOrder(chunk)) {
                            const auto& r = chunk[o];
                            copy.AddRow(r.time, r.symbol, r.open, r.high, r.low, r.close, r.volume);
                            if (copy.ShouldFlush()) co_await copy.Flush();
                        }
                        co_await copy.Finish();
                    }
                },
                asio::use_future));
        }
        DriveAll(io, done);
        keyed_rate = static_cast<double>(ticks) / std::chrono::duration<double>(Clock::now() - t0).count();
    }
    std::printf(
        "  row layout's raw-write step (the batches COPYed, sorted, into one row per tick with the primary"
        " key (symbol, time), BRIN, check) : %.0f rows/s (%.2f of bare)\n",
        keyed_rate, keyed_rate / bare_before);

    double pipeline_rate = 0;
    {
        db::PoolOptions po;
        po.connection.url = market_url;
        po.connection.query_timeout = std::chrono::minutes(5);
        po.max_size = static_cast<std::size_t>(std::max(2, streams));
        db::Pool pool(io.get_executor(), std::move(po));
        std::unique_ptr<redis::Client> redis;
        if (!redis_url.empty()) {
            redis::Options ro;
            ro.url = redis::ParseUrl(redis_url);
            redis = std::make_unique<redis::Client>(io.get_executor(), std::move(ro));
        }
        market::PgRepository repo(pool);
        market::MarketOptions opts;
        opts.stream = "nn:bench:prices:" + mo.prefix;
        market::MarketService svc(repo, redis.get(), opts);
        Exec(admin, "CHECKPOINT");
        auto t0 = Clock::now();
        std::int64_t inserted = 0;
        std::size_t next = 0;  // the next batch's first row; the workers share one thread
        std::vector<std::future<void>> done;
        for (int k = 0; k < streams; ++k) {
            done.push_back(asio::co_spawn(
                io,
                [&]() -> asio::awaitable<void> {
                    while (next < rows.size()) {
                        const std::size_t i = next;
                        next = std::min(rows.size(), i + batch);
                        std::vector<market::PriceRow> chunk(rows.begin() + static_cast<std::ptrdiff_t>(i),
                                                            rows.begin() + static_cast<std::ptrdiff_t>(next));
                        auto result =
                            co_await svc.IngestPricesUnlimited(market::SeriesKind::kStock, std::move(chunk));
                        inserted += result.inserted;
                    }
                },
                asio::use_future));
        }
        DriveAll(io, done);
        pipeline_rate = static_cast<double>(ticks) / std::chrono::duration<double>(Clock::now() - t0).count();
        std::printf("  end-to-end ingest pipeline        : %10.0f rows/s (%lld inserted)\n", pipeline_rate,
                    static_cast<long long>(inserted));
        if (inserted != ticks) {
            std::fprintf(stderr, "expected %lld new rows\n", static_cast<long long>(ticks));
            return 1;
        }
        if (redis) {
            std::vector<std::string> keys{opts.stream};
            Drive(io, redis->DelMany(keys));
            redis->Close();
        }
        pool.Close();
    }

    const double bare_after = bare_copy();
    const double bare_rate = (bare_before + bare_after) / 2;
    std::printf("  raw binary COPY again, after      : %10.0f rows/s (mean %.0f)\n", bare_after, bare_rate);
    std::printf("  ratio pipeline / raw COPY (mean)  : %10.2f (goal >= 0.5; %.2f of the raw-write step)\n",
                pipeline_rate / bare_rate, pipeline_rate / keyed_rate);

    if (http_ticks > 0 && !redis_url.empty()) {
        runtime::Config config;
        config.database_url = Secret(admin);
        config.database_prefix = mo.prefix;
        config.db_service_password = Secret(password);
        config.redis_url = Secret(redis_url);
        config.listen_port = 0;
        config.services = "market";
        config.max_body_bytes = 16 << 20;
        http::testing::Shards shards(1);
        auto app = std::make_unique<App>(config, shards.Pointers());
        app->AddAuthenticator([](http::Request& req) -> asio::awaitable<void> {
            req.principal = market::Caller{true, {}};
            co_return;
        });
        market::Register(*app);
        const auto port = app->Start();
        http::testing::Client client(port);
        const Timestamp hstart = std::chrono::floor<std::chrono::seconds>(Now()) -
                                 std::chrono::seconds(http_ticks / symbols + 120);
        auto hrows = MakeTicks(http_ticks, symbols, hstart + std::chrono::microseconds(500));
        std::vector<std::string> bodies;
        for (std::size_t i = 0; i < hrows.size(); i += 5000) {
            boost::json::array prices;
            for (std::size_t k = i; k < std::min(hrows.size(), i + 5000); ++k) {
                const auto& r = hrows[k];
                prices.push_back(boost::json::object{{"time", FormatRfc3339(r.time)},
                                                     {"symbol", r.symbol},
                                                     {"close", r.close.ToString()},
                                                     {"volume", *r.volume}});
            }
            bodies.push_back(boost::json::serialize(boost::json::object{{"prices", std::move(prices)}}));
        }
        auto t0 = Clock::now();
        for (const auto& body : bodies) {
            auto res =
                client.Request("POST", "/api/v1/market/prices", body, {{"Content-Type", "application/json"}});
            if (!res || res->status != 200) {
                std::fprintf(stderr, "HTTP batch failed: %d %s\n", res ? res->status : 0,
                             res ? res->body.c_str() : "");
                return 1;
            }
        }
        const double http_rate =
            static_cast<double>(http_ticks) / std::chrono::duration<double>(Clock::now() - t0).count();
        std::printf(
            "  HTTP JSON batches (5000 rows, one connection): %.0f rows/s (%.2f of raw COPY on %d "
            "stream(s))\n",
            http_rate, http_rate / bare_rate, streams);
        app->Stop();
        shards.Stop();
    }
    for (auto d : migrate::kAllDatabases) {
        Exec(admin, "DROP DATABASE IF EXISTS " + migrate::DatabaseName(mo.prefix, d) + " WITH (FORCE)");
    }
    return 0;
}
