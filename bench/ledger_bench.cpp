// The incremental ledger (issue 16), each figure as a ratio to a limit measured in the same run:
//   1. replay: the full replay's cost per transaction at 1 000, 10 000 and 100 000 transactions
//      against its cost per transaction at 1 000 (the limit: a linear replay stays near 1; the
//      short ledger fits in the cache, the long one does not). Before issue 16 a sale erased
//      the front of a vector of lots and every transaction copied its holding (lots and sales
//      included): 100 000 transactions took 35-67 s, ratio ~400.
//   2. append: POST .../transactions (one BUY or SELL after every stored transaction, one
//      connection, wrk --latency) on ledgers of 10, 1 000, 10 000 and 100 000 transactions (40
//      symbols, every type, three currencies, about 9 years), p50 and p99; the limit is the
//      same append on the 10-transaction ledger (goal: p50 at 100 000 <= 2x, p99 <= 20 ms).
//   3. back-dated edit: PUT of a BUY in the middle of the 100 000-transaction ledger (its
//      quantity alternates), against the append on the same ledger (goal <= 10x).
//   4. import: POST .../transactions/import of the 100 000 lines as CSV (parse, validation,
//      COPY, derivation, outbox: the whole request) against a raw binary COPY of the same rows
//      into portfolio.transactions with libpq (goal >= 0.3), in rounds alternating the two.
//   5. savings plan: the append (a BUY then a SELL of one unit, as in 2) on a ledger of 10, 10 000
//      and 100 000 purchases of one symbol, never sold, so every purchase is an open lot the
//      stored position carries (the limit: the same on 10; goal as in 2).
// The ledgers are loaded through the import route, so the 1 000- to 100 000-line imports are
// timed too.
//
//   nn_bench_ledger [replay] [server] [dca] [seconds=4 with server or dca]
// Server parts: the test servers (NEXANEST_TEST_PG_URL, NEXANEST_TEST_REDIS_URL, the service
// password), wrk and curl.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>
#include <fstream>

#include "bench/portfolio_bench_support.hpp"
#include "infra/db/copy_in.hpp"
#include "portfolio/holdings.hpp"
#include "portfolio/testing/random_ledger.hpp"

using namespace nn;
namespace pf = nn::portfolio;

