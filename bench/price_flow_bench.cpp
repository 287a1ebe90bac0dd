// Latency of the price flow under background ingest, against the physical limits measured in
// the same run:
//   (a) tick accepted (the 2xx of its batch) → holdings.current_price updated (the portfolio
//       price consumer), and
//   (b) tick accepted → the PRICE_ALERT notification it fires arrives at an SSE client on
//       GET /api/v1/stream (market → Redis stream → notify alert producer → live push).
//
//   nn_bench_price_flow [seconds=20] [rate=10000] [symbols=50] [batch_ms=100] [users=10] [probe_ms=150]
//
// One process: an App running auth, market, portfolio and notify on 2 shards against a
// throw-away migrated database set (unique prefix, dropped at the end) on NEXANEST_BENCH_PG_URL
// or NEXANEST_TEST_PG_URL, Redis NEXANEST_TEST_REDIS_URL. Set-up goes through the API: an admin
// (operator-created, logged in) creates `symbols` instruments and an API key with market:write;
// `users` users each hold every symbol; user 0 also holds the probe symbol and watches it with
// alert_above 100 and alert_below 50, and keeps an SSE connection open.
//
// Background ingest: one thread POSTs JSON batches to /api/v1/market/prices (the HTTP path, with
// the API key) every `batch_ms`, `rate` ticks per second in all over the symbols. Probes: every
// `probe_ms` one 1-tick batch of the probe symbol at 101 and 49 alternately, so each probe
// crosses a threshold (above, then below, each re-arming the other): (a) is polled with a
// single-row SELECT every 0.25 ms, (b) is the time the SSE event was read.
//
// Physical references, on the idle servers before the load and again under it: a Redis XADD →
// XREADGROUP (BLOCK) round trip on a fresh stream, and a committed single-row UPDATE in
// PostgreSQL (autocommit, synchronous_commit on). Printed as ratios of our p50.
#include <libpq-fe.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "auth/module.hpp"
#include "auth/operator_commands.hpp"
#include "auth/test_keys.hpp"
#include "infra/app/app.hpp"
#include "infra/http/test_server.hpp"
#include "infra/migrate/migrator.hpp"
#include "infra/redis/client.hpp"
#include "infra/redis/url.hpp"
#include "market/model.hpp"
#include "market/module.hpp"
#include "notify/module.hpp"
#include "portfolio/module.hpp"

namespace asio = boost::asio;
namespace json = boost::json;
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

[[noreturn]] void Die(const std::string& what) {
    std::fprintf(stderr, "price flow bench: %s\n", what.c_str());
    std::exit(1);
}

double Ms(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

struct Stats {
    std::size_t n = 0;
    double p50 = 0, p90 = 0, p99 = 0, max = 0;
};

Stats Summarize(std::vector<double> v) {
    Stats s;
    s.n = v.size();
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))]; };
    s.p50 = at(0.50);
    s.p90 = at(0.90);
    s.p99 = at(0.99);
    s.max = v.back();
    return s;
}

void Print(const char* what, const Stats& s) {
    std::printf("  %-44s p50 %8.2f  p90 %8.2f  p99 %8.2f  max %8.2f ms  (n=%zu)\n", what, s.p50, s.p90, s.p99,
                s.max, s.n);
}

// One blocking libpq connection.
class Pg {
public:
    explicit Pg(const std::string& url) : c_(PQconnectdb(url.c_str())) {
        if (PQstatus(c_) != CONNECTION_OK) Die(std::string("connect: ") + PQerrorMessage(c_));
    }
    ~Pg() { PQfinish(c_); }
    Pg(const Pg&) = delete;
    Pg& operator=(const Pg&) = delete;
    // The first column of the first row ("" when none or NULL).
    std::string Value(const std::string& sql) {
        PGresult* r = PQexec(c_, sql.c_str());
        if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
            std::string err = PQerrorMessage(c_);
            PQclear(r);
            Die(err);
        }
        std::string out = PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? PQgetvalue(r, 0, 0) : "";
        PQclear(r);
        return out;
    }

private:
    PGconn* c_;
};

struct Reply {
    int status = 0;
    std::string body;
    json::value Json() const { return json::parse(body); }
};

