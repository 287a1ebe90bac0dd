#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "analytics/history.hpp"
#include "analytics/range.hpp"
#include "analytics/report.hpp"

namespace nn::analytics {

// What the response says about how it was computed.
struct ReportContext {
    std::string portfolio_id;
    std::string currency;
    std::optional<std::string> range;  // the named range, if one was asked for
    double risk_free_rate = 0.0;
    std::vector<HistoryGap> gaps;
    std::string history_source = "rebuilt";  // "stored": the days before today came from §14
};

// The performance response: ratios as JSON numbers (null where undefined, with a reason for the
// money-weighted return), money as decimal strings, dates as YYYY-MM-DD (docs/analytics.md §11).
boost::json::object ToJson(const PerformanceReport& report, const ReportContext& context);

}  // namespace nn::analytics
