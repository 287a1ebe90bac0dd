// Producers, email and live push across services and instances, against real servers: freshly
// migrated auth, portfolio, notifications and timescale databases, the test Redis, a local SMTP
// sink (Debian's python3-aiosmtpd, src/infra/mail/testdata/smtp_sink.py) and two in-process
// Apps sharing them: A runs auth, portfolio and notify, B runs notify only (another instance).
// A test authenticator turns the X-Test-User header ("<uuid>:<ROLE>") into a principal; logins
// go through the real auth routes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "auth/module.hpp"
#include "auth/test_keys.hpp"
#include "infra/app/app.hpp"
#include "infra/crypto/password.hpp"
#include "infra/http/test_server.hpp"
#include "infra/mail/mail_test_util.hpp"
#include "infra/mail/mailer.hpp"
#include "infra/migrate/migrator.hpp"
#include "infra/redis/client.hpp"
#include "market/rate_directory.hpp"
#include "notify/module.hpp"
#include "notify/sse_test_client.hpp"
#include "portfolio/module.hpp"
#include "portfolio/pg_repository.hpp"
#include "portfolio/value_feed.hpp"
#include "tests/support/app_fixture.hpp"
#include "tests/support/test_env.hpp"

namespace nn::notify {
namespace {
namespace asio = boost::asio;
namespace json = boost::json;

// Auth's own mail (verification, reset) is not under test here.
class DroppingMailer final : public mail::Mailer {
public:
    asio::awaitable<void> Send(mail::Message) override { co_return; }
};

using ProducerReply = test::AppReply;

using testing::SseClient;

class ProducersTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        migrate_ = new test::SuiteDatabases(
            "t_np_", {migrate::Database::kAuth, migrate::Database::kPortfolio,
                      migrate::Database::kNotifications, migrate::Database::kTimescale});
    }
    static void TearDownTestSuite() { delete migrate_; }

    runtime::Config Config() const {
        auto c = test::AppConfig(*migrate_, "all", std::chrono::milliseconds(500));
        c.cpu_threads = 2;
        c.public_url = "https://nexanest.test";
        c.smtp_url = Secret("smtp://127.0.0.1:" + std::to_string(sink_.Port()));
        return c;
    }

    ModuleOptions NotifyOptions() const {
        ModuleOptions mo;
        mo.start_jobs = false;
        mo.live_poll = std::chrono::milliseconds(2000);
        mo.notifier.live_prefix = prefix_ + ":live:";
        mo.notifier.wake_prefix = prefix_ + ":wake:";
        mo.relay.stream = prefix_ + ":audit";
        mo.audit.group = "notify.audit";
        mo.audit.block = std::chrono::milliseconds(50);
        mo.alerts.block = std::chrono::milliseconds(50);
        mo.alerts.stream = prefix_ + ":prices";
        mo.alerts.dead_letter_stream = prefix_ + ":prices:dead";
        mo.live_feed.prices_stream = prefix_ + ":prices";
        mo.live_feed.values_stream = prefix_ + ":values";
        mo.live_feed.block = std::chrono::milliseconds(200);
        mo.sources.clear();
        return mo;
    }

