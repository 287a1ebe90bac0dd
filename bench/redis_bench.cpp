// GET/SET throughput of nn::redis::Client against redis-benchmark, measured in the same run.
//
// The physical limit is redis-benchmark on one connection with `-P depth`: the server's own C
// client, pipelining `depth` commands per round trip. Ours is one Connection with `depth`
// coroutines each issuing commands back to back, coalesced by the writer. Both use the same
// server, database 15 and 16-byte values. Prints each run and ours as a ratio of the limit.
//
//   nn_bench_redis [requests=200000] [depth=64]
#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "infra/redis/client.hpp"

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

std::string ServerUrl() {
    for (const char* name : {"NEXANEST_REDIS_URL", "NEXANEST_TEST_REDIS_URL"}) {
        const char* v = std::getenv(name);
        if (v != nullptr && *v != '\0') return v;
    }
    std::fprintf(stderr, "set NEXANEST_REDIS_URL (or NEXANEST_TEST_REDIS_URL)\n");
    std::exit(2);
}

// requests per second of redis-benchmark for SET and GET, from its CSV output
std::map<std::string, double> RedisBenchmark(const nn::redis::Url& url, int requests, int depth) {
    std::string cmd = "redis-benchmark -h " + url.host + " -p " + std::to_string(url.port) +
                      " --dbnum 15 -c 1 -P " + std::to_string(depth) + " -n " + std::to_string(requests) +
                      " -d 16 -t set,get --csv";
    if (!url.password.Empty()) {
        if (!url.user.empty()) cmd += " --user '" + url.user + "'";
        cmd += " -a '" + url.password.Reveal() + "'";
    }
    cmd += " 2>/dev/null";
    std::map<std::string, double> out;
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return out;
    char line[512];
    while (std::fgets(line, sizeof line, p) != nullptr) {
        char name[32];
        double rps = 0;
        if (std::sscanf(line, "\"%31[A-Z]\",\"%lf\"", name, &rps) == 2) out[name] = rps;
    }
    pclose(p);
    return out;
}

double Ours(asio::io_context& io,
            nn::redis::Client& client,
            const std::string& key,
            bool set,
            int requests,
            int depth) {
    int finished = 0;
    const std::string value(16, 'x');
    auto worker = [&](int n) -> asio::awaitable<void> {
        for (int i = 0; i < n; ++i) {
            if (set) {
                co_await client.Set(key, value);
            } else {
                co_await client.Get(key);
            }
        }
        ++finished;
    };
    auto start = Clock::now();
    for (int w = 0; w < depth; ++w) {
        asio::co_spawn(io, worker(requests / depth + (w < requests % depth ? 1 : 0)), asio::detached);
    }
    while (finished < depth) io.run_one();
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return requests / seconds;
}

}  // namespace

int main(int argc, char** argv) {
    const int requests = argc > 1 ? std::atoi(argv[1]) : 200000;
    const int depth = argc > 2 ? std::atoi(argv[2]) : 64;
    nn::redis::Options options;
    options.url = nn::redis::ParseUrl(ServerUrl());
    options.url.db = 15;
    options.command_timeout = std::chrono::seconds(10);

    asio::io_context io;
    nn::redis::Client client(io.get_executor(), options);
    const std::string key = "nn_bench_redis:" + std::to_string(::getpid());
    bool up = false;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { up = co_await client.WaitConnected(std::chrono::seconds(5)); },
        asio::detached);
    while (!up && client.GetStats().commands == 0 && io.run_one_for(std::chrono::seconds(5)) > 0 && !up) {
    }
    if (!up) {
        std::fprintf(stderr, "cannot connect to Redis\n");
        return 1;
    }

    std::printf("redis: %d requests, 16-byte values, one connection, pipeline depth %d\n", requests, depth);
    std::printf("%-4s %5s %16s %16s %8s\n", "op", "run", "ours req/s", "limit req/s", "ratio");
    double best[2] = {0, 0};
    for (int run = 1; run <= 2; ++run) {
        auto limit = RedisBenchmark(options.url, requests, depth);
        for (int op = 0; op < 2; ++op) {
            const char* name = op == 0 ? "SET" : "GET";
            double ours = Ours(io, client, key, op == 0, requests, depth);
            double theirs = limit.count(name) ? limit[name] : 0;
            double ratio = theirs > 0 ? ours / theirs : 0;
            best[op] = std::max(best[op], ratio);
            std::printf("%-4s %5d %16.0f %16.0f %8.3f\n", name, run, ours, theirs, ratio);
        }
    }
    std::printf("best ratio to redis-benchmark: SET %.3f, GET %.3f\n", best[0], best[1]);

    nn::redis::Stats stats = client.GetStats();
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("client: %llu commands, %llu errors, %llu timeouts; peak RSS %ld MB\n",
                static_cast<unsigned long long>(stats.commands),
                static_cast<unsigned long long>(stats.errors),
                static_cast<unsigned long long>(stats.timeouts), usage.ru_maxrss / 1024);

    // our key and the one redis-benchmark wrote into database 15
    bool cleaned = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            const std::vector<std::string> keys{key, "key:__rand_int__"};
            co_await client.DelMany(keys);
            cleaned = true;
        },
        asio::detached);
    while (!cleaned && io.run_one_for(std::chrono::seconds(5)) > 0) {
    }
    return 0;
}
