#include "market/module.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <memory>

#include "core/error.hpp"
#include "infra/app/app.hpp"
#include "market/handlers.hpp"

namespace nn::market {
namespace asio = boost::asio;

namespace {

std::optional<std::int64_t> EnvInt(const runtime::EnvLookup& env, const std::string& name) {
    auto v = env(name);
    if (!v || v->empty()) return std::nullopt;
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size() || n < 0) {
        throw Error(ErrorKind::kUnprocessable, "config.invalid", name + " must be a whole number >= 0");
    }
    return n;
}

void Days(const runtime::EnvLookup& env, const std::string& name, std::optional<std::chrono::hours>& out) {
    if (auto d = EnvInt(env, name)) {
        out = *d == 0 ? std::nullopt : std::optional<std::chrono::hours>(std::chrono::hours(24 * *d));
    }
}

// Per-shard repository and service; shared by the route closures and the jobs.
struct State {
    std::vector<std::unique_ptr<PgRepository>> repos;
    std::vector<std::unique_ptr<MarketService>> services;
};

}  // namespace

MarketOptions OptionsFromEnv(const runtime::EnvLookup& env) {
    MarketOptions o;
    if (auto n = EnvInt(env, "NEXANEST_MARKET_MAX_BATCH")) {
        if (*n == 0)
            throw Error(ErrorKind::kUnprocessable, "config.invalid", "NEXANEST_MARKET_MAX_BATCH must be > 0");
        o.limits.max_rows = static_cast<std::size_t>(*n);
    }
    Days(env, "NEXANEST_MARKET_RAW_RETENTION_DAYS", o.retention.raw);
    Days(env, "NEXANEST_MARKET_1M_RETENTION_DAYS", o.retention.bars_1m);
    Days(env, "NEXANEST_MARKET_1H_RETENTION_DAYS", o.retention.bars_1h);
    Days(env, "NEXANEST_MARKET_1D_RETENTION_DAYS", o.retention.bars_1d);
    if (auto h = EnvInt(env, "NEXANEST_MARKET_RECONCILE_WINDOW_HOURS"))
        o.reconcile_window = std::chrono::hours(*h);
    return o;
}

void Register(App& app) {
    const MarketOptions options = OptionsFromEnv(runtime::ProcessEnv());
    auto state = std::make_shared<State>();
    for (std::size_t i = 0; i < app.ShardCount(); ++i) {
        state->repos.push_back(
            std::make_unique<PgRepository>(app.Db(ServiceRole::kMarket, Database::kTimescale, i),
                                           app.ReadDb(ServiceRole::kMarket, Database::kTimescale, i)));
        state->services.push_back(
            std::make_unique<MarketService>(*state->repos.back(), &app.Redis(i), options));
    }
    AddRoutes(
        app.Routes(), [state](std::size_t shard) -> MarketService& { return *state->services.at(shard); },
        app.Cpu());

    db::Pool* lease = &app.Db(ServiceRole::kMarket, Database::kTimescale, 0);
    MarketService* jobs_svc = state->services.front().get();
    app.Jobs().Add({.name = "market.outbox_relay",
                    .interval = options.relay_interval,
                    .lease_pool = lease,
                    .run = [jobs_svc, state]() -> asio::awaitable<void> {
                        int n = co_await jobs_svc->RelayOutbox();
                        if (n > 0) spdlog::info("market: relayed {} price event(s) from the outbox", n);
                    }});
    app.Jobs().Add({.name = "market.maintenance",
                    .interval = options.maintenance_interval,
                    .lease_pool = lease,
                    .run = [jobs_svc, state]() -> asio::awaitable<void> {
                        auto& repo = jobs_svc->Repo();
                        co_await repo.Maintain(jobs_svc->Options().retention);
                        for (const auto& [table, rows] : co_await repo.DefaultPartitionRows()) {
                            if (rows > 0) {
                                spdlog::warn(
                                    "market: {} row(s) of {} are in its default partition (no partition "
                                    "for their time); partman_maint.ensure_partitions moves them",
                                    rows, table);
                            }
                        }
                        co_await repo.DeletePublishedBefore(std::chrono::hours(24));
                    }});
    app.Jobs().Add({.name = "market.reconcile",
                    .interval = options.reconcile_interval,
                    .lease_pool = lease,
                    .run = [jobs_svc, state]() -> asio::awaitable<void> {
                        const Timestamp to = Now() - std::chrono::minutes(5);
                        auto n = co_await jobs_svc->Repo().Reconcile(
                            to - jobs_svc->Options().reconcile_window, to);
                        spdlog::info("market: reconciled {} bar(s) from raw data", n);
                    }});
}

}  // namespace nn::market
