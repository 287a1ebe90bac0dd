// Portfolio API against pgbench running the same SQL on the same data, in the same run:
//   1. GET /api/v1/portfolios/summary at 4, 16 and 64 connections (wrk, a random user per
//      request), with the cache off (TTL 0: Redis is not asked), every request a miss (1 ms TTL:
//      the MGET, the query, the body stored without waiting) and cached (120 s TTL, warmed), each
//      as a ratio to pgbench running
//      kSummary inside BEGIN; set_config(app.user_id/role/client ids, as db::RunAs); ...; COMMIT as
//      nexanest_portfolio, so RLS applies as in the server (goal: uncached >= 0.7).
//   2. POST /api/v1/portfolios/{id}/transactions (a BUY into a random portfolio) against
//      pgbench inserting the same row in the same RLS transaction shape (goal >= 0.3), and
//      pgbench running the statements the server sends for it (AppendSql): how far the SQL
//      itself is from the INSERT, and the server from its SQL.
//
//   nn_bench_portfolio [users=2000] [seconds=4] [parts=summary,post] [rounds=3]
//
// Each figure is measured in `rounds` rounds, ours and its limits alternated within a round: the
// machine is shared, and one pair of measurements moved ±20 % between runs of the same build
// (pgbench's own rate for one summary query at c=4 went from 3 939 to 4 833 tps within a run).
// A line prints the median round's ratio with the range of all rounds, and the rounds' mean
// rates and CPU.
//
// Each line also prints the PostgreSQL CPU (every postgres process, user + system) per request
// and per pgbench transaction: the database's work per write, which a busy machine moves far
// less than the rates.
//
// Migrates a throw-away database set (dropped at the end) on NEXANEST_TEST_PG_URL with the
// service password NEXANEST_DB_SERVICE_PASSWORD, Redis NEXANEST_TEST_REDIS_URL. A test
// authenticator turns X-Test-User "<uuid>:USER" into the principal (tokens are auth's bench).
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "auth/permissions.hpp"
#include "bench/portfolio_bench_support.hpp"
#include "infra/app/app.hpp"
#include "infra/http/test_server.hpp"
#include "infra/migrate/migrator.hpp"
#include "portfolio/module.hpp"
#include "portfolio/pg_repository.hpp"
#include "tests/support/app_fixture.hpp"
#include "tests/support/test_env.hpp"

namespace asio = boost::asio;
using namespace nn;
using bench::Exec;
using bench::Grab;
using bench::Run;
using bench::Wrk;

