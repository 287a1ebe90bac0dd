// The notify service against real servers: freshly migrated auth, portfolio, notifications and
// timescale databases, the test Redis and the shared in-process App of
// tests/support/app_fixture.hpp, where X-Test-User ("<uuid>:<ROLE>") is the principal (the auth
// service has its own tests).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/parse.hpp>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "auth/principal.hpp"
#include "infra/app/app.hpp"
#include "infra/db/pool.hpp"
#include "infra/http/test_server.hpp"
#include "infra/mail/mailer.hpp"
#include "infra/migrate/migrator.hpp"
#include "infra/redis/client.hpp"
#include "infra/redis/url.hpp"
#include "notify/module.hpp"
#include "notify/notify_app_fixture.hpp"
#include "notify/sse_test_client.hpp"
#include "portfolio/notify_directory.hpp"
#include "tests/support/app_fixture.hpp"
#include "tests/support/test_env.hpp"

namespace nn::notify {
namespace {
namespace asio = boost::asio;
namespace json = boost::json;

// Records what it was asked to send; fails the first `fail_first` sends.
class RecordingMailer final : public mail::Mailer {
public:
    int fail_first = 0;
    std::vector<mail::Message> sent;
    asio::awaitable<void> Send(mail::Message message) override {
        if (fail_first > 0) {
            --fail_first;
            throw Error(ErrorKind::kUnavailable, "mail.unavailable", "smtp down");
        }
        sent.push_back(std::move(message));
        co_return;
    }
};

using NotifyReply = test::AppReply;

using testing::SseClient;

class NotifyTest : public testing::NotifyApp<NotifyTest> {
public:
    static constexpr const char* kPrefix = "t_nt_";

protected:
    void Configure(ModuleOptions& mo) override {
        mailer_ = std::make_shared<RecordingMailer>();
        mo.mailer = mailer_;
        mo.live_poll = std::chrono::milliseconds(2000);
        for (const auto& s : DefaultSources()) {
            if (s.name != "analytics") mo.sources.push_back(s);
        }
        stream_ = mo.relay.stream;
    }

    static UserId IdOf(const std::string& user) { return *UserId::Parse(user.substr(0, 36)); }
    static std::string Db(const char* suffix) { return test::PgUrlFor(migrate_->prefix + suffix); }
    static long Count(const char* db, const std::string& sql) {
        return std::stol(test::QueryValue(Db(db), sql));
    }

    NotifyResult Notify(const std::string& user,
                        const std::string& kind,
                        const std::string& title,
                        std::optional<std::string> dedupe = std::nullopt,
                        std::optional<std::string> email = std::nullopt) {
        NotificationDraft d;
        d.user = IdOf(user);
        d.kind = kind;
        d.title = title;
        d.body = "body of " + title;
        d.data_json = R"({"symbol":"AAPL"})";
        d.dedupe_key = std::move(dedupe);
        d.email = std::move(email);
        return Run(module_->notifier->Notify(d, 0));
    }

    OutboxRelay& RelayOf(const std::string& source) {
        for (auto& r : module_->relays) {
            if (r->Source().name == source) return *r;
        }
        throw std::runtime_error("no relay " + source);
    }

