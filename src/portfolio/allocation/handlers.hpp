#pragma once

#include <memory>

#include "infra/http/router.hpp"
#include "portfolio/allocation/service.hpp"

namespace nn::auth {
class UserDirectory;
}

namespace nn::portfolio {

// /api/v1/portfolios/{id}/allocation-rules and GET /api/v1/portfolios/{id}/rebalance
// (docs/portfolio.md "Allocation rules and rebalancing").
void AddAllocationRoutes(http::Router& routes,
                         std::shared_ptr<AllocationService> service,
                         std::shared_ptr<auth::UserDirectory> directory);

}  // namespace nn::portfolio
