#pragma once

// The fixture of the portfolio API tests: an in-process App on 127.0.0.1:0 against freshly
// migrated portfolio and timescale databases (one set per test suite, named by Suite::kPrefix)
// and the test Redis. A test authenticator turns the X-Test-User header ("<uuid>:<ROLE>") into
// a principal (the auth service has its own tests); the user directory is a small in-memory
// implementation of auth's interface.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <boost/json/parse.hpp>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "auth/user_directory.hpp"
#include "infra/app/app.hpp"
#include "infra/http/test_server.hpp"
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

struct Reply {
    int status = 0;
    std::string body;
    json::value Json() const { return json::parse(body); }
};

template <class Suite>
class ApiFixture : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        migrate_ = new test::SuiteDatabases(Suite::kPrefix,
                                            {migrate::Database::kPortfolio, migrate::Database::kTimescale});
        migrate::Up(*migrate_, migrate::Database::kTimescale);
    }
    static void TearDownTestSuite() { delete migrate_; }

    void SetUp() override {
        shards_ = std::make_unique<http::testing::Shards>(2);
        auto c = test::AppConfig(*migrate_, "portfolio", std::chrono::milliseconds(300));
        // A suite may run with Redis down (a closed port).
        if constexpr (requires { Suite::kRedisDown; }) {
            if (Suite::kRedisDown) c.redis_url = Secret("redis://127.0.0.1:1/0");
        }
        app_ = std::make_unique<App>(c, shards_->Pointers());
        test::AddTestUserAuthenticator(*app_);
        directory_ = std::make_shared<Directory>();
        ModuleOptions mo;
        mo.directory = directory_;
        mo.service.cache_prefix = test::UniqueName(std::string(Suite::kPrefix) + "cache_") + ":";
        mo.start_price_consumer = false;
        service_ = Register(*app_, mo).portfolios;
        port_ = app_->Start();
    }
    void TearDown() override {
        app_->Stop();
        shards_->Stop();
        service_.reset();
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
        auto r = client.Request(method, target, body, headers);
        Reply out;
        if (r) {
            out.status = r->status;
            out.body = r->body;
        }
        return out;
    }

    static std::string NewUser(const char* role = "USER") {
        return UserId::Generate().ToString() + ":" + role;
    }
    static std::string IdOf(const std::string& user) { return user.substr(0, 36); }

    std::string CreatePortfolio(const std::string& user, const std::string& extra = "") {
        auto r = Call(user, "POST", "/api/v1/portfolios", R"({"name":"Main","currency":"USD")" + extra + "}");
        EXPECT_EQ(r.status, 201) << r.body;
        return std::string(r.Json().at("id").as_string());
    }

    std::string PortfolioDb() const { return test::PgUrlFor(migrate_->prefix + "_portfolio"); }
    long Count(const std::string& sql) { return std::stol(test::QueryValue(PortfolioDb(), sql)); }

    inline static test::SuiteDatabases* migrate_ = nullptr;
    std::unique_ptr<http::testing::Shards> shards_;
    std::unique_ptr<App> app_;
    std::shared_ptr<Directory> directory_;
    std::shared_ptr<Service> service_;
    std::uint16_t port_ = 0;
};

}  // namespace nn::portfolio::testing
