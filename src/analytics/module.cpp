#include "analytics/module.hpp"

#include "analytics/handlers.hpp"
#include "infra/app/app.hpp"

namespace nn::analytics {

std::shared_ptr<PerformanceService> Register(App& app, std::shared_ptr<auth::UserDirectory> directory) {
    // Pools are made on first use, which must happen here, before the shards serve requests.
    app.Db(ServiceRole::kAnalytics, Database::kTimescale, 0);
    app.Db(ServiceRole::kPortfolio, Database::kPortfolio, 0);
    app.Db(ServiceRole::kPortfolio, Database::kTimescale, 0);
    auto portfolios = std::make_shared<portfolio::Service>(app, directory);
    Services services;
    services.performance = std::make_shared<PerformanceService>(app, portfolios);
    services.allocation = std::make_shared<AllocationService>(
        app, std::make_shared<portfolio::AllocationService>(app, portfolios));
    AddRoutes(app.Routes(), services, std::move(directory));
    return services.performance;
}

}  // namespace nn::analytics