    void SetUp() override {
        prefix_ = test::UniqueName("t_np_");
        auto ca = Config();
        ca.services = "auth,portfolio,notify";
        auth::testing::PutTestKeys(ca);
        App& a = a_.MakeApp(ca);
        auth::ModuleOptions ao;
        ao.settings = auth::SettingsFrom(a.Config());
        ao.settings.redis_prefix = prefix_ + ":rl:";
        // Five consecutive failures lock here (20 by default, which one address never reaches:
        // it is stopped at 10 by the per-source limit).
        ao.settings.lockout_threshold = 5;
        ao.mailer = std::make_shared<DroppingMailer>();
        directory_ = auth::Register(a, ao);
        portfolio::ModuleOptions po;
        po.directory = directory_;
        po.start_price_consumer = false;
        po.service.cache_prefix = prefix_ + ":cache:";
        po.values.stream = prefix_ + ":values";
        auto portfolios = portfolio::Register(a, po);
        auto mo = NotifyOptions();
        mo.directory = directory_;
        mo.portfolios = portfolios.notify;
        for (const auto& s : DefaultSources()) {
            if (s.name == "auth" || s.name == "portfolio") mo.sources.push_back(s);
        }
        module_a_ = Register(a, mo);
        a_.StartApp();

        auto cb = Config();
        cb.services = "notify";
        App& b = b_.MakeApp(cb);
        auto mo_b = NotifyOptions();
        mo_b.portfolios = portfolio::MakeNotifyDirectory(b, std::make_shared<portfolio::PgRepository>());
        module_b_ = Register(b, mo_b);
        b_.StartApp();
    }
    void TearDown() override {
        for (const char* s : {":audit", ":prices", ":prices:dead", ":values"}) {
            try {
                Run(a_.app().Redis(0).Del(prefix_ + s));
            } catch (...) {
                // the stream goes with the throw-away server
            }
        }
        module_b_->Stop();
        module_a_->Stop();
        b_.StopApp();
        a_.StopApp();
        module_b_.reset();
        module_a_.reset();
        directory_.reset();
    }

    // On instance A's shard.
    template <class T>
    T Run(asio::awaitable<T> op, std::size_t shard = 0) {
        return a_.Run(std::move(op), shard);
    }

    static std::string Db(const char* suffix) { return test::PgUrlFor(migrate_->prefix + suffix); }
    static long Count(const char* db, const std::string& sql) {
        return std::stol(test::QueryValue(Db(db), sql));
    }

    // An account in the auth database; returns "<uuid>:USER" for X-Test-User.
    static std::string Account(const std::string& email, bool verified, const std::string& password = "") {
        const std::string hash = crypto::HashPassword(password.empty() ? "unused password 123" : password);
        auto id = test::QueryValue(
            Db("_auth"), "INSERT INTO auth.users (email, password_hash, email_verified_at) VALUES ('" +
                             email + "', '" + hash + "', " + (verified ? "now()" : "NULL") +
                             ") RETURNING id");
        return id + ":USER";
    }
    static std::string IdOf(const std::string& user) { return user.substr(0, 36); }

    // What the portfolio watches write (their own tests cover when).
    static void PortfolioEvent(const std::string& user,
                               const std::string& event,
                               const std::string& payload) {
        test::QueryValue(
            Db("_portfolio"),
            "INSERT INTO portfolio.outbox (user_id, aggregate_type, aggregate_id, event_type, payload) "
            "VALUES ('" +
                IdOf(user) + "', 'x', '" + test::UniqueName("a") + "', '" + event + "', '" + payload + "')");
    }

    OutboxRelay& RelayOf(const std::string& source) {
        for (auto& r : module_a_->relays) {
            if (r->Source().name == source) return *r;
        }
        throw std::runtime_error("no relay " + source);
    }

    // Relays both outboxes and lets the audit producer notify.
    void Deliver() {
        Run(RelayOf("auth").Drain());
        Run(RelayOf("portfolio").Drain());
        for (int i = 0; i < 3; ++i) Run(module_a_->audit->RunOnce());
    }

    std::multiset<std::string> Kinds(const std::string& user) {
        auto inbox = a_.Call(user, "GET", "/api/v1/notifications");
        EXPECT_EQ(inbox.status, 200) << inbox.body;
        std::multiset<std::string> kinds;
        auto body = inbox.Json();
        for (const auto& n : body.at("items").as_array()) kinds.insert(std::string(n.at("kind").as_string()));
        return kinds;
    }

