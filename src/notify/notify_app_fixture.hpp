#pragma once

// The notify tests' fixture: the shared in-process App of tests/support/app_fixture.hpp
// (X-Test-User "<uuid>:<ROLE>" as the principal) with the notify module against freshly migrated
// auth, portfolio, notifications and timescale databases (one set per suite, named by
// Suite::kPrefix) and the test Redis. The module runs no jobs and relays no source, under Redis
// names of its own; a suite adds its options in Configure.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "infra/migrate/migrator.hpp"
#include "notify/module.hpp"
#include "portfolio/notify_directory.hpp"
#include "portfolio/pg_repository.hpp"
#include "tests/support/app_fixture.hpp"
#include "tests/support/test_env.hpp"

namespace nn::notify::testing {

template <class Suite>
class NotifyApp : public ::testing::Test, protected test::TestUserAppHost {
protected:
    static void SetUpTestSuite() {
        migrate_ = new test::SuiteDatabases(
            Suite::kPrefix, {migrate::Database::kAuth, migrate::Database::kPortfolio,
                             migrate::Database::kNotifications, migrate::Database::kTimescale});
    }
    static void TearDownTestSuite() { delete migrate_; }

    void SetUp() override {
        MakeApp(test::AppConfig(*migrate_, "notify", std::chrono::milliseconds(500)));
        ModuleOptions mo;
        mo.start_jobs = false;
        const auto prefix = test::UniqueName(std::string(Suite::kPrefix) + "live_");
        mo.notifier.live_prefix = prefix + ":live:";
        mo.notifier.wake_prefix = prefix + ":wake:";
        mo.relay.stream = test::UniqueName(std::string(Suite::kPrefix) + "audit_");
        mo.sources.clear();
        mo.portfolios = portfolio::MakeNotifyDirectory(*app_, std::make_shared<portfolio::PgRepository>());
        Configure(mo);
        module_ = Register(*app_, mo);
        StartApp();
    }
    void TearDown() override {
        module_->Stop();
        StopApp();
    }

    // The suite's own module options, before Register.
    virtual void Configure(ModuleOptions&) {}

    using TestUserAppHost::Run;  // not ::testing::Test's

    inline static test::SuiteDatabases* migrate_ = nullptr;
    std::shared_ptr<Module> module_;
};

}  // namespace nn::notify::testing
