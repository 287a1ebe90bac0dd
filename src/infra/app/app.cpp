#include "infra/app/app.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <future>
#include <mutex>
#include <thread>

#include "core/error.hpp"
#include "infra/db/result.hpp"
#include "infra/migrate/migrator.hpp"
#include "infra/redis/url.hpp"

namespace nn {
namespace asio = boost::asio;

namespace {

constexpr db::Query kPing{"SELECT 1", "health.ping"};

// The service whose role reads each database for the readiness check.
constexpr std::pair<Database, ServiceRole> kHealthRoles[] = {
    {Database::kAuth, ServiceRole::kAuth},           {Database::kPortfolio, ServiceRole::kPortfolio},
    {Database::kAnalytics, ServiceRole::kAnalytics}, {Database::kNotifications, ServiceRole::kNotify},
    {Database::kTimescale, ServiceRole::kMarket},
};

const char* ServiceOf(ServiceRole role) {
    switch (role) {
        case ServiceRole::kAuth:
            return "auth";
        case ServiceRole::kPortfolio:
            return "portfolio";
        case ServiceRole::kMarket:
            return "market";
        case ServiceRole::kAnalytics:
            return "analytics";
        case ServiceRole::kNotify:
            return "notify";
    }
    return "";
}

std::string Upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

// Pool and Redis figures copied on their own shard once a second, so /metrics (served on any
// shard) reads them without touching another thread's objects.
struct App::Snapshot {
    std::mutex mutex;
    std::map<std::string, db::PoolStats> pools;  // "role|database|shard"
    std::vector<redis::Stats> redis;
    std::vector<jobs::JobStats> jobs;
    bool stopping = false;
};

App::App(runtime::Config config, std::vector<asio::io_context*> shards)
    : config_(std::move(config)), shards_(std::move(shards)), snapshot_(std::make_shared<Snapshot>()) {
    if (shards_.empty())
        throw Error(ErrorKind::kInternal, "app.no_shards", "at least one event loop is needed");
    server_ = std::make_unique<http::Server>(shards_, ServerOptionsFrom(config_));
    cpu_ = std::make_unique<runtime::CpuPool>(config_.cpu_threads, config_.cpu_threads * 64);
    jobs_ = std::make_unique<jobs::Scheduler>(shards_[0]->get_executor());
    snapshot_->redis.resize(shards_.size());
}

App::~App() = default;

http::ServerOptions App::ServerOptionsFrom(const runtime::Config& config) {
    http::ServerOptions o;
    o.host = config.listen_host;
    o.port = config.listen_port;
    o.max_connections = config.max_connections;
    o.max_body_bytes = config.max_body_bytes;
    o.max_header_bytes = config.max_header_bytes;
    o.header_timeout = std::min(config.request_timeout, std::chrono::milliseconds(10'000));
    o.body_timeout = config.request_timeout;
    o.idle_timeout = config.idle_timeout;
    o.cors.allowed_origins = config.cors_origins;
    o.access_log = http::SpdlogAccessLog();
    o.ops_token = config.ops_token.Reveal();
    // Modules add authenticators after the server exists; the server calls through this one.
    o.authenticator = [this](http::Request& request) -> asio::awaitable<void> {
        for (const auto& authenticate : authenticators_) {
            co_await authenticate(request);
            if (request.principal.has_value()) co_return;
        }
    };
    return o;
}

bool App::Runs(std::string_view service) const {
    if (config_.services == "all") return true;
    std::string_view list = config_.services;
    while (!list.empty()) {
        auto comma = list.find(',');
        auto item = list.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item == service || item == "all") return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

std::string App::UrlFor(ServiceRole role, Database database) const {
    auto key = std::string(migrate::DatabaseKey(database));
    if (auto it = config_.database_urls.find(key); it != config_.database_urls.end())
        return it->second.Reveal();
    if (config_.database_url.Empty() || config_.db_service_password.Empty()) {
        throw Error(ErrorKind::kUnprocessable, "config.missing",
                    fmt::format("configuration: the {} service needs NEXANEST_{}_DATABASE_URL, or "
                                "NEXANEST_DATABASE_URL with NEXANEST_DB_SERVICE_PASSWORD",
                                ServiceOf(role), Upper(key)));
    }
    migrate::Options options;
    options.admin_url = config_.database_url;
    options.prefix = config_.database_prefix;
    options.service_password = config_.db_service_password;
    options.role_passwords = config_.db_role_passwords;
    return migrate::ServiceUrlFor(options, role, database).Reveal();
}

db::Pool& App::Db(ServiceRole role, Database database, std::size_t shard) {
    auto& pools = pools_[PoolKey{role, database}];
    if (pools.empty()) {
        auto url = UrlFor(role, database);
        for (auto* io : shards_) {
            db::PoolOptions options;
            options.connection.url = url;
            options.connection.query_timeout = config_.db_timeout;
            options.max_size = config_.db_pool_size;
            options.min_size = 0;
            pools.push_back(std::make_unique<db::Pool>(io->get_executor(), std::move(options)));
        }
    }
    return *pools.at(shard);
}

redis::Client& App::Redis(std::size_t shard) {
    if (redis_.empty()) {
        if (config_.redis_url.Empty()) {
            throw Error(ErrorKind::kUnprocessable, "config.missing",
                        "configuration: NEXANEST_REDIS_URL is required");
        }
        for (auto* io : shards_) {
            redis::Options options;
            options.url = redis::ParseUrl(config_.redis_url.Reveal());
            options.command_timeout = config_.redis_timeout;
            options.client_name = "nexanest";
            redis_.push_back(std::make_unique<redis::Client>(io->get_executor(), std::move(options)));
        }
    }
    return *redis_.at(shard);
}

void App::AddAuthenticator(http::Authenticator authenticator) {
    authenticators_.push_back(std::move(authenticator));
}

void App::RegisterHealth() {
    auto service_of_database = [](Database db) {
        for (auto [d, r] : kHealthRoles) {
            if (d == db) return r;
        }
        return ServiceRole::kAuth;
    };
    for (auto [database, role] : kHealthRoles) {
        if (!Runs(ServiceOf(role)) && !(database == Database::kTimescale && Runs("portfolio"))) continue;
        auto r = service_of_database(database);
        Db(r, database, 0);  // make the pools now, on every shard
        server_->AddReadinessCheck(fmt::format("postgres.{}", migrate::DatabaseKey(database)),
                                   [this, r, database](std::size_t shard) -> asio::awaitable<bool> {
                                       auto res = co_await Db(r, database, shard).Execute(kPing);
                                       co_return res.Size() == 1;
                                   });
    }
    Redis(0);
    server_->AddReadinessCheck("redis", [this](std::size_t shard) -> asio::awaitable<bool> {
        std::vector<std::string> ping{"PING"};
        auto reply = co_await Redis(shard).Command(std::move(ping));
        (void)reply;
        co_return true;
    });

    auto& metrics = server_->Metrics();
    auto snap = snapshot_;
    metrics.AddFamily(
        "nn_db_pool_connections", "Connections of each database pool by state", http::MetricType::kGauge,
        [snap] {
            std::lock_guard lock(snap->mutex);
            std::vector<http::MetricSample> out;
            for (const auto& [key, s] : snap->pools) {
                for (auto [state, v] : {std::pair{"idle", s.idle}, std::pair{"in_use", s.in_use},
                                        std::pair{"waiting", s.waiting}, std::pair{"max", s.max_size}}) {
                    out.push_back({{{"pool", key}, {"state", state}}, static_cast<double>(v)});
                }
            }
            return out;
        });
    metrics.AddFamily(
        "nn_db_pool_events_total", "Pool events (acquires, waits, timeouts, connects, errors)",
        http::MetricType::kCounter, [snap] {
            std::lock_guard lock(snap->mutex);
            std::vector<http::MetricSample> out;
            for (const auto& [key, s] : snap->pools) {
                for (auto [event, v] :
                     {std::pair{"acquire", s.acquires}, std::pair{"wait", s.waits},
                      std::pair{"acquire_timeout", s.acquire_timeouts}, std::pair{"connect", s.connects},
                      std::pair{"connect_error", s.connect_errors}, std::pair{"discard", s.discarded}}) {
                    out.push_back({{{"pool", key}, {"event", event}}, static_cast<double>(v)});
                }
            }
            return out;
        });
    metrics.AddFamily(
        "nn_redis_events_total", "Redis commands, errors, timeouts and reconnects per shard",
        http::MetricType::kCounter, [snap] {
            std::lock_guard lock(snap->mutex);
            std::vector<http::MetricSample> out;
            for (std::size_t i = 0; i < snap->redis.size(); ++i) {
                const auto& s = snap->redis[i];
                for (auto [event, v] :
                     {std::pair{"command", s.commands}, std::pair{"error", s.errors},
                      std::pair{"timeout", s.timeouts}, std::pair{"reconnect", s.reconnects}}) {
                    out.push_back({{{"shard", std::to_string(i)}, {"event", event}}, static_cast<double>(v)});
                }
            }
            return out;
        });
    metrics.AddGauge("nn_cpu_pool_queued", "CPU pool calls queued or running",
                     [this] { return static_cast<double>(cpu_->Queued()); });
    metrics.AddFamily(
        "nn_job_runs_total", "Rounds of each periodic job by outcome", http::MetricType::kCounter, [snap] {
            std::lock_guard lock(snap->mutex);
            std::vector<http::MetricSample> out;
            for (const auto& j : snap->jobs) {
                for (auto [outcome, v] : {std::pair{"ok", j.runs}, std::pair{"failed", j.failures},
                                          std::pair{"skipped", j.skipped}}) {
                    out.push_back({{{"job", j.name}, {"outcome", outcome}}, static_cast<double>(v)});
                }
            }
            return out;
        });
}

std::uint16_t App::Start() {
    RegisterHealth();
    auto port = server_->Start();
    jobs_->Start();
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        asio::co_spawn(
            *shards_[i],
            [this, i, snap = snapshot_]() -> asio::awaitable<void> {
                asio::steady_timer timer(co_await asio::this_coro::executor);
                for (;;) {
                    {
                        std::lock_guard lock(snap->mutex);
                        if (snap->stopping) co_return;
                        for (const auto& [key, pools] : pools_) {
                            snap->pools[fmt::format("{}|{}|{}", migrate::RoleName(key.role),
                                                    migrate::DatabaseKey(key.database), i)] =
                                pools[i]->Stats();
                        }
                        if (i < redis_.size()) snap->redis[i] = redis_[i]->GetStats();
                        if (i == 0) snap->jobs = jobs_->Stats();  // the scheduler runs on shard 0
                    }
                    timer.expires_after(std::chrono::seconds(1));
                    co_await timer.async_wait(asio::use_awaitable);
                }
            },
            asio::detached);
    }
    return port;
}

void App::Stop() {
    {
        std::lock_guard lock(snapshot_->mutex);
        snapshot_->stopping = true;
    }
    server_->Stop(config_.shutdown_drain);
    jobs_->Stop();
    // Pools and clients belong to their shards: close them there.
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        std::promise<void> done;
        asio::post(*shards_[i], [&] {
            for (auto& [key, pools] : pools_) pools[i]->Close();
            if (i < redis_.size()) redis_[i]->Close();
            done.set_value();
        });
        done.get_future().wait();
    }
}

}  // namespace nn
