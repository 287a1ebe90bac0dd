#include "portfolio/module.hpp"

#include "infra/app/app.hpp"
#include "portfolio/allocation_handlers.hpp"
#include "portfolio/goal_handlers.hpp"
#include "portfolio/handlers.hpp"
#include "portfolio/price_consumer.hpp"
#include "portfolio/snapshot_job.hpp"
#include "portfolio/watchlist_handlers.hpp"

namespace nn::portfolio {

std::shared_ptr<Service> Register(App& app, ModuleOptions options) {
    auto service = std::make_shared<Service>(app, options.directory, options.service);
    AddRoutes(app.Routes(), *service, options.directory);
    AddWatchlistRoutes(app.Routes(), std::make_shared<WatchlistService>(app), options.directory);
    AddGoalRoutes(app.Routes(), std::make_shared<GoalService>(app, service), options.directory);
    AddAllocationRoutes(app.Routes(), std::make_shared<AllocationService>(app, service), options.directory);
    // Hourly refreshes of the day's row: the last run of a UTC day leaves its closing values.
    AddSnapshotJob(app, std::chrono::hours(1));
    if (options.start_price_consumer) {
        PriceConsumerOptions consumer;
        consumer.cache_prefix = options.service.cache_prefix;
        auto prices = std::make_shared<PriceConsumer>(app, consumer);
        prices->Start();
    }
    return service;
}

std::shared_ptr<Service> Register(App& app, std::shared_ptr<auth::UserDirectory> directory) {
    ModuleOptions options;
    options.directory = std::move(directory);
    return Register(app, std::move(options));
}

}  // namespace nn::portfolio
