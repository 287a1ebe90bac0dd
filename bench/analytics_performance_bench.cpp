// The performance endpoint against the time to read its inputs from PostgreSQL.
//
//   nn_bench_analytics_performance [transactions=2000] [holdings=50] [years=10] [rounds=7]
//
// Migrates throw-away portfolio, timescale and analytics databases (unique prefix, dropped at the end)
// on NEXANEST_BENCH_PG_URL or NEXANEST_TEST_PG_URL, with Redis from NEXANEST_TEST_REDIS_URL. One
// portfolio gets a deposit and `transactions` - 1 BUY/SELL trades spread over `years` years on
// `holdings` symbols; every symbol and a benchmark index get a close on every weekday.
// Each round times
//   ours:  GET /api/v1/portfolios/{id}/performance?range=MAX&benchmark=IDX on an in-process
//          server (one keep-alive client) with no stored history: read, rebuild the daily
//          history (and store it), every figure, JSON;
//   stored: the same request again, reading the stored days (docs/analytics.md §14);
//   limit: the same inputs read with libpq in text mode and nothing else: the portfolio's
//          transactions and the closes of its symbols and of the index over the same dates.
// Prints every round, the medians, their ratio and the process's peak resident memory.
#include <libpq-fe.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "analytics/module.hpp"
#include "auth/principal.hpp"
#include "bench/median.hpp"
#include "infra/app/app.hpp"
#include "infra/http/test_server.hpp"
#include "infra/migrate/migrator.hpp"
#include "portfolio/module.hpp"

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

// Runs `sql` (the whole result arrives in memory) and returns the number of rows.
long Exec(PGconn* c, const std::string& sql) {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        std::fprintf(stderr, "%s\n", PQerrorMessage(c));
        std::exit(1);
    }
    const long rows = PQntuples(r);
    PQclear(r);
    return rows;
}

void ExecOnce(const std::string& url, const std::string& sql) {
    PGconn* c = PQconnectdb(url.c_str());
    Exec(c, sql);
    PQfinish(c);
}

using nn::bench::Median;

}  // namespace