namespace {

// Users are 00000000-0000-4000-8000-<n:012>, their portfolios 00000000-0000-4000-800<k>-<n:012>.
constexpr const char* kUserExpr = "('00000000-0000-4000-8000-' || lpad(:u::text, 12, '0'))";
constexpr const char* kPortfolioExpr = "('00000000-0000-4000-800' || :k || '-' || lpad(:u::text, 12, '0'))";

// The server's summary statement (portfolio::SummarySql) with $1 bound to the pgbench user.
std::string SummaryScript() {
    std::string sql(portfolio::SummarySql());
    const std::string user = std::string(kUserExpr) + "::uuid";
    for (auto at = sql.find("$1"); at != std::string::npos; at = sql.find("$1", at + user.size()))
        sql.replace(at, 2, user);
    return sql + ";\n";
}

struct Measured {
    double rate = 0;           // requests or transactions per second
    double pg_ms_each = 0;     // PostgreSQL CPU milliseconds per request or transaction
    double self_ms_each = 0;   // this process's (the server's) CPU milliseconds per request
    double redis_ms_each = 0;  // Redis's CPU milliseconds per request
};

// Round by round, `ours`'s rate over `limit`'s (measured alternately, once each per round): the
// median round's ratio and the range.
std::string RoundRatios(const std::vector<Measured>& ours, const std::vector<Measured>& limit) {
    std::vector<double> r;
    for (std::size_t i = 0; i < ours.size() && i < limit.size(); ++i)
        r.push_back(limit[i].rate > 0 ? ours[i].rate / limit[i].rate : 0.0);
    return bench::MedianAndRange(r);
}

// The rounds' mean of each figure.
Measured Mean(const std::vector<Measured>& all) {
    Measured m;
    if (all.empty()) return m;
    for (const Measured& x : all) {
        m.rate += x.rate;
        m.pg_ms_each += x.pg_ms_each;
        m.self_ms_each += x.self_ms_each;
        m.redis_ms_each += x.redis_ms_each;
    }
    const double n = static_cast<double>(all.size());
    m.rate /= n;
    m.pg_ms_each /= n;
    m.self_ms_each /= n;
    m.redis_ms_each /= n;
    return m;
}

// Runs `run` (which returns a rate over `seconds`) and charges PostgreSQL's, Redis's and this
// process's CPU to its work.
template <typename F>
Measured WithCpu(int seconds, F run) {
    const double pg = bench::CpuSeconds("postgres");
    const double redis = bench::CpuSeconds("redis-server");
    const double self = bench::SelfCpuSeconds();
    Measured m;
    m.rate = run();
    if (m.rate > 0) {
        const double per = 1000.0 / (m.rate * seconds);
        m.pg_ms_each = (bench::CpuSeconds("postgres") - pg) * per;
        m.redis_ms_each = (bench::CpuSeconds("redis-server") - redis) * per;
        m.self_ms_each = (bench::SelfCpuSeconds() - self) * per;
    }
    return m;
}

double PgBench(const std::string& url, const std::string& body, int users, int clients, int seconds) {
    const char* bin = std::getenv("PGBENCH");
    const std::string pgbench = bin != nullptr ? bin : "/usr/lib/postgresql/15/bin/pgbench";
    const std::string script = "/tmp/nn_bench_portfolio_" + std::to_string(::getpid()) + ".sql";
    std::ofstream(script)
        << "\\set u random(1, " << users << ")\n\\set k random(1, 3)\nBEGIN;\n"
        << "SELECT set_config('app.user_id', " << kUserExpr
        << ", true), set_config('app.role', 'USER', true), "
           "set_config('app.read_client_ids', '{}', true), set_config('app.manage_client_ids', '{}', true);\n"
        << body << "COMMIT;\n";
    const std::string out = Run(pgbench + " -n -M prepared -f " + script + " -c " + std::to_string(clients) +
                                " -j 2 -T " + std::to_string(seconds) + " '" + url + "' 2>&1");
    std::remove(script.c_str());
    const double tps = Grab(out, "tps = %lf");
    if (tps == 0) std::fprintf(stderr, "pgbench failed:\n%s\n", out.c_str());
    return tps;
}

// The statements the server sends to record one BUY of S1 (docs/architecture.md "The write
// path"), as pgbench runs them (a round trip each): the lock and the stored position (the server
// sends them in one round trip), the insert (nothing returned), then the six derived writes fused
// into one statement (the insert and these go with the COMMIT; the SQL of
// src/portfolio/pg_repository*.cpp with its parameters written in). What the server adds to its
// own SQL is this against the POST; what the SQL costs is this against the plain INSERT.
std::string AppendSql() {
    const std::string p = std::string(kPortfolioExpr) + "::uuid";
    const std::string u = std::string(kUserExpr) + "::uuid";
    // A stored position of five lots, as the benchmark's portfolios have after a few appends (up
    // to a page of lots stays in the state).
    std::string state =
        "v2 USD 5.0000000000 500.0000000000 500 0 0 0 0 0 0.0000000000 1709287200000000 0 500 500 0 0 5 L";
    for (int i = 0; i < 5; ++i) state += " 1.0000000000 100.0000000000 100 1709287200000000";
    return "SELECT id, user_id, name, description, portfolio_type, currency, cost_basis_method, allow_short, "
           "min_trade_amount, is_active, created_at, updated_at, '{}'::text FROM portfolio.portfolios "
           "WHERE id = " +
           p +
           " FOR UPDATE;\n"
           "SELECT l.symbol, l.last_executed_at, l.last_created_at, l.last_transaction_id, "
           "l.transaction_count, "
           "l.state, f.page, f.lots, b.page, b.lots FROM portfolio.ledger_positions l "
           "LEFT JOIN LATERAL (SELECT g.page, g.lots FROM portfolio.ledger_lot_pages g WHERE g.portfolio_id "
           "= "
           "l.portfolio_id AND g.symbol = l.symbol ORDER BY g.page LIMIT 1) f ON true "
           "LEFT JOIN LATERAL (SELECT g.page, g.lots FROM portfolio.ledger_lot_pages g WHERE g.portfolio_id "
           "= "
           "l.portfolio_id AND g.symbol = l.symbol ORDER BY g.page DESC LIMIT 1) b ON true "
           "WHERE l.portfolio_id = " +
           p +
           " AND l.symbol = ANY ('{S1}'::text[]);\n"
           "INSERT INTO portfolio.transactions (id, portfolio_id, user_id, type, symbol, quantity, price, "
           "amount, "
           "fee, currency, fx_rate, split_ratio, executed_at, notes, idempotency_key) VALUES "
           "(gen_random_uuid(), " +
           p + ", " + u +
           ", 'BUY', 'S1', 1, 100, NULL, 0, 'USD', NULL, NULL, '2024-03-01T10:00:00Z', NULL, NULL);\n"
           "WITH w0 AS (DELETE FROM portfolio.read_checkpoints WHERE portfolio_id = " +
           p +
           " AND day >= '2024-03-01'), "
           "w1 AS (INSERT INTO portfolio.ledger_versions (portfolio_id, user_id, version) VALUES (" +
           p + ", " + u +
           ", 1) ON CONFLICT (portfolio_id) DO UPDATE SET version = portfolio.ledger_versions.version + 1), "
           "w2 AS (INSERT INTO portfolio.cash_balances AS c (portfolio_id, user_id, currency, balance, "
           "updated_at) "
           "SELECT " +
           p + ", " + u +
           ", t.cur, t.delta, now() FROM unnest('{USD}'::text[], '{-100}'::numeric[]) AS t(cur, delta) ON "
           "CONFLICT (portfolio_id, currency) DO UPDATE SET balance = c.balance + EXCLUDED.balance, "
           "updated_at = "
           "now() WHERE EXCLUDED.balance <> 0), "
           "w3 AS (INSERT INTO portfolio.ledger_positions AS l (portfolio_id, user_id, symbol, "
           "last_executed_at, "
           "last_created_at, last_transaction_id, transaction_count, state) SELECT " +
           p + ", " + u +
           ", t.* FROM unnest('{S1}'::text[], '{2024-03-01T10:00:00Z}'::timestamptz[], ARRAY[now()], "
           "ARRAY[gen_random_uuid()], '{5}'::bigint[], ARRAY['" +
           state +
           "']) AS t ON CONFLICT (portfolio_id, symbol) DO UPDATE SET last_executed_at = "
           "EXCLUDED.last_executed_at, last_created_at = EXCLUDED.last_created_at, last_transaction_id = "
           "EXCLUDED.last_transaction_id, transaction_count = EXCLUDED.transaction_count, state = "
           "EXCLUDED.state), "
           "w4 AS (INSERT INTO portfolio.holdings AS h (portfolio_id, user_id, symbol, currency, quantity, "
           "average_cost, cost_basis, cost_basis_base, realized_pnl, income, fees, first_trade_at, "
           "last_updated) "
           "SELECT " +
           p + ", " + u +
           ", t.*, now() FROM unnest('{S1}'::text[], '{USD}'::text[], ARRAY[(random() * 100)::numeric(28, "
           "10)], "
           "'{100}'::numeric[], '{500}'::numeric[], '{500}'::numeric[], '{0}'::numeric[], '{0}'::numeric[], "
           "'{0}'::numeric[], '{2024-03-01T10:00:00Z}'::timestamptz[]) AS t ON CONFLICT (portfolio_id, "
           "symbol) DO "
           "UPDATE SET currency = EXCLUDED.currency, quantity = EXCLUDED.quantity, average_cost = "
           "EXCLUDED.average_cost, cost_basis = EXCLUDED.cost_basis, cost_basis_base = "
           "EXCLUDED.cost_basis_base, "
           "realized_pnl = EXCLUDED.realized_pnl, income = EXCLUDED.income, fees = EXCLUDED.fees, "
           "first_trade_at "
           "= EXCLUDED.first_trade_at, last_updated = now() WHERE (h.currency, h.quantity, h.average_cost, "
           "h.cost_basis, h.cost_basis_base, h.realized_pnl, h.income, h.fees, h.first_trade_at) IS DISTINCT "
           "FROM "
           "(EXCLUDED.currency, EXCLUDED.quantity, EXCLUDED.average_cost, EXCLUDED.cost_basis, "
           "EXCLUDED.cost_basis_base, EXCLUDED.realized_pnl, EXCLUDED.income, EXCLUDED.fees, "
           "EXCLUDED.first_trade_at)), "
           "w5 AS (INSERT INTO portfolio.outbox (actor_id, user_id, aggregate_type, aggregate_id, "
           "event_type, "
           "payload, request_id) VALUES (" +
           u + ", " + u +
           ", 'transaction', gen_random_uuid()::text, 'transaction.created', "
           "'{\"portfolio_id\":\"p\",\"transaction\":{\"type\":\"BUY\",\"symbol\":\"S1\",\"quantity\":"
           "\"1\",\"price\":\"100\"}}'::jsonb, NULL)) SELECT;\n";
}

std::string LuaPrelude(int users) {
    return "local users = " + std::to_string(users) +
           "\n"
           "function setup(thread) thread:set('seed', math.random(1, 1e9)) end\n"
           "function init() math.randomseed(seed) end\n"
           "local function user(u) return string.format('00000000-0000-4000-8000-%012d', u) end\n";
}

std::string SummaryLua(int users) {
    return LuaPrelude(users) +
           "request = function()\n"
           "  return wrk.format('GET', '/api/v1/portfolios/summary', {['X-Test-User'] = user(math.random(1, "
           "users)) .. ':USER'})\n"
           "end\n";
}

constexpr const char* kBuyJson =
    R"({"type":"BUY","symbol":"S1","quantity":"1","price":"100","currency":"USD","executed_at":"2024-03-01T10:00:00Z"})";

std::string TransactionLua(int users) {
    return LuaPrelude(users) +
           "request = function()\n"
           "  local u = math.random(1, users)\n"
           "  local p = string.format('00000000-0000-4000-800%d-%012d', math.random(1, 3), u)\n"
           "  return wrk.format('POST', '/api/v1/portfolios/' .. p .. '/transactions',\n"
           "    {['X-Test-User'] = user(u) .. ':USER', ['Content-Type'] = 'application/json'},\n"
           "    '" +
           std::string(kBuyJson) +
           "')\n"
           "end\n";
}

// The warm-up: a BUY into every portfolio in turn, round and round (wrk's two threads take every
// other one; wrk's first call only checks the script), so that each measured POST appends to a
// stored position, as on a running system, instead of some deriving a symbol's first position (a
// replay of its transactions).
std::string SweepLua(int users) {
    return "local users = " + std::to_string(users) +
           "\n"
           "local threads = 0\n"
           "function setup(thread) thread:set('first', threads); threads = threads + 1 end\n"
           "function init() next_one = first end\n"
           "request = function()\n"
           "  local i = next_one % (3 * users)\n"
           "  next_one = next_one + 2\n"
           "  local u = i % users + 1\n"
           "  local p = string.format('00000000-0000-4000-800%d-%012d', math.floor(i / users) + 1, u)\n"
           "  return wrk.format('POST', '/api/v1/portfolios/' .. p .. '/transactions',\n"
           "    {['X-Test-User'] = string.format('00000000-0000-4000-8000-%012d', u) .. ':USER',\n"
           "     ['Content-Type'] = 'application/json'}, '" +
           std::string(kBuyJson) +
           "')\n"
           "end\n";
}

}  // namespace