    std::shared_ptr<RecordingMailer> mailer_;
    std::string stream_;
};

// A URL to the same database on a port nothing listens on: the "time-series database is down".
std::string DeadPort(const std::string& url) {
    return std::regex_replace(url, std::regex(":[0-9]+/"), ":1/");
}

TEST_F(NotifyTest, RelaySurvivesTimescaleAndRedisOutagesWithoutLossOrDuplicates) {
    auto user = IdOf(NewUser()).ToString();
    auto portfolio = UserId::Generate().ToString();
    auto tx1 = UserId::Generate().ToString();
    auto insert = [&](const std::string& type, const std::string& id, const std::string& event,
                      const std::string& payload) {
        test::QueryValue(
            Db("_portfolio"),
            "INSERT INTO portfolio.outbox (actor_id, user_id, aggregate_type, aggregate_id, event_type, "
            "payload, "
            "request_id) VALUES ('" +
                user + "', '" + user + "', '" + type + "', '" + id + "', '" + event + "', '" + payload +
                "', 'req-1')");
    };
    insert("portfolio", portfolio, "portfolio.created", R"({"name":"Main","currency":"USD"})");
    insert("transaction", tx1, "transaction.created",
           R"({"portfolio_id":")" + portfolio + R"(","transaction_id":")" + tx1 +
               R"(","type":"BUY","symbol":"AAPL","quantity":"10","price":"150.25","currency":"USD"})");
    insert("transaction", tx1, "transaction.deleted",
           R"({"portfolio_id":")" + portfolio + R"(","transaction_id":")" + tx1 + R"("})");
    test::QueryValue(
        Db("_auth"),
        "INSERT INTO auth.outbox (actor_id, user_id, aggregate_type, aggregate_id, event_type, payload, "
        "request_id, "
        "ip) VALUES ('" +
            user + "', '" + user + "', 'user', '" + user +
            R"(', 'user.profile_updated', '{"before":{"name":"A"},"after":{"name":"B"}}', 'req-2', '10.1.2.3'))");

    auto source = RelayOf("portfolio").Source();
    auto& source_pool = app_->Db(source.role, source.database, 0);
    RelayOptions relay_options;
    relay_options.stream = stream_;

    // Time-series database down: the batch stays pending, attempts and last_error are recorded.
    db::PoolOptions dead;
    dead.connection.url =
        DeadPort(migrate::ServiceUrlFor(*migrate_, ServiceRole::kNotify, Database::kTimescale).Reveal());
    dead.acquire_timeout = std::chrono::milliseconds(500);
    dead.min_size = 0;
    db::Pool dead_target(app_->Shard(0).get_executor(), dead);
    OutboxRelay down(source, source_pool, dead_target, app_->Redis(0), relay_options);
    EXPECT_THROW(Run(down.RunOnce()), Error);
    EXPECT_EQ(Count("_portfolio", "SELECT count(*) FROM portfolio.outbox WHERE published_at IS NULL"), 3);
    EXPECT_EQ(Count("_portfolio", "SELECT min(attempts) FROM portfolio.outbox"), 1);
    EXPECT_EQ(Count("_timescale", "SELECT count(*) FROM events.system_events"), 0);

    // Redis down after the time-series commit: still pending (the insert will be repeated).
    redis::Options bad_redis;
    bad_redis.url = redis::ParseUrl(DeadPort(test::RedisUrl()));
    bad_redis.command_timeout = std::chrono::milliseconds(300);
    auto dead_redis = std::make_unique<redis::Client>(app_->Shard(0).get_executor(), bad_redis);
    OutboxRelay no_redis(source, source_pool, app_->Db(ServiceRole::kNotify, Database::kTimescale, 0),
                         *dead_redis, relay_options);
    EXPECT_THROW(Run(no_redis.RunOnce()), Error);
    EXPECT_EQ(Count("_portfolio", "SELECT count(*) FROM portfolio.outbox WHERE published_at IS NULL"), 3);
    EXPECT_EQ(Count("_timescale", "SELECT count(*) FROM events.system_events"), 3);

