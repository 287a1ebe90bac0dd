#include "portfolio/module.hpp"

#include "infra/app/app.hpp"
#include "market/instrument_directory.hpp"
#include "market/rate_directory.hpp"
#include "portfolio/allocation/module.hpp"
#include "portfolio/goals/module.hpp"
#include "portfolio/handlers.hpp"
#include "portfolio/pg_repository.hpp"
#include "portfolio/price_consumer.hpp"
#include "portfolio/snapshot_job.hpp"
#include "portfolio/watches.hpp"
#include "portfolio/watchlists/module.hpp"

namespace nn::portfolio {

Services MakeServices(App& app, const ModuleOptions& options) {
    // Pools are made on first use, which must happen here, before the shards serve requests.
    app.Db(ServiceRole::kPortfolio, Database::kPortfolio, 0);
    app.Db(ServiceRole::kPortfolio, Database::kTimescale, 0);
    auto rates = options.rates ? options.rates : market::MakeRateDirectory(app);
    auto instruments = options.instruments ? options.instruments : market::MakeInstrumentDirectory(app);
    // One repository for the domain: the portfolio service, the sub-domains' repositories
    // (portfolio lookups, outbox rows), notify's directory, and (Register) the price consumer,
    // the value feed and the daily snapshot job share it.
    std::shared_ptr<Repository> repo = std::make_shared<PgRepository>();
    Services out;
    out.portfolios =
        std::make_shared<Service>(app, repo, options.directory, std::move(rates), options.service);
    out.allocation = MakeAllocationService(app, out.portfolios, std::move(instruments));
    out.notify = MakeNotifyDirectory(app, std::move(repo));
    return out;
}

Services Register(App& app, ModuleOptions options) {
    Services services = MakeServices(app, options);
    const auto& service = services.portfolios;
    const auto& allocation = services.allocation;
    AddRoutes(app.Routes(), *service, options.directory);
    RegisterWatchlists(app, service->Repo(), options.directory);
    auto goals = RegisterGoals(app, service, options.directory);
    RegisterAllocation(app, allocation, options.directory);
    // Drift, goal milestones and live values after every change of holdings (watches.hpp). The
    // hooks hold the watches; the services live as long as the App.
    auto watches = MakeWatches(app, service->Repo(), allocation, goals, service->Rates(), options.values);
    service->OnHoldingsChanged([watches](std::vector<ChangedPortfolio> changed, std::size_t shard) {
        return watches->HoldingsChanged(std::move(changed), shard);
    });
    goals->OnGoalChanged(
        [goal_watch = watches->goals](Uuid goal, std::size_t shard) -> boost::asio::awaitable<void> {
            co_await goal_watch->CheckGoal(goal, shard);
        });
    // Hourly refreshes of the day's row: the last run of a UTC day leaves its closing values.
    AddSnapshotJob(app, service->Repo(), service->Rates(), std::chrono::hours(1));
    if (options.start_price_consumer) {
        PriceConsumerOptions consumer;
        consumer.cache_prefix = options.service.cache_prefix;
        consumer.on_applied = [watches](std::vector<ChangedPortfolio> changed) {
            return watches->HoldingsChanged(std::move(changed), 0);
        };
        auto prices = std::make_shared<PriceConsumer>(app, service->Repo(), consumer);
        prices->Start();
        app.OnStop([prices] { prices->Stop(); });
    }
    return services;
}

Services Register(App& app, std::shared_ptr<auth::UserDirectory> directory) {
    ModuleOptions options;
    options.directory = std::move(directory);
    return Register(app, std::move(options));
}

}  // namespace nn::portfolio
