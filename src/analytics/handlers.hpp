#pragma once

#include <memory>

#include "analytics/allocation_service.hpp"
#include "analytics/report_service.hpp"
#include "analytics/service.hpp"
#include "infra/http/router.hpp"

namespace nn::auth {
class UserDirectory;
}

namespace nn::analytics {

struct Services {
    std::shared_ptr<PerformanceService> performance;
    std::shared_ptr<AllocationService> allocation;
    std::shared_ptr<ReportService> reports;
};

// GET /api/v1/portfolios/{id}/performance?range=|from=&to=&benchmark=&risk_free_rate= (§11),
// GET /api/v1/portfolios/{id}/allocation?by= (§12), POST/GET /api/v1/portfolios/{id}/reports
// and GET .../reports/{report_id}?format=json|csv (§13) (docs/analytics.md): parse, call the
// service, serialise.
void AddRoutes(http::Router& routes, Services services, std::shared_ptr<auth::UserDirectory> directory);

}  // namespace nn::analytics
