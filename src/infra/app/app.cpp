#include "infra/app/app.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <cstdlib>
#include <future>
#include <mutex>
#include <thread>

#include "core/error.hpp"
#include "infra/db/result.hpp"
#include "infra/db/transaction.hpp"
#include "infra/http/contract.hpp"
#include "infra/migrate/migrator.hpp"
#include "infra/migrate/schema_version.hpp"
#include "infra/redis/url.hpp"
#include "infra/runtime/logging.hpp"

namespace nn {
namespace asio = boost::asio;

namespace {

constexpr db::Query kPing{"SELECT 1", "health.ping"};

// The pipeline figures (outbox backlogs, stream consumer groups, default-partition rows) the
// alert rules watch (monitoring/alerts.yml), read every kPipelineInterval on shard 0 for what
// the app declared (WatchOutbox, WatchStream, WatchDefaultPartitions).
constexpr auto kPipelineInterval = std::chrono::seconds(5);
// Rows outside every premade time partition land in the default partition, which partition
// maintenance cannot split: a sign of clock trouble or bad input. Statistics, not a count, so
// the read stays cheap however large the partition grows.
constexpr db::Query kDefaultPartitionRows{
    "SELECT c.oid::regclass::text, coalesce(s.n_live_tup, 0)::int8 FROM pg_class c"
    " LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid"
    " WHERE c.relispartition AND c.relkind = 'r' AND c.relname LIKE '%\\_default'",
    "ops.default_partition_rows"};
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
    struct Reader {
        double lag_seconds = -1;  // -1: no replica, or not usable (unknown or past the bound)
        db::ReadRouterStats stats;
    };
    std::map<std::string, Reader> readers;  // "role|database|shard", only with a replica
    std::vector<redis::Stats> redis;
    std::vector<jobs::JobStats> jobs;
    std::map<std::string, std::pair<std::int64_t, double>> outbox;  // source -> (pending, oldest age s)
    std::map<std::pair<std::string, std::string>, std::pair<std::int64_t, std::int64_t>>
        stream_groups;                                 // (stream, group) -> (lag, pending)
    std::map<std::string, std::int64_t> default_rows;  // partition -> live rows
    bool stopping = false;
};

namespace {

// glibc gives each thread that meets a locked arena a new one, up to 8 per core, and each keeps
// the memory its threads freed. One arena per core, set before main starts any thread (the event
// loops of `nexanest serve` and of the benchmarks are made before the App), holds the reads
// benchmark's peak RSS well below its limit (docs/architecture.md "The hot path of an
// authenticated read"). MALLOC_ARENA_MAX in the environment still wins.
const bool kArenasLimited = [] {
    if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return false;
    return ::mallopt(M_ARENA_MAX, static_cast<int>(std::max(2u, std::thread::hardware_concurrency()))) == 1;
}();

}  // namespace

App::App(runtime::Config config, std::vector<asio::io_context*> shards)
    : config_(std::move(config)), shards_(std::move(shards)), snapshot_(std::make_shared<Snapshot>()) {
    if (shards_.empty())
        throw Error(ErrorKind::kInternal, "app.no_shards", "at least one event loop is needed");
    server_ = std::make_unique<http::Server>(shards_, ServerOptionsFrom(config_));
    cpu_ =
        std::make_unique<runtime::CpuPool>(config_.cpu_threads, config_.cpu_threads * 64, config_.cpu_nice);
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
    o.trusted_proxies = http::TrustedProxies::Parse(config.trusted_proxies);  // checked by LoadConfig
    if (config.access_log) o.access_log = http::SpdlogAccessLog(runtime::AccessLogger());
    o.ops_token = config.ops_token.Reveal();
    o.contract_check = http::ContractCheckFromEnv();
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

std::string App::UrlFor(ServiceRole role, Database database, const Secret& base) const {
    auto key = std::string(migrate::DatabaseKey(database));
    if (&base != &config_.db_replica_url) {
        if (auto it = config_.database_urls.find(key); it != config_.database_urls.end())
            return it->second.Reveal();
    }
    if (config_.database_url.Empty() || config_.db_service_password.Empty()) {
        throw Error(ErrorKind::kUnprocessable, "config.missing",
                    fmt::format("configuration: the {} service needs NEXANEST_{}_DATABASE_URL, or "
                                "NEXANEST_DATABASE_URL with NEXANEST_DB_SERVICE_PASSWORD",
                                ServiceOf(role), Upper(key)));
    }
    migrate::Options options;
    // The services' host: a pooler (NEXANEST_DB_SERVICE_URL) or a replica when given, else the
    // administrative URL's; the role, its password and the database name are filled in.
    options.admin_url = base.Empty() ? config_.database_url : base;
    options.prefix = config_.database_prefix;
    options.service_password = config_.db_service_password;
    options.role_passwords = config_.db_role_passwords;
    return migrate::ServiceUrlFor(options, role, database).Reveal();
}

db::PoolOptions App::PoolOptionsFor(std::string url) const {
    db::PoolOptions options;
    options.connection.url = std::move(url);
    options.connection.query_timeout = config_.db_timeout;
    options.connection.prepare_statements = config_.db_prepared_statements;
    options.max_size = config_.db_pool_size;
    options.min_size = 0;
    return options;
}

std::vector<std::unique_ptr<db::Pool>>& App::PrimariesLocked(const PoolKey& key) {
    auto& pools = pools_[key];
    if (pools.empty()) {
        auto url = UrlFor(key.role, key.database, config_.db_service_url);
        for (auto* io : shards_)
            pools.push_back(std::make_unique<db::Pool>(io->get_executor(), PoolOptionsFor(url)));
    }
    return pools;
}

db::Pool& App::Db(ServiceRole role, Database database, std::size_t shard) {
    std::lock_guard lock(pools_mutex_);
    return *PrimariesLocked(PoolKey{role, database}).at(shard);
}

bool App::HasPools(const PoolKey& key) const {
    std::lock_guard lock(pools_mutex_);
    return pools_.contains(key);
}

db::ReadRouter& App::ReadDb(ServiceRole role, Database database, std::size_t shard) {
    const PoolKey key{role, database};
    std::lock_guard lock(pools_mutex_);
    auto& readers = readers_[key];
    if (readers.empty()) {
        auto& primaries = PrimariesLocked(key);
        std::vector<std::unique_ptr<db::Pool>>* replicas = nullptr;
        if (!config_.db_replica_url.Empty()) {
            replicas = &replica_pools_[key];
            auto url = UrlFor(role, database, config_.db_replica_url);
            for (auto* io : shards_) {
                auto options = PoolOptionsFor(url);
                // A replica that does not answer must not hold a request for long: the read
                // then runs on the primary (db::ReadRouter).
                options.acquire_timeout = std::chrono::milliseconds(1000);
                options.connection.connect_timeout = std::chrono::milliseconds(1000);
                replicas->push_back(std::make_unique<db::Pool>(io->get_executor(), std::move(options)));
            }
        }
        db::ReadRouterOptions options;
        options.max_lag = config_.db_replica_max_lag;
        for (std::size_t i = 0; i < shards_.size(); ++i) {
            readers.push_back(std::make_unique<db::ReadRouter>(shards_[i]->get_executor(), *primaries[i],
                                                               replicas ? (*replicas)[i].get() : nullptr,
                                                               options));
            // Measuring starts with the app (Start); a router made later starts now.
            if (started_) {
                auto* r = readers.back().get();
                asio::post(*shards_[i], [r] { r->Start(); });
            }
        }
    }
    return *readers.at(shard);
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

void App::UseDatabase(Database database, ServiceRole role) {
    databases_.try_emplace(database, role);
}

void App::WatchOutbox(std::string source, ServiceRole role, Database database, std::string table) {
    // The outbox shape every domain shares: created_at, and published_at once relayed.
    std::string sql = fmt::format(
        "SELECT count(*)::int8, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 "
        "FROM {} WHERE published_at IS NULL",
        table);
    std::string name = "ops.outbox_" + source;
    outboxes_.push_back({std::move(source), PoolKey{role, database}, std::move(sql), std::move(name)});
}

void App::WatchStream(std::string stream) {
    streams_.push_back(std::move(stream));
}

void App::WatchDefaultPartitions(ServiceRole role, Database database) {
    partitions_ = PoolKey{role, database};
}

void App::RequireSchemas() const {
    for (auto [database, role] : databases_) {
        auto state = migrate::EvaluateSchema(
            database, migrate::ReadAppliedMigrations(Secret(UrlFor(role, database, config_.db_service_url))));
        if (auto reason = migrate::SchemaMismatch(database, state)) {
            throw Error(ErrorKind::kUnprocessable, "app.schema_version", "refusing to serve: " + *reason);
        }
    }
}

void App::RegisterHealth() {
    for (auto [database, r] : databases_) {
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
    AddPipelineMetrics();
}

// Long on purpose: one declaration per metric family of the pools, Redis, replicas, jobs, the
// outbox, the stream consumers and the partitions (docs/operations.md "Monitor"), each reading
// the snapshot CollectPipelines refreshes.
void App::AddPipelineMetrics() {
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
    metrics.AddFamily("nn_db_replica_lag_seconds",
                      "Bound on the read replica's staleness per pool; -1 when it is not used (unknown, "
                      "lagging past NEXANEST_DB_REPLICA_MAX_LAG or down)",
                      http::MetricType::kGauge, [snap] {
                          std::lock_guard lock(snap->mutex);
                          std::vector<http::MetricSample> out;
                          for (const auto& [key, r] : snap->readers)
                              out.push_back({{{"pool", key}}, r.lag_seconds});
                          return out;
                      });
    metrics.AddFamily(
        "nn_db_replica_reads_total", "Stale-tolerant reads by where they ran (replica, primary, fallback)",
        http::MetricType::kCounter, [snap] {
            std::lock_guard lock(snap->mutex);
            std::vector<http::MetricSample> out;
            for (const auto& [key, r] : snap->readers) {
                for (auto [target, v] : {std::pair{"replica", r.stats.replica_reads},
                                         std::pair{"primary", r.stats.primary_reads},
                                         std::pair{"fallback", r.stats.fallbacks}}) {
                    out.push_back({{{"pool", key}, {"target", target}}, static_cast<double>(v)});
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
    metrics.AddFamily("nn_outbox_pending", "Outbox rows not yet relayed, by source database",
                      http::MetricType::kGauge, [snap] {
                          std::lock_guard lock(snap->mutex);
                          std::vector<http::MetricSample> out;
                          for (const auto& [source, v] : snap->outbox)
                              out.push_back({{{"source", source}}, static_cast<double>(v.first)});
                          return out;
                      });
    metrics.AddFamily("nn_outbox_oldest_pending_seconds",
                      "Age of the oldest outbox row not yet relayed (0 when none), by source database",
                      http::MetricType::kGauge, [snap] {
                          std::lock_guard lock(snap->mutex);
                          std::vector<http::MetricSample> out;
                          for (const auto& [source, v] : snap->outbox)
                              out.push_back({{{"source", source}}, v.second});
                          return out;
                      });
    metrics.AddFamily(
        "nn_stream_consumer_lag",
        "Entries of an event stream not yet delivered to a consumer group (XINFO GROUPS lag)",
        http::MetricType::kGauge, [snap] {
            std::lock_guard lock(snap->mutex);
            std::vector<http::MetricSample> out;
            for (const auto& [key, v] : snap->stream_groups)
                out.push_back({{{"stream", key.first}, {"group", key.second}}, static_cast<double>(v.first)});
            return out;
        });
    metrics.AddFamily("nn_stream_consumer_pending",
                      "Entries delivered to a consumer group and not yet acknowledged",
                      http::MetricType::kGauge, [snap] {
                          std::lock_guard lock(snap->mutex);
                          std::vector<http::MetricSample> out;
                          for (const auto& [key, v] : snap->stream_groups)
                              out.push_back({{{"stream", key.first}, {"group", key.second}},
                                             static_cast<double>(v.second)});
                          return out;
                      });
    metrics.AddFamily("nn_partition_default_rows",
                      "Live rows in the default partition of a time-series table (statistics estimate)",
                      http::MetricType::kGauge, [snap] {
                          std::lock_guard lock(snap->mutex);
                          std::vector<http::MetricSample> out;
                          for (const auto& [partition, rows] : snap->default_rows)
                              out.push_back({{{"partition", partition}}, static_cast<double>(rows)});
                          return out;
                      });
}

asio::awaitable<void> App::CollectPipelines(std::shared_ptr<asio::steady_timer> timer) {
    for (;;) {
        // First wait, then read: a short-lived App (tests) never queries.
        timer->expires_after(kPipelineInterval);
        try {
            co_await timer->async_wait(asio::use_awaitable);
        } catch (const boost::system::system_error&) {
            // cancelled by Stop
        }
        {
            std::lock_guard lock(snapshot_->mutex);
            if (snapshot_->stopping) co_return;
        }
        std::map<std::string, std::pair<std::int64_t, double>> outbox;
        for (const auto& source : outboxes_) {
            if (!HasPools(source.pool)) continue;
            try {
                // The outboxes are read in SYSTEM context, the only one their relay policies admit.
                const auto system = db::TransactionOptions().ActingAs(Actor::System());
                const db::Query query{source.sql, source.query_name};
                auto tx = co_await Db(source.pool.role, source.pool.database, 0).Begin(system);
                auto row = (co_await tx.Execute(query)).AsSingleRow<std::int64_t, double>();
                co_await tx.Commit();
                outbox[source.source] = {std::get<0>(row), std::get<1>(row)};
            } catch (const std::exception& e) {
                spdlog::debug("pipeline metrics: outbox {}: {}", source.source, e.what());
            }
        }
        std::map<std::string, std::int64_t> default_rows;
        if (partitions_ && HasPools(*partitions_)) {
            try {
                auto rows =
                    co_await Db(partitions_->role, partitions_->database, 0).Execute(kDefaultPartitionRows);
                for (const auto& row : rows) {
                    auto [partition, live] = row.As<std::string, std::int64_t>();
                    default_rows[partition] = live;
                }
            } catch (const std::exception& e) {
                spdlog::debug("pipeline metrics: default partitions: {}", e.what());
            }
        }
        std::map<std::pair<std::string, std::string>, std::pair<std::int64_t, std::int64_t>> groups;
        if (!redis_.empty()) {
            for (const std::string& stream : streams_) {
                std::vector<std::string> argv{"XINFO", "GROUPS", stream};
                redis::Reply reply;
                try {
                    reply = co_await Redis(0).Command(std::move(argv));
                } catch (const std::exception&) {
                    continue;  // no such stream yet, or Redis is down: the last figures stay
                }
                if (!reply.IsArray()) continue;
                for (const auto& group : reply.AsArray()) {
                    if (!group.IsArray()) continue;
                    const auto& fields = group.AsArray();
                    std::string name;
                    std::int64_t lag = 0;
                    std::int64_t pending = 0;
                    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
                        if (!fields[i].IsString() && !fields[i].IsStatus()) continue;
                        const std::string& key = fields[i].AsString();
                        if (key == "name" && fields[i + 1].IsString()) name = fields[i + 1].AsString();
                        if (key == "lag" && fields[i + 1].IsInteger()) lag = fields[i + 1].AsInteger();
                        if (key == "pending" && fields[i + 1].IsInteger())
                            pending = fields[i + 1].AsInteger();
                    }
                    if (!name.empty()) groups[{stream, name}] = {lag, pending};
                }
            }
        }
        {
            std::lock_guard lock(snapshot_->mutex);
            for (auto& [k, v] : outbox) snapshot_->outbox[k] = v;
            for (auto& [k, v] : default_rows) snapshot_->default_rows[k] = v;
            for (auto& [k, v] : groups) snapshot_->stream_groups[k] = v;
        }
    }
}

std::uint16_t App::Start() {
    RegisterHealth();
    auto port = server_->Start();
    jobs_->Start();
    pipeline_timer_ = std::make_shared<asio::steady_timer>(shards_[0]->get_executor());
    auto done = std::make_shared<std::promise<void>>();
    pipeline_done_ = done->get_future();
    asio::co_spawn(*shards_[0], CollectPipelines(pipeline_timer_),
                   [done](std::exception_ptr) { done->set_value(); });
    {
        std::lock_guard pools_lock(pools_mutex_);  // the server already serves: ReadDb may run
        started_ = true;
        for (auto& [key, readers] : readers_) {
            for (std::size_t i = 0; i < readers.size(); ++i) {
                auto* r = readers[i].get();
                asio::post(*shards_[i], [r] { r->Start(); });
            }
        }
    }
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        asio::co_spawn(
            *shards_[i],
            [this, i, snap = snapshot_]() -> asio::awaitable<void> {
                asio::steady_timer timer(co_await asio::this_coro::executor);
                for (;;) {
                    {
                        std::lock_guard lock(snap->mutex);
                        if (snap->stopping) co_return;
                        std::lock_guard pools_lock(pools_mutex_);
                        for (const auto& [key, pools] : pools_) {
                            snap->pools[fmt::format("{}|{}|{}", migrate::RoleName(key.role),
                                                    migrate::DatabaseKey(key.database), i)] =
                                pools[i]->Stats();
                        }
                        for (const auto& [key, readers] : readers_) {
                            const db::ReadRouter& r = *readers[i];
                            if (!r.HasReplica()) continue;
                            auto& out = snap->readers[fmt::format("{}|{}|{}", migrate::RoleName(key.role),
                                                                  migrate::DatabaseKey(key.database), i)];
                            out.lag_seconds =
                                r.ReplicaUsable() ? static_cast<double>(r.Lag()->count()) / 1000.0 : -1;
                            out.stats = r.Stats();
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
    for (auto it = stop_hooks_.rbegin(); it != stop_hooks_.rend(); ++it) (*it)();
    stop_hooks_.clear();
    if (pipeline_timer_) {
        // The collector uses shard 0's pools: it ends before they close.
        asio::post(*shards_[0], [timer = pipeline_timer_] { timer->cancel(); });
        pipeline_done_.wait();
        pipeline_timer_.reset();
    }
    // Pools and clients belong to their shards: close them there.
    for (std::size_t i = 0; i < shards_.size(); ++i) {
        std::promise<void> done;
        asio::post(*shards_[i], [&] {
            std::lock_guard lock(pools_mutex_);
            for (auto& [key, readers] : readers_) readers[i]->Close();
            for (auto& [key, pools] : pools_) pools[i]->Close();
            for (auto& [key, pools] : replica_pools_) pools[i]->Close();
            if (i < redis_.size()) redis_[i]->Close();
            done.set_value();
        });
        done.get_future().wait();
    }
}

}  // namespace nn