    // Both back: the backlog drains, once.
    EXPECT_EQ(Run(RelayOf("portfolio").Drain()), 3);
    EXPECT_EQ(Run(RelayOf("auth").Drain()), 1);
    EXPECT_EQ(Run(RelayOf("portfolio").Drain()), 0);
    EXPECT_EQ(Count("_portfolio", "SELECT count(*) FROM portfolio.outbox WHERE published_at IS NULL"), 0);
    EXPECT_EQ(Count("_timescale", "SELECT count(*) FROM events.system_events WHERE source = 'portfolio'"), 3);
    EXPECT_EQ(Count("_timescale", "SELECT count(DISTINCT source_event_id) FROM events.system_events"), 3);
    EXPECT_EQ(Count("_timescale",
                    "SELECT count(*) FROM events.system_events WHERE source = 'auth' AND "
                    "before->>'name' = 'A' AND after->>'name' = 'B' AND ip = '10.1.2.3' AND "
                    "request_id = 'req-2' AND action = 'user.profile_updated'"),
              1);
    EXPECT_EQ(Count("_timescale",
                    "SELECT count(*) FROM events.system_events WHERE entity_type = 'portfolio' AND "
                    "after->>'name' = 'Main' AND before IS NULL AND request_id = 'req-1'"),
              1);
    // Executed transactions: the creation, and the deletion with the type it had.
    EXPECT_EQ(Count("_timescale", "SELECT count(*) FROM events.trading_events WHERE transaction_id = '" +
                                      tx1 + "' AND event_type = 'BUY'"),
              2);
    EXPECT_EQ(
        Count("_timescale", "SELECT count(*) FROM events.trading_events WHERE transaction_id = '" + tx1 +
                                "' AND action = 'CREATED' AND quantity = 10 AND price = 150.25 AND "
                                "symbol = 'AAPL' AND currency = 'USD'"),
        1);
    // The live stream got every event; one of them possibly twice (at-least-once), never lost.
    auto entries = Run(app_->Redis(0).XRange(stream_));
    std::set<std::string> ids;
    for (const auto& e : entries) {
        for (const auto& [k, v] : e.fields) {
            if (k == "event") ids.insert(v);
        }
    }
    EXPECT_EQ(ids.size(), 4u);
    EXPECT_GE(entries.size(), 4u);
    Run(app_->Redis(0).Del(stream_));
}

TEST_F(NotifyTest, InboxListsMarksReadAndPaginates) {
    auto user = NewUser();
    auto other = NewUser();
    for (int i = 0; i < 5; ++i)
        EXPECT_TRUE(Notify(user, "GOAL_MILESTONE", "n" + std::to_string(i)).notification);
    Notify(other, "GOAL_MILESTONE", "not yours");

    auto first = Call(user, "GET", "/api/v1/notifications?limit=3");
    ASSERT_EQ(first.status, 200) << first.body;
    auto items = first.Json().at("items").as_array();
    ASSERT_EQ(items.size(), 3u);
    EXPECT_EQ(items[0].at("title").as_string(), "n4");
    EXPECT_EQ(items[0].at("data").at("symbol").as_string(), "AAPL");
    auto cursor = std::string(first.Json().at("next_cursor").as_string());
    auto second = Call(user, "GET", "/api/v1/notifications?limit=3&cursor=" + cursor);
    ASSERT_EQ(second.status, 200);
    auto rest = second.Json().at("items").as_array();
    ASSERT_EQ(rest.size(), 2u);
    EXPECT_EQ(rest[1].at("title").as_string(), "n0");
    EXPECT_TRUE(second.Json().at("next_cursor").is_null());

    auto id = std::string(items[0].at("id").as_string());
    EXPECT_EQ(Call(other, "POST", "/api/v1/notifications/" + id + "/read").status, 404);
    EXPECT_EQ(Call(user, "POST", "/api/v1/notifications/" + id + "/read").status, 204);
    auto unread = Call(user, "GET", "/api/v1/notifications?unread=true");
    EXPECT_EQ(unread.Json().at("items").as_array().size(), 4u);
    auto all = Call(user, "POST", "/api/v1/notifications/read-all");
    EXPECT_EQ(all.Json().at("marked").as_int64(), 4);
    EXPECT_EQ(Call(user, "GET", "/api/v1/notifications?unread=true").Json().at("items").as_array().size(),
              0u);
    EXPECT_EQ(Call(other, "GET", "/api/v1/notifications?unread=true").Json().at("items").as_array().size(),
              1u);
    // The inbox's own writes are audited too.
    Run(RelayOf("notifications").Drain());
    auto uid = IdOf(user).ToString();
    EXPECT_EQ(Count("_timescale",
                    "SELECT count(*) FROM events.system_events WHERE source = 'notifications' AND "
                    "user_id = '" +
                        uid + "' AND action = 'notification.created'"),
              5);
    EXPECT_EQ(Count("_timescale",
                    "SELECT count(*) FROM events.system_events WHERE source = 'notifications' AND "
                    "actor_id = '" +
                        uid + "' AND entity_id = '" + id + "' AND action = 'notification.read'"),
              1);
    EXPECT_EQ(Count("_timescale",
                    "SELECT count(*) FROM events.system_events WHERE source = 'notifications' AND "
                    "actor_id = '" +
                        uid + "' AND action = 'notification.all_read' AND after->>'count' = '4'"),
              1);
    EXPECT_EQ(Call("", "GET", "/api/v1/notifications").status, 401);
    EXPECT_EQ(Call(user, "GET", "/api/v1/notifications?cursor=zz").status, 400);
}

