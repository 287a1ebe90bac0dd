// Scopes are checked on every route that names them (issue 15, item 11): analytics routes need
// analytics:read besides the portfolio scope; an API key made for portfolio reads alone could
// read every figure.
#include <gtest/gtest.h>

#include <string>

#include "analytics/analytics_api_fixture.hpp"

namespace nn::analytics {
namespace {

struct ScopesSuite {
    static constexpr const char* kPrefix = "t_an_scopes_";
};
using AnalyticsScopes = testing::AnalyticsApi<ScopesSuite>;

TEST_F(AnalyticsScopes, AnalyticsRoutesNeedAnalyticsRead) {
    const auto user = NewUser();
    const auto pid = CreatePortfolio(user);
    const std::string base = "/api/v1/portfolios/" + pid;
    for (const std::string& path : {base + "/performance", base + "/allocation", base + "/reports"}) {
        auto narrow = Call(user, "GET", path, "", {{"X-Test-Scopes", "portfolio:read"}});
        EXPECT_EQ(narrow.status, 403) << path << " " << narrow.body;
        EXPECT_NE(narrow.body.find("analytics:read"), std::string::npos) << narrow.body;
        auto both = Call(user, "GET", path, "", {{"X-Test-Scopes", "portfolio:read,analytics:read"}});
        EXPECT_NE(both.status, 403) << path << " " << both.body;
        EXPECT_NE(Call(user, "GET", path).status, 403) << path;
    }
}

}  // namespace
}  // namespace nn::analytics
