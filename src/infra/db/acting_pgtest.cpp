#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include <boost/asio/this_coro.hpp>

#include "core/actor.hpp"
#include "infra/db/testing/pg.hpp"
#include "infra/db/transaction.hpp"
#include "tests/support/run_awaitable.hpp"

// The acting user of a transaction (issue 18): db::RunAs and every transaction opened with
// TransactionOptions::ActingAs set the user, the role and both advisor client lists together,
// so no caller can leave one of them out.
namespace nn::db {
namespace {

namespace asio = boost::asio;
using nn::test::RunAwaitable;
using testkit::TestPool;

// NULL (never set) reads as "<unset>", so an empty value and a missing one differ.
constexpr Query kSettings{
    "SELECT coalesce(current_setting('app.user_id', true), '<unset>'), "
    "coalesce(current_setting('app.role', true), '<unset>'), "
    "coalesce(current_setting('app.read_client_ids', true), '<unset>'), "
    "coalesce(current_setting('app.manage_client_ids', true), '<unset>')",
    "test.acting_settings"};

using Settings = std::tuple<std::string, std::string, std::string, std::string>;

const UserId kAdvisor{*Uuid::Parse("0190f0a1-2b3c-7d4e-8f60-718293a4b5c6")};
const UserId kReader{*Uuid::Parse("0190f0a1-2b3c-7d4e-8f60-000000000001")};
const UserId kManaged{*Uuid::Parse("0190f0a1-2b3c-7d4e-8f60-000000000002")};

Actor AdvisorActor() {
    Actor a(kAdvisor, Role::kAdvisor);
    a.read_clients = {kReader, kManaged};
    a.manage_clients = {kManaged};
    return a;
}

const Settings kAdvisorSettings{"0190f0a1-2b3c-7d4e-8f60-718293a4b5c6", "ADVISOR",
                                "{0190f0a1-2b3c-7d4e-8f60-000000000001,0190f0a1-2b3c-7d4e-8f60-000000000002}",
                                "{0190f0a1-2b3c-7d4e-8f60-000000000002}"};

TEST(RunAs, SetsUserRoleAndBothClientListsTogether) {
    RunAwaitable([]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        const Actor advisor = AdvisorActor();
        Settings inside = co_await RunAs(pool, advisor, [&](Transaction& tx) -> asio::awaitable<Settings> {
            co_return (co_await tx.Execute(kSettings))
                .AsSingleRow<std::string, std::string, std::string, std::string>();
        });
        EXPECT_EQ(inside, kAdvisorSettings);
        // Local to the transaction: the pooled connection keeps nothing.
        Settings after = (co_await pool.Execute(kSettings))
                             .AsSingleRow<std::string, std::string, std::string, std::string>();
        EXPECT_EQ(std::get<0>(after), "");
        EXPECT_EQ(std::get<1>(after), "");
        EXPECT_EQ(std::get<2>(after), "");
        EXPECT_EQ(std::get<3>(after), "");
    });
}

TEST(RunAs, ReadOnlyOptionsKeepTheActor) {
    RunAwaitable([]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        const Actor advisor = AdvisorActor();
        static constexpr Query kReadOnly{"SELECT current_setting('transaction_read_only')", "test.read_only"};
        auto [settings, read_only] = co_await RunAs(
            pool, advisor, TransactionOptions().ReadOnly(),
            [&](Transaction& tx) -> asio::awaitable<std::pair<Settings, std::string>> {
                Settings s = (co_await tx.Execute(kSettings))
                                 .AsSingleRow<std::string, std::string, std::string, std::string>();
                std::string ro = (co_await tx.Execute(kReadOnly)).AsSingleRow<std::string>();
                co_return std::make_pair(s, ro);
            });
        EXPECT_EQ(settings, kAdvisorSettings);
        EXPECT_EQ(read_only, "on");
    });
}

// The one-round-trip read sets the same four values.
TEST(RunAs, ReadOnceSetsTheSameContext) {
    RunAwaitable([]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        const Actor advisor = AdvisorActor();
        Settings s = (co_await ReadOnce(pool, TransactionOptions().ActingAs(advisor), kSettings))
                         .AsSingleRow<std::string, std::string, std::string, std::string>();
        EXPECT_EQ(s, kAdvisorSettings);
    });
}

// Not an advisor: the lists are set empty (the app.*_client_ids() functions ignore them for
// any role but ADVISOR). SYSTEM work acts for nobody unless it names a user.
TEST(RunAs, UserAndSystemActors) {
    RunAwaitable([]() -> asio::awaitable<void> {
        Pool pool(co_await asio::this_coro::executor, TestPool(1));
        auto settings_of = [&](Actor actor) -> asio::awaitable<Settings> {
            co_return co_await RunAs(pool, actor, [&](Transaction& tx) -> asio::awaitable<Settings> {
                co_return (co_await tx.Execute(kSettings))
                    .AsSingleRow<std::string, std::string, std::string, std::string>();
            });
        };
        Settings user = co_await settings_of(Actor(kReader, Role::kUser));
        EXPECT_EQ(user, Settings(kReader.ToString(), "USER", "{}", "{}"));
        Settings admin = co_await settings_of(Actor(kReader, Role::kAdmin));
        EXPECT_EQ(admin, Settings(kReader.ToString(), "ADMIN", "{}", "{}"));
        Settings system = co_await settings_of(Actor::System());
        EXPECT_EQ(system, Settings("", "SYSTEM", "{}", "{}"));
        Settings for_owner = co_await settings_of(Actor::System(kManaged));
        EXPECT_EQ(for_owner, Settings(kManaged.ToString(), "SYSTEM", "{}", "{}"));
    });
}

}  // namespace
}  // namespace nn::db
