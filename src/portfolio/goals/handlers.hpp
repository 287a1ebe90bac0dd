#pragma once

#include "portfolio/goals/service.hpp"
#include "portfolio/request_actor.hpp"

namespace nn::portfolio {

// /api/v1/goals routes (docs/portfolio.md "Goals").
void AddGoalRoutes(http::Router& routes, SubdomainRoutes<GoalService> context);

}  // namespace nn::portfolio
