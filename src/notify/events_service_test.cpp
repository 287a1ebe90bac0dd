// EventsService's own decisions, without servers: who may read the audit trail, and that a
// portfolio's events are read only after the portfolio domain said the actor may see it. The
// statements themselves are PgRepository's, run against PostgreSQL by notify_redistest.cpp.
#include "notify/events_service.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "core/error.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::notify {
namespace {

namespace asio = boost::asio;

// Every statement fails the test: the cases here must be decided before the database.
class UnreachableRepository : public Repository {
public:
    [[noreturn]] static void Reached(const char* what) {
        ADD_FAILURE() << what << " reached the repository";
        throw std::logic_error(what);
    }
    asio::awaitable<bool> ClaimDedupe(db::Transaction&, UserId, const std::string&) override {
        Reached("ClaimDedupe");
    }
    asio::awaitable<Channels> ChannelsOf(db::Transaction&, UserId, const std::string&) override {
        Reached("ChannelsOf");
    }
    asio::awaitable<Uuid> InsertNotification(db::Transaction&, const NotificationDraft&) override {
        Reached("InsertNotification");
    }
    asio::awaitable<void> InsertDelivery(db::Transaction&, const NewDelivery&) override {
        Reached("InsertDelivery");
    }
    asio::awaitable<void> AddOutbox(db::Transaction&,
                                    std::optional<UserId>,
                                    UserId,
                                    std::string_view,
                                    const std::string&,
                                    std::string_view,
                                    const std::string&) override {
        Reached("AddOutbox");
    }
    asio::awaitable<std::vector<Notification>> List(
        db::Transaction&, UserId, bool, std::optional<std::pair<Timestamp, Uuid>>, std::size_t) override {
        Reached("List");
    }
    asio::awaitable<std::int64_t> MarkRead(db::Transaction&, UserId, Uuid) override { Reached("MarkRead"); }
    asio::awaitable<std::int64_t> MarkAllRead(db::Transaction&, UserId) override { Reached("MarkAllRead"); }
    asio::awaitable<std::vector<Preference>> Preferences(db::Transaction&, UserId) override {
        Reached("Preferences");
    }
    asio::awaitable<void> UpsertPreference(db::Transaction&, UserId, const Preference&) override {
        Reached("UpsertPreference");
    }
    asio::awaitable<std::vector<ClaimedDelivery>> ClaimDeliveries(db::Transaction&, int) override {
        Reached("ClaimDeliveries");
    }
    asio::awaitable<void> DeliverySent(db::Transaction&, Uuid) override { Reached("DeliverySent"); }
    asio::awaitable<void> DeliveryFailed(
        db::Transaction&, Uuid, const std::string&, std::chrono::seconds, std::chrono::seconds) override {
        Reached("DeliveryFailed");
    }
    asio::awaitable<void> RecordEvents(db::Transaction&, const std::string&, const std::string&) override {
        Reached("RecordEvents");
    }
    asio::awaitable<std::vector<AuditEntry>> Audit(db::Transaction&,
                                                   const AuditFilter&,
                                                   std::size_t) override {
        Reached("Audit");
    }
    asio::awaitable<std::vector<TradingEvent>> TradingEvents(
        db::Transaction&,
        PortfolioId,
        std::optional<std::pair<Timestamp, std::int64_t>>,
        std::size_t) override {
        Reached("TradingEvents");
    }
};

// The portfolio domain's answer to Visible, and what it was asked.
class FixedVisibility : public portfolio::NotifyDirectory {
public:
    explicit FixedVisibility(bool visible) : visible_(visible) {}
    std::vector<std::pair<Actor, PortfolioId>> asked;

