// Authenticated reads as a signed-in user makes them (issue 16), each a ratio to a limit measured
// in the same run, against one in-process server running auth and portfolio like `nexanest
// serve` (real bearer tokens, liveness checks, access log on, written to a file):
//   1. GET /api/v1/me and GET /api/v1/portfolios at 16 and 64 connections / the bare /healthz
//      route of the same server (goal >= 0.6), wrk with the same Lua request builder for all;
//   2. GET /api/v1/portfolios / pgbench running the route's SQL in the route's transaction shape
//      (BEGIN READ ONLY; set_config(app.user_id, role, client ids, as db::RunAs); SELECT; COMMIT) as
//      nexanest_portfolio under RLS, same users, same connections (goal >= 0.7);
//   3. p99 of GET /api/v1/me during a login flood / unloaded (goal <= 3);
//   4. a one-month performance range and a one-month statement of a 100 000-transaction, 10-year
//      portfolio (13 symbols, daily closes): the first request after the import, then the median
//      of the next ones, and the median when every request starts from the first transaction
//      (its read checkpoints deleted first), each as a ratio to pgbench reading, in the route's
//      transaction shape under RLS, the transactions such a request needs (the month and the 2
//      months before it);
// then the peak RSS of the process (the server; the clients are wrk, pgbench and a few threads)
// against its 200 MB limit.
//
//   nn_bench_reads [seconds=4] [users=20]
//
// Needs the test servers (NEXANEST_TEST_PG_URL, NEXANEST_TEST_REDIS_URL,
// NEXANEST_DB_SERVICE_PASSWORD), wrk and pgbench.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "analytics/module.hpp"
#include "auth/auth_fixture.hpp"
#include "bench/portfolio_bench_support.hpp"
#include "infra/runtime/logging.hpp"
#include "portfolio/module.hpp"

namespace asio = boost::asio;
using namespace nn;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kPassword = "correct horse battery";

using bench::Grab;
using bench::Run;
using bench::Wrk;

// Every request picks one of the users' tokens at random. `header` is Authorization for the
// authenticated routes and a header nothing reads for /healthz, so that wrk does the same work
// for the limit as for our routes.
std::string Lua(const std::vector<std::string>& tokens, const std::string& path, const std::string& header) {
    std::string lua = "local tokens = {";
    for (const auto& t : tokens) lua += "'" + t + "',";
    lua +=
        "}\n"
        "function setup(thread) thread:set('seed', math.random(1, 1e9)) end\n"
        "function init() math.randomseed(seed) end\n"
        "request = function()\n"
        "  return wrk.format('GET', '" +
        path + "', {['" + header +
        "'] = 'Bearer ' .. tokens[math.random(1, #tokens)]})\n"
        "end\n";
    return lua;
}

// kListPortfolios of src/portfolio/pg_repository.cpp as GET /api/v1/portfolios runs it (first
// page: include_inactive false, no cursor, limit 50 + 1), one script per user.
double PgBench(const std::string& url, const std::vector<std::string>& users, int clients, int seconds) {
    std::vector<std::string> scripts;
    std::string args;
    for (std::size_t i = 0; i < users.size(); ++i) {
        scripts.push_back("/tmp/nn_bench_reads_" + std::to_string(::getpid()) + "_" + std::to_string(i) +
                          ".sql");
        std::ofstream(scripts.back())
            << "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;\n"
            << "SELECT set_config('app.user_id', '" << users[i]
            << "', true), set_config('app.role', 'USER', true), "
               "set_config('app.read_client_ids', '{}', true), set_config('app.manage_client_ids', '{}', "
               "true);\n"
            << "SELECT id, user_id, name, description, portfolio_type, currency, cost_basis_method, "
               "allow_short, "
               "min_trade_amount, is_active, created_at, updated_at, "
               "ARRAY(SELECT b.symbol FROM portfolio.portfolio_benchmarks b WHERE b.portfolio_id = p.id "
               "ORDER BY "
               "b.symbol)::text FROM portfolio.portfolios p "
               "WHERE (false OR is_active) AND (NULL::timestamptz IS NULL OR (created_at, id) < (NULL, "
               "NULL::uuid)) ORDER BY created_at DESC, id DESC LIMIT 51;\n"
            << "COMMIT;\n";
        args += " -f " + scripts.back();
    }
    const char* bin = std::getenv("PGBENCH");
    const std::string pgbench = bin != nullptr ? bin : "/usr/lib/postgresql/15/bin/pgbench";
    const std::string out = Run(pgbench + " -n -M prepared" + args + " -c " + std::to_string(clients) +
                                " -j 2 -T " + std::to_string(seconds) + " '" + url + "' 2>&1");
    for (const auto& s : scripts) std::remove(s.c_str());
    const double tps = Grab(out, "tps = %lf");
    // stderr goes to the access-log file during the run: say it on stdout.
    if (tps == 0 || Grab(out, "number of failed transactions: %lf") > 0 || std::getenv("NN_BENCH_VERBOSE"))
        std::printf("pgbench:\n%s\n", out.c_str());
    return tps;
}