// A keep-alive connection to the in-process server, reconnecting when the server closed it.
class Api {
public:
    explicit Api(std::uint16_t port) : port_(port) {}
    Reply Call(const std::string& method,
               const std::string& target,
               const std::string& body = "",
               const std::string& authorization = "") {
        if (!client_ || !keep_alive_) client_ = std::make_unique<http::testing::Client>(port_);
        std::map<std::string, std::string> headers;
        if (!authorization.empty()) headers["Authorization"] = authorization;
        if (!body.empty()) headers["Content-Type"] = "application/json";
        auto r = client_->Request(method, target, body, headers);
        Reply out;
        keep_alive_ = r && r->keep_alive;
        if (r) {
            out.status = r->status;
            out.body = r->body;
        }
        return out;
    }
    Reply Must(int status,
               const std::string& method,
               const std::string& target,
               const std::string& body = "",
               const std::string& authorization = "") {
        auto r = Call(method, target, body, authorization);
        if (r.status != status)
            Die(method + " " + target + " answered " + std::to_string(r.status) + ": " + r.body);
        return r;
    }

private:
    std::uint16_t port_;
    std::unique_ptr<http::testing::Client> client_;
    bool keep_alive_ = false;
};

std::string Str(const json::value& v, std::string_view key) {
    return std::string(v.as_object().at(key).as_string());
}

std::string Tick(const std::string& symbol, Timestamp time, const std::string& close) {
    return R"({"time":")" + FormatRfc3339(time) + R"(","symbol":")" + symbol + R"(","close":")" + close +
           "\"}";
}

// Reads an SSE response (chunked) and records when each PRICE_ALERT notification arrived,
// keyed by the tick time it carries (microseconds since the epoch).
class SseReader {
public:
    SseReader(std::uint16_t port, const std::string& bearer) : client_(port) {
        const std::string request = "GET /api/v1/stream HTTP/1.1\r\nHost: bench\r\nAuthorization: " + bearer +
                                    "\r\nAccept: text/event-stream\r\n\r\n";
        if (!client_.Send(request)) Die("SSE: request not sent");
        thread_ = std::thread([this] { Loop(); });
    }
    ~SseReader() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    std::optional<Clock::time_point> ArrivalOf(Timestamp tick) {
        std::lock_guard lock(mu_);
        auto it = arrivals_.find(tick.time_since_epoch().count());
        if (it == arrivals_.end()) return std::nullopt;
        return it->second;
    }
    bool Started() const { return started_; }
    std::size_t Events() const { return events_; }

private:
    void Loop() {
        std::string raw;
        bool headers_done = false;
        std::string text;  // dechunked event text
        while (!stop_) {
            std::string got = client_.ReadUntil("\n\n", std::chrono::milliseconds(100));
            const auto now = Clock::now();
            raw += got;
            if (!headers_done) {
                auto end = raw.find("\r\n\r\n");
                if (end == std::string::npos) continue;
                if (raw.rfind("HTTP/1.1 200", 0) != 0) Die("SSE: " + raw.substr(0, raw.find("\r\n")));
                raw.erase(0, end + 4);
                headers_done = true;
                started_ = true;
            }
            // chunks: <hex size>\r\n<bytes>\r\n
            for (;;) {
                auto eol = raw.find("\r\n");
                if (eol == std::string::npos) break;
                const std::size_t size = std::stoul(raw.substr(0, eol), nullptr, 16);
                if (raw.size() < eol + 2 + size + 2) break;
                text.append(raw, eol + 2, size);
                raw.erase(0, eol + 2 + size + 2);
            }
            for (auto end = text.find("\n\n"); end != std::string::npos; end = text.find("\n\n")) {
                Event(text.substr(0, end), now);
                text.erase(0, end + 2);
            }
        }
    }
    void Event(const std::string& block, Clock::time_point at) {
        ++events_;
        if (block.find("event: notification\n") == std::string::npos) return;
        auto d = block.find("data: ");
        if (d == std::string::npos) return;
        std::error_code ec;
        auto v = json::parse(block.substr(d + 6, block.find('\n', d) - d - 6), ec);
        if (ec || !v.is_object()) return;
        const auto* kind = v.as_object().if_contains("kind");
        if (kind == nullptr || !kind->is_string() || kind->as_string() != "PRICE_ALERT") return;
        auto t = ParseRfc3339(v.at("data").at("time").as_string());
        if (!t) return;
        std::lock_guard lock(mu_);
        arrivals_.emplace(t->time_since_epoch().count(), at);
    }

