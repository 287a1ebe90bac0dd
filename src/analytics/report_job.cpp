#include "analytics/report_job.hpp"

#include <spdlog/spdlog.h>

#include "analytics/report_service.hpp"
#include "infra/app/app.hpp"
#include "infra/jobs/scheduler.hpp"

namespace nn::analytics {
namespace asio = boost::asio;

std::vector<StatementPeriod> DuePeriods(Date today) {
    const Date last_month = AddMonths(today, -1);
    std::vector<StatementPeriod> out{
        MonthlyPeriod(static_cast<int>(last_month.year()), static_cast<int>(unsigned(last_month.month())))};
    if (today.month() == std::chrono::January)
        out.push_back(AnnualPeriod(static_cast<int>(today.year()) - 1));
    return out;
}

void AddStatementJob(App& app, std::shared_ptr<ReportService> reports, std::chrono::milliseconds interval) {
    db::Pool* pool = &app.Db(ServiceRole::kAnalytics, Database::kAnalytics, 0);
    app.Jobs().Add({.name = std::string(kStatementJobName),
                    .interval = interval,
                    .lease_pool = pool,
                    .run = [reports]() -> asio::awaitable<void> {
                        for (const StatementPeriod& period : DuePeriods(ToDate(Now()))) {
                            const int n = co_await reports->GenerateMissing(period, 0);
                            if (n > 0) {
                                spdlog::info("analytics: {} {} statement(s) of {} written", n, period.type,
                                             FormatDate(period.start));
                            }
                        }
                    }});
}

}  // namespace nn::analytics
