#include "portfolio/goals/module.hpp"

#include "infra/app/app.hpp"
#include "portfolio/goals/handlers.hpp"
#include "portfolio/goals/pg_repository.hpp"
#include "portfolio/service.hpp"

namespace nn::portfolio {

std::shared_ptr<GoalService> MakeGoalService(App& app, std::shared_ptr<Service> portfolios) {
    return std::make_shared<GoalService>(app, std::move(portfolios), std::make_shared<PgGoalRepository>());
}

std::shared_ptr<GoalService> RegisterGoals(App& app,
                                           std::shared_ptr<Service> portfolios,
                                           std::shared_ptr<auth::UserDirectory> directory) {
    auto service = MakeGoalService(app, std::move(portfolios));
    AddGoalRoutes(app.Routes(), SubdomainRoutes<GoalService>{service, std::move(directory)});
    return service;
}

}  // namespace nn::portfolio
