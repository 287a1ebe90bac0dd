#pragma once

#include <memory>

#include "analytics/market_reader.hpp"
#include "analytics/service.hpp"
#include "portfolio/module.hpp"

namespace nn {
class App;
}
namespace nn::auth {
class UserDirectory;
}

namespace nn::analytics {

// Registers the analytics service: GET /api/v1/portfolios/{id}/performance and /allocation. Transactions
// and allocation rules are read through the portfolio services it is handed (the ones
// portfolio::Register or portfolio::MakeServices built; the portfolio domain's public interface), so
// RLS and advisor grants apply as for the portfolio routes; `directory` resolves advisor grants
// (without it advisors see only their own portfolios). Market data (closes, rates, instruments)
// is read through the market's interfaces in `market` (apps/nexanest/modules.cpp passes them; left
// empty — tests, benchmarks — Register builds the PostgreSQL ones, MakeMarketReads).
std::shared_ptr<PerformanceService> Register(App& app,
                                             portfolio::Services portfolio,
                                             std::shared_ptr<auth::UserDirectory> directory = nullptr,
                                             MarketReads market = {});

}  // namespace nn::analytics