namespace {

double Seconds(std::chrono::steady_clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

// Best of `runs` full replays of `txs`, in seconds.
double ReplaySeconds(const std::vector<pf::Transaction>& txs, const pf::LedgerSettings& s, int runs) {
    double best = 1e9;
    for (int i = 0; i < runs; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        auto ledger = pf::Replay(txs, s);
        const double t = Seconds(std::chrono::steady_clock::now() - t0);
        if (!ledger) {
            std::fprintf(stderr, "replay failed: %s\n", ledger.Error().message.c_str());
            std::exit(1);
        }
        best = std::min(best, t);
    }
    return best;
}

void ReplayScaling() {
    pf::LedgerSettings s;
    s.method = pf::CostBasisMethod::kFifo;
    double base_per_tx = 0;
    for (const std::size_t n : {1'000u, 10'000u, 100'000u}) {
        // Few symbols, so one holding carries a long history of lots and sales.
        pf::testing::RandomLedgerOptions o;
        o.symbols = 4;
        o.split_rarity = 500;  // a handful of splits (each rescales every open lot)
        pf::testing::RandomLedger gen(42, o);
        const auto txs = gen.Many(n);
        const double t = ReplaySeconds(txs, s, n >= 100'000 ? 1 : 3);
        const double per_tx = t / static_cast<double>(n) * 1e9;
        if (base_per_tx == 0) base_per_tx = per_tx;
        std::printf("replay %7zu tx: %9.1f ms, %7.0f ns/tx; ratio to 1 000 tx %.2f\n", n, t * 1e3, per_tx,
                    per_tx / base_per_tx);
    }
}

// ---- server parts ----

constexpr const char* kUser = "00000000-0000-4000-8000-000000000001";

pf::testing::RandomLedgerOptions BenchLedger() {
    pf::testing::RandomLedgerOptions o;
    o.symbols = 40;
    o.start = TimestampFromString("2016-01-04T00:00:00Z");
    o.step = std::chrono::seconds(3000);  // 100 000 transactions: about 9 years
    return o;
}

std::string Csv(const std::vector<pf::Transaction>& txs) {
    std::string out = "type,symbol,quantity,price,amount,fee,currency,fx_rate,split_ratio,executed_at\n";
    auto opt = [](const std::optional<Decimal>& d) { return d ? d->ToString() : std::string(); };
    for (const auto& t : txs) {
        out += std::string(pf::TypeName(t.type)) + "," + t.symbol.value_or("") + "," + opt(t.quantity) + "," +
               opt(t.price) + "," + opt(t.amount) + "," + t.fee.ToString() + "," +
               std::string(t.currency.Code()) + "," + opt(t.fx_rate) + "," + opt(t.split_ratio) + "," +
               FormatRfc3339(t.executed_at) + "\n";
    }
    return out;
}

std::string NewPortfolio(const std::string& owner_url, int k) {
    char id[64];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8001-%012d", k);
    bench::Exec(
        owner_url,
        std::string("INSERT INTO portfolio.portfolios (id, user_id, name, currency, allow_short) VALUES ('") +
            id + "', '" + kUser + "', 'ledger " + std::to_string(k) + "', 'USD', true)");
    return id;
}

// Seconds for the import request; exits unless it answers 201.
double Import(std::uint16_t port, const std::string& portfolio, const std::string& csv) {
    const std::string file = "/tmp/nn_bench_ledger_" + std::to_string(::getpid()) + ".csv";
    std::ofstream(file) << csv;
    const std::string out =
        bench::Run("curl -s -o /dev/null -w '%{http_code} %{time_total}' -X POST -H 'X-Test-User: " +
                   std::string(kUser) + ":USER' -H 'Content-Type: text/csv' --data-binary @" + file +
                   " http://127.0.0.1:" + std::to_string(port) + "/api/v1/portfolios/" + portfolio +
                   "/transactions/import");
    std::remove(file.c_str());
    int code = 0;
    double seconds = 0;
    if (std::sscanf(out.c_str(), "%d %lf", &code, &seconds) != 2 || code != 201) {
        std::fprintf(stderr, "import answered %s\n", out.c_str());
        std::exit(1);
    }
    return seconds;
}

// wrk's latency distribution line "  50%  1.23ms", in ms.
double Percentile(const std::string& out, const char* which) {
    const std::string key = std::string(" ") + which + "%";
    auto pos = out.find(key);
    if (pos == std::string::npos) return 0;
    double v = 0;
    char unit[8] = {0};
    if (std::sscanf(out.c_str() + pos + key.size(), "%lf%7s", &v, unit) != 2) return 0;
    const std::string u = unit;
    if (u == "us") return v / 1000;
    if (u == "s") return v * 1000;
    return v;
}

struct Latency {
    double p50 = 0, p99 = 0, rps = 0;
};

// One connection sending `lua`'s requests for `seconds`.
Latency Measure(std::uint16_t port, const std::string& lua, int seconds) {
    const std::string script = "/tmp/nn_bench_ledger_" + std::to_string(::getpid()) + ".lua";
    std::ofstream(script) << lua;
    const std::string out = bench::Run("wrk -t1 -c1 -d" + std::to_string(seconds) + "s --latency -s " +
                                       script + " http://127.0.0.1:" + std::to_string(port) + "/ 2>&1");
    std::remove(script.c_str());
    if (out.find("Non-2xx") != std::string::npos || out.find("Socket errors") != std::string::npos) {
        std::fprintf(stderr, "wrk had failures:\n%s\n", out.c_str());
        std::exit(1);
    }
    return Latency{Percentile(out, "50"), Percentile(out, "99"), bench::Grab(out, "Requests/sec: %lf")};
}

// BUY 1 then SELL 1 of `symbol` at `at` (after every stored transaction), alternately (the
// portfolios allow short positions, so the order of the first two does not matter).
std::string AppendLua(const std::string& portfolio, const std::string& at, const std::string& symbol = "S0") {
    auto body = [&](const char* type) {
        return std::string(R"({"type":")") + type + R"(","symbol":")" + symbol +
               R"(","quantity":"1","price":"100","currency":"USD","executed_at":")" + at + R"("})";
    };
    return "local i = 0\nrequest = function()\n  i = i + 1\n  local body = (i % 2 == 1) and '" + body("BUY") +
           "' or '" + body("SELL") + "'\n  return wrk.format('POST', '/api/v1/portfolios/" + portfolio +
           "/transactions', {['X-Test-User'] = '" + kUser +
           ":USER', ['Content-Type'] = 'application/json'}, body)\nend\n";
}

// PUT of transaction `id` (a USD BUY) with its quantity alternating between q and q + 1.
std::string EditLua(const std::string& portfolio, const pf::Transaction& t) {
    auto body = [&](const Decimal& q) {
        return std::string(R"({"type":"BUY","symbol":")") + *t.symbol + R"(","quantity":")" + q.ToString() +
               R"(","price":")" + t.price->ToString() + R"(","fee":")" + t.fee.ToString() +
               R"(","currency":"USD","executed_at":")" + FormatRfc3339(t.executed_at) + R"("})";
    };
    return "local i = 0\nrequest = function()\n  i = i + 1\n  local body = (i % 2 == 1) and '" +
           body(*t.quantity + Decimal::FromInt(1)) + "' or '" + body(*t.quantity) +
           "'\n  return wrk.format('PUT', '/api/v1/portfolios/" + portfolio + "/transactions/" +
           t.id.ToString() + "', {['X-Test-User'] = '" + kUser +
           ":USER', ['Content-Type'] = 'application/json'}, body)\nend\n";
}