    ProducerReply Login(const std::string& email, const std::string& password, const std::string& agent) {
        return a_.Call("", "POST", "/api/v1/auth/login",
                       R"({"email":")" + email + R"(","password":")" + password + "\"}",
                       {{"User-Agent", agent}});
    }

    static test::SuiteDatabases* migrate_;
    mail::test_util::SmtpSink sink_;
    std::string prefix_;
    // Instance A (auth, portfolio, notify) and B (notify only), each an App on shards of its own;
    // destroyed after the modules below.
    test::TestUserAppHost a_, b_;
    std::shared_ptr<auth::UserDirectory> directory_;
    std::shared_ptr<Module> module_a_, module_b_;
};

test::SuiteDatabases* ProducersTest::migrate_ = nullptr;

constexpr const char* kFirefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

TEST_F(ProducersTest, DriftGoalAndSecurityEventsNotifyOnceAndEmailTheOwner) {
    const std::string email = test::UniqueName("owner") + "@example.com";
    const std::string password = "correct horse battery staple 42";
    auto user = Account(email, true, password);
    ASSERT_EQ(Login(email, password, "curl/8.1.2").status, 200);  // the first device: not news
    ASSERT_EQ(Login(email, password, kFirefox).status, 200);      // a new one
    ASSERT_EQ(Login(email, password, kFirefox).status, 200);      // seen now
    // Five wrong passwords lock the account; a sixth attempt while locked does not lock it again.
    for (int i = 0; i < 6; ++i) EXPECT_EQ(Login(email, "wrong password 123456", kFirefox).status, 401);
    EXPECT_EQ(test::QueryValue(Db("_auth"),
                               "SELECT string_agg(payload->>'new_device', ',' ORDER BY id) FROM "
                               "auth.outbox WHERE event_type = 'session.created' AND user_id = '" +
                                   IdOf(user) + "'"),
              "false,true,false");
    PortfolioEvent(
        user, "allocation.drift_breached",
        R"({"portfolio_id":"p1","rule_id":"r1","dimension":"SYMBOL","key":"AAPL","target_weight":"0.5",)"
        R"("tolerance":"0.05","weight":"0.565217","total_value":"230","currency":"USD"})");
    PortfolioEvent(user, "allocation.drift_rearmed", R"({"rule_id":"r1"})");
    PortfolioEvent(user, "goal.milestone_reached",
                   R"({"goal_id":"g1","name":"House","milestone_pct":50,"percent_of_target":"52.5",)"
                   R"("current_value":"525","target_amount":"1000","currency":"USD"})");
    Deliver();
    // A second consumer group replaying the whole stream changes nothing.
    AuditProducerOptions replay;
    replay.stream = prefix_ + ":audit";
    replay.group = "replay";
    replay.block = std::chrono::milliseconds(50);
    auto second = std::make_shared<AuditProducer>(a_.app(), module_a_->notifier, replay);
    Run(second->RunOnce());

    EXPECT_EQ(Kinds(user), (std::multiset<std::string>{"ALLOCATION_DRIFT", "GOAL_MILESTONE",
                                                       "SECURITY_LOCKOUT", "SECURITY_NEW_DEVICE"}));
    EXPECT_EQ(Count("_notifications", "SELECT count(*) FROM notifications.deliveries WHERE to_address = '" +
                                          email + "' AND status = 'PENDING'"),
              4);
    // Other tests of the suite may have left deliveries: keep ours among what was sent.
    const int sent = Run(module_a_->notifier->SendDueEmails(*module_a_->mailer, 0));
    EXPECT_GE(sent, 4);
    std::map<std::string, json::object> by_subject;
    for (int n = 1; n <= sent; ++n) {
        auto m = sink_.Message(n);
        if (mail::test_util::Header(m, "to").find(email) != std::string::npos)
            by_subject[mail::test_util::Header(m, "subject")] = m;
    }
    EXPECT_EQ(by_subject.size(), 4u);
    EXPECT_TRUE(by_subject.count("NexaNest: Your account was locked after failed sign-in attempts"));
    ASSERT_TRUE(by_subject.count("NexaNest: Goal \"House\" reached 50%")) << sink_.Log();
    ASSERT_TRUE(
        by_subject.count("NexaNest: SYMBOL AAPL is at 56.52% of the portfolio (target 50% \u00b1 5%)"));
    ASSERT_TRUE(by_subject.count("NexaNest: New sign-in from a device we have not seen"));
    auto goal = by_subject["NexaNest: Goal \"House\" reached 50%"];
    EXPECT_NE(mail::test_util::Header(goal, "to").find(email), std::string::npos);
    auto text = mail::test_util::Lf(mail::test_util::Str(goal, "text"));
    EXPECT_NE(text.find("Current value 525 USD of the 1000 USD target."), std::string::npos) << text;
    EXPECT_NE(text.find("https://nexanest.test/"), std::string::npos);
    auto device = mail::test_util::Lf(
        mail::test_util::Str(by_subject["NexaNest: New sign-in from a device we have not seen"], "text"));
    EXPECT_NE(device.find("Firefox on Linux"), std::string::npos) << device;
    EXPECT_EQ(Count("_notifications", "SELECT count(*) FROM notifications.deliveries WHERE to_address = '" +
                                          email + "' AND status = 'SENT'"),
              4);
}