TEST_F(NotifyTest, PreferencesOptOutsAreRespectedAndDedupeHolds) {
    auto user = NewUser();
    auto put = Call(user, "PUT", "/api/v1/me/notification-preferences",
                    R"({"preferences":[{"kind":"PRICE_ALERT","channel":"IN_APP","enabled":false},)"
                    R"({"kind":"*","channel":"EMAIL","enabled":false},)"
                    R"({"kind":"SECURITY_LOCKOUT","channel":"EMAIL","enabled":true}]})");
    ASSERT_EQ(put.status, 200) << put.body;
    EXPECT_EQ(put.Json().at("preferences").as_array().size(), 3u);
    Run(RelayOf("notifications").Drain());
    EXPECT_EQ(Count("_timescale",
                    "SELECT count(*) FROM events.system_events WHERE action = "
                    "'notification_preferences.updated' AND entity_id = '" +
                        IdOf(user).ToString() + "' AND jsonb_array_length(after->'preferences') = 3"),
              1);
    EXPECT_EQ(Call(user, "PUT", "/api/v1/me/notification-preferences",
                   R"({"preferences":[{"kind":"x","channel":"IN_APP","enabled":false}]})")
                  .status,
              422);

    auto alert = Notify(user, "PRICE_ALERT", "AAPL above 150", std::nullopt, "u@example.com");
    EXPECT_FALSE(alert.notification);
    EXPECT_FALSE(alert.emailed);
    auto drift = Notify(user, "ALLOCATION_DRIFT", "drift", std::nullopt, "u@example.com");
    EXPECT_TRUE(drift.notification);
    EXPECT_FALSE(drift.emailed);
    auto lockout = Notify(user, "SECURITY_LOCKOUT", "locked", std::nullopt, "u@example.com");
    EXPECT_TRUE(lockout.emailed);
    EXPECT_EQ(Count("_notifications", "SELECT count(*) FROM notifications.deliveries WHERE user_id = '" +
                                          IdOf(user).ToString() + "'"),
              1);

    // Concurrent producers firing the same crossing: one notification.
    std::vector<std::future<NotifyResult>> runs;
    NotificationDraft d;
    d.user = IdOf(user);
    d.kind = "GOAL_MILESTONE";
    d.title = "half way";
    d.dedupe_key = "goal:1:50";
    for (int i = 0; i < 8; ++i) {
        // co_spawn rather than the fixture's Run, which waits for each run before the next: these race.
        runs.push_back(
            asio::co_spawn(app_->Shard(i % 2), module_->notifier->Notify(d, i % 2), asio::use_future));
    }
    int fresh = 0;
    for (auto& r : runs) fresh += r.get().duplicate ? 0 : 1;
    EXPECT_EQ(fresh, 1);
    EXPECT_EQ(Count("_notifications",
                    "SELECT count(*) FROM notifications.notifications WHERE dedupe_key = "
                    "'goal:1:50'"),
              1);
}

