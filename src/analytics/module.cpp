#include "analytics/module.hpp"

#include "analytics/benchmark_statistics.hpp"
#include "analytics/handlers.hpp"
#include "analytics/insights_handlers.hpp"
#include "analytics/report_job.hpp"
#include "infra/app/app.hpp"

namespace nn::analytics {

std::shared_ptr<PerformanceService> Register(App& app,
                                             portfolio::Services portfolio,
                                             std::shared_ptr<auth::UserDirectory> directory,
                                             MarketReads market) {
    // Pools are made on first use, which must happen here, before the shards serve requests.
    app.Db(ServiceRole::kAnalytics, Database::kAnalytics, 0);
    if (!market.rates || !market.instruments || !market.history) market = MakeMarketReads(app);
    auto portfolios = std::move(portfolio.portfolios);
    Services services;
    services.performance = std::make_shared<PerformanceService>(app, portfolios, market);
    services.allocation = std::make_shared<AllocationService>(app, std::move(portfolio.allocation), market);
    services.reports = std::make_shared<ReportService>(app, portfolios, market);
    AddRoutes(app.Routes(), services, directory);
    AddInsightsRoutes(app.Routes(), std::make_shared<InsightsService>(app, portfolios, market),
                      std::move(directory));
    // Hourly: the first run after a month (or year) ends writes its statements.
    AddStatementJob(app, services.reports, std::chrono::hours(1));
    // Hourly too: the first run after midnight UTC writes yesterday's figures of every index
    // (the market reads tolerate the replica's bounded lag, as the routes' do).
    AddBenchmarkStatisticsJob(app, market, std::chrono::hours(1));
    return services.performance;
}

}  // namespace nn::analytics
