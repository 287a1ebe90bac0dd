#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "analytics/market_reader.hpp"
#include "core/ids.hpp"
#include "portfolio/allocation/service.hpp"

namespace nn {
class App;
}

// GET /api/v1/portfolios/{id}/allocation (docs/analytics.md §12): the holdings and rules come
// from portfolio::AllocationService::Inputs (the rebalancing inputs, under RLS as the acting
// user), foreign cash is converted at market_data.latest_exchange_rates, and the grouping and
// drift are allocation.hpp.
namespace nn::analytics {

class AllocationService {
public:
    // `market`: the market's latest rates (market_reader.hpp).
    AllocationService(App& app, std::shared_ptr<portfolio::AllocationService> rules, MarketReads market)
        : app_(app), rules_(std::move(rules)), market_(std::move(market)) {}

    // `dimensions`: a subset of kAllocationDimensions in that order.
    boost::asio::awaitable<boost::json::object> Allocation(const Actor& actor,
                                                           PortfolioId id,
                                                           std::vector<std::string> dimensions,
                                                           std::size_t shard);

private:
    App& app_;
    std::shared_ptr<portfolio::AllocationService> rules_;
    MarketReads market_;
};

}  // namespace nn::analytics
