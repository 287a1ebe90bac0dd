#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "analytics/market_reader.hpp"
#include "core/ids.hpp"
#include "portfolio/service.hpp"

namespace nn {
class App;
}

// The performance service: loads a portfolio's transactions through the portfolio service (RLS
// applies: an invisible portfolio is a 404), daily closes and rates from market_data, rebuilds
// the daily history (history.hpp) and measures it (report.hpp).
namespace nn::analytics {

struct PerformanceQuery {
    std::optional<std::string> range;  // 1D 1W 1M 3M YTD 1Y 3Y 5Y MAX
    std::optional<Date> from;
    std::optional<Date> to;
    std::optional<std::string> benchmark;  // default: the portfolio's first benchmark
    double risk_free_rate = 0.0;
};

struct ServiceOptions {
    std::size_t max_chart_points = 500;
    std::size_t page_size = 1000;  // transactions per page read from the portfolio service
};

class PerformanceService {
public:
    // `market`: the market's closes, rates and instrument currencies (market_reader.hpp).
    PerformanceService(App& app,
                       std::shared_ptr<portfolio::Service> portfolios,
                       MarketReads market,
                       ServiceOptions options = {});

    boost::asio::awaitable<boost::json::object> Performance(const Actor& actor,
                                                            PortfolioId id,
                                                            PerformanceQuery query,
                                                            std::size_t shard);

    // POST .../history/rebuild (§14): rebuilds [from, to] (default: inception to yesterday,
    // clamped to them) and stores it in analytics.portfolio_history.
    boost::asio::awaitable<boost::json::object> StoreHistoryRange(const Actor& actor,
                                                                  PortfolioId id,
                                                                  std::optional<Date> from,
                                                                  std::optional<Date> to,
                                                                  std::size_t shard);

private:
    App& app_;
    std::shared_ptr<portfolio::Service> portfolios_;
    MarketReads market_;
    ServiceOptions options_;
};

}  // namespace nn::analytics