// Raw binary COPY of `txs` into portfolio.transactions (as the superuser, no RLS), in seconds;
// the rows are encoded before the clock starts.
double RawCopy(const std::string& owner_url,
               const std::string& portfolio,
               const std::vector<pf::Transaction>& txs) {
    std::string data("PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
    const Uuid pid = *Uuid::Parse(portfolio);
    const Uuid uid = *Uuid::Parse(kUser);
    for (const auto& t : txs) {
        db::AppendBigEndian(13, 2, data);
        db::CopyTraits<Uuid>::Encode(TransactionId::Generate().Value(), data);
        db::CopyTraits<Uuid>::Encode(pid, data);
        db::CopyTraits<Uuid>::Encode(uid, data);
        db::CopyTraits<std::string_view>::Encode(pf::TypeName(t.type), data);
        db::CopyTraits<std::optional<std::string>>::Encode(t.symbol, data);
        db::CopyTraits<std::optional<Decimal>>::Encode(t.quantity, data);
        db::CopyTraits<std::optional<Decimal>>::Encode(t.price, data);
        db::CopyTraits<std::optional<Decimal>>::Encode(t.amount, data);
        db::CopyTraits<Decimal>::Encode(t.fee, data);
        db::CopyTraits<std::string_view>::Encode(t.currency.Code(), data);
        db::CopyTraits<std::optional<Decimal>>::Encode(t.fx_rate, data);
        db::CopyTraits<std::optional<Decimal>>::Encode(t.split_ratio, data);
        db::CopyTraits<Timestamp>::Encode(t.executed_at, data);
    }
    db::AppendBigEndian(0xFFFF, 2, data);
    PGconn* c = PQconnectdb(owner_url.c_str());
    const auto start = std::chrono::steady_clock::now();
    PGresult* r =
        PQexec(c,
               "COPY portfolio.transactions (id, portfolio_id, user_id, type, symbol, quantity, price, "
               "amount, fee, currency, fx_rate, split_ratio, executed_at) FROM STDIN (FORMAT binary)");
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        std::fprintf(stderr, "raw COPY: %s", PQerrorMessage(c));
        std::exit(1);
    }
    PQclear(r);
    constexpr std::size_t kChunk = 256 * 1024;
    for (std::size_t off = 0; off < data.size(); off += kChunk) {
        if (PQputCopyData(c, data.data() + off, static_cast<int>(std::min(kChunk, data.size() - off))) != 1)
            std::exit(1);
    }
    PQputCopyEnd(c, nullptr);
    while ((r = PQgetResult(c)) != nullptr) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            std::fprintf(stderr, "raw COPY: %s", PQerrorMessage(c));
            std::exit(1);
        }
        PQclear(r);
    }
    const double t = Seconds(std::chrono::steady_clock::now() - start);
    PQfinish(c);
    return t;
}

constexpr int kImportRounds = 3;