    asio::awaitable<bool> Visible(Actor actor, PortfolioId id, std::size_t) override {
        asked.emplace_back(actor, id);
        co_return visible_;
    }
    asio::awaitable<std::set<std::string>> InterestOf(UserId, std::size_t) override {
        throw std::logic_error("InterestOf");
    }
    asio::awaitable<std::set<std::string>> SymbolsWithAlerts(std::vector<std::string>, std::size_t) override {
        throw std::logic_error("SymbolsWithAlerts");
    }
    asio::awaitable<void> EvaluateAlerts(portfolio::AlertTick, OnFired, std::size_t) override {
        throw std::logic_error("EvaluateAlerts");
    }

private:
    bool visible_;
};

// Stands for the events database: records which shard's pool was asked for, then stops the call
// there (a unit test has no database), so a test sees whether the service went on to read.
struct NoEventsDatabase : std::runtime_error {
    NoEventsDatabase() : std::runtime_error("no events database in a unit test") {}
};

struct EventsFixture {
    std::vector<std::size_t> pools_asked;
    EventsService::EventsPool Pool() {
        return [this](std::size_t shard) -> db::Pool& {
            pools_asked.push_back(shard);
            throw NoEventsDatabase();
        };
    }
};

ErrorKind EventsErrorKind(const std::function<void()>& call, std::string* code) {
    try {
        call();
    } catch (const Error& e) {
        *code = e.Code();
        return e.Kind();
    }
    ADD_FAILURE() << "no nn::Error";
    return ErrorKind::kInternal;
}

TEST(EventsService, OnlyAdministratorsReadTheAuditTrail) {
    EventsFixture fx;
    EventsService svc(std::make_shared<UnreachableRepository>(), fx.Pool(), nullptr);
    const UserId user = UserId::Generate();
    const AuditFilter filter;  // a named value: GCC 12 and aggregate temporaries (architecture.md)
    for (Role role : {Role::kUser, Role::kAdvisor, Role::kSystem}) {
        std::string code;
        const Actor actor(user, role);
        auto kind = EventsErrorKind([&] { test::RunAwaitable(svc.Audit(actor, filter, 51, 0)); }, &code);
        EXPECT_EQ(kind, ErrorKind::kForbidden) << RoleName(role);
        EXPECT_EQ(code, "auth.forbidden") << RoleName(role);
    }
    EXPECT_TRUE(fx.pools_asked.empty());

    for (Role role : {Role::kAdmin, Role::kSuperuser}) {
        const Actor actor(user, role);
        EXPECT_NO_THROW(EventsService::RequireAuditor(actor));
        EXPECT_THROW(test::RunAwaitable(svc.Audit(actor, filter, 51, 1)), NoEventsDatabase);
    }
    EXPECT_EQ(fx.pools_asked, (std::vector<std::size_t>{1, 1}));
}

TEST(EventsService, PortfolioEventsNeedThePortfolioDomainsYes) {
    EventsFixture fx;
    const Actor actor(UserId::Generate(), Role::kAdvisor);
    const PortfolioId portfolio = PortfolioId::Generate();

    EventsService blind(std::make_shared<UnreachableRepository>(), fx.Pool(), nullptr);
    std::string code;
    auto kind = EventsErrorKind(
        [&] { test::RunAwaitable(blind.PortfolioEvents(actor, portfolio, std::nullopt, 51, 0)); }, &code);
    EXPECT_EQ(kind, ErrorKind::kNotFound);
    EXPECT_EQ(code, "portfolio.not_found");

    auto hidden = std::make_shared<FixedVisibility>(false);
    EventsService refused(std::make_shared<UnreachableRepository>(), fx.Pool(), hidden);
    kind = EventsErrorKind(
        [&] { test::RunAwaitable(refused.PortfolioEvents(actor, portfolio, std::nullopt, 51, 0)); }, &code);
    EXPECT_EQ(kind, ErrorKind::kNotFound);
    EXPECT_EQ(code, "portfolio.not_found");
    ASSERT_EQ(hidden->asked.size(), 1u);
    EXPECT_EQ(hidden->asked[0].first.user_id, actor.user_id);
    EXPECT_EQ(hidden->asked[0].first.role, Role::kAdvisor);
    EXPECT_EQ(hidden->asked[0].second, portfolio);
    EXPECT_TRUE(fx.pools_asked.empty());

    auto shown = std::make_shared<FixedVisibility>(true);
    EventsService allowed(std::make_shared<UnreachableRepository>(), fx.Pool(), shown);
    EXPECT_THROW(test::RunAwaitable(allowed.PortfolioEvents(actor, portfolio, std::nullopt, 51, 1)),
                 NoEventsDatabase);
    EXPECT_EQ(shown->asked.size(), 1u);
    EXPECT_EQ(fx.pools_asked, (std::vector<std::size_t>{1}));
}

}  // namespace
}  // namespace nn::notify
