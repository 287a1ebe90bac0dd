#include "analytics/module.hpp"

#include "analytics/handlers.hpp"
#include "infra/app/app.hpp"

namespace nn::analytics {

std::shared_ptr<PerformanceService> Register(App& app, std::shared_ptr<auth::UserDirectory> directory) {
    // Pools are made on first use, which must happen here, before the shards serve requests.
    app.Db(ServiceRole::kAnalytics, Database::kTimescale, 0);
    app.Db(ServiceRole::kPortfolio, Database::kPortfolio, 0);
    auto portfolios = std::make_shared<portfolio::Service>(app, directory);
    auto service = std::make_shared<PerformanceService>(app, std::move(portfolios));
    AddRoutes(app.Routes(), service, std::move(directory));
    return service;
}

}  // namespace nn::analytics
