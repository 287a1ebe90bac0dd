#pragma once

#include <memory>

#include "analytics/service.hpp"

namespace nn {
class App;
}
namespace nn::auth {
class UserDirectory;
}

namespace nn::analytics {

// Registers the analytics service: GET /api/v1/portfolios/{id}/performance and /allocation. Transactions are
// read through a portfolio::Service of its own (the portfolio domain's public interface), so
// RLS and advisor grants apply as for the portfolio routes; `directory` resolves advisor grants
// (without it advisors see only their own portfolios).
std::shared_ptr<PerformanceService> Register(App& app,
                                             std::shared_ptr<auth::UserDirectory> directory = nullptr);

}  // namespace nn::analytics
