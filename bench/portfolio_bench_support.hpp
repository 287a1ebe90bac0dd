#pragma once

// What the portfolio benchmarks share (portfolio_bench.cpp, ledger_bench.cpp, reads_bench.cpp): blocking SQL
// for set-up, running a tool and reading its figures, and an in-process server running the
// portfolio service with the test authenticator (X-Test-User "<uuid>:USER").
#include <libpq-fe.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench/median.hpp"
#include "infra/app/app.hpp"
#include "infra/http/test_server.hpp"
#include "infra/migrate/migrator.hpp"
#include "portfolio/module.hpp"
#include "tests/support/app_fixture.hpp"
#include "tests/support/test_env.hpp"

namespace nn::bench {

inline void Exec(const std::string& url, const std::string& sql) {
    PGconn* c = PQconnectdb(url.c_str());
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        std::fprintf(stderr, "%s\n", PQerrorMessage(c));
        std::exit(1);
    }
    PQclear(r);
    PQfinish(c);
}

inline std::string Run(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return out;
    std::array<char, 512> line;
    while (std::fgets(line.data(), line.size(), p) != nullptr) out += line.data();
    pclose(p);
    return out;
}

inline double Grab(const std::string& out, const char* fmt) {
    std::size_t pos = 0;
    double best = 0;
    while (pos < out.size()) {
        auto end = out.find('\n', pos);
        if (end == std::string::npos) end = out.size();
        double v = 0;
        if (std::sscanf(out.substr(pos, end - pos).c_str(), fmt, &v) == 1) best = v;
        pos = end + 1;
    }
    return best;
}

// CPU seconds spent so far by the processes named `comm` (user + system), counting the exited
// children a live one has waited for (the postmaster's ended backends): the difference of two
// readings is the work a phase cost, which noise on a shared machine moves far less than a rate.
inline double CpuSeconds(const std::string& comm) {
    double ticks = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string pid = entry.path().filename().string();
        if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream in(entry.path() / "stat");
        std::string line;
        if (!std::getline(in, line)) continue;
        const auto open = line.find('(');
        const auto close = line.rfind(')');
        if (open == std::string::npos || close == std::string::npos) continue;
        if (line.compare(open + 1, close - open - 1, comm) != 0) continue;
        // Fields after the name: state(3) ... utime(14) stime(15) cutime(16) cstime(17).
        std::istringstream rest(line.substr(close + 2));
        std::string field;
        for (int i = 3; i <= 17 && rest >> field; ++i) {
            if (i >= 14) ticks += std::strtod(field.c_str(), nullptr);
        }
    }
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// This process's CPU seconds, user + system: a benchmark's in-process server (wrk, pgbench and
// the other clients are processes of their own).
inline double SelfCpuSeconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// wrk against 127.0.0.1:port with a Lua request builder; requests per second, or 0 (and wrk's
// output on stderr) when any request failed: such a run measures the error path, not the route.
inline double Wrk(std::uint16_t port, const std::string& lua, int connections, int seconds) {
    const std::string script = "/tmp/nn_bench_wrk_" + std::to_string(::getpid()) + ".lua";
    std::ofstream(script) << lua;
    const std::string out = Run("wrk -t2 -c" + std::to_string(connections) + " -d" + std::to_string(seconds) +
                                "s -s " + script + " http://127.0.0.1:" + std::to_string(port) + "/ 2>&1");
    std::remove(script.c_str());
    if (out.find("Non-2xx") != std::string::npos || out.find("Socket errors") != std::string::npos) {
        std::fprintf(stderr, "wrk had failures:\n%s\n", out.c_str());
        return 0;
    }
    return Grab(out, "Requests/sec: %lf");
}

// The portfolio service on 127.0.0.1 (two threads), its summary cached for `ttl`.
struct PortfolioServer {
    std::unique_ptr<http::testing::Shards> shards;
    std::unique_ptr<App> app;
    std::shared_ptr<portfolio::Service> service;
    std::uint16_t port = 0;

    PortfolioServer(const migrate::Options& mo, std::chrono::milliseconds ttl) {
        shards = std::make_unique<http::testing::Shards>(2);
        runtime::Config c;
        c.listen_port = 0;
        c.threads = 2;
        c.services = "portfolio";
        c.database_url = mo.admin_url;
        c.database_prefix = mo.prefix;
        c.db_service_password = mo.service_password;
        c.redis_url = Secret(test::RedisUrl());
        app = std::make_unique<App>(c, shards->Pointers());
        // One access-log line per request would measure the logger.
        spdlog::set_level(spdlog::level::warn);
        test::AddTestUserAuthenticator(*app);
        portfolio::ModuleOptions o;
        o.service.summary_cache_ttl = ttl;
        o.service.cache_prefix = test::UniqueName("bench_pf_cache_") + ":";
        o.start_price_consumer = false;
        service = portfolio::Register(*app, o).portfolios;
        port = app->Start();
    }
    ~PortfolioServer() {
        app->Stop();
        shards->Stop();
        service.reset();
        app.reset();
    }
};

}  // namespace nn::bench