double P99Ms(std::uint16_t port, const std::string& token, int n) {
    http::testing::Client c(port);
    std::vector<double> ms;
    for (int i = 0; i < n; ++i) {
        const auto t0 = Clock::now();
        auto r = c.Request("GET", "/api/v1/me", "", {{"Authorization", "Bearer " + token}});
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (!r || r->status != 200) std::fprintf(stderr, "  /me failed\n");
    }
    std::sort(ms.begin(), ms.end());
    return ms[static_cast<std::size_t>(n * 0.99)];
}

double PeakRssMiB() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

struct Reply {
    int status = 0;
    std::string body;
};

Reply Call(std::uint16_t port,
           const std::string& method,
           const std::string& target,
           const std::string& body,
           const std::string& token = "") {
    http::testing::Client c(port);
    std::map<std::string, std::string> h;
    if (!body.empty()) h["Content-Type"] = "application/json";
    if (!token.empty()) h["Authorization"] = "Bearer " + token;
    auto r = c.Request(method, target, body, h);
    return r ? Reply{r->status, r->body} : Reply{};
}

std::string Field(const std::string& body, const char* name) {
    auto v = boost::json::parse(body);
    return std::string(v.as_object().at(name).as_string());
}

double MedianMs(int n, const std::function<void()>& request) {
    std::vector<double> ms;
    for (int i = 0; i < n; ++i) {
        const auto t0 = Clock::now();
        request();
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

// pgbench's average latency of reading a portfolio's transactions in [from, to) as the
// portfolio service's pages do (under RLS as the owner, newest first).
double PgBenchRangeMs(const std::string& url,
                      const std::string& user,
                      const std::string& portfolio,
                      const std::string& from,
                      const std::string& to,
                      int seconds) {
    const std::string script = "/tmp/nn_bench_reads_range_" + std::to_string(::getpid()) + ".sql";
    std::ofstream(script)
        << "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;\n"
        << "SELECT set_config('app.user_id', '" << user
        << "', true), set_config('app.role', 'USER', true), "
           "set_config('app.read_client_ids', '{}', true), set_config('app.manage_client_ids', '{}', true);\n"
        << "SELECT id, type, symbol, quantity, price, amount, fee, currency, fx_rate, "
           "split_ratio, executed_at, notes, created_at FROM portfolio.transactions "
           "WHERE portfolio_id = '"
        << portfolio << "' AND executed_at >= '" << from << "' AND executed_at < '" << to
        << "' ORDER BY executed_at DESC, id DESC;\n"
        << "COMMIT;\n";
    const char* bin = std::getenv("PGBENCH");
    const std::string pgbench = bin != nullptr ? bin : "/usr/lib/postgresql/15/bin/pgbench";
    const std::string out = Run(pgbench + " -n -M prepared -f " + script + " -c 1 -j 1 -T " +
                                std::to_string(seconds) + " '" + url + "' 2>&1");
    std::remove(script.c_str());
    const double ms = Grab(out, "latency average = %lf ms");
    if (ms == 0 || std::getenv("NN_BENCH_VERBOSE")) std::printf("pgbench:\n%s\n", out.c_str());
    return ms;
}

// 4. (see the top): a 100 000-transaction portfolio of the first user, written in SQL as an
// import leaves it.
int LargeLedgerReads(std::uint16_t port,
                     const std::string& token,
                     const std::string& user,
                     const migrate::Options& mo,
                     int seconds) {
    constexpr int kTransactions = 100'000;
    auto made = Call(port, "POST", "/api/v1/portfolios", R"({"name":"Ten years","currency":"USD"})", token);
    if (made.status != 201) {
        std::printf("portfolio: %d %s\n", made.status, made.body.c_str());
        return 1;
    }
    const std::string pid = Field(made.body, "id");
    const std::string prefix = "RB" + test::UniqueName("").substr(0, 5);
    bench::Exec(
        migrate::AdminUrlFor(mo, migrate::Database::kTimescale).Reveal(),
        "INSERT INTO market_data.ohlcv_1d (symbol, trading_date, open, high, low, close, tick_count, "
        "open_time, close_time) SELECT '" +
            prefix +
            "' || s, d::date, 10 + s, 10 + s, 10 + s, 50 + s + (d::date - date '2016-01-01') % 37, 1, d, "
            "d FROM generate_series(0, 12) s, generate_series(timestamptz '2015-12-01', timestamptz "
            "'2026-01-31', interval '1 day') d");
    const std::string portfolio_admin = migrate::AdminUrlFor(mo, migrate::Database::kPortfolio).Reveal();
    // Ten years (2016-2025), one every ~53 minutes: BUYs, a DEPOSIT and a DIVIDEND every tenth,
    // a SELL every tenth after the first hundred.
    bench::Exec(
        portfolio_admin,
        "INSERT INTO portfolio.transactions (portfolio_id, user_id, type, symbol, quantity, price, amount, "
        "currency, executed_at, created_at) SELECT '" +
            pid + "', '" + user + "', t.type, CASE WHEN t.type = 'DEPOSIT' THEN NULL ELSE '" + prefix +
            "' || (k % 13) END, CASE WHEN t.type IN ('BUY', 'SELL') THEN 1 + k % 7 END, "
            "CASE WHEN t.type IN ('BUY', 'SELL') THEN 10 + k % 90 END, "
            "CASE WHEN t.type = 'DIVIDEND' THEN 3 WHEN t.type = 'DEPOSIT' THEN 500 END, 'USD', "
            "timestamptz '2016-01-01' + k * interval '3153 seconds', timestamptz '2016-01-01' "
            "FROM generate_series(0, " +
            std::to_string(kTransactions - 1) +
            ") k, LATERAL (SELECT CASE WHEN k % 10 = 9 THEN 'DIVIDEND' WHEN k % 10 = 4 THEN 'DEPOSIT' "
            "WHEN k % 10 = 7 AND k > 100 THEN 'SELL' ELSE 'BUY' END AS type) t; "
            "ANALYZE portfolio.transactions");
    // Before the read checkpoints (issue 16) the table does not exist: nothing to forget.
    const std::string forget =
        "DO $$ BEGIN IF to_regclass('portfolio.read_checkpoints') IS NOT NULL THEN "
        "DELETE FROM portfolio.read_checkpoints; END IF; END $$";
    const std::string perf = "/api/v1/portfolios/" + pid + "/performance?from=2024-03-01&to=2024-03-31";
    const std::string reports = "/api/v1/portfolios/" + pid + "/reports";
    const std::string july = R"({"period":"monthly","year":2021,"month":7})";
    bool failed = false;
    auto get_perf = [&] { failed |= Call(port, "GET", perf, "", token).status != 200; };
    auto statement = [&] {
        const int status = Call(port, "POST", reports, july, token).status;
        failed |= status != 200 && status != 201;
    };
    const int n = std::max(5, seconds * 3);
    const double perf_first = MedianMs(1, get_perf);
    const double perf_next = MedianMs(n, get_perf);
    const double statement_first = MedianMs(1, statement);
    const double statement_next = MedianMs(n, statement);
    auto from_start = [&](const std::function<void()>& request) {
        return [&, request] {
            bench::Exec(portfolio_admin, forget);
            request();
        };
    };
    const double perf_full = MedianMs(5, from_start(get_perf));
    const double statement_full = MedianMs(5, from_start(statement));
    if (failed) {
        std::printf("a request of the 100 000-transaction portfolio failed\n");
        return 1;
    }
    const std::string service_url =
        migrate::ServiceUrlFor(mo, migrate::ServiceRole::kPortfolio, migrate::Database::kPortfolio).Reveal();
    const double ref_perf = PgBenchRangeMs(service_url, user, pid, "2024-01-01", "2024-04-01", seconds);
    const double ref_statement = PgBenchRangeMs(service_url, user, pid, "2021-05-01", "2021-08-01", seconds);
    std::printf("%d-transaction portfolio (10 years, 13 symbols, daily closes):\n", kTransactions);
    std::printf(
        "  performance 2024-03: first %.1f ms; then p50 %.1f ms = %.1f x pgbench reading its 3 months of "
        "transactions (%.2f ms); from the first transaction each time %.1f ms\n",
        perf_first, perf_next, ref_perf > 0 ? perf_next / ref_perf : 0.0, ref_perf, perf_full);
    std::printf(
        "  statement 2021-07:   first %.1f ms; then p50 %.1f ms = %.1f x pgbench reading its 3 months of "
        "transactions (%.2f ms); from the first transaction each time %.1f ms\n",
        statement_first, statement_next, ref_statement > 0 ? statement_next / ref_statement : 0.0,
        ref_statement, statement_full);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const int seconds = argc > 1 ? std::atoi(argv[1]) : 4;
    const int user_count = argc > 2 ? std::atoi(argv[2]) : 20;

    test::SuiteDatabases dbs("bench_reads_", {migrate::Database::kAuth, migrate::Database::kPortfolio,
                                              migrate::Database::kTimescale, migrate::Database::kAnalytics});
    // The access log as `nexanest serve` writes it (batched, to stderr), with stderr sent to a
    // file for the run; the figures go to stdout.
    const std::string log_path = "/tmp/nn_bench_reads_" + std::to_string(::getpid()) + ".log";
    const int saved_stderr = ::dup(STDERR_FILENO);
    const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    if (saved_stderr < 0 || log_fd < 0 || ::dup2(log_fd, STDERR_FILENO) < 0) {
        std::perror("redirect stderr");
        return 1;
    }
    runtime::InitLogging("info", runtime::LogFormat::kText);

    http::testing::Shards shards(2);
    runtime::Config c;
    c.listen_port = 0;
    c.threads = 2;
    c.cpu_threads = 2;
    c.services = "auth,portfolio,analytics";
    c.database_url = Secret(test::PgUrl());
    c.database_prefix = dbs.prefix;
    c.db_service_password = Secret(test::ServicePassword());
    c.redis_url = Secret(test::RedisUrl());
    auth::testing::PutTestKeys(c);
    auto app = std::make_unique<App>(c, shards.Pointers());
    auto mailer = std::make_shared<auth::testing::CapturingMailer>();
    auth::ModuleOptions ao;
    ao.settings.redis_prefix = test::UniqueName("bench_reads_") + ":";
    ao.settings.login_attempts_per_ip = 1'000'000;
    ao.settings.requests_per_ip = 1'000'000;
    ao.mailer = mailer;
    auto directory = auth::Register(*app, ao);
    portfolio::ModuleOptions po;
    po.directory = directory;
    po.start_price_consumer = false;
    po.service.cache_prefix = test::UniqueName("bench_reads_pf_") + ":";
    auto portfolios = portfolio::Register(*app, po);
    auto analytics = analytics::Register(*app, portfolios, directory);
    const std::uint16_t port = app->Start();

    // Users who registered, verified their address, signed in and made three portfolios.
    std::vector<std::string> tokens, ids, emails;
    for (int u = 0; u < std::max(2, user_count); ++u) {
        const std::string email = test::UniqueName("reader_") + "@example.com";
        emails.push_back(email);
        auto reg = Call(port, "POST", "/api/v1/auth/register",
                        R"({"email":")" + email + R"(","password":")" + kPassword + R"("})");
        const std::string verify = mailer->LastToken(email, "verification");
        auto ver = Call(port, "POST", "/api/v1/auth/verify-email", R"({"token":")" + verify + R"("})");
        auto login = Call(port, "POST", "/api/v1/auth/login",
                          R"({"email":")" + email + R"(","password":")" + kPassword + R"("})");
        if (reg.status != 202 || ver.status != 200 || login.status != 200) {
            std::printf("sign-up failed: %d %d %d %s\n", reg.status, ver.status, login.status,
                        login.body.c_str());
            return 1;
        }
        tokens.push_back(Field(login.body, "access_token"));
        auto me = Call(port, "GET", "/api/v1/me", "", tokens.back());
        ids.push_back(Field(me.body, "id"));
        for (int k = 1; k <= 3; ++k) {
            auto made = Call(
                port, "POST", "/api/v1/portfolios",
                R"({"name":"Portfolio )" + std::to_string(k) + R"(","currency":"USD","benchmarks":["SPY"]})",
                tokens.back());
            if (made.status != 201) {
                std::printf("portfolio: %d %s\n", made.status, made.body.c_str());
                return 1;
            }
        }
    }
    migrate::Options mo = dbs;
    const std::string list_url =
        migrate::ServiceUrlFor(mo, migrate::ServiceRole::kPortfolio, migrate::Database::kPortfolio).Reveal();
    std::printf(
        "reads bench: %d users x 3 portfolios, bearer tokens, access log on (to a file), %d s per "
        "measurement, "
        "2 server threads, wrk -t2, pgbench -M prepared -j 2\n",
        static_cast<int>(tokens.size()), seconds);

    const std::string healthz = Lua(tokens, "/healthz", "X-Bench-Token");
    const std::string me = Lua(tokens, "/api/v1/me", "Authorization");
    const std::string list = Lua(tokens, "/api/v1/portfolios", "Authorization");
    Wrk(port, list, 16, 1);  // warm-up: connections, prepared statements, caches
    for (const int conns : {16, 64}) {
        const double bare = Wrk(port, healthz, conns, seconds);
        const double me_rps = Wrk(port, me, conns, seconds);
        const double list_rps = Wrk(port, list, conns, seconds);
        const double pg = PgBench(list_url, ids, conns, seconds);
        std::printf("c=%-2d bare /healthz %8.0f req/s\n", conns, bare);
        std::printf("c=%-2d GET /api/v1/me          %8.0f req/s vs bare: ratio %.2f (goal >= 0.6)\n", conns,
                    me_rps, bare > 0 ? me_rps / bare : 0.0);
        std::printf(
            "c=%-2d GET /api/v1/portfolios  %8.0f req/s vs bare: ratio %.2f (goal >= 0.6); vs pgbench %8.0f "
            "tps: ratio %.2f (goal >= 0.7)\n",
            conns, list_rps, bare > 0 ? list_rps / bare : 0.0, pg, pg > 0 ? list_rps / pg : 0.0);
    }

    // /me while logins keep the CPU pool busy (argon2id), against the same client unloaded.
    // Real sign-ins of another user: argon2id on the CPU pool, a new session row each.
    const std::string login_body = R"({"email":")" + emails[1] + R"(","password":")" + kPassword + R"("})";
    const double idle = P99Ms(port, tokens[0], 2000);
    std::atomic<bool> stop{false};
    std::atomic<int> logins{0};
    std::vector<std::thread> flood;
    for (int t = 0; t < 8; ++t) {
        flood.emplace_back([&] {
            http::testing::Client client(port);
            while (!stop) {
                client.Request("POST", "/api/v1/auth/login", login_body,
                               {{"Content-Type", "application/json"}});
                ++logins;
            }
        });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto flood_start = Clock::now();
    const double loaded = P99Ms(port, tokens[0], 2000);
    const double flood_s = std::chrono::duration<double>(Clock::now() - flood_start).count();
    stop = true;
    for (auto& t : flood) t.join();
    std::printf(
        "GET /api/v1/me p99: %.2f ms during a login flood (8 connections, %.0f logins/s) vs %.2f ms "
        "unloaded: ratio %.2f (goal <= 3)\n",
        loaded, logins.load() / flood_s, idle, idle > 0 ? loaded / idle : 0.0);

    const int large = LargeLedgerReads(port, tokens[0], ids[0], mo, seconds);

    app->Stop();
    shards.Stop();
    analytics.reset();
    portfolios = {};
    directory.reset();
    app.reset();
    runtime::AccessLogger()->flush();
    std::printf(
        "peak RSS of the process (server and client threads): %.1f MiB vs limit 200 MB: ratio %.2f "
        "(goal < 1)\n",
        PeakRssMiB(), PeakRssMiB() * 1024 * 1024 / 200e6);
    ::dup2(saved_stderr, STDERR_FILENO);
    ::close(log_fd);
    std::remove(log_path.c_str());
    return large;
}
