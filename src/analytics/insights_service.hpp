#pragma once

#include <cstddef>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "analytics/market_reader.hpp"
#include "core/ids.hpp"
#include "portfolio/service.hpp"

namespace nn {
class App;
}

// GET /api/v1/portfolios/{id}/insights (docs/analytics.md §16): the holdings and cash as
// GET .../holdings values them (under RLS as the acting user), foreign cash at
// market_data.latest_exchange_rates, the transactions for fees and trade dates, the market
// data's last closes and latest prices; the rules are insights.hpp.
namespace nn::analytics {

class InsightsService {
public:
    // `market`: the market's latest rates, closes and price dates (market_reader.hpp).
    InsightsService(App& app,
                    std::shared_ptr<portfolio::Service> portfolios,
                    MarketReads market,
                    std::size_t page_size = 1000)
        : app_(app), portfolios_(std::move(portfolios)), market_(std::move(market)), page_size_(page_size) {}

    boost::asio::awaitable<boost::json::object> Insights(const Actor& actor,
                                                         PortfolioId id,
                                                         std::size_t shard);

private:
    App& app_;
    std::shared_ptr<portfolio::Service> portfolios_;
    MarketReads market_;
    std::size_t page_size_;
};

}  // namespace nn::analytics
