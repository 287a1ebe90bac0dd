#pragma once

#include <memory>

#include "infra/http/router.hpp"
#include "portfolio/goals/service.hpp"

namespace nn::auth {
class UserDirectory;
}

namespace nn::portfolio {

// /api/v1/goals routes (docs/portfolio.md "Goals").
void AddGoalRoutes(http::Router& routes,
                   std::shared_ptr<GoalService> service,
                   std::shared_ptr<auth::UserDirectory> directory);

}  // namespace nn::portfolio
