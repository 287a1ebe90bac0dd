#pragma once

// The fixture of the analytics HTTP tests: the shared in-process App (tests/support/app_fixture.hpp,
// X-Test-User "<uuid>:<ROLE>" as the principal) with the portfolio and analytics modules against
// freshly migrated portfolio, timescale and analytics databases (one set per suite, named by
// Suite::kPrefix) and the test Redis; advisor grants come from the portfolio tests' in-memory
// directory.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "analytics/module.hpp"
#include "infra/app/app.hpp"
#include "infra/migrate/migrator.hpp"
#include "portfolio/module.hpp"
#include "portfolio/portfolio_api_fixture.hpp"
#include "tests/support/app_fixture.hpp"
#include "tests/support/test_env.hpp"

namespace nn::analytics::testing {
namespace asio = boost::asio;
namespace json = boost::json;
using portfolio::testing::Directory;
using portfolio::testing::Reply;

template <class Suite>
class AnalyticsApi : public ::testing::Test, protected test::TestUserAppHost {
protected:
    static void SetUpTestSuite() {
        migrate_ = new test::SuiteDatabases(
            Suite::kPrefix,
            {migrate::Database::kPortfolio, migrate::Database::kTimescale, migrate::Database::kAnalytics});
    }
    static void TearDownTestSuite() { delete migrate_; }

    void SetUp() override {
        // Ten years of daily history read in full take seconds in the sanitizer build on a busy
        // two-core machine (read_scale_pgtest): the deadline only catches a hung server.
        call_timeout_ = std::chrono::seconds(60);
        MakeApp(test::AppConfig(*migrate_, "portfolio,analytics"));
        directory_ = std::make_shared<Directory>();
        portfolio::ModuleOptions mo;
        mo.directory = directory_;
        mo.service.cache_prefix = test::UniqueName(std::string(Suite::kPrefix) + "cache_") + ":";
        mo.start_price_consumer = false;
        Register(*app_, portfolio::Register(*app_, mo), directory_);
        StartApp();
    }
    void TearDown() override { StopApp(); }

    using TestUserAppHost::Run;  // not ::testing::Test's

    // As the shared Call, keeping the answer's Content-Type in content_type_.
    Reply Call(const std::string& user,
               const std::string& method,
               const std::string& target,
               const std::string& body = "",
               std::map<std::string, std::string> headers = {}) {
        Reply r = TestUserAppHost::Call(user, method, target, body, std::move(headers));
        if (r.status != 0) content_type_ = r.Header("content-type");
        return r;
    }

    std::string CreatePortfolio(const std::string& user, const std::string& currency = "USD") {
        auto r =
            Call(user, "POST", "/api/v1/portfolios", R"({"name":"Main","currency":")" + currency + R"("})");
        EXPECT_EQ(r.status, 201) << r.body;
        return std::string(r.Json().at("id").as_string());
    }

    // Posts a transaction (JSON object text) and expects 201.
    void Tx(const std::string& user, const std::string& pid, const std::string& body) {
        auto r = Call(user, "POST", "/api/v1/portfolios/" + pid + "/transactions", body);
        EXPECT_EQ(r.status, 201) << body << " -> " << r.body;
    }

    std::string PortfolioDb() const { return test::PgUrlFor(migrate_->prefix + "_portfolio"); }
    std::string TimescaleDb() const { return test::PgUrlFor(migrate_->prefix + "_timescale"); }
    std::string AnalyticsDb() const { return test::PgUrlFor(migrate_->prefix + "_analytics"); }
    std::string Sql(const std::string& url, const std::string& sql) { return test::QueryValue(url, sql); }

    inline static test::SuiteDatabases* migrate_ = nullptr;
    std::shared_ptr<Directory> directory_;
    std::string content_type_;
};

}  // namespace nn::analytics::testing
