// Pool round trip of `SELECT 1` against pgbench on the same query, measured in the same run.
//
// The physical limit is pgbench with prepared statements, `clients` connections on 2 threads
// (`pgbench -n -M prepared -f select1.sql -c clients -j 2 -T seconds`): libpq in blocking mode,
// no pool, no coroutines. Ours is the production shape: 2 shards (io_context + thread each), one
// nn::db::Pool of clients/2 connections per shard, clients/2 coroutines per shard each running
// pool.Execute(kSelect1) back to back (acquire, prepared execute, binary result, release).
// Rounds alternate pgbench and ours; prints every round, the best of each and the ratio.
//
//   nn_bench_pg_select1 [clients=16] [seconds=5] [rounds=2]
// Server: NEXANEST_BENCH_PG_URL or NEXANEST_TEST_PG_URL. pgbench: PGBENCH or
// /usr/lib/postgresql/15/bin/pgbench.
// NEXANEST_BENCH_PG_UNNAMED=1: the pgbouncer mode (docs/scale-out.md) against its own limit,
// unnamed statements on both sides (ours prepare_statements = false, pgbench -M extended).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include "infra/db/pool.hpp"

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

bool Unnamed() {
    const char* v = std::getenv("NEXANEST_BENCH_PG_UNNAMED");
    return v != nullptr && std::string(v) == "1";
}
const char* PgBenchMode() {
    return Unnamed() ? "extended" : "prepared";
}

constexpr nn::db::Query kSelect1{"SELECT 1", "bench.select1"};

std::string ServerUrl() {
    for (const char* name : {"NEXANEST_BENCH_PG_URL", "NEXANEST_TEST_PG_URL"}) {
        const char* v = std::getenv(name);
        if (v != nullptr && *v != '\0') return v;
    }
    std::fprintf(stderr, "set NEXANEST_BENCH_PG_URL (or NEXANEST_TEST_PG_URL)\n");
    std::exit(2);
}

double PgBench(const std::string& url, int clients, int seconds) {
    const char* bin = std::getenv("PGBENCH");
    const std::string pgbench = bin != nullptr ? bin : "/usr/lib/postgresql/15/bin/pgbench";
    const std::string script = "/tmp/nn_bench_select1_" + std::to_string(::getpid()) + ".sql";
    std::ofstream(script) << "SELECT 1;\n";
    const std::string cmd = pgbench + " -n -M " + PgBenchMode() + " -f " + script + " -c " +
                            std::to_string(clients) + " -j 2 -T " + std::to_string(seconds) + " '" + url +
                            "' 2>&1";
    double tps = 0;
    FILE* p = popen(cmd.c_str(), "r");
    if (p != nullptr) {
        char line[512];
        while (std::fgets(line, sizeof line, p) != nullptr) {
            double v = 0;
            if (std::sscanf(line, "tps = %lf", &v) == 1) tps = v;
        }
        pclose(p);
    }
    std::remove(script.c_str());
    return tps;
}

asio::awaitable<void> Client(nn::db::Pool& pool,
                             const std::atomic<bool>& measuring,
                             const std::atomic<bool>& stop,
                             std::atomic<std::uint64_t>& count,
                             std::atomic<std::uint64_t>& errors) {
    while (!stop.load(std::memory_order_relaxed)) {
        try {
            auto r = co_await pool.Execute(kSelect1);
            if (r.AsSingleRow<std::int32_t>() != 1) errors.fetch_add(1);
            if (measuring.load(std::memory_order_relaxed)) count.fetch_add(1, std::memory_order_relaxed);
        } catch (const std::exception&) {
            errors.fetch_add(1);
        }
    }
}

double Ours(const std::string& url, int clients, int seconds, std::uint64_t& errors_out) {
    constexpr int kShards = 2;
    std::vector<std::unique_ptr<asio::io_context>> shards;
    std::vector<std::unique_ptr<nn::db::Pool>> pools;
    std::atomic<bool> measuring{false};
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> errors{0};
    for (int s = 0; s < kShards; ++s) {
        shards.push_back(std::make_unique<asio::io_context>(1));
        nn::db::PoolOptions opts;
        opts.connection.url = url;
        opts.connection.prepare_statements = !Unnamed();
        opts.min_size = 0;
        opts.max_size = static_cast<std::size_t>(clients / kShards);
        pools.push_back(std::make_unique<nn::db::Pool>(shards.back()->get_executor(), opts));
        for (int c = 0; c < clients / kShards; ++c) {
            asio::co_spawn(*shards.back(), Client(*pools.back(), measuring, stop, count, errors),
                           asio::detached);
        }
    }
    std::vector<std::thread> threads;
    for (auto& io : shards) threads.emplace_back([&io] { io->run(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // connect and prepare first
    measuring = true;
    const auto start = Clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    measuring = false;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const auto done = count.load();
    stop = true;
    for (std::size_t s = 0; s < shards.size(); ++s) {
        asio::post(*shards[s], [&pools, s] { pools[s]->Close(); });
    }
    for (auto& t : threads) t.join();
    errors_out = errors.load();
    return static_cast<double>(done) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
    const int clients = argc > 1 ? std::atoi(argv[1]) : 16;
    const int seconds = argc > 2 ? std::atoi(argv[2]) : 5;
    const int rounds = argc > 3 ? std::atoi(argv[3]) : 2;
    const std::string url = ServerUrl();
    std::printf("SELECT 1 round trip, %d clients on 2 threads, %d s per run\n", clients, seconds);
    double best_limit = 0;
    double best_ours = 0;
    for (int r = 1; r <= rounds; ++r) {
        const double limit = PgBench(url, clients, seconds);
        std::uint64_t errors = 0;
        const double ours = Ours(url, clients, seconds, errors);
        std::printf("round %d: pgbench -M %s %.0f tps | nn::db::Pool %.0f tps (errors %llu) | ratio %.2f\n",
                    r, PgBenchMode(), limit, ours, static_cast<unsigned long long>(errors),
                    limit > 0 ? ours / limit : 0.0);
        best_limit = std::max(best_limit, limit);
        best_ours = std::max(best_ours, ours);
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("best: limit (pgbench) %.0f tps, ours %.0f tps, ratio %.2f; peak RSS %.1f MB\n", best_limit,
                best_ours, best_limit > 0 ? best_ours / best_limit : 0.0, usage.ru_maxrss / 1024.0);
    return best_limit > 0 && best_ours > 0 ? 0 : 1;
}