TEST_F(NotifyTest, EmailDeliveriesRetryWithBackoffAndDeadLetter) {
    // Deliveries other tests left due go out first, so the rounds below see only ours.
    Run(module_->notifier->SendDueEmails(*mailer_, 0));
    mailer_->sent.clear();
    auto user = NewUser();
    ASSERT_TRUE(
        Notify(user, "SECURITY_PASSWORD_CHANGED", "password changed", std::nullopt, "a@example.com").emailed);
    ASSERT_TRUE(
        Notify(user, "SECURITY_API_KEY_CREATED", "key created", std::nullopt, "b@example.com").emailed);
    auto uid = IdOf(user).ToString();
    test::QueryValue(
        Db("_notifications"),
        "UPDATE notifications.deliveries SET max_attempts = 2 WHERE to_address = 'b@example.com'");

    mailer_->fail_first = 2;  // both fail on the first round
    EXPECT_EQ(Run(module_->notifier->SendDueEmails(*mailer_, 0)), 0);
    EXPECT_EQ(
        Count("_notifications", "SELECT count(*) FROM notifications.deliveries WHERE user_id = '" + uid +
                                    "' AND status = 'PENDING' AND attempts = 1 AND next_try_at > now() + "
                                    "interval '20 seconds'"),
        2);
    // Not due yet: nothing is sent.
    EXPECT_EQ(Run(module_->notifier->SendDueEmails(*mailer_, 0)), 0);
    test::QueryValue(Db("_notifications"),
                     "UPDATE notifications.deliveries SET next_try_at = now() WHERE user_id = '" + uid + "'");
    mailer_->fail_first = 0;
    EXPECT_EQ(Run(module_->notifier->SendDueEmails(*mailer_, 0)), 2);
    ASSERT_EQ(mailer_->sent.size(), 2u);
    EXPECT_EQ(Count("_notifications", "SELECT count(*) FROM notifications.deliveries WHERE user_id = '" +
                                          uid + "' AND status = 'SENT'"),
              2);

    ASSERT_TRUE(Notify(user, "SECURITY_LOCKOUT", "locked", std::nullopt, "c@example.com").emailed);
    test::QueryValue(
        Db("_notifications"),
        "UPDATE notifications.deliveries SET max_attempts = 2 WHERE to_address = 'c@example.com'");
    mailer_->fail_first = 5;
    Run(module_->notifier->SendDueEmails(*mailer_, 0));
    test::QueryValue(
        Db("_notifications"),
        "UPDATE notifications.deliveries SET next_try_at = now() WHERE to_address = 'c@example.com'");
    Run(module_->notifier->SendDueEmails(*mailer_, 0));
    EXPECT_EQ(Count("_notifications",
                    "SELECT count(*) FROM notifications.deliveries WHERE to_address = "
                    "'c@example.com' AND status = 'DEAD' AND attempts = 2 AND dead_at IS NOT NULL "
                    "AND last_error LIKE '%smtp down%'"),
              1);
    test::QueryValue(
        Db("_notifications"),
        "UPDATE notifications.deliveries SET next_try_at = now() WHERE to_address = 'c@example.com'");
    mailer_->fail_first = 0;
    EXPECT_EQ(Run(module_->notifier->SendDueEmails(*mailer_, 0)), 0);
}

