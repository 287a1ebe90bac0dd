#pragma once

#include <memory>

#include "portfolio/goals/service.hpp"

namespace nn {
class App;
}
namespace nn::auth {
class UserDirectory;
}

namespace nn::portfolio {

// The goal service on its PostgreSQL repository; `portfolios` values the linked portfolios.
std::shared_ptr<GoalService> MakeGoalService(App& app, std::shared_ptr<Service> portfolios);

// Adds the /api/v1/goals routes (called by portfolio::Register); returns the service.
std::shared_ptr<GoalService> RegisterGoals(App& app,
                                           std::shared_ptr<Service> portfolios,
                                           std::shared_ptr<auth::UserDirectory> directory);

}  // namespace nn::portfolio
