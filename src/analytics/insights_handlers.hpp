#pragma once

#include <memory>

#include "analytics/insights_service.hpp"
#include "infra/http/router.hpp"

namespace nn::auth {
class UserDirectory;
}

namespace nn::analytics {

// GET /api/v1/portfolios/{id}/insights (docs/analytics.md §16): needs analytics:read and
// portfolio:read; the owner and advisors with a grant see it, anyone else gets 404.
void AddInsightsRoutes(http::Router& routes,
                       std::shared_ptr<InsightsService> service,
                       std::shared_ptr<auth::UserDirectory> directory);

}  // namespace nn::analytics