TEST_F(NotifyTest, AuditIsForAdminsAndPortfolioEventsForTheOwner) {
    auto owner = NewUser();
    auto stranger = NewUser();
    auto admin = NewUser("ADMIN");
    auto owner_id = IdOf(owner).ToString();
    auto portfolio = test::QueryValue(
        Db("_portfolio"), "INSERT INTO portfolio.portfolios (user_id, name, currency) VALUES ('" + owner_id +
                              "', 'Main', 'USD') RETURNING id");
    auto tx = UserId::Generate().ToString();
    test::QueryValue(
        Db("_portfolio"),
        "INSERT INTO portfolio.outbox (actor_id, user_id, aggregate_type, aggregate_id, event_type, payload) "
        "VALUES "
        "('" +
            owner_id + "', '" + owner_id + "', 'transaction', '" + tx +
            R"(', 'transaction.created', '{"portfolio_id":")" + portfolio + R"(","transaction_id":")" + tx +
            R"(","type":"DEPOSIT","amount":"1000","currency":"USD"}'))");
    test::QueryValue(
        Db("_auth"),
        "INSERT INTO auth.outbox (actor_id, user_id, aggregate_type, aggregate_id, event_type) VALUES ('" +
            owner_id + "', '" + owner_id + "', 'api_key', 'k1', 'api_key.created')");
    Run(RelayOf("portfolio").Drain());
    Run(RelayOf("auth").Drain());

    EXPECT_EQ(Call(owner, "GET", "/api/v1/admin/audit").status, 403);
    auto audit = Call(admin, "GET", "/api/v1/admin/audit?user=" + owner_id + "&limit=1");
    ASSERT_EQ(audit.status, 200) << audit.body;
    auto first = audit.Json().at("items").as_array();
    ASSERT_EQ(first.size(), 1u);
    ASSERT_FALSE(audit.Json().at("next_cursor").is_null());
    auto page2 = Call(admin, "GET",
                      "/api/v1/admin/audit?user=" + owner_id +
                          "&limit=1&cursor=" + std::string(audit.Json().at("next_cursor").as_string()));
    ASSERT_EQ(page2.status, 200);
    ASSERT_EQ(page2.Json().at("items").as_array().size(), 1u);
    EXPECT_NE(first[0].at("id"), page2.Json().at("items").as_array()[0].at("id"));
    auto filtered = Call(admin, "GET", "/api/v1/admin/audit?user=" + owner_id + "&action=api_key.created");
    ASSERT_EQ(filtered.Json().at("items").as_array().size(), 1u);
    EXPECT_EQ(filtered.Json().at("items").as_array()[0].at("entity_id").as_string(), "k1");
    EXPECT_EQ(Call(admin, "GET", "/api/v1/admin/audit?user=" + owner_id + "&from=2999-01-01T00:00:00Z")
                  .Json()
                  .at("items")
                  .as_array()
                  .size(),
              0u);
    EXPECT_EQ(Call(admin, "GET", "/api/v1/admin/audit?from=yesterday").status, 422);

    auto events = Call(owner, "GET", "/api/v1/portfolios/" + portfolio + "/events");
    ASSERT_EQ(events.status, 200) << events.body;
    auto items = events.Json().at("items").as_array();
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].at("type").as_string(), "DEPOSIT");
    EXPECT_EQ(items[0].at("amount").as_string(), "1000.0000000000");
    EXPECT_EQ(Call(stranger, "GET", "/api/v1/portfolios/" + portfolio + "/events").status, 404);
    // The portfolio domain's row-level security decides: an administrator sees every portfolio.
    auto as_admin = Call(admin, "GET", "/api/v1/portfolios/" + portfolio + "/events");
    ASSERT_EQ(as_admin.status, 200) << as_admin.body;
    EXPECT_EQ(as_admin.Json().at("items").as_array().size(), 1u);
    EXPECT_EQ(Call(owner, "GET", "/api/v1/portfolios/" + UserId::Generate().ToString() + "/events").status,
              404);
}

// Each refusal of the handlers keeps its status, code and the field it names.
TEST_F(NotifyTest, RefusedQueriesNameTheirField) {
    auto user = NewUser();
    auto admin = NewUser("ADMIN");
    auto expect = [&](const NotifyReply& r, int status, const std::string& code, const std::string& field) {
        ASSERT_EQ(r.status, status) << r.body;
        auto o = r.Json().as_object();
        EXPECT_EQ(o.at("code").as_string(), code) << r.body;
        if (field.empty()) return;
        ASSERT_TRUE(o.contains("errors")) << r.body;
        EXPECT_EQ(o.at("errors").as_array().at(0).at("field").as_string(), field) << r.body;
    };
    expect(Call(user, "GET", "/api/v1/notifications?unread=maybe"), 422, "validation.failed", "unread");
    expect(Call(admin, "GET", "/api/v1/admin/audit?user=nope"), 422, "validation.failed", "user");
    expect(Call(admin, "GET", "/api/v1/admin/audit?entity="), 422, "validation.failed", "entity");
    expect(Call(admin, "GET", "/api/v1/admin/audit?action=" + std::string(65, 'a')), 422, "validation.failed",
           "action");
    expect(Call(admin, "GET", "/api/v1/admin/audit?to=tomorrow"), 422, "validation.failed", "to");
    expect(Call(user, "PUT", "/api/v1/me/notification-preferences", R"({"preferences":1})"), 422,
           "validation.failed", "preferences");
    expect(Call(user, "GET", "/api/v1/stream?last_event_id=abc"), 400, "stream.bad_last_event_id", "");
}