    http::testing::Client client_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> started_{false};
    std::atomic<std::size_t> events_{0};
    std::mutex mu_;
    std::map<std::int64_t, Clock::time_point> arrivals_;
};

template <class T>
T Drive(asio::io_context& io, asio::awaitable<T> work) {
    auto fut = asio::co_spawn(io, std::move(work), asio::use_future);
    io.restart();
    while (fut.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        io.run_one_for(std::chrono::milliseconds(20));
    }
    return fut.get();
}

// XADD on one connection → XREADGROUP BLOCK returning on another, `n` times (the first
// kWarmUp are dropped: the blocking connection is opened by the first read).
struct RedisHop {
    static constexpr int kWarmUp = 10;
    redis::Client& client;
    std::string stream;
    int n;
    std::vector<double> out;

    asio::awaitable<void> Reader(std::shared_ptr<Clock::time_point> sent, std::shared_ptr<int> received) {
        redis::XReadGroupArgs args;
        args.group = "bench";
        args.consumer = "bench";
        args.stream = stream;
        args.count = 1;
        args.block = std::chrono::milliseconds(2000);
        while (*received < n) {
            auto entries = co_await client.XReadGroup(args);
            const auto now = Clock::now();
            if (entries.empty()) continue;
            if (*received >= kWarmUp) out.push_back(Ms(now - *sent));
            ++*received;
        }
    }
    asio::awaitable<void> Writer(std::shared_ptr<Clock::time_point> sent, std::shared_ptr<int> received) {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        redis::FieldValues fields{{"k", "v"}};
        for (int i = 0; i < n; ++i) {
            // let the reader's next XREADGROUP reach the server first
            timer.expires_after(std::chrono::milliseconds(2));
            co_await timer.async_wait(asio::use_awaitable);
            *sent = Clock::now();
            co_await client.XAdd(stream, fields);
            while (*received <= i) {
                timer.expires_after(std::chrono::microseconds(100));
                co_await timer.async_wait(asio::use_awaitable);
            }
        }
    }
    asio::awaitable<void> Run() {
        using namespace asio::experimental::awaitable_operators;
        co_await client.XGroupCreate(stream, "bench", "$");
        auto sent = std::make_shared<Clock::time_point>();
        auto received = std::make_shared<int>(0);
        co_await (Reader(sent, received) && Writer(sent, received));
    }
};

struct References {
    Stats redis_hop;
    Stats pg_update;
};

