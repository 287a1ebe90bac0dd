// Binary COPY of OHLCV rows with nn::db::CopyIn against raw libpq, measured in the same run.
//
// The physical limit is libpq in blocking mode sending the same rows, already encoded in binary
// COPY format, with PQputCopyData in 256 KiB chunks (what timeseries.md §3.3 measured at ~490k
// rows/s on this machine). Ours encodes every row from typed values (Timestamp, symbol, Decimal
// OHLC, int64 volume) with CopyIn::AddRow and streams it on the Asio connection. Both load the
// same bare table (time timestamptz, symbol text, open/high/low/close numeric(18,6), volume
// int8), truncated before every run. Rounds alternate raw and ours; prints every round, the
// best of each and the ratio of rows/s.
//
//   nn_bench_copy [rows=1000000] [rounds=2]
// Server: NEXANEST_BENCH_PG_URL or NEXANEST_TEST_PG_URL.
#include <libpq-fe.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "infra/db/connection.hpp"
#include "infra/db/copy_in.hpp"

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

struct Bar {
    nn::Timestamp time;
    std::string symbol;
    nn::Decimal open, high, low, close;
    std::int64_t volume;
};

std::string ServerUrl() {
    for (const char* name : {"NEXANEST_BENCH_PG_URL", "NEXANEST_TEST_PG_URL"}) {
        const char* v = std::getenv(name);
        if (v != nullptr && *v != '\0') return v;
    }
    std::fprintf(stderr, "set NEXANEST_BENCH_PG_URL (or NEXANEST_TEST_PG_URL)\n");
    std::exit(2);
}

