#include "market/module.hpp"

#include <spdlog/spdlog.h>

#include <memory>

#include "core/error.hpp"
#include "infra/app/app.hpp"
#include "market/handlers.hpp"
#include "market/pg_repository.hpp"

namespace nn::market {
namespace asio = boost::asio;

namespace {

// Days of retention: 0 keeps forever.
std::optional<std::chrono::hours> RetentionDays(std::uint64_t days) {
    if (days == 0) return std::nullopt;
    return std::chrono::hours(24 * days);
}

// Bounds keep the products of hours and days far from overflow.
const runtime::DomainSetting kMaxBatchSetting =
    runtime::CountSetting("market.max_batch", "NEXANEST_MARKET_MAX_BATCH", 1, 10'000'000);
const runtime::DomainSetting kRawRetentionSetting =
    runtime::CountSetting("market.raw_retention_days", "NEXANEST_MARKET_RAW_RETENTION_DAYS", 0, 36'500);
const runtime::DomainSetting kRetention1mSetting =
    runtime::CountSetting("market.1m_retention_days", "NEXANEST_MARKET_1M_RETENTION_DAYS", 0, 36'500);
const runtime::DomainSetting kRetention1hSetting =
    runtime::CountSetting("market.1h_retention_days", "NEXANEST_MARKET_1H_RETENTION_DAYS", 0, 36'500);
const runtime::DomainSetting kRetention1dSetting =
    runtime::CountSetting("market.1d_retention_days", "NEXANEST_MARKET_1D_RETENTION_DAYS", 0, 36'500);
const runtime::DomainSetting kReconcileWindowSetting = runtime::CountSetting(
    "market.reconcile_window_hours", "NEXANEST_MARKET_RECONCILE_WINDOW_HOURS", 0, 876'000);

// Per-shard repository and service; shared by the route closures and the jobs.
struct State {
    std::vector<std::unique_ptr<Repository>> repos;
    std::vector<std::unique_ptr<MarketService>> services;
};

}  // namespace

std::vector<runtime::DomainSetting> Settings() {
    return {kMaxBatchSetting,    kRawRetentionSetting, kRetention1mSetting,
            kRetention1hSetting, kRetention1dSetting,  kReconcileWindowSetting};
}

MarketOptions OptionsFrom(const runtime::Config& config) {
    MarketOptions o;
    if (auto n = runtime::CountValue(config, kMaxBatchSetting))
        o.limits.max_rows = static_cast<std::size_t>(*n);
    if (auto d = runtime::CountValue(config, kRawRetentionSetting)) o.retention.raw = RetentionDays(*d);
    if (auto d = runtime::CountValue(config, kRetention1mSetting)) o.retention.bars_1m = RetentionDays(*d);
    if (auto d = runtime::CountValue(config, kRetention1hSetting)) o.retention.bars_1h = RetentionDays(*d);
    if (auto d = runtime::CountValue(config, kRetention1dSetting)) o.retention.bars_1d = RetentionDays(*d);
    if (auto h = runtime::CountValue(config, kReconcileWindowSetting))
        o.reconcile_window = std::chrono::hours(static_cast<std::int64_t>(*h));
    return o;
}

std::shared_ptr<PriceDirectory> Register(App& app) {
    const MarketOptions options = OptionsFrom(app.Config());
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
                    .run = [jobs_svc, state]() -> asio::awaitable<void> { co_await jobs_svc->Maintain(); }});
    app.Jobs().Add({.name = "market.reconcile",
                    .interval = options.reconcile_interval,
                    .lease_pool = lease,
                    .run = [jobs_svc, state]() -> asio::awaitable<void> {
                        auto n = co_await jobs_svc->Reconcile(Now());
                        spdlog::info("market: reconciled {} bar(s) from raw data", n);
                    }});
    return MakePriceDirectory(app);
}

}  // namespace nn::market