References MeasureReferences(const std::string& redis_url,
                             const std::string& pg_url,
                             const std::string& tag) {
    References r;
    {
        asio::io_context io(1);
        redis::Options ro;
        ro.url = redis::ParseUrl(redis_url);
        redis::Client client(io.get_executor(), std::move(ro));
        RedisHop hop{client, "nn:bench:hop:" + tag, 300 + RedisHop::kWarmUp, {}};
        Drive(io, hop.Run());
        std::vector<std::string> keys{hop.stream};
        Drive(io, client.DelMany(keys));
        client.Close();
        r.redis_hop = Summarize(hop.out);
    }
    {
        Pg pg(pg_url);
        std::vector<double> v;
        for (int i = 0; i < 300; ++i) {
            const auto t0 = Clock::now();
            pg.Value("UPDATE public.bench_ref SET v = v + 1 WHERE id = 1");
            v.push_back(Ms(Clock::now() - t0));
        }
        r.pg_update = Summarize(v);
    }
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const double seconds = argc > 1 ? std::atof(argv[1]) : 20;
    const double rate = argc > 2 ? std::atof(argv[2]) : 10'000;
    const int symbols = argc > 3 ? std::atoi(argv[3]) : 50;
    const int batch_ms = argc > 4 ? std::atoi(argv[4]) : 100;
    const int users = argc > 5 ? std::atoi(argv[5]) : 10;
    const int probe_ms = argc > 6 ? std::atoi(argv[6]) : 150;
    const std::string admin_url = Env("NEXANEST_BENCH_PG_URL", "NEXANEST_TEST_PG_URL");
    const std::string redis_url = Env("NEXANEST_TEST_REDIS_URL");
    if (admin_url.empty() || redis_url.empty()) {
        std::fprintf(stderr,
                     "set NEXANEST_BENCH_PG_URL (or NEXANEST_TEST_PG_URL) and NEXANEST_TEST_REDIS_URL\n");
        return 2;
    }
    const std::string password = Env("NEXANEST_DB_SERVICE_PASSWORD").empty()
                                     ? "bench-service-password"
                                     : Env("NEXANEST_DB_SERVICE_PASSWORD");
    const std::string run = std::to_string(std::random_device{}() % 1'000'000);
    migrate::Options mo;
    mo.admin_url = Secret(admin_url);
    mo.prefix = "bench_flow_" + run;
    mo.service_password = Secret(password);
    mo.migrations_dir = std::string(NN_SOURCE_DIR) + "/migrations";
    for (auto d : migrate::kAllDatabases) migrate::Up(mo, d);
    const std::string ts_url = migrate::AdminUrlFor(mo, migrate::Database::kTimescale).Reveal();
    const std::string portfolio_url = migrate::AdminUrlFor(mo, migrate::Database::kPortfolio).Reveal();
    Pg(ts_url).Value(
        "CREATE TABLE public.bench_ref (id int PRIMARY KEY, v bigint); INSERT INTO public.bench_ref "
        "VALUES (1, 0)");

    std::printf(
        "price flow bench: %.0f ticks/s over %d symbols in %d ms HTTP batches, %d users, a probe every "
        "%d ms for %.0f s\n",
        rate, symbols, batch_ms, users, probe_ms, seconds);

    runtime::Config config;
    config.listen_port = 0;
    config.threads = 2;
    config.services = "all";
    config.database_url = Secret(admin_url);
    config.database_prefix = mo.prefix;
    config.db_service_password = Secret(password);
    config.redis_url = Secret(redis_url);
    auth::testing::PutTestKeys(config);
    config.var_dir = "/tmp/nn_bench_flow_" + run;
    config.max_body_bytes = 16 << 20;
    spdlog::set_level(spdlog::level::warn);  // no access log line per request
    http::testing::Shards shards(2);
    auto app = std::make_unique<App>(config, shards.Pointers());
    auto directory = auth::Register(*app);
    auto prices = market::Register(*app);
    auto portfolios = portfolio::Register(*app, directory);
    auto notify = notify::Register(*app, directory, portfolios.notify, prices);
    const std::uint16_t port = app->Start();

    // Accounts: created as the operator command does, logged in over HTTP.
    auto account = [&](const std::string& tag, auth::Role role) {
        const std::string email = tag + "_" + run + "@bench.example.com";
        const std::string pw = "correct horse battery staple";
        auto& pool = app->Db(ServiceRole::kAuth, Database::kAuth, 0);
        const UserId id =
            asio::co_spawn(app->Shard(0), auth::CreateUserAsOperator(pool, email, pw, role), asio::use_future)
                .get();
        Api api(port);
        auto r = api.Must(200, "POST", "/api/v1/auth/login",
                          R"({"email":")" + email + R"(","password":")" + pw + R"("})");
        return std::make_pair(id, "Bearer " + Str(r.Json(), "access_token"));
    };
    Api api(port);
    const std::string admin = account("admin", auth::Role::kAdmin).second;
    const std::string key = "ApiKey " + Str(api.Must(201, "POST", "/api/v1/api-keys",
                                                     R"({"name":"feed","scopes":["market:write"]})", admin)
                                                .Json(),
                                            "key");
    std::vector<std::string> syms;
    for (int i = 0; i < symbols; ++i) syms.push_back("F" + run + "_" + std::to_string(i));
    const std::string probe = "F" + run + "_P";
    for (const auto& s : syms) {
        api.Must(201, "POST", "/api/v1/market/instruments",
                 R"({"symbol":")" + s + R"(","name":"Bench )" + s +
                     R"(","asset_class":"EQUITY","currency":"USD"})",
                 admin);
    }
    api.Must(201, "POST", "/api/v1/market/instruments",
             R"({"symbol":")" + probe + R"(","name":"Probe","asset_class":"EQUITY","currency":"USD"})",
             admin);

    std::vector<std::pair<UserId, std::string>> people;
    std::string probe_portfolio;
    for (int u = 0; u < users; ++u) {
        people.push_back(account("user" + std::to_string(u), auth::Role::kUser));
        const auto& bearer = people.back().second;
        auto p = api.Must(201, "POST", "/api/v1/portfolios", R"({"name":"Main","currency":"USD"})", bearer);
        const std::string pid = Str(p.Json(), "id");
        std::vector<std::string> held = syms;
        if (u == 0) {
            held.push_back(probe);
            probe_portfolio = pid;
        }
        for (const auto& s : held) {
            api.Must(
                201, "POST", "/api/v1/portfolios/" + pid + "/transactions",
                R"({"type":"BUY","symbol":")" + s +
                    R"(","quantity":"10","price":"75","currency":"USD","executed_at":"2024-03-01T10:00:00Z"})",
                bearer);
        }
    }
    api.Must(
        201, "POST", "/api/v1/watchlists",
        R"({"name":"Probe","items":[{"symbol":")" + probe + R"(","alert_above":"100","alert_below":"50"}]})",
        people.front().second);

    // Every symbol gets a first price, so every holding has one before the clock starts.
    {
        std::vector<std::string> first;
        const Timestamp t = Now() - std::chrono::seconds(1);
        for (const auto& s : syms) first.push_back(Tick(s, t, "75"));
        first.push_back(Tick(probe, t, "75"));
        std::string body = "{\"prices\":[";
        for (std::size_t i = 0; i < first.size(); ++i) body += (i ? "," : "") + first[i];
        api.Must(200, "POST", "/api/v1/market/prices", body + "]}", key);
    }
    SseReader sse(port, people.front().second);
    for (int i = 0; i < 100 && !sse.Started(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!sse.Started()) Die("the SSE stream did not start");

    // The references with everything set up and idle, then the background ingest.
    const References idle = MeasureReferences(redis_url, ts_url, run + ":idle");
    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> sent{0};
    std::atomic<int> failures{0};
    Clock::time_point load_start = Clock::now();
    std::thread feeder([&] {
        Api feed(port);
        std::mt19937_64 rng(7);
        std::vector<std::int64_t> price(syms.size(), 750'000);  // 4 places: 75.0000
        const auto period = std::chrono::milliseconds(batch_ms);
        const double per_batch = rate * batch_ms / 1000.0;
        double owed = 0;
        std::size_t next_symbol = 0;
        auto next = Clock::now();
        while (!stop) {
            owed += per_batch;
            const auto n = static_cast<std::int64_t>(owed);
            owed -= static_cast<double>(n);
            const Timestamp now = Now();
            std::string body = "{\"prices\":[";
            for (std::int64_t k = 0; k < n; ++k) {
                const std::size_t s = next_symbol++ % syms.size();
                price[s] = std::clamp<std::int64_t>(price[s] + static_cast<std::int64_t>(rng() % 2001) - 1000,
                                                    600'000, 900'000);
                body += (k ? "," : "") + Tick(syms[s], now + std::chrono::microseconds(k),
                                              Decimal::FromUnscaled(price[s], 4).ToString());
            }
            auto r = feed.Call("POST", "/api/v1/market/prices", body + "]}", key);
            if (r.status == 200) {
                sent += n;
            } else {
                ++failures;
            }
            next += period;
            if (next > Clock::now()) std::this_thread::sleep_until(next);
        }
    });
    std::this_thread::sleep_for(std::chrono::seconds(2));  // warm-up

    // Probes.
    std::vector<double> to_holding, to_alert;
    int missed_holding = 0, missed_alert = 0;
    {
        Api probe_api(port);
        Pg poll(portfolio_url);
        const std::string select =
            "SELECT current_price::text FROM portfolio.holdings WHERE portfolio_id = '" + probe_portfolio +
            "' AND symbol = '" + probe + "'";
        const auto end = Clock::now() + std::chrono::duration<double>(seconds);
        bool up = true;
        while (Clock::now() < end) {
            const auto started = Clock::now();
            const std::string price = up ? "101" : "49";
            up = !up;
            const Timestamp t = Now();
            auto r = probe_api.Call("POST", "/api/v1/market/prices",
                                    "{\"prices\":[" + Tick(probe, t, price) + "]}", key);
            const auto accepted = Clock::now();
            if (r.status != 200) Die("probe batch answered " + std::to_string(r.status) + ": " + r.body);
            bool holding = false;
            while (Clock::now() - accepted < std::chrono::seconds(10)) {
                auto v = poll.Value(select);
                if (!v.empty() && Decimal::FromString(v) == Decimal::FromString(price)) {
                    to_holding.push_back(Ms(Clock::now() - accepted));
                    holding = true;
                    break;
                }
                std::this_thread::sleep_for(std::chrono::microseconds(250));
            }
            if (!holding) ++missed_holding;
            bool alert = false;
            while (Clock::now() - accepted < std::chrono::seconds(10)) {
                if (auto at = sse.ArrivalOf(t)) {
                    to_alert.push_back(Ms(*at - accepted));
                    alert = true;
                    break;
                }
                std::this_thread::sleep_for(std::chrono::microseconds(250));
            }
            if (!alert) ++missed_alert;
            const auto due = started + std::chrono::milliseconds(probe_ms);
            if (due > Clock::now()) std::this_thread::sleep_until(due);
        }
    }
    const double achieved =
        static_cast<double>(sent.load()) / std::chrono::duration<double>(Clock::now() - load_start).count();
    const References loaded = MeasureReferences(redis_url, ts_url, run + ":load");
    stop = true;
    feeder.join();

    const Stats a = Summarize(to_holding);
    const Stats b = Summarize(to_alert);
    std::printf(
        "  background ingest achieved                   %10.0f ticks/s (goal %.0f; %d failed batches)\n",
        achieved, rate, failures.load());
    Print("(a) tick accepted -> holdings.current_price", a);
    Print("(b) tick accepted -> PRICE_ALERT on SSE", b);
    std::printf("      missed within 10 s: (a) %d, (b) %d; SSE events read: %zu; goal (b) p99 < 50 ms: %s\n",
                missed_holding, missed_alert, sse.Events(),
                b.n > 0 && b.p99 < 50 && missed_alert == 0 ? "met" : "NOT met");
    Print("ref idle: Redis XADD -> XREADGROUP", idle.redis_hop);
    Print("ref idle: PostgreSQL 1-row UPDATE (commit)", idle.pg_update);
    Print("ref load: Redis XADD -> XREADGROUP", loaded.redis_hop);
    Print("ref load: PostgreSQL 1-row UPDATE (commit)", loaded.pg_update);
    const double floor_idle = idle.redis_hop.p50 + idle.pg_update.p50;
    const double floor_load = loaded.redis_hop.p50 + loaded.pg_update.p50;
    std::printf(
        "  ratio p50 / (XADD->XREADGROUP + UPDATE) p50: (a) %.1fx idle, %.1fx loaded; (b) %.1fx idle, %.1fx "
        "loaded\n",
        a.p50 / floor_idle, a.p50 / floor_load, b.p50 / floor_idle, b.p50 / floor_load);

    notify->Stop();
    app->Stop();
    shards.Stop();
    {
        asio::io_context io(1);
        redis::Options ro;
        ro.url = redis::ParseUrl(redis_url);
        redis::Client client(io.get_executor(), std::move(ro));
        std::vector<std::string> keys;
        for (const auto& s : syms) keys.push_back(market::PriceKey(s));
        keys.push_back(market::PriceKey(probe));
        for (const auto& p : people) keys.push_back("nn:notify:live:" + p.first.ToString());
        Drive(io, client.DelMany(keys));
        client.Close();
    }
    app.reset();
    for (auto d : migrate::kAllDatabases) {
        Pg(admin_url).Value("DROP DATABASE IF EXISTS " + migrate::DatabaseName(mo.prefix, d) +
                            " WITH (FORCE)");
    }
    std::error_code ec;
    std::filesystem::remove_all(config.var_dir, ec);
    return 0;
}
