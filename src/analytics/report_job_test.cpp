// Which statements the job writes on a given day (docs/analytics.md §13).
#include "analytics/report_job.hpp"

#include <gtest/gtest.h>

namespace nn::analytics {
namespace {

TEST(StatementJob, DuePeriods) {
    struct Case {
        const char* today;
        std::vector<std::string> expected;  // "TYPE start end"
    };
    const Case cases[] = {
        {"2026-11-25", {"MONTHLY 2026-10-01 2026-10-31"}},
        {"2024-03-01", {"MONTHLY 2024-02-01 2024-02-29"}},  // leap February
        {"2023-03-31", {"MONTHLY 2023-02-01 2023-02-28"}},
        {"2027-01-01", {"MONTHLY 2026-12-01 2026-12-31", "ANNUAL 2026-01-01 2026-12-31"}},
    };
    for (const Case& c : cases) {
        std::vector<std::string> got;
        for (const StatementPeriod& p : DuePeriods(DateFromString(c.today))) {
            got.push_back(p.type + " " + FormatDate(p.start) + " " + FormatDate(p.end));
        }
        EXPECT_EQ(got, c.expected) << c.today;
    }
}

}  // namespace
}  // namespace nn::analytics
