#pragma once

#include <cstddef>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "infra/db/pool.hpp"
#include "infra/db/read_router.hpp"
#include "infra/http/server.hpp"
#include "infra/jobs/scheduler.hpp"
#include "infra/migrate/catalog.hpp"
#include "infra/redis/client.hpp"
#include "infra/runtime/config.hpp"
#include "infra/runtime/cpu_pool.hpp"

namespace boost::asio {
class io_context;
}

namespace nn {

using migrate::Database;
using migrate::ServiceRole;

// Everything a domain module needs to register itself: `auth::Register(App&)` adds routes,
// jobs, consumers and authenticators; apps/nexanest only chains the registrations.
//
// Shards: one io_context per core (Config::threads). Each request, pool and Redis connection
// lives on one shard; handlers reach theirs with `app.Db(role, db, request.shard)`.
class App {
public:
    App(runtime::Config config, std::vector<boost::asio::io_context*> shards);
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    const runtime::Config& Config() const noexcept { return config_; }
    std::size_t ShardCount() const noexcept { return shards_.size(); }
    boost::asio::io_context& Shard(std::size_t i) const { return *shards_.at(i); }

    http::Server& Server() noexcept { return *server_; }
    http::Router& Routes() { return server_->Routes(); }

    // Whether this process runs a service (a name of Config::services; `serve --services`
    // picks them).
    bool Runs(std::string_view service) const;

    // What the services of this process need from the cluster, declared by the app before
    // RequireSchemas and Start (apps/nexanest/modules.cpp, DeclareServices): infra holds no list
    // of services, databases, outboxes or streams of its own.
    //
    // A database this process uses: RequireSchemas checks its schema version, and /readyz pings
    // it ("postgres.<db>"), through `role`; the first role declared for a database is kept.
    void UseDatabase(Database database, ServiceRole role);
    // An outbox table (created_at, published_at once relayed; e.g. "auth.outbox") whose backlog
    // /metrics shows as nn_outbox_pending{source=...}, read while this process has a pool of
    // `role` on `database`.
    void WatchOutbox(std::string source, ServiceRole role, Database database, std::string table);
    // A Redis stream whose consumer groups' lag and pending entries /metrics shows.
    void WatchStream(std::string stream);
    // The database whose default partitions' rows /metrics shows (nn_partition_default_rows),
    // read through `role` while this process has that pool.
    void WatchDefaultPartitions(ServiceRole role, Database database);

    // The pool through which `role` reaches `database` on shard `shard`. Pools are made for
    // every shard on first use (during registration) and connect lazily. The URL is the
    // per-database URL when configured, else the admin URL's host with the role's name and the
    // service password.
    db::Pool& Db(ServiceRole role, Database database, std::size_t shard);

    // For reads that tolerate bounded staleness (market history, statements, analytics
    // inputs): the streaming replica of NEXANEST_DB_REPLICA_URL while its lag is within
    // NEXANEST_DB_REPLICA_MAX_LAG, else (and without a replica) the same primary pool as Db().
    // Anything that must see its own writes uses Db().
    db::ReadRouter& ReadDb(ServiceRole role, Database database, std::size_t shard);

    // The Redis client of a shard.
    redis::Client& Redis(std::size_t shard);

    runtime::CpuPool& Cpu() noexcept { return *cpu_; }
    // Periodic jobs; runs on shard 0.
    jobs::Scheduler& Jobs() noexcept { return *jobs_; }

    // Authenticators tried in order until one sets a principal (bearer tokens, API keys).
    void AddAuthenticator(http::Authenticator authenticator);

    // Refuses (nn::Error kUnprocessable "app.schema_version", one line) when a database this
    // process uses holds a schema older than this build needs or newer than it knows
    // (infra/migrate/schema_version.hpp). Reads with the service roles, blocking: call it
    // before the event loops run.
    void RequireSchemas() const;

    // Starts the server, the jobs and the readiness/metrics plumbing. Returns the bound port.
    std::uint16_t Start();
    // Graceful: stops accepting, drains requests, stops jobs, runs the stop hooks, closes pools
    // and Redis. Call it from a thread that is not a shard thread, while the shards still run.
    void Stop();
    // A module's background work (stream consumers, live subscribers) ends here: Stop runs the
    // hooks in reverse order of registration, after the jobs and before the pools close, and then
    // lets every shard run what the hooks posted. Nothing a module started may outlive Stop: its
    // objects are destroyed after the shards' loops have ended.
    void OnStop(std::function<void()> hook) { stop_hooks_.push_back(std::move(hook)); }

private:
    struct PoolKey {
        ServiceRole role;
        Database database;
        auto operator<=>(const PoolKey&) const = default;
    };
    http::ServerOptions ServerOptionsFrom(const runtime::Config& config);
    std::string UrlFor(ServiceRole role, Database database, const Secret& base) const;
    db::PoolOptions PoolOptionsFor(std::string url) const;
    bool HasPools(const PoolKey& key) const;
    // The key's pools, one per shard, made on first use; the caller holds pools_mutex_.
    std::vector<std::unique_ptr<db::Pool>>& PrimariesLocked(const PoolKey& key);
    void RegisterHealth();
    void AddPipelineMetrics();
    // Outbox backlogs, stream consumer lag and default-partition rows into the snapshot, every
    // few seconds on shard 0 until Stop.
    boost::asio::awaitable<void> CollectPipelines(std::shared_ptr<boost::asio::steady_timer> timer);

    struct OutboxWatch {
        std::string source;
        PoolKey pool;
        std::string sql;
        std::string query_name;
    };

    runtime::Config config_;
    std::vector<boost::asio::io_context*> shards_;
    std::map<Database, ServiceRole> databases_;  // in Database order: checks run in that order
    std::vector<OutboxWatch> outboxes_;
    std::vector<std::string> streams_;
    std::optional<PoolKey> partitions_;
    std::unique_ptr<http::Server> server_;
    std::unique_ptr<runtime::CpuPool> cpu_;
    std::unique_ptr<jobs::Scheduler> jobs_;
    // The three maps grow lazily (Db, ReadDb), also from the shards after Start, while the
    // metrics snapshot walks them: pools_mutex_ guards their structure (the pools themselves
    // belong to their shards).
    mutable std::mutex pools_mutex_;
    std::map<PoolKey, std::vector<std::unique_ptr<db::Pool>>> pools_;
    std::map<PoolKey, std::vector<std::unique_ptr<db::Pool>>> replica_pools_;
    std::map<PoolKey, std::vector<std::unique_ptr<db::ReadRouter>>> readers_;
    std::vector<std::unique_ptr<redis::Client>> redis_;
    std::vector<http::Authenticator> authenticators_;
    struct Snapshot;
    std::shared_ptr<Snapshot> snapshot_;
    std::shared_ptr<boost::asio::steady_timer> pipeline_timer_;
    std::future<void> pipeline_done_;
    std::vector<std::function<void()>> stop_hooks_;
    bool started_ = false;
};

}  // namespace nn