int main(int argc, char** argv) {
    const int transactions = argc > 1 ? std::atoi(argv[1]) : 2000;
    const int holdings = argc > 2 ? std::atoi(argv[2]) : 50;
    const int years = argc > 3 ? std::atoi(argv[3]) : 10;
    const int rounds = argc > 4 ? std::atoi(argv[4]) : 7;
    const std::string admin = Env("NEXANEST_BENCH_PG_URL", "NEXANEST_TEST_PG_URL");
    const std::string redis_url = Env("NEXANEST_TEST_REDIS_URL");
    if (admin.empty() || redis_url.empty()) {
        std::fprintf(stderr,
                     "set NEXANEST_BENCH_PG_URL (or NEXANEST_TEST_PG_URL) and NEXANEST_TEST_REDIS_URL\n");
        return 2;
    }
    const std::string password = Env("NEXANEST_DB_SERVICE_PASSWORD").empty()
                                     ? "bench-service-password"
                                     : Env("NEXANEST_DB_SERVICE_PASSWORD");
    migrate::Options mo;
    mo.admin_url = Secret(admin);
    mo.prefix = "bench_an_" + std::to_string(std::random_device{}() % 1'000'000);
    mo.service_password = Secret(password);
    mo.migrations_dir = std::string(NN_SOURCE_DIR) + "/migrations";
    migrate::Up(mo, migrate::Database::kPortfolio);
    migrate::Up(mo, migrate::Database::kTimescale);
    migrate::Up(mo, migrate::Database::kAnalytics);
    const std::string analytics_url = migrate::AdminUrlFor(mo, migrate::Database::kAnalytics).Reveal();
    const std::string portfolio_url = migrate::AdminUrlFor(mo, migrate::Database::kPortfolio).Reveal();
    const std::string timescale_url = migrate::AdminUrlFor(mo, migrate::Database::kTimescale).Reveal();

    const UserId user = UserId::Generate();
    const PortfolioId pid = PortfolioId::Generate();
    const int days = 365 * years + years / 4;
    const std::string start = "(current_date - " + std::to_string(days) + ")";
    ExecOnce(portfolio_url, "INSERT INTO portfolio.portfolios (id, user_id, name, currency) VALUES ('" +
                                pid.ToString() + "', '" + user.ToString() + "', 'Bench', 'USD')");
    ExecOnce(
        portfolio_url,
        "INSERT INTO portfolio.transactions (portfolio_id, user_id, type, amount, currency, executed_at) "
        "VALUES ('" +
            pid.ToString() + "', '" + user.ToString() + "', 'DEPOSIT', 10000000, 'USD', " + start +
            "::timestamptz + interval '1 hour')");
    // Trade g on symbol S(g mod holdings): BUY 10, except every other trade of odd-numbered
    // symbols after their first two, which SELLs 5 (never more than held).
    ExecOnce(
        portfolio_url,
        "INSERT INTO portfolio.transactions (portfolio_id, user_id, type, symbol, quantity, price, currency, "
        "executed_at) SELECT '" +
            pid.ToString() + "', '" + user.ToString() + "', CASE WHEN g >= 2 * " + std::to_string(holdings) +
            " AND (g / " + std::to_string(holdings) +
            ") % 2 = 0 AND g % 2 = 1 THEN 'SELL' ELSE 'BUY' END, 'S' || (g % " + std::to_string(holdings) +
            "), CASE WHEN g >= 2 * " + std::to_string(holdings) + " AND (g / " + std::to_string(holdings) +
            ") % 2 = 0 AND g % 2 = 1 THEN 5 ELSE 10 END, 100, 'USD', " + start +
            "::timestamptz + interval '1 day' + (g * " + std::to_string(days - 2) + " / " +
            std::to_string(transactions) +
            ") * interval '1 day' + interval '12 hours' "
            "FROM generate_series(1, " +
            std::to_string(transactions - 1) + ") AS g");
    ExecOnce(timescale_url,
             "INSERT INTO market_data.ohlcv_1d (symbol, trading_date, open, high, low, close, tick_count, "
             "open_time, "
             "close_time) SELECT s.sym, d::date, c, c, c, c, 1, d, d FROM "
             "(SELECT 'S' || i AS sym, i FROM generate_series(0, " +
                 std::to_string(holdings - 1) + ") i UNION ALL SELECT 'IDX', 1000) s, generate_series(" +
                 start +
                 "::timestamptz - interval '14 days', current_date::timestamptz, interval '1 day') d, "
                 "LATERAL (SELECT round((100 + 30 * sin(extract(epoch FROM d) / 8640000 + s.i))::numeric, 4) "
                 "AS c) v "
                 "WHERE extract(isodow FROM d) < 6");
    ExecOnce(timescale_url, "ANALYZE market_data.ohlcv_1d");
    ExecOnce(portfolio_url, "ANALYZE portfolio.transactions");

    runtime::Config config;
    config.database_url = Secret(admin);
    config.database_prefix = mo.prefix;
    config.db_service_password = Secret(password);
    config.redis_url = Secret(redis_url);
    config.listen_port = 0;
    config.threads = 1;
    config.services = "portfolio,analytics";
    http::testing::Shards shards(1);
    auto app = std::make_unique<App>(config, shards.Pointers());
    app->AddAuthenticator([user](http::Request& req) -> asio::awaitable<void> {
        auth::Principal p;
        p.user_id = user;
        p.role = auth::Role::kUser;
        p.scopes = auth::PermissionStrings(p.role);
        req.principal = p;
        co_return;
    });
    portfolio::ModuleOptions pm;
    pm.start_price_consumer = false;
    analytics::Register(*app, portfolio::Register(*app, pm));
    const auto port = app->Start();
    http::testing::Client client(port);
    const std::string target =
        "/api/v1/portfolios/" + pid.ToString() + "/performance?range=MAX&benchmark=IDX";

    std::string symbols = "'IDX'";
    for (int i = 0; i < holdings; ++i) symbols += ",'S" + std::to_string(i) + "'";
    const std::string read_transactions = "SELECT * FROM portfolio.transactions WHERE portfolio_id = '" +
                                          pid.ToString() + "' ORDER BY executed_at";
    const std::string read_closes =
        "SELECT symbol, trading_date, close FROM market_data.ohlcv_1d WHERE symbol IN (" + symbols +
        ") AND trading_date BETWEEN " + start + " - 14 AND current_date ORDER BY symbol, trading_date";
    PGconn* pc = PQconnectdb(portfolio_url.c_str());
    PGconn* tc = PQconnectdb(timescale_url.c_str());

    std::printf("analytics performance bench: %d transactions, %d holdings, %d years (%d days)\n",
                transactions, holdings, years, days);
    std::vector<double> ours;
    std::vector<double> stored;
    std::vector<double> limit;
    long closes_read = 0;
    std::size_t body_bytes = 0;
    PGconn* ac = PQconnectdb(analytics_url.c_str());
    const std::string forget_history =
        "DELETE FROM analytics.portfolio_history_builds WHERE portfolio_id = '" + pid.ToString() + "'";
    auto get = [&](double& ms) {
        const auto t0 = Clock::now();
        auto res = client.Request("GET", target, "", {});
        ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (!res || res->status != 200) {
            std::fprintf(stderr, "request failed: %d %s\n", res ? res->status : 0,
                         res ? res->body.c_str() : "");
            return false;
        }
        body_bytes = res->body.size();
        return true;
    };
    for (int round = 0; round <= rounds; ++round) {
        // First without a stored history (the request rebuilds it from every close and stores
        // it), then again reading the stored days (docs/analytics.md §14).
        Exec(ac, forget_history);
        double ms_ours = 0;
        double ms_stored = 0;
        if (!get(ms_ours) || !get(ms_stored)) return 1;
        const auto t0 = Clock::now();
        Exec(pc, read_transactions);
        closes_read = Exec(tc, read_closes);
        const double ms_limit = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (round == 0) continue;  // warm-up: caches, prepared statements, pools
        ours.push_back(ms_ours);
        stored.push_back(ms_stored);
        limit.push_back(ms_limit);
        std::printf(
            "  round %d: endpoint rebuilding %8.2f ms   from stored history %8.2f ms   read inputs %8.2f "
            "ms\n",
            round, ms_ours, ms_stored, ms_limit);
    }
    PQfinish(ac);
    PQfinish(pc);
    PQfinish(tc);
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double m_ours = Median(ours);
    const double m_stored = Median(stored);
    const double m_limit = Median(limit);
    std::printf("  closes read: %ld rows; response %zu bytes\n", closes_read, body_bytes);
    std::printf("  median endpoint rebuilding (and storing) %.2f ms, median input read %.2f ms: ratio %.2f\n",
                m_ours, m_limit, m_ours / m_limit);
    std::printf("  median endpoint from the stored history %.2f ms: ratio %.2f\n", m_stored,
                m_stored / m_limit);
    std::printf("  peak resident memory (process, server in-process): %.1f MB\n", usage.ru_maxrss / 1024.0);

    app->Stop();
    shards.Stop();
    for (auto d : migrate::kAllDatabases) {
        ExecOnce(admin, "DROP DATABASE IF EXISTS " + migrate::DatabaseName(mo.prefix, d) + " WITH (FORCE)");
    }
    return 0;
}