std::vector<Bar> MakeBars(int n) {
    std::mt19937_64 rng(42);
    std::vector<Bar> bars;
    bars.reserve(static_cast<std::size_t>(n));
    const auto t0 = nn::TimestampFromString("2024-01-01T00:00:00Z");
    for (int i = 0; i < n; ++i) {
        const int symbol = i % 500;
        const auto base = static_cast<std::int64_t>(10'000'000 + symbol * 100'000 + rng() % 1'000'000);
        bars.push_back(Bar{t0 + std::chrono::seconds(259) * (i / 500), "SYM" + std::to_string(symbol),
                           nn::Decimal::FromUnscaled(base, 6), nn::Decimal::FromUnscaled(base + 5'000, 6),
                           nn::Decimal::FromUnscaled(base - 5'000, 6),
                           nn::Decimal::FromUnscaled(base + 1'234, 6),
                           static_cast<std::int64_t>(rng() % 1'000'000)});
    }
    return bars;
}

void Exec(PGconn* conn, const std::string& sql) {
    PGresult* r = PQexec(conn, sql.c_str());
    const auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        std::fprintf(stderr, "%s: %s", sql.c_str(), PQerrorMessage(conn));
        std::exit(1);
    }
    PQclear(r);
}

// The same bytes CopyIn sends, made once up front so the raw run measures transport only.
std::string Encode(const std::vector<Bar>& bars) {
    std::string out("PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
    for (const Bar& b : bars) {
        nn::db::AppendBigEndian(7, 2, out);
        nn::db::CopyTraits<nn::Timestamp>::Encode(b.time, out);
        nn::db::CopyTraits<std::string>::Encode(b.symbol, out);
        nn::db::CopyTraits<nn::Decimal>::Encode(b.open, out);
        nn::db::CopyTraits<nn::Decimal>::Encode(b.high, out);
        nn::db::CopyTraits<nn::Decimal>::Encode(b.low, out);
        nn::db::CopyTraits<nn::Decimal>::Encode(b.close, out);
        nn::db::CopyTraits<std::int64_t>::Encode(b.volume, out);
    }
    nn::db::AppendBigEndian(0xFFFF, 2, out);
    return out;
}

double Raw(PGconn* conn, const std::string& table, const std::string& encoded, int rows) {
    Exec(conn, "TRUNCATE " + table);
    const auto start = Clock::now();
    PGresult* r = PQexec(conn, ("COPY " + table +
                                " (time, symbol, open, high, low, close, volume) FROM STDIN "
                                "(FORMAT binary)")
                                   .c_str());
    if (PQresultStatus(r) != PGRES_COPY_IN) std::exit(1);
    PQclear(r);
    constexpr std::size_t kChunk = 256 * 1024;
    for (std::size_t off = 0; off < encoded.size(); off += kChunk) {
        const int n = static_cast<int>(std::min(kChunk, encoded.size() - off));
        if (PQputCopyData(conn, encoded.data() + off, n) != 1) std::exit(1);
    }
    if (PQputCopyEnd(conn, nullptr) != 1) std::exit(1);
    while ((r = PQgetResult(conn)) != nullptr) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            std::fprintf(stderr, "raw COPY: %s", PQerrorMessage(conn));
            std::exit(1);
        }
        PQclear(r);
    }
    return rows / std::chrono::duration<double>(Clock::now() - start).count();
}

asio::awaitable<double> OursCoro(std::string url, std::string table, const std::vector<Bar>& bars) {
    auto conn = co_await nn::db::Connection::Connect(co_await asio::this_coro::executor, url);
    const std::vector<std::string> columns{"time", "symbol", "open", "high", "low", "close", "volume"};
    const auto start = Clock::now();
    auto copy = co_await nn::db::CopyIn::Begin(*conn, table, columns);
    for (const Bar& b : bars) {
        copy.AddRow(b.time, b.symbol, b.open, b.high, b.low, b.close, b.volume);
        if (copy.ShouldFlush()) co_await copy.Flush();
    }
    const std::int64_t n = co_await copy.Finish(std::chrono::minutes(5));
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (n != static_cast<std::int64_t>(bars.size())) {
        std::fprintf(stderr, "ours: server counted %lld rows\n", static_cast<long long>(n));
        std::exit(1);
    }
    co_return static_cast<double>(n) / seconds;
}

double Ours(PGconn* admin, const std::string& url, const std::string& table, const std::vector<Bar>& bars) {
    Exec(admin, "TRUNCATE " + table);
    asio::io_context io;
    auto result = asio::co_spawn(io, OursCoro(url, table, bars), asio::use_future);
    io.run();
    return result.get();
}

}  // namespace

int main(int argc, char** argv) {
    const int rows = argc > 1 ? std::atoi(argv[1]) : 1'000'000;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 2;
    const std::string url = ServerUrl();
    PGconn* admin = PQconnectdb(url.c_str());
    if (PQstatus(admin) != CONNECTION_OK) {
        std::fprintf(stderr, "connect: %s", PQerrorMessage(admin));
        return 1;
    }
    const std::string table = "nn_bench_copy_" + std::to_string(std::random_device{}() % 1'000'000);
    Exec(admin,
         "CREATE TABLE " + table +
             " (time timestamptz NOT NULL, symbol text NOT NULL, open numeric(18,6), high numeric(18,6),"
             " low numeric(18,6), close numeric(18,6), volume int8)");
    const std::vector<Bar> bars = MakeBars(rows);
    const std::string encoded = Encode(bars);
    std::printf("binary COPY of %d OHLCV rows (%.1f MB encoded) into a bare table\n", rows,
                encoded.size() / 1e6);
    double best_raw = 0;
    double best_ours = 0;
    for (int r = 1; r <= rounds; ++r) {
        const double raw = Raw(admin, table, encoded, rows);
        const double ours = Ours(admin, url, table, bars);
        std::printf("round %d: raw libpq %.0f rows/s | nn::db::CopyIn %.0f rows/s | ratio %.2f\n", r, raw,
                    ours, ours / raw);
        best_raw = std::max(best_raw, raw);
        best_ours = std::max(best_ours, ours);
    }
    Exec(admin, "DROP TABLE " + table);
    PQfinish(admin);
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf(
        "best: limit (raw libpq) %.0f rows/s, ours %.0f rows/s, ratio %.2f; peak RSS %.1f MB (holds the "
        "rows and their encoding)\n",
        best_raw, best_ours, best_ours / best_raw, usage.ru_maxrss / 1024.0);
    return 0;
}