TEST_F(ProducersTest, EmailOptOutsAndUnverifiedAddressesAreRespected) {
    const std::string email = test::UniqueName("optout") + "@example.com";
    auto user = Account(email, true);
    auto unverified = Account(test::UniqueName("unverified") + "@example.com", false);
    auto put = a_.Call(user, "PUT", "/api/v1/me/notification-preferences",
                       R"({"preferences":[{"kind":"GOAL_MILESTONE","channel":"EMAIL","enabled":false}]})");
    ASSERT_EQ(put.status, 200) << put.body;
    const std::string goal = R"({"goal_id":"g1","name":"Car","milestone_pct":25,"current_value":"250",)"
                             R"("target_amount":"1000","currency":"USD"})";
    PortfolioEvent(user, "goal.milestone_reached", goal);
    PortfolioEvent(
        user, "allocation.drift_breached",
        R"({"dimension":"SECTOR","key":"Energy","target_weight":"0.1","tolerance":"0.02","weight":"0.2"})");
    PortfolioEvent(unverified, "goal.milestone_reached", goal);
    Deliver();
    EXPECT_EQ(Kinds(user), (std::multiset<std::string>{"ALLOCATION_DRIFT", "GOAL_MILESTONE"}));
    EXPECT_EQ(Kinds(unverified), (std::multiset<std::string>{"GOAL_MILESTONE"}));
    EXPECT_EQ(test::QueryValue(Db("_notifications"),
                               "SELECT string_agg(template, ',') FROM notifications.deliveries "
                               "WHERE user_id IN ('" +
                                   IdOf(user) + "', '" + IdOf(unverified) + "')"),
              "allocation_drift");
}