void ServerParts(int seconds, bool ledger, bool dca) {
    migrate::Options mo;
    mo.admin_url = Secret(test::PgUrl());
    mo.prefix = test::UniqueName("bench_ledger_");
    mo.service_password = Secret(test::ServicePassword());
    mo.migrations_dir = test::SourceDir() + "/migrations";
    migrate::Up(mo, migrate::Database::kPortfolio);
    migrate::Up(mo, migrate::Database::kTimescale);
    const std::string owner = migrate::AdminUrlFor(mo, migrate::Database::kPortfolio).Reveal();
    {
        bench::PortfolioServer server(mo, std::chrono::seconds(0));
        pf::testing::RandomLedger gen(7, BenchLedger());
        const auto all = gen.Many(100'000);
        // After every stored transaction, and not in the future.
        const std::string at = FormatRfc3339(Now() - std::chrono::minutes(1));
        std::printf("ledger bench: 40 symbols, %s .. %s, %d s per measurement, one connection\n",
                    FormatRfc3339(all.front().executed_at).c_str(),
                    FormatRfc3339(all.back().executed_at).c_str(), seconds);
        Latency base, base_fresh, dca_base;
        double import_seconds = 0;
        std::vector<pf::Transaction> big_rows;  // the 100 000 lines imported
        int k = 0;
        for (const std::size_t n : {10u, 1'000u, 10'000u, 100'000u}) {
            if (!ledger) break;
            const std::string p = NewPortfolio(owner, ++k);
            const std::vector<pf::Transaction> txs(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
            const double imported = Import(server.port, p, Csv(txs));
            bench::Exec(owner, "ANALYZE portfolio.transactions");
            Measure(server.port, AppendLua(p, at), 1);  // warm-up
            const Latency l = Measure(server.port, AppendLua(p, at), seconds);
            if (n == 10) base = l;
            // The same on a symbol of its own (at most one open lot): the ledger's length alone.
            // S0's state carries every lot its history left open.
            Measure(server.port, AppendLua(p, at, "NEW"), 1);
            const Latency fresh = Measure(server.port, AppendLua(p, at, "NEW"), seconds);
            if (n == 10) base_fresh = fresh;
            std::printf(
                "append at %6zu tx, new symbol: p50 %6.2f ms, p99 %6.2f ms, %4.0f/s; p50 ratio to 10 tx %.2f "
                "(goal <= 2), p99 %s 20 ms\n",
                n, fresh.p50, fresh.p99, fresh.rps, base_fresh.p50 > 0 ? fresh.p50 / base_fresh.p50 : 0.0,
                fresh.p99 <= 20 ? "<=" : ">");
            std::printf(
                "append at %6zu tx, S0 (%s open lots): p50 %6.2f ms, p99 %6.2f ms, %4.0f/s; p50 ratio to 10 "
                "tx "
                "%.2f (goal <= 2), p99 %s 20 ms; import of the %zu lines %.2f s\n",
                n,
                bench::Run("psql -Atq '" + owner +
                           "' -c \"SELECT split_part(state, ' ', 18) FROM portfolio.ledger_positions "
                           "WHERE portfolio_id = '" +
                           p + "' AND symbol = 'S0'\" | tr -d '\\n'")
                    .c_str(),
                l.p50, l.p99, l.rps, base.p50 > 0 ? l.p50 / base.p50 : 0.0, l.p99 <= 20 ? "<=" : ">", n,
                imported);
            if (n == 100'000) {
                import_seconds = imported;
                big_rows = txs;
                // A USD BUY in the middle of the ledger.
                const auto mid = bench::Run(
                    "psql -Atq '" + owner +
                    "' -c \"SELECT id FROM portfolio.transactions WHERE portfolio_id = '" + p +
                    "' AND type = 'BUY' AND currency = 'USD' ORDER BY executed_at, created_at, id OFFSET "
                    "(SELECT count(*) / 2 FROM portfolio.transactions WHERE portfolio_id = '" +
                    p + "' AND type = 'BUY' AND currency = 'USD') LIMIT 1\"");
                const auto id = TransactionId::Parse(mid.substr(0, 36));
                const auto row = bench::Run(
                    "psql -AtqF ' ' '" + owner +
                    "' -c \"SELECT symbol, quantity::text, price::text, fee::text, "
                    "to_char(executed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\\\"T\\\"HH24:MI:SS.US\\\"Z\\\"') "
                    "FROM portfolio.transactions WHERE id = '" +
                    mid.substr(0, 36) + "'\"");
                char symbol[40], quantity[64], price[64], fee[64], when[64];
                if (!id || std::sscanf(row.c_str(), "%39s %63s %63s %63s %63s", symbol, quantity, price, fee,
                                       when) != 5) {
                    std::fprintf(stderr, "no middle BUY: %s / %s\n", mid.c_str(), row.c_str());
                    std::exit(1);
                }
                pf::Transaction t;
                t.id = *id;
                t.symbol = symbol;
                t.quantity = Decimal::FromString(quantity).Normalized();
                t.price = Decimal::FromString(price).Normalized();
                t.fee = Decimal::FromString(fee).Normalized();
                t.executed_at = TimestampFromString(when);
                Measure(server.port, EditLua(p, t), 1);
                const Latency e = Measure(server.port, EditLua(p, t), seconds);
                std::printf(
                    "back-dated edit in the middle of 100 000 tx (%s): p50 %6.2f ms, p99 %6.2f ms; p50 ratio "
                    "to the append there %.2f (goal <= 10)\n",
                    symbol, e.p50, e.p99, l.p50 > 0 ? e.p50 / l.p50 : 0.0);
            }
        }
        if (dca) {
            // A savings plan: one symbol bought again and again, never sold, so every purchase
            // stays an open FIFO lot the stored position carries.
            for (const std::size_t n : {10u, 10'000u, 100'000u}) {
                const std::string p = NewPortfolio(owner, ++k);
                std::vector<pf::Transaction> buys(n);
                for (std::size_t i = 0; i < n; ++i) {
                    pf::Transaction& t = buys[i];
                    t.type = pf::TransactionType::kBuy;
                    t.symbol = "DCA";
                    t.quantity = Decimal::FromInt(static_cast<std::int64_t>(1 + i % 7));
                    t.price = Decimal::FromString("100.25");
                    t.currency = Currency::FromCode("USD");
                    t.executed_at =
                        all.front().executed_at + std::chrono::seconds(3000) * static_cast<int>(i);
                }
                const double imported = Import(server.port, p, Csv(buys));
                bench::Exec(owner, "ANALYZE portfolio.transactions");
                Measure(server.port, AppendLua(p, at, "DCA"), 1);
                const Latency l = Measure(server.port, AppendLua(p, at, "DCA"), seconds);
                if (n == 10) dca_base = l;
                std::printf(
                    "append to a savings plan of %6zu open lots: p50 %6.2f ms, p99 %6.2f ms; p50 ratio to 10 "
                    "lots %.2f (goal <= 2), p99 %s 20 ms; import %.2f s\n",
                    n, l.p50, l.p99, dca_base.p50 > 0 ? l.p50 / dca_base.p50 : 0.0, l.p99 <= 20 ? "<=" : ">",
                    imported);
            }
        }
        if (ledger) {
            // Rounds of the raw COPY and the import, alternated, each into a portfolio of its own:
            // the two meet the same table and the same moment of a shared machine (the import
            // above ran minutes before, into a smaller table). The median round's ratio and the
            // range.
            const std::string csv = Csv(big_rows);
            std::vector<double> ratios, copies, imports;
            for (int round = 0; round < kImportRounds; ++round) {
                copies.push_back(RawCopy(owner, NewPortfolio(owner, ++k), big_rows));
                imports.push_back(Import(server.port, NewPortfolio(owner, ++k), csv));
                ratios.push_back(copies.back() / imports.back());
            }
            const double copy = bench::Median(copies);
            const double imported = bench::Median(imports);
            std::printf(
                "import of 100 000 lines: %.2f s (%.0f lines/s) vs raw binary COPY of the same rows %.2f s "
                "(%.0f rows/s), medians of rounds alternated: ratio %s (goal >= 0.3); the first import, "
                "into the ledger above, %.2f s\n",
                imported, 100'000 / imported, copy, 100'000 / copy, bench::MedianAndRange(ratios).c_str(),
                import_seconds);
        }
    }
    for (auto d : migrate::kAllDatabases) {
        bench::Exec(mo.admin_url.Reveal(),
                    "DROP DATABASE IF EXISTS " + migrate::DatabaseName(mo.prefix, d) + " WITH (FORCE)");
    }
}

}  // namespace

int main(int argc, char** argv) {
    auto wanted = [&](const char* part) {
        if (argc < 2) return true;
        for (int i = 1; i < argc; ++i) {
            if (std::strcmp(argv[i], part) == 0) return true;
        }
        return false;
    };
    if (wanted("replay")) ReplayScaling();
    if (wanted("server") || wanted("dca")) {
        int seconds = 4;
        for (int i = 1; i < argc; ++i) {
            if (std::atoi(argv[i]) > 0) seconds = std::atoi(argv[i]);
        }
        ServerParts(seconds, wanted("server"), wanted("dca"));
    }
    return 0;
}
