#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "analytics/market_reader.hpp"
#include "analytics/statement.hpp"
#include "core/ids.hpp"
#include "portfolio/service.hpp"

namespace nn {
class App;
}

// Monthly and annual statements stored in analytics.reports (docs/analytics.md §13): built from
// the portfolio's transactions (through the portfolio service, RLS as the acting user) and the
// daily closes and rates, written as the acting user under the reports' RLS (owner, MANAGE
// advisors, SYSTEM), one row per portfolio and period: generating again replaces it.
namespace nn::analytics {

struct StoredReport {
    Uuid id;
    PortfolioId portfolio;
    std::string type;  // MONTHLY | ANNUAL
    Date period_start;
    Date period_end;
    std::string currency;
    std::string status;  // READY (statements are generated synchronously)
    Timestamp created_at{};
    std::optional<Timestamp> generated_at;
};

struct GeneratedReport {
    StoredReport report;
    bool created = false;  // false: an existing statement of the period was replaced
    std::string content;   // the JSON document
    std::string csv;       // its CSV rendering
};

struct ReportDocument {
    StoredReport report;
    std::string json;
    std::string csv;
};

boost::json::object ToJson(const StoredReport& r);

class ReportService {
public:
    // `market`: the market's closes, rates and instrument currencies (market_reader.hpp).
    ReportService(App& app,
                  std::shared_ptr<portfolio::Service> portfolios,
                  MarketReads market,
                  std::size_t page_size = 1000)
        : app_(app), portfolios_(std::move(portfolios)), market_(std::move(market)), page_size_(page_size) {}

    // 422 analytics.period_in_future when the period starts after today; a period still
    // running is measured up to today (as_of).
    boost::asio::awaitable<GeneratedReport> Generate(Actor actor,
                                                     PortfolioId id,
                                                     StatementPeriod period,
                                                     std::size_t shard);
    boost::asio::awaitable<std::vector<StoredReport>> List(Actor actor, PortfolioId id, std::size_t shard);
    // nullopt when there is no such report of this portfolio visible to the actor.
    boost::asio::awaitable<std::optional<ReportDocument>> Get(Actor actor,
                                                              PortfolioId id,
                                                              Uuid report,
                                                              std::size_t shard);

    // SYSTEM: the statement of `period` for every active portfolio that has none yet; returns
    // how many were written. A portfolio whose statement fails is logged and skipped.
    boost::asio::awaitable<int> GenerateMissing(StatementPeriod period, std::size_t shard);

private:
    App& app_;
    std::shared_ptr<portfolio::Service> portfolios_;
    MarketReads market_;
    std::size_t page_size_;
};

}  // namespace nn::analytics