TEST_F(NotifyTest, StreamDeliversLiveAndResumesWithoutGaps) {
    auto user = NewUser();
    std::string last;
    {
        SseClient sse(port_, user);
        sse.Read(1, std::chrono::milliseconds(300));  // the header; the stream is now open
        EXPECT_EQ(sse.Status(), 200);
        auto start = std::chrono::steady_clock::now();
        Notify(user, "PRICE_ALERT", "first");
        auto got = sse.Read(1, std::chrono::seconds(3));
        auto waited = std::chrono::steady_clock::now() - start;
        ASSERT_EQ(got.size(), 1u);
        EXPECT_EQ(got[0].type, "notification");
        EXPECT_NE(got[0].data.find("\"first\""), std::string::npos);
        // Delivered by the wake-up, well before the 2 s poll.
        EXPECT_LT(waited, std::chrono::milliseconds(1500));
        last = got[0].id;
    }
    // While disconnected, from the other shard.
    NotificationDraft d;
    d.user = IdOf(user);
    d.kind = "PRICE_ALERT";
    for (const char* t : {"second", "third"}) {
        d.title = t;
        Run(module_->notifier->Notify(d, 1), 1);
    }
    SseClient resumed(port_, user, last);
    auto got = resumed.Read(2, std::chrono::seconds(3));
    ASSERT_EQ(got.size(), 2u) << resumed.Raw();
    EXPECT_NE(got[0].data.find("\"second\""), std::string::npos);
    EXPECT_NE(got[1].data.find("\"third\""), std::string::npos);
    EXPECT_GT(got[0].id, last);
    SseClient bad(port_, user, "nonsense");
    bad.Read(1, std::chrono::milliseconds(500));
    EXPECT_EQ(bad.Status(), 400);
}

TEST_F(NotifyTest, SecurityEventsNotifyTheAccountHolderOnce) {
    auto user = NewUser();
    auto uid = IdOf(user).ToString();
    auto emit = [&](const std::string& action, const std::string& payload) {
        test::QueryValue(
            Db("_auth"),
            "INSERT INTO auth.outbox (actor_id, user_id, aggregate_type, aggregate_id, event_type, "
            "payload) VALUES ('" +
                uid + "', '" + uid + "', 'user', '" + uid + "', '" + action + "', '" + payload + "')");
    };
    emit("api_key.created", R"({"name":"ci"})");
    emit("user.login_failed", R"({"reason":"bad_password"})");
    emit("user.login_failed", R"({"reason":"bad_password","locked":true})");
    emit("user.password_changed", "{}");
    emit("user.profile_updated", "{}");
    Run(RelayOf("auth").Drain());

    AuditProducerOptions options;
    options.stream = stream_;
    options.group = test::UniqueName("t_nt_sec_");
    options.block = std::chrono::milliseconds(100);
    auto producer = std::make_shared<AuditProducer>(*app_, module_->notifier, options);
    EXPECT_GE(Run(producer->RunOnce()), 5u);
    // Replayed entries (a second group reading the same stream) change nothing.
    options.group = test::UniqueName("t_nt_sec_");
    auto replay = std::make_shared<AuditProducer>(*app_, module_->notifier, options);
    Run(replay->RunOnce());

    auto inbox = Call(user, "GET", "/api/v1/notifications");
    ASSERT_EQ(inbox.status, 200);
    std::multiset<std::string> kinds;
    auto body = inbox.Json();
    for (const auto& n : body.at("items").as_array()) kinds.insert(std::string(n.at("kind").as_string()));
    EXPECT_EQ(kinds, (std::multiset<std::string>{"SECURITY_API_KEY_CREATED", "SECURITY_LOCKOUT",
                                                 "SECURITY_PASSWORD_CHANGED"}));
    Run(app_->Redis(0).Del(stream_));
}

}  // namespace
}  // namespace nn::notify
