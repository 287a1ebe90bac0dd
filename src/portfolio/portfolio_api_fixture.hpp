#pragma once

// The fixture of the portfolio API tests: the shared in-process App (tests/support/app_fixture.hpp,
// X-Test-User "<uuid>:<ROLE>" as the principal) with the portfolio module against freshly migrated
// portfolio and timescale databases (one set per test suite, named by Suite::kPrefix) and the test
// Redis; the user directory is a small in-memory implementation of auth's interface.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "auth/user_directory.hpp"
#include "infra/app/app.hpp"
#include "infra/migrate/migrator.hpp"
#include "portfolio/module.hpp"
#include "tests/support/app_fixture.hpp"
#include "tests/support/test_env.hpp"

namespace nn::portfolio::testing {
namespace asio = boost::asio;
namespace json = boost::json;

class Directory final : public auth::UserDirectory {
public:
    std::set<std::string> inactive;
    std::map<std::string, auth::AdvisorGrants> grants;
    asio::awaitable<std::optional<auth::UserStatus>> GetUser(UserId id, std::size_t) override {
        auth::UserStatus s;
        s.id = id;
        s.is_active = !inactive.count(id.ToString());
        co_return s;
    }
    asio::awaitable<auth::AdvisorGrants> GrantsOf(UserId advisor, std::size_t) override {
        co_return grants[advisor.ToString()];
    }
    asio::awaitable<bool> StillLive(const auth::Principal& p, std::size_t) override {
        co_return !inactive.count(p.user_id.ToString());
    }
};

using Reply = test::AppReply;

template <class Suite>
class ApiFixture : public ::testing::Test, protected test::TestUserAppHost {
protected:
    static void SetUpTestSuite() {
        migrate_ = new test::SuiteDatabases(Suite::kPrefix,
                                            {migrate::Database::kPortfolio, migrate::Database::kTimescale});
    }
    static void TearDownTestSuite() { delete migrate_; }

    void SetUp() override {
        auto c = test::AppConfig(*migrate_, "portfolio");
        // A suite may run with Redis down (a closed port).
        if constexpr (requires { Suite::kRedisDown; }) {
            if (Suite::kRedisDown) c.redis_url = Secret("redis://127.0.0.1:1/0");
        }
        MakeApp(c);
        directory_ = std::make_shared<Directory>();
        ModuleOptions mo;
        mo.directory = directory_;
        mo.service.cache_prefix = test::UniqueName(std::string(Suite::kPrefix) + "cache_") + ":";
        mo.start_price_consumer = false;
        service_ = Register(*app_, mo).portfolios;
        StartApp();
    }
    void TearDown() override { StopApp(); }

    using TestUserAppHost::Run;  // not ::testing::Test's

    std::string CreatePortfolio(const std::string& user, const std::string& extra = "") {
        auto r = Call(user, "POST", "/api/v1/portfolios", R"({"name":"Main","currency":"USD")" + extra + "}");
        EXPECT_EQ(r.status, 201) << r.body;
        return std::string(r.Json().at("id").as_string());
    }

    std::string PortfolioDb() const { return test::PgUrlFor(migrate_->prefix + "_portfolio"); }
    long Count(const std::string& sql) { return std::stol(test::QueryValue(PortfolioDb(), sql)); }

    inline static test::SuiteDatabases* migrate_ = nullptr;
    std::shared_ptr<Directory> directory_;
    std::shared_ptr<Service> service_;
};

}  // namespace nn::portfolio::testing