TEST_F(ProducersTest, LivePricesAndValuesReachTheirUserOnAnotherInstance) {
    auto user = Account(test::UniqueName("live") + "@example.com", true);
    auto other = Account(test::UniqueName("other") + "@example.com", true);
    const std::string held = "H" + test::UniqueName("").substr(0, 10),
                      watched = "W" + test::UniqueName("").substr(0, 10),
                      foreign = "F" + test::UniqueName("").substr(0, 10);
    auto portfolio = [&](const std::string& u, const std::string& symbol) {
        auto p = a_.Call(u, "POST", "/api/v1/portfolios", R"({"name":"Main","currency":"USD"})");
        EXPECT_EQ(p.status, 201) << p.body;
        std::string id(p.Json().at("id").as_string());
        auto t = a_.Call(u, "POST", "/api/v1/portfolios/" + id + "/transactions",
                         R"({"type":"BUY","symbol":")" + symbol +
                             R"(","quantity":"2","price":"10","currency":"USD",)" + R"("executed_at":")" +
                             FormatRfc3339(Now() - std::chrono::minutes(1)) + "\"}");
        EXPECT_EQ(t.status, 201) << t.body;
        return id;
    };
    auto mine = portfolio(user, held);
    portfolio(other, foreign);
    auto list = a_.Call(user, "POST", "/api/v1/watchlists",
                        R"({"name":"w","items":[{"symbol":")" + watched + "\"}]}");
    ASSERT_EQ(list.status, 201) << list.body;

    SseClient sse(b_.port(), user);  // instance B: nothing was produced there
    ASSERT_TRUE(sse.Open());
    auto tick = [&](const std::string& symbol, const std::string& price) {
        redis::FieldValues f{{"batch_id", test::UniqueName("b")},
                             {"kind", "stock"},
                             {"prices", R"([{"symbol":")" + symbol + R"(","price":")" + price +
                                            R"(","time":")" + FormatRfc3339(Now()) + "\"}]"}};
        Run(a_.app().Redis(0).XAdd(prefix_ + ":prices", f));
    };
    tick(held, "11");
    tick(watched, "12");
    tick(foreign, "13");
    sse.ReadFor(std::chrono::seconds(3), [](const auto& events) { return events.size() >= 2; });
    sse.ReadFor(std::chrono::milliseconds(300));
    auto prices = sse.Of("price");
    ASSERT_EQ(prices.size(), 2u);
    std::set<std::string> symbols;
    for (const auto& e : prices) symbols.insert(std::string(e.Json().at("symbol").as_string()));
    EXPECT_EQ(symbols, (std::set<std::string>{held, watched}));

    // Portfolio values produced on A, a notification produced on A: both arrive on B.
    // The owner watches: the stream on B marked it before its first byte (live_presence.hpp).
    std::vector<portfolio::ChangedPortfolio> ids{{*PortfolioId::Parse(mine), *UserId::Parse(IdOf(user))}};
    portfolio::ValueFeedOptions vo;
    vo.stream = prefix_ + ":values";
    auto feed = std::make_shared<portfolio::ValueFeed>(a_.app(), std::make_shared<portfolio::PgRepository>(),
                                                       market::MakeRateDirectory(a_.app()), vo);
    test::QueryValue(Db("_portfolio"),
                     "UPDATE portfolio.holdings SET current_price = 15 WHERE symbol = '" + held + "'");
    Run(feed->Publish(ids, 0));
    NotificationDraft d;
    d.user = *UserId::Parse(IdOf(user));
    d.kind = "PRICE_ALERT";
    d.title = "from A";
    Run(module_a_->notifier->Notify(d, 0));
    sse.ReadFor(std::chrono::seconds(3), [&](const auto&) {
        return !sse.Of("portfolio_value").empty() && !sse.Of("notification").empty();
    });
    auto values = sse.Of("portfolio_value");
    ASSERT_FALSE(values.empty());
    EXPECT_EQ(values.back().Json().at("portfolio_id").as_string(), mine);
    EXPECT_EQ(values.back().Json().at("total_value").as_string(), "10");  // 2 x 15 - 20 cash
    EXPECT_FALSE(values.back().Json().as_object().contains("user_id"));
    ASSERT_EQ(sse.Of("notification").size(), 1u);
    EXPECT_NE(sse.Of("notification")[0].data.find("from A"), std::string::npos);

    // 40 ticks in a burst: coalesced to at most one per 250 ms, and the newest one arrives.
    const auto burst = std::chrono::steady_clock::now();
    for (int i = 1; i <= 40; ++i) tick(held, std::to_string(100 + i));
    sse.ReadFor(std::chrono::seconds(3), [&](const auto&) {
        auto p = sse.Of("price");
        return !p.empty() && p.back().Json().at("price").as_string() == "140";
    });
    const auto elapsed = std::chrono::steady_clock::now() - burst;
    std::size_t burst_events = sse.Of("price").size() - 2;
    EXPECT_EQ(sse.Of("price").back().Json().at("price").as_string(), "140");
    EXPECT_GE(burst_events, 1u);
    EXPECT_LE(burst_events, 2 + static_cast<std::size_t>(elapsed / std::chrono::milliseconds(250)));
    EXPECT_LT(burst_events, 40u);

    // A symbol bought while connected: the transaction's value update makes the connection reload
    // its symbols (within a second), and the new symbol's prices follow.
    const std::string bought = "N" + test::UniqueName("").substr(0, 10);
    auto buy =
        a_.Call(user, "POST", "/api/v1/portfolios/" + mine + "/transactions",
                R"({"type":"BUY","symbol":")" + bought + R"(","quantity":"1","price":"3","currency":"USD",)" +
                    R"("executed_at":")" + FormatRfc3339(Now() - std::chrono::minutes(1)) + "\"}");
    ASSERT_EQ(buy.status, 201) << buy.body;
    auto seen = [&] {
        for (const auto& e : sse.Of("price")) {
            if (e.Json().at("symbol").as_string() == bought) return true;
        }
        return false;
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
    while (!seen() && std::chrono::steady_clock::now() < deadline) {
        tick(bought, "3.5");
        sse.ReadFor(std::chrono::milliseconds(200));
    }
    EXPECT_TRUE(seen());
}

