#pragma once

#include <chrono>
#include <memory>
#include <string_view>
#include <vector>

#include "analytics/statement.hpp"
#include "core/time.hpp"

namespace nn {
class App;
}

// The statements job (docs/analytics.md §13): after a month ends, last month's statement of
// every active portfolio that existed during it; after a year ends, also last year's.
namespace nn::analytics {

class ReportService;

inline constexpr std::string_view kStatementJobName = "analytics.statements";

// The periods that are due on `today`: the month before today's, and in January the year before.
std::vector<StatementPeriod> DuePeriods(Date today);

// Runs every `interval` under the lease public.job_leases of the analytics database; a
// statement already stored is not generated again, so the runs after the first of a month
// cost one lookup per portfolio.
void AddStatementJob(App& app, std::shared_ptr<ReportService> reports, std::chrono::milliseconds interval);

}  // namespace nn::analytics
