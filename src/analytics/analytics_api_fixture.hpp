#pragma once

// The fixture of the analytics HTTP tests: an in-process App with the portfolio and analytics
// modules against freshly migrated portfolio, timescale and analytics databases (one set per
// suite, named by Suite::kPrefix) and the test Redis. X-Test-User ("<uuid>:<ROLE>") becomes
// the principal; advisor grants come from the portfolio tests' in-memory directory.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <map>
#include <memory>
#include <string>

#include "analytics/module.hpp"
#include "infra/app/app.hpp"
#include "infra/http/test_server.hpp"
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
class AnalyticsApi : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        migrate_ = new test::SuiteDatabases(
            Suite::kPrefix,
            {migrate::Database::kPortfolio, migrate::Database::kTimescale, migrate::Database::kAnalytics});
        migrate::Up(*migrate_, migrate::Database::kTimescale);
        migrate::Up(*migrate_, migrate::Database::kAnalytics);
    }
    static void TearDownTestSuite() { delete migrate_; }

    void SetUp() override {
        shards_ = std::make_unique<http::testing::Shards>(2);
        auto c = test::AppConfig(*migrate_, "portfolio,analytics", std::chrono::milliseconds(300));
        app_ = std::make_unique<App>(c, shards_->Pointers());
        test::AddTestUserAuthenticator(*app_);
        directory_ = std::make_shared<Directory>();
        portfolio::ModuleOptions mo;
        mo.directory = directory_;
        mo.service.cache_prefix = test::UniqueName(std::string(Suite::kPrefix) + "cache_") + ":";
        mo.start_price_consumer = false;
        Register(*app_, portfolio::Register(*app_, mo), directory_);
        port_ = app_->Start();
    }
    void TearDown() override {
        app_->Stop();
        shards_->Stop();
        app_.reset();
    }

    Reply Call(const std::string& user,
               const std::string& method,
               const std::string& target,
               const std::string& body = "",
               std::map<std::string, std::string> headers = {}) {
        http::testing::Client client(port_);
        if (!user.empty()) headers["X-Test-User"] = user;
        if (!body.empty() && !headers.count("Content-Type")) headers["Content-Type"] = "application/json";
        // Ten years of daily history read in full take seconds in the sanitizer build on a busy
        // two-core machine (read_scale_pgtest): the deadline only catches a hung server.
        auto r = client.Request(method, target, body, headers, std::chrono::seconds(60));
        Reply out;
        if (r) {
            out.status = r->status;
            out.body = r->body;
            content_type_ = r->Header("content-type");
        }
        return out;
    }

    static std::string NewUser(const char* role = "USER") {
        return UserId::Generate().ToString() + ":" + role;
    }
    static std::string IdOf(const std::string& user) { return user.substr(0, 36); }

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
    std::unique_ptr<http::testing::Shards> shards_;
    std::unique_ptr<App> app_;
    std::shared_ptr<Directory> directory_;
    std::uint16_t port_ = 0;
    std::string content_type_;
};

}  // namespace nn::analytics::testing