TEST_F(ProducersTest, LiveOptOutsAreRespected) {
    auto user = Account(test::UniqueName("quiet") + "@example.com", true);
    const std::string watched = "Q" + test::UniqueName("").substr(0, 10);
    ASSERT_EQ(
        a_.Call(user, "POST", "/api/v1/watchlists", R"({"name":"w","items":[{"symbol":")" + watched + "\"}]}")
            .status,
        201);
    auto put = a_.Call(user, "PUT", "/api/v1/me/notification-preferences",
                       R"({"preferences":[{"kind":"PRICE","channel":"LIVE","enabled":false}]})");
    ASSERT_EQ(put.status, 200) << put.body;
    SseClient sse(b_.port(), user);
    ASSERT_TRUE(sse.Open());
    redis::FieldValues f{{"batch_id", "b"},
                         {"kind", "stock"},
                         {"prices", R"([{"symbol":")" + watched + R"(","price":"5","time":")" +
                                        FormatRfc3339(Now()) + "\"}]"}};
    Run(a_.app().Redis(0).XAdd(prefix_ + ":prices", f));
    NotificationDraft d;
    d.user = *UserId::Parse(IdOf(user));
    d.kind = "PRICE_ALERT";
    d.title = "still live";
    Run(module_a_->notifier->Notify(d, 0));
    sse.ReadFor(std::chrono::seconds(2), [&](const auto&) { return !sse.Of("notification").empty(); });
    sse.ReadFor(std::chrono::milliseconds(500));
    EXPECT_EQ(sse.Of("notification").size(), 1u);
    EXPECT_TRUE(sse.Of("price").empty());
    // The opt-in again reaches an open connection at its next refresh; a new one at once.
    put = a_.Call(user, "PUT", "/api/v1/me/notification-preferences",
                  R"({"preferences":[{"kind":"PRICE","channel":"LIVE","enabled":true}]})");
    SseClient again(b_.port(), user);
    ASSERT_TRUE(again.Open());
    Run(a_.app().Redis(0).XAdd(prefix_ + ":prices", f));
    again.ReadFor(std::chrono::seconds(2), [&](const auto&) { return !again.Of("price").empty(); });
    EXPECT_EQ(again.Of("price").size(), 1u);
}

