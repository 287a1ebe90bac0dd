#pragma once

#include "portfolio/allocation/service.hpp"
#include "portfolio/request_actor.hpp"

namespace nn::portfolio {

// /api/v1/portfolios/{id}/allocation-rules and GET /api/v1/portfolios/{id}/rebalance
// (docs/portfolio.md "Allocation rules and rebalancing").
void AddAllocationRoutes(http::Router& routes, SubdomainRoutes<AllocationService> context);

}  // namespace nn::portfolio