int main(int argc, char** argv) {
    const int users = argc > 1 ? std::atoi(argv[1]) : 2000;
    const int seconds = argc > 2 ? std::atoi(argv[2]) : 4;
    const std::string parts = argc > 3 ? argv[3] : "summary,post";
    const int rounds = std::max(1, argc > 4 ? std::atoi(argv[4]) : 3);
    migrate::Options mo;
    mo.admin_url = Secret(test::PgUrl());
    mo.prefix = test::UniqueName("bench_pf_");
    mo.service_password = Secret(test::ServicePassword());
    mo.migrations_dir = test::SourceDir() + "/migrations";
    migrate::Up(mo, migrate::Database::kPortfolio);
    migrate::Up(mo, migrate::Database::kTimescale);
    const std::string owner = migrate::AdminUrlFor(mo, migrate::Database::kPortfolio).Reveal();
    const std::string service =
        migrate::ServiceUrlFor(mo, migrate::ServiceRole::kPortfolio, migrate::Database::kPortfolio).Reveal();
    const std::string n = std::to_string(users);
    Exec(owner,
         "INSERT INTO portfolio.portfolios (id, user_id, name, currency) "
         "SELECT ('00000000-0000-4000-800' || k || '-' || lpad(u::text, 12, '0'))::uuid, "
         "('00000000-0000-4000-8000-' || lpad(u::text, 12, '0'))::uuid, 'Portfolio ' || k, 'USD' "
         "FROM generate_series(1, " +
             n + ") u, generate_series(1, 3) k");
    Exec(owner,
         "INSERT INTO portfolio.holdings (portfolio_id, user_id, symbol, currency, quantity, average_cost, "
         "cost_basis, current_price) "
         "SELECT p.id, p.user_id, 'S' || s, 'USD', 10 + s, 90, 90 * (10 + s), 100 + s * 0.25 "
         "FROM portfolio.portfolios p, generate_series(1, 20) s");
    Exec(owner,
         "INSERT INTO portfolio.cash_balances (portfolio_id, user_id, currency, balance) "
         "SELECT id, user_id, 'USD', 10000 FROM portfolio.portfolios");
    Exec(owner, "ANALYZE");
    std::printf(
        "portfolio bench: %d users x 3 portfolios x 20 holdings, %d rounds of %d s per measurement, 2 "
        "server threads, wrk -t2, pgbench -M prepared -j 2\n",
        users, rounds, seconds);

    const std::string summary = SummaryScript();
    // The cache off (TTL 0: Redis is not asked), every request a miss (1 ms TTL: the MGET, the
    // query, and the body stored in the background, as a deployment's miss), and warm.
    struct Mode {
        const char* name;
        std::chrono::milliseconds ttl;
    };
    for (const Mode mode :
         {Mode{"off", std::chrono::milliseconds(0)}, Mode{"miss", std::chrono::milliseconds(1)},
          Mode{"cached", std::chrono::seconds(120)}}) {
        if (parts.find("summary") == std::string::npos) break;
        const bool cached = mode.ttl >= std::chrono::seconds(1);
        bench::PortfolioServer server(mo, mode.ttl);
        const std::string lua = SummaryLua(users);
        Wrk(server.port, lua, 16, cached ? seconds : 1);  // warm-up (fills the cache when cached)
        // The mode must be what it claims: user 1's summary is in Redis exactly when cached.
        const std::string key =
            server.service->SummaryCacheOf().ValueKey(*UserId::Parse("00000000-0000-4000-8000-000000000001"));
        const bool present =
            Run("redis-cli -u '" + test::RedisUrl() + "' EXISTS '" + key + "' 2>/dev/null").find('1') !=
            std::string::npos;
        if (present != cached) {
            std::fprintf(stderr, "summary cache is %s in the %s run\n", present ? "filled" : "empty",
                         mode.name);
            return 1;
        }
        for (const int conns : {4, 16, 64}) {
            std::vector<Measured> limits, ours_rounds;
            for (int round = 0; round < rounds; ++round) {
                limits.push_back(
                    WithCpu(seconds, [&] { return PgBench(service, summary, users, conns, seconds); }));
                ours_rounds.push_back(
                    WithCpu(seconds, [&] { return Wrk(server.port, lua, conns, seconds); }));
            }
            const Measured ours = Mean(ours_rounds);
            const Measured limit = Mean(limits);
            std::printf(
                "GET summary %-6s c=%-2d: %8.0f req/s vs pgbench %8.0f tps: ratio %s%s; PostgreSQL CPU "
                "%.3f vs %.3f ms each; server %.3f, Redis %.3f ms each\n",
                mode.name, conns, ours.rate, limit.rate, RoundRatios(ours_rounds, limits).c_str(),
                cached ? "" : " (goal >= 0.7)", ours.pg_ms_each, limit.pg_ms_each, ours.self_ms_each,
                ours.redis_ms_each);
        }
    }
    if (parts.find("post") != std::string::npos) {
        bench::PortfolioServer server(mo, std::chrono::seconds(0));
        const std::string insert =
            std::string(
                "INSERT INTO portfolio.transactions (portfolio_id, user_id, type, symbol, quantity, "
                "price, currency, executed_at) VALUES (") +
            kPortfolioExpr + "::uuid, " + kUserExpr +
            "::uuid, 'BUY', 'S1', 1, 100, 'USD', '2024-03-01T10:00:00Z');\n";
        const std::string lua = TransactionLua(users);
        // Warm-up (a stored position in every portfolio), then statistics as autovacuum keeps them
        // on a running system: the stored positions start empty, and a plan made for an empty
        // table scans it whole once it has rows (the connections' plans are made again after
        // ANALYZE).
        Wrk(server.port, SweepLua(users), 16, std::max(3, users * 3 / 500));
        const std::string positions =
            Run("psql -qAtc 'SELECT count(*) FROM portfolio.ledger_positions' '" + owner + "' 2>&1");
        if (std::atoi(positions.c_str()) < users * 3)
            std::printf("warm-up left portfolios without a stored position: %d of %d have one\n",
                        std::atoi(positions.c_str()), users * 3);
        Exec(owner, "ANALYZE");
        const std::string append = AppendSql();
        for (const int conns : {4, 16}) {
            std::vector<Measured> inserts, owns, ours_rounds;  // pgbench's INSERT, its own SQL, ours
            for (int round = 0; round < rounds; ++round) {
                inserts.push_back(
                    WithCpu(seconds, [&] { return PgBench(service, insert, users, conns, seconds); }));
                owns.push_back(
                    WithCpu(seconds, [&] { return PgBench(service, append, users, conns, seconds); }));
                ours_rounds.push_back(
                    WithCpu(seconds, [&] { return Wrk(server.port, lua, conns, seconds); }));
            }
            const Measured ours = Mean(ours_rounds);
            const Measured limit = Mean(inserts);
            const Measured own = Mean(owns);
            std::printf(
                "POST transaction  c=%-2d: %8.0f req/s vs pgbench INSERT %8.0f tps: ratio %s (goal >= 0.3); "
                "PostgreSQL CPU %.3f ms per request vs %.3f ms per INSERT; server %.3f, Redis %.3f ms per "
                "request\n",
                conns, ours.rate, limit.rate, RoundRatios(ours_rounds, inserts).c_str(), ours.pg_ms_each,
                limit.pg_ms_each, ours.self_ms_each, ours.redis_ms_each);
            std::printf(
                "  pgbench running the POST's own SQL c=%-2d: %8.0f tps, %.3f ms PostgreSQL CPU each: the "
                "SQL "
                "reaches %s of the INSERT, the server %s of its SQL\n",
                conns, own.rate, own.pg_ms_each, RoundRatios(owns, inserts).c_str(),
                RoundRatios(ours_rounds, owns).c_str());
        }
    }
    for (auto d : migrate::kAllDatabases) {
        Exec(mo.admin_url.Reveal(),
             "DROP DATABASE IF EXISTS " + migrate::DatabaseName(mo.prefix, d) + " WITH (FORCE)");
    }
    return 0;
}