TEST_F(ProducersTest, PriceAlertsAreEmailedWithTheAlertTemplate) {
    const std::string email = test::UniqueName("alert") + "@example.com";
    auto user = Account(email, true);
    const std::string symbol = "E" + test::UniqueName("").substr(0, 10);
    auto list = a_.Call(user, "POST", "/api/v1/watchlists",
                        R"({"name":"w","items":[{"symbol":")" + symbol + R"(","alert_above":"100"}]})");
    ASSERT_EQ(list.status, 201) << list.body;
    redis::FieldValues f{
        {"batch_id", "b1"},
        {"kind", "stock"},
        {"prices", R"([{"symbol":")" + symbol + R"(","price":"101.5","time":"2024-05-01T14:05:07Z"}])"}};
    Run(a_.app().Redis(0).XAdd(prefix_ + ":prices", f));
    std::size_t handled = 0;
    for (int i = 0; i < 5 && handled < 1; ++i) handled += Run(module_a_->alerts->RunOnce());
    EXPECT_EQ(Kinds(user), (std::multiset<std::string>{"PRICE_ALERT"}));
    // Other tests of the suite may have left deliveries: find ours among what was sent.
    const int sent = Run(module_a_->notifier->SendDueEmails(*module_a_->mailer, 0));
    ASSERT_GE(sent, 1);
    json::object m;
    for (int n = 1; n <= sent; ++n) {
        auto candidate = sink_.Message(n);
        if (mail::test_util::Str(candidate.at("headers").as_object(), "to").find(email) != std::string::npos)
            m = candidate;
    }
    ASSERT_FALSE(m.empty()) << sink_.Log();
    EXPECT_EQ(mail::test_util::Header(m, "subject"), "NexaNest alert: " + symbol + " above 100");
    auto text = mail::test_util::Lf(mail::test_util::Str(m, "text"));
    EXPECT_NE(text.find("Price: 101.5\nTime:  2024-05-01 14:05:07 UTC"), std::string::npos) << text;
}

TEST_F(ProducersTest, MalformedPriceEntriesGoToTheDeadLetterStream) {
    const std::string stream = prefix_ + ":prices", dead = prefix_ + ":prices:dead";
    auto& redis = a_.app().Redis(0);
    redis::FieldValues not_json{{"batch_id", "b1"}, {"kind", "stock"}, {"prices", "[{"}};
    redis::FieldValues bad_price{
        {"batch_id", "b2"},
        {"kind", "stock"},
        {"prices", R"([{"symbol":"OK","price":"1.5","time":"2024-05-01T10:00:00Z"},)"
                   R"({"symbol":"BAD","price":"abc","time":"2024-05-01T10:00:00Z"}])"}};
    redis::FieldValues no_kind{{"batch_id", "b3"}};
    redis::FieldValues fine{{"batch_id", "b4"},
                            {"kind", "stock"},
                            {"prices", R"([{"symbol":"OK","price":"2","time":"2024-05-01T10:00:01Z"}])"}};
    for (const auto* f : {&not_json, &bad_price, &no_kind, &fine}) Run(redis.XAdd(stream, *f));
    std::size_t handled = 0;
    for (int i = 0; i < 5 && handled < 4; ++i) handled += Run(module_a_->alerts->RunOnce());
    EXPECT_EQ(handled, 4u);
    EXPECT_EQ(Run(redis.XPending(stream, "notify.alerts")).count, 0);
    auto letters = Run(redis.XRange(dead, "-", "+"));
    ASSERT_EQ(letters.size(), 3u);
    std::vector<std::string> reasons;
    for (const auto& e : letters) {
        for (const auto& [k, v] : e.fields) {
            if (k == "dead.reason") reasons.push_back(v);
        }
    }
    ASSERT_EQ(reasons.size(), 3u);
    EXPECT_EQ(reasons[0], "prices is not a JSON array");
    EXPECT_EQ(reasons[1], "prices[1].price: not a positive decimal");
    EXPECT_EQ(reasons[2], "no kind");
    EXPECT_EQ(module_a_->alerts->DeadLetters(), 3u);
    auto metrics = a_.Call("", "GET", "/metrics");
    EXPECT_NE(metrics.body.find("nn_notify_dead_letters_total{stream=\"" + stream +
                                "\",group=\"notify.alerts\"} 3"),
              std::string::npos)
        << metrics.body.substr(0, 2000);
}

}  // namespace
}  // namespace nn::notify
