#include "infra/app/app.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "core/error.hpp"

namespace nn {
namespace {

// The reason RequireSchemas gives, or "checked nothing" when it reads no database. Without
// any database URL, each database it would read stops it with config.missing naming the
// service whose role reads it.
std::string SchemaCheck(App& app) {
    try {
        app.RequireSchemas();
    } catch (const Error& e) {
        EXPECT_EQ(e.Code(), "config.missing");
        return e.what();
    }
    return "checked nothing";
}

class AppCatalogue : public ::testing::Test {
protected:
    boost::asio::io_context io_{1};
    runtime::Config config_ = [] {
        runtime::Config c;
        c.services = "all";
        c.cpu_threads = 1;
        return c;
    }();
    App app_{config_, {&io_}};
};

TEST_F(AppCatalogue, KnowsNoDatabaseTheAppDidNotDeclare) {
    EXPECT_EQ(SchemaCheck(app_), "checked nothing");
}

TEST_F(AppCatalogue, ChecksADeclaredDatabaseThroughItsRole) {
    app_.UseDatabase(migrate::Database::kPortfolio, migrate::ServiceRole::kPortfolio);
    EXPECT_NE(SchemaCheck(app_).find("the portfolio service needs NEXANEST_PORTFOLIO_DATABASE_URL"),
              std::string::npos);
}

TEST_F(AppCatalogue, TheFirstRoleDeclaredForADatabaseIsKept) {
    app_.UseDatabase(migrate::Database::kTimescale, migrate::ServiceRole::kMarket);
    app_.UseDatabase(migrate::Database::kTimescale, migrate::ServiceRole::kPortfolio);
    EXPECT_NE(SchemaCheck(app_).find("the market service needs NEXANEST_TIMESCALE_DATABASE_URL"),
              std::string::npos);
}

}  // namespace
}  // namespace nn
