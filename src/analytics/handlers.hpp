#pragma once

#include <memory>

#include "analytics/service.hpp"
#include "infra/http/router.hpp"

namespace nn::auth {
class UserDirectory;
}

namespace nn::analytics {

// GET /api/v1/portfolios/{id}/performance?range=|from=&to=&benchmark=&risk_free_rate=
// (docs/analytics.md §11): parse, call the service, serialise.
void AddRoutes(http::Router& routes,
               std::shared_ptr<PerformanceService> service,
               std::shared_ptr<auth::UserDirectory> directory);

}  // namespace nn::analytics
