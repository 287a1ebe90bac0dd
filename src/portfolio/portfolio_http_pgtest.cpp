// The portfolio API end to end: an in-process App on 127.0.0.1:0 against freshly migrated
// portfolio and timescale databases and the test Redis. A test authenticator turns the
// X-Test-User header into a principal (the auth service has its own tests); the user directory
// is a small in-memory implementation of auth's interface.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "auth/principal.hpp"
#include "auth/user_directory.hpp"
#include "infra/app/app.hpp"
#include "infra/http/test_server.hpp"
#include "infra/migrate/migrator.hpp"
#include "portfolio/module.hpp"
#include "portfolio/portfolio_api_fixture.hpp"
#include "tests/support/test_env.hpp"

namespace nn::portfolio {
namespace {
namespace asio = boost::asio;
namespace json = boost::json;

using testing::Directory;
using testing::Reply;

struct PortfolioApiSuite {
    static constexpr const char* kPrefix = "t_pf_";
};
class PortfolioApi : public testing::ApiFixture<PortfolioApiSuite> {
public:
    using ApiFixture::Call;
    using ApiFixture::CreatePortfolio;
    using ApiFixture::NewUser;
    using ApiFixture::PortfolioDb;
};

std::string Buy(const char* symbol,
                const char* qty,
                const char* price,
                const char* date = "2024-03-01T10:00:00Z") {
    return std::string(R"({"type":"BUY","symbol":")") + symbol + R"(","quantity":")" + qty +
           R"(","price":")" + price + R"(","fee":"1","currency":"USD","executed_at":")" + date + R"("})";
}

TEST_F(PortfolioApi, TransactionsDeriveHoldingsAndRefuseShortSales) {
    auto user = NewUser();
    auto pid = CreatePortfolio(user);
    auto base = "/api/v1/portfolios/" + pid;
    ASSERT_EQ(Call(user, "POST", base + "/transactions", Buy("AAPL", "10", "100")).status, 201);
    ASSERT_EQ(
        Call(user, "POST", base + "/transactions", Buy("AAPL", "10", "120", "2024-03-02T10:00:00Z")).status,
        201);
    auto sell = Call(
        user, "POST", base + "/transactions",
        R"({"type":"SELL","symbol":"AAPL","quantity":"25","price":"130","currency":"USD","executed_at":"2024-03-03T00:00:00Z"})");
    EXPECT_EQ(sell.status, 422) << sell.body;
    EXPECT_NE(sell.body.find("holdings.insufficient_quantity"), std::string::npos);
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.transactions WHERE portfolio_id = '" + pid + "'"), 2);

    auto h = Call(user, "GET", base + "/holdings");
    ASSERT_EQ(h.status, 200) << h.body;
    auto holding = h.Json().at("holdings").as_array().at(0).as_object();
    EXPECT_EQ(holding.at("quantity").as_string(), "20");
    EXPECT_EQ(holding.at("cost_basis").as_string(), "2202");
    EXPECT_EQ(holding.at("fx_status").as_string(), "missing_price");
    auto cash = h.Json().at("cash").as_array().at(0).as_object();
    EXPECT_EQ(cash.at("balance").as_string(), "-2202");

    // Deleting the second buy re-derives the holding.
    auto list = Call(user, "GET", base + "/transactions?limit=1");
    ASSERT_EQ(list.status, 200);
    auto newest = std::string(list.Json().at("items").as_array().at(0).at("id").as_string());
    auto cursor = list.Json().at("next_cursor");
    ASSERT_TRUE(cursor.is_string());
    auto page2 = Call(user, "GET", base + "/transactions?limit=1&cursor=" + std::string(cursor.as_string()));
    ASSERT_EQ(page2.Json().at("items").as_array().size(), 1u);
    EXPECT_NE(std::string(page2.Json().at("items").as_array().at(0).at("id").as_string()), newest);
    EXPECT_EQ(Call(user, "DELETE", base + "/transactions/" + newest).status, 204);
    EXPECT_EQ(
        test::QueryValue(PortfolioDb(),
                         "SELECT quantity::text FROM portfolio.holdings WHERE portfolio_id = '" + pid + "'"),
        "10.0000000000");
    EXPECT_GE(
        Count("SELECT count(*) FROM portfolio.outbox WHERE aggregate_type = 'transaction' AND payload->>"
              "'portfolio_id' = '" +
              pid + "'"),
        3);
}

// Turning allow_short off re-derives the ledger under the new rule: with a short open it is refused
// as the sale would be (422 holdings.insufficient_quantity, a code the route declares) and changes
// nothing. Found by an independent oracle: the route declared only portfolio.not_found, so the
// contract check answered 500 contract.violation.
TEST_F(PortfolioApi, TurningShortsOffWithAShortOpenIsRefusedAndChangesNothing) {
    auto user = NewUser();
    auto pid = CreatePortfolio(user, R"(,"allow_short":true)");
    auto base = "/api/v1/portfolios/" + pid;
    ASSERT_EQ(
        Call(
            user, "POST", base + "/transactions",
            R"({"type":"SELL","symbol":"AAA","quantity":"1","price":"10","currency":"USD","executed_at":"2024-01-02T00:00:00Z"})")
            .status,
        201);
    auto patch = Call(user, "PATCH", base, R"({"allow_short":false})");
    EXPECT_EQ(patch.status, 422) << patch.body;
    EXPECT_NE(patch.body.find("holdings.insufficient_quantity"), std::string::npos) << patch.body;
    auto after = Call(user, "GET", base);
    ASSERT_EQ(after.status, 200);
    EXPECT_TRUE(after.Json().at("allow_short").as_bool());
    EXPECT_EQ(
        test::QueryValue(PortfolioDb(),
                         "SELECT quantity::text FROM portfolio.holdings WHERE portfolio_id = '" + pid + "'"),
        "-1.0000000000");
    // A cover later does not make the past sale a long one: the replay still refuses it.
    ASSERT_EQ(Call(user, "POST", base + "/transactions", Buy("AAA", "1", "9", "2024-01-03T00:00:00Z")).status,
              201);
    EXPECT_EQ(Call(user, "PATCH", base, R"({"allow_short":false})").status, 422);
    EXPECT_EQ(Call(user, "PATCH", base, R"({"name":"Renamed"})").status, 200);
}

// Writers of one portfolio are serialised by its row lock, and each reads the stored position
// only once the lock is granted: of concurrent BUYs, every one counts in the holding, the cash and
// the stored position (a position read before the lock loses updates: 7 of 33 when tried).
TEST_F(PortfolioApi, ConcurrentWritesToOnePortfolioAllCount) {
    auto user = NewUser();
    auto pid = CreatePortfolio(user);
    const std::string base = "/api/v1/portfolios/" + pid + "/transactions";
    ASSERT_EQ(Call(user, "POST", base, Buy("AAPL", "1", "100")).status, 201);
    std::atomic<int> created{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < 8; ++w) {
        writers.emplace_back([&, w] {
            for (int i = 0; i < 4; ++i) {
                // Later execution times: appends to the stored position, no re-derivation.
                const std::string at =
                    "2024-03-0" + std::to_string(2 + i) + "T10:00:0" + std::to_string(w) + "Z";
                if (Call(user, "POST", base, Buy("AAPL", "1", "100", at.c_str())).status == 201) ++created;
            }
        });
    }
    for (auto& t : writers) t.join();
    ASSERT_EQ(created.load(), 32);
    auto holdings = Call(user, "GET", "/api/v1/portfolios/" + pid + "/holdings").Json();
    ASSERT_EQ(holdings.at("holdings").as_array().size(), 1u) << holdings;
    EXPECT_EQ(holdings.at("holdings").as_array()[0].at("quantity").as_string(), "33") << holdings;
    EXPECT_EQ(test::QueryValue(
                  PortfolioDb(),
                  "SELECT balance::text FROM portfolio.cash_balances WHERE portfolio_id = '" + pid + "'"),
              "-3333.0000000000");  // 33 x (100 + 1 fee)
    EXPECT_EQ(test::QueryValue(PortfolioDb(),
                               "SELECT transaction_count FROM portfolio.ledger_positions WHERE "
                               "portfolio_id = '" +
                                   pid + "' AND symbol = 'AAPL'"),
              "33");
}

// The answer to a recorded transaction is the row as stored (the insert is sent without asking
// for the row back: the service builds it, docs/architecture.md "The write path").
TEST_F(PortfolioApi, ARecordedTransactionIsAnsweredAsStored) {
    auto user = NewUser();
    auto pid = CreatePortfolio(user);
    const std::string base = "/api/v1/portfolios/" + pid + "/transactions";
    for (const std::string& body :
         {std::string(
              R"({"type":"BUY","symbol":"SAP","quantity":"1.5","price":"100.25","fee":"0.5",)"
              R"("currency":"EUR","fx_rate":"1.083333333333","executed_at":"2024-03-02T10:00:00.123456Z",)"
              R"("notes":"first lot"})"),
          std::string(
              R"({"type":"DEPOSIT","amount":"1000","currency":"USD","executed_at":"2024-03-01T09:00:00Z"})"),
          std::string(R"({"type":"SPLIT","symbol":"SAP","split_ratio":"2","currency":"EUR",)"
                      R"("executed_at":"2024-03-03T00:00:00Z"})")}) {
        auto created = Call(user, "POST", base, body);
        ASSERT_EQ(created.status, 201) << created.body;
        const std::string id(created.Json().at("id").as_string());
        auto shown = Call(user, "GET", base + "/" + id);
        ASSERT_EQ(shown.status, 200) << shown.body;
        EXPECT_EQ(created.Json(), shown.Json()) << body;
    }
}

TEST_F(PortfolioApi, SummaryIsCachedAndInvalidatedOnChange) {
    auto user = NewUser();
    auto pid = CreatePortfolio(user);
    auto first = Call(user, "GET", "/api/v1/portfolios/summary");
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(first.Json().at("items").as_array().at(0).at("holdings_count").as_int64(), 0);
    // The miss stores its body without holding the response back: wait until it is there.
    const std::string key = service_->SummaryCacheOf().ValueKey(*UserId::Parse(IdOf(user)));
    for (int i = 0; i < 200 && !Run(app_->Redis(0).Exists(key)); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    // The cache answers while the database changes behind the service's back...
    test::QueryValue(PortfolioDb(),
                     "UPDATE portfolio.portfolios SET name = 'Renamed' WHERE id = '" + pid + "'");
    EXPECT_EQ(Call(user, "GET", "/api/v1/portfolios/summary").body, first.body);
    // ...and a change through the service invalidates it.
    ASSERT_EQ(
        Call(user, "POST", "/api/v1/portfolios/" + pid + "/transactions", Buy("MSFT", "2", "300")).status,
        201);
    test::QueryValue(PortfolioDb(),
                     "UPDATE portfolio.holdings SET current_price = 310 WHERE portfolio_id = '" + pid + "'");
    auto after =
        Call(user, "GET", "/api/v1/portfolios/summary").Json().at("items").as_array().at(0).as_object();
    EXPECT_EQ(after.at("name").as_string(), "Renamed");
    EXPECT_EQ(after.at("holdings_count").as_int64(), 1);
    // total_value is holdings + cash (docs/portfolio.md "Value"): 2 x 310 and -(2 x 300 + 1) cash.
    EXPECT_EQ(after.at("holdings_value").as_string(), "620");
    EXPECT_EQ(after.at("cash_value").as_string(), "-601");
    EXPECT_EQ(after.at("total_value").as_string(), "19");
}

// GET /api/v1/portfolios (a plain user's first page) is answered from this process's memory
// under the request's liveness copy (issue 16); every portfolio write through the service shows
// at once. X-Test-Live names the copy (tests/support/app_fixture.hpp).
template <class Fixture>
void ListShowsEveryWriteAtOnce(Fixture& f) {
    auto user = f.NewUser();
    auto list = [&](const std::string& live) {
        std::map<std::string, std::string> h;
        if (!live.empty()) h["X-Test-Live"] = live;
        auto r = f.Call(user, "GET", "/api/v1/portfolios", "", h);
        EXPECT_EQ(r.status, 200) << r.body;
        std::vector<std::string> names;
        const auto v = r.Json();
        for (const auto& p : v.at("items").as_array()) names.emplace_back(p.at("name").as_string());
        std::sort(names.begin(), names.end());
        std::string out;
        for (const auto& n : names) out += n + ";";
        return out;
    };
    const std::string l1 = test::UniqueName("live1_"), l2 = test::UniqueName("live2_");
    auto a = f.CreatePortfolio(user);
    EXPECT_EQ(list(l1), "Main;");
    // The answer is the cached one while the copy lives and nothing goes through the service...
    test::QueryValue(f.PortfolioDb(),
                     "UPDATE portfolio.portfolios SET name = 'Behind' WHERE id = '" + a + "'");
    EXPECT_EQ(list(l1), "Main;") << "not cached";
    // ...a request checked against a newer copy reads again, as does one without a copy.
    EXPECT_EQ(list(l2), "Behind;");
    test::QueryValue(f.PortfolioDb(), "UPDATE portfolio.portfolios SET name = 'Main' WHERE id = '" + a + "'");
    EXPECT_EQ(list(""), "Main;");
    EXPECT_EQ(list(l2), "Behind;");

    // Every write through the service, as the owner would see it next.
    auto b = f.Call(user, "POST", "/api/v1/portfolios", R"({"name":"Second","currency":"EUR"})");
    ASSERT_EQ(b.status, 201) << b.body;
    const std::string bid(b.Json().at("id").as_string());
    EXPECT_EQ(list(l2), "Main;Second;") << "created";
    ASSERT_EQ(f.Call(user, "PATCH", "/api/v1/portfolios/" + bid, R"({"name":"Renamed"})").status, 200);
    EXPECT_EQ(list(l2), "Main;Renamed;") << "renamed";
    ASSERT_EQ(f.Call(user, "DELETE", "/api/v1/portfolios/" + a).status, 204);
    EXPECT_EQ(list(l2), "Renamed;") << "deleted";
    // Another user's copy and answer are their own.
    auto other = f.NewUser();
    EXPECT_EQ(f.Call(other, "GET", "/api/v1/portfolios", "", {{"X-Test-Live", l2}})
                  .Json()
                  .at("items")
                  .as_array()
                  .size(),
              0u);
}

TEST_F(PortfolioApi, ListShowsEveryWriteAtOnce) {
    ListShowsEveryWriteAtOnce(*this);
}

struct RedisDownSuite {
    static constexpr const char* kPrefix = "t_pfnr_";
    static constexpr bool kRedisDown = true;
};
class PortfolioApiRedisDown : public testing::ApiFixture<RedisDownSuite> {
public:
    using ApiFixture::Call;
    using ApiFixture::CreatePortfolio;
    using ApiFixture::NewUser;
    using ApiFixture::PortfolioDb;
};

TEST_F(PortfolioApiRedisDown, ListShowsEveryWriteAtOnce) {
    ListShowsEveryWriteAtOnce(*this);
}

// One meaning of a portfolio's value: the holdings endpoint and the summary both say
// total_value = holdings_value + cash_value, foreign cash at the current rate; a foreign balance
// without a rate makes the cash and total unknown and names the pair.
TEST_F(PortfolioApi, TotalValueIsHoldingsPlusAllCashEverywhere) {
    auto user = NewUser();
    auto pid = CreatePortfolio(user);
    auto base = "/api/v1/portfolios/" + pid;
    auto post = [&](const std::string& body) {
        auto r = Call(user, "POST", base + "/transactions", body);
        ASSERT_EQ(r.status, 201) << r.body;
    };
    post(R"({"type":"DEPOSIT","amount":"1000","currency":"USD","executed_at":"2024-03-01T09:00:00Z"})");
    post(Buy("MSFT", "2", "300"));
    post(
        R"({"type":"DEPOSIT","amount":"100","currency":"EUR","fx_rate":"1.1","executed_at":"2024-03-01T11:00:00Z"})");
    test::QueryValue(PortfolioDb(),
                     "UPDATE portfolio.holdings SET current_price = 310 WHERE portfolio_id = '" + pid + "'");
    const std::string ts = test::PgUrlFor(migrate_->prefix + "_timescale");
    test::QueryValue(ts,
                     "INSERT INTO market_data.latest_exchange_rates (base, quote, time, rate) VALUES ('EUR', "
                     "'USD', now(), 1.2) ON CONFLICT (base, quote) DO UPDATE SET rate = 1.2");
    auto check = [](const json::object& o, const char* holdings, const char* cash, const char* total) {
        EXPECT_EQ(o.at("holdings_value").as_string(), holdings);
        EXPECT_EQ(o.at("cash_value").as_string(), cash);
        EXPECT_EQ(o.at("total_value").as_string(), total);
        EXPECT_EQ(o.at("value_status").as_string(), "ok");
    };
    auto h = Call(user, "GET", base + "/holdings");
    ASSERT_EQ(h.status, 200) << h.body;
    check(h.Json().as_object(), "620", "519", "1139");  // 1000 - 601 + 100 x 1.2
    auto summary = Call(user, "GET", "/api/v1/portfolios/summary");
    check(summary.Json().at("items").as_array().at(0).as_object(), "620", "519", "1139");

    post(
        R"({"type":"DEPOSIT","amount":"10","currency":"CHF","fx_rate":"1.0","executed_at":"2024-03-01T12:00:00Z"})");
    h = Call(user, "GET", base + "/holdings");
    const json::value doc = h.Json();
    const auto& o = doc.as_object();
    EXPECT_EQ(o.at("holdings_value").as_string(), "620");
    EXPECT_TRUE(o.at("cash_value").is_null()) << h.body;
    EXPECT_TRUE(o.at("total_value").is_null());
    EXPECT_EQ(o.at("value_status").as_string(), "missing_rate");
    ASSERT_EQ(o.at("missing_rates").as_array().size(), 1u);
    EXPECT_EQ(o.at("missing_rates").as_array()[0].as_string(), "CHF/USD");
    auto item =
        Call(user, "GET", "/api/v1/portfolios/summary").Json().at("items").as_array().at(0).as_object();
    EXPECT_TRUE(item.at("total_value").is_null());
    EXPECT_EQ(item.at("value_status").as_string(), "missing_rate");
}

TEST_F(PortfolioApi, IdempotencyKeySameOtherAndInFlight) {
    auto user = NewUser();
    auto pid = CreatePortfolio(user);
    auto path = "/api/v1/portfolios/" + pid + "/transactions";
    auto a = Call(user, "POST", path, Buy("AAPL", "1", "10"), {{"Idempotency-Key", "k-1"}});
    auto b = Call(user, "POST", path, Buy("AAPL", "1", "10"), {{"Idempotency-Key", "k-1"}});
    ASSERT_EQ(a.status, 201) << a.body;
    EXPECT_EQ(b.status, 201);
    EXPECT_EQ(a.body, b.body);
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.transactions WHERE portfolio_id = '" + pid + "'"), 1);
    auto other = Call(user, "POST", path, Buy("AAPL", "2", "10"), {{"Idempotency-Key", "k-1"}});
    EXPECT_EQ(other.status, 422) << other.body;
    // A request still in flight (its row claimed, not done) makes the duplicate answer 409.
    test::QueryValue(PortfolioDb(),
                     "INSERT INTO portfolio.idempotency_keys (user_id, key, request_method, request_path, "
                     "request_hash, expires_at) VALUES ('" +
                         IdOf(user) + "', 'k-2', 'POST', '" + path + "', sha256(convert_to('POST\n" + path +
                         "\n" + Buy("AAPL", "1", "10") + "', 'UTF8')), now() + interval '1 day')");
    auto dup = Call(user, "POST", path, Buy("AAPL", "1", "10"), {{"Idempotency-Key", "k-2"}});
    EXPECT_EQ(dup.status, 409) << dup.body;
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.transactions WHERE portfolio_id = '" + pid + "'"), 1);
    // A failed request releases its key: the corrected retry succeeds with the same key.
    auto bad = Call(
        user, "POST", path,
        R"({"type":"SELL","symbol":"AAPL","quantity":"5","price":"1","currency":"USD","executed_at":"2024-03-03T00:00:00Z"})",
        {{"Idempotency-Key", "k-3"}});
    EXPECT_EQ(bad.status, 422);
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.idempotency_keys WHERE key = 'k-3'"), 0);
}

TEST_F(PortfolioApi, UsersAreIsolatedThroughTheApiAndInSql) {
    auto alice = NewUser();
    auto bob = NewUser();
    auto pid = CreatePortfolio(alice);
    ASSERT_EQ(
        Call(alice, "POST", "/api/v1/portfolios/" + pid + "/transactions", Buy("AAPL", "1", "10")).status,
        201);
    EXPECT_EQ(Call(bob, "GET", "/api/v1/portfolios/" + pid).status, 404);
    EXPECT_EQ(Call(bob, "GET", "/api/v1/portfolios/" + pid + "/holdings").status, 404);
    EXPECT_EQ(Call(bob, "POST", "/api/v1/portfolios/" + pid + "/transactions", Buy("AAPL", "1", "10")).status,
              404);
    EXPECT_EQ(Call(bob, "GET", "/api/v1/portfolios").Json().at("items").as_array().size(), 0u);
    EXPECT_EQ(Call(bob, "GET", "/api/v1/portfolios/summary").Json().at("items").as_array().size(), 0u);
    EXPECT_EQ(Call("", "GET", "/api/v1/portfolios").status, 401);

    // An advisor with a READ grant reads but cannot write.
    auto advisor = NewUser("ADVISOR");
    directory_->grants[IdOf(advisor)].read.push_back(*UserId::Parse(IdOf(alice)));
    EXPECT_EQ(Call(advisor, "GET", "/api/v1/portfolios/" + pid + "/holdings").status, 200);
    EXPECT_EQ(
        Call(advisor, "POST", "/api/v1/portfolios/" + pid + "/transactions", Buy("AAPL", "1", "10")).status,
        404);

    // In SQL, as the service role with Bob's context: nothing of Alice's is visible.
    auto url =
        migrate::ServiceUrlFor(*migrate_, migrate::ServiceRole::kPortfolio, migrate::Database::kPortfolio);
    auto seen = test::QueryValue(
        std::string(url.Reveal()),
        "BEGIN; SELECT set_config('app.user_id', '" + IdOf(bob) +
            "', true), set_config('app.role', 'USER', true); SELECT count(*) FROM portfolio.transactions");
    EXPECT_EQ(seen, "0");
}

TEST_F(PortfolioApi, BadInputsAre4xxWithNothingWritten) {
    auto user = NewUser();
    auto pid = CreatePortfolio(user);
    auto path = "/api/v1/portfolios/" + pid + "/transactions";
    const std::string bodies[] = {
        Buy("AAPL", "-1", "10"),
        Buy("AAPL", "0", "10"),
        R"({"type":"BUY","symbol":"AAPL","quantity":"1","price":"1","currency":"XYZ","executed_at":"2024-03-01T00:00:00Z"})",
        Buy("AAPL", "1234567890123456789012345678901234567890", "10"),
        Buy("AAPL", "1", "10", "2999-01-01T00:00:00Z"),
        R"({"type":"DEPOSIT","symbol":"AAPL","amount":"1","currency":"USD","executed_at":"2024-03-01T00:00:00Z"})",
        R"({"type":"BUY","symbol":"AAPL","quantity":1,"price":"1","currency":"USD","executed_at":"2024-03-01T00:00:00Z"})",
        R"({"type":"BUY","symbol":"AAPL","quantity":"1","price":"1","currency":"USD","executed_at":"2024-03-01T00:00:00Z","user_id":"x"})",
        "{not json",
        // Found on a running server: a leap second passed the JSON check, failed the parse and
        // was stored as 1970-01-01 (past the future check); year 0 was stored as 1 BC; year 1
        // made /performance build 740 000 days.
        Buy("AAPL", "1", "10", "2024-06-15T12:30:60Z"),
        Buy("AAPL", "1", "10", "9999-12-31T23:59:60Z"),
        Buy("AAPL", "1", "10", "0000-01-01T00:00:00Z"),
        Buy("AAPL", "1", "10", "0001-01-01T00:00:00Z"),
        Buy("AAPL", "1", "10", "1899-12-31T23:59:59Z"),
    };
    for (const auto& body : bodies) {
        auto r = Call(user, "POST", path, body);
        EXPECT_GE(r.status, 400) << body;
        EXPECT_LT(r.status, 500) << body << " → " << r.body;
    }
    EXPECT_EQ(Call(user, "POST", "/api/v1/portfolios/" + UserId::Generate().ToString() + "/transactions",
                   Buy("AAPL", "1", "10"))
                  .status,
              404);
    EXPECT_EQ(Call(user, "POST", "/api/v1/portfolios/not-a-uuid/transactions", Buy("AAPL", "1", "10")).status,
              404);
    EXPECT_EQ(Call(user, "POST", "/api/v1/portfolios", R"({"name":"X","currency":"ABC"})").status, 422);
    // A position past numeric(28, 10) says so (was db.data_exception, "breaks a rule of the stored
    // data"), and nothing is written.
    {
        auto big = CreatePortfolio(user);
        auto big_path = "/api/v1/portfolios/" + big + "/transactions";
        ASSERT_EQ(Call(user, "POST", big_path, Buy("AAPL", "1", "1")).status, 201);
        auto over = Call(user, "POST", big_path, Buy("AAPL", "999999999999999999", "0"));
        EXPECT_EQ(over.status, 422) << over.body;
        EXPECT_NE(over.body.find("db.out_of_range"), std::string::npos) << over.body;
        EXPECT_NE(over.body.find("18 digits"), std::string::npos) << over.body;
        EXPECT_EQ(Count("SELECT count(*) FROM portfolio.transactions WHERE portfolio_id = '" + big + "'"), 1);
    }
    EXPECT_EQ(Call(user, "GET", "/api/v1/portfolios?include_inactive=maybe").status, 422);
    EXPECT_EQ(Call(user, "GET", "/api/v1/portfolios?include_inactive=false").status, 200);
    EXPECT_EQ(Call(user, "POST", "/api/v1/portfolios", R"({"name":"   ","currency":"USD"})").status, 422);
    EXPECT_EQ(Call(user, "PATCH", "/api/v1/portfolios/" + pid, R"({"name":" "})").status, 422);
    auto twice = Call(user, "POST", "/api/v1/portfolios",
                      R"({"name":"X","currency":"USD","benchmarks":["SPX","SPX"]})");
    EXPECT_EQ(twice.status, 422) << twice.body;  // 409 db.unique_violation before
    EXPECT_NE(twice.body.find("\"benchmarks\""), std::string::npos) << twice.body;
    EXPECT_EQ(Call(user, "PATCH", "/api/v1/portfolios/" + pid, R"({"benchmarks":["SPX","SPX"]})").status,
              422);
    EXPECT_NE(Call(user, "POST", path, Buy("AAPL", "1", "10", "1899-12-31T23:59:59Z")).body.find("too_early"),
              std::string::npos);
    for (const char* date : {"0000-01-01", "1899-12-31", "2024-06-30T23:59:60Z"}) {
        auto csv = Call(user, "POST", path + "/import",
                        std::string("type,amount,currency,date\nDEPOSIT,1,USD,") + date,
                        {{"Content-Type", "text/csv"}});
        EXPECT_EQ(csv.status, 422) << date << ": " << csv.body;
    }
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.transactions WHERE portfolio_id = '" + pid + "'"), 0);
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.holdings WHERE portfolio_id = '" + pid + "'"), 0);

    directory_->inactive.insert(IdOf(user));
    EXPECT_EQ(Call(user, "POST", "/api/v1/portfolios", R"({"name":"Y","currency":"EUR"})").status, 422);
}

// A megabyte of commas once answered 92 MB and held an event loop for two seconds; a stranger's
// upload was parsed before the portfolio was checked.
TEST_F(PortfolioApi, CsvImportIsBoundedAndChecksAccessFirst) {
    auto owner = NewUser();
    auto stranger = NewUser();
    auto pid = CreatePortfolio(owner);
    auto path = "/api/v1/portfolios/" + pid + "/transactions/import";
    std::map<std::string, std::string> csv{{"Content-Type", "text/csv"}};
    const std::string commas(1 << 20, ',');

    auto theirs = Call(stranger, "POST", path + "?dry_run=true", commas, csv);
    EXPECT_EQ(theirs.status, 404) << theirs.body.substr(0, 200);
    EXPECT_LT(theirs.body.size(), 4096u);

    auto mine = Call(owner, "POST", path + "?dry_run=true", commas, csv);
    EXPECT_EQ(mine.status, 422) << mine.body.substr(0, 200);
    EXPECT_LT(mine.body.size(), 4096u);
    EXPECT_EQ(mine.Json().at("error_count").as_int64(), 1);

    std::string many = "type,symbol,quantity,price,currency,executed_at\n";
    for (int i = 0; i < 3000; ++i) many += "BUY,AAPL,1,10,XXX,2024-01-02\n";
    auto report = Call(owner, "POST", path, many, csv);
    EXPECT_EQ(report.status, 422);
    EXPECT_EQ(report.Json().at("errors").as_array().size(), 100u);
    EXPECT_EQ(report.Json().at("error_count").as_int64(), 3000);
    EXPECT_TRUE(report.Json().at("errors_truncated").as_bool());
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.transactions WHERE portfolio_id = '" + pid + "'"), 0);
}

// "A,B" was stored as two benchmarks, "{x}" as x, and "NULL" failed with the database's
// not-null message naming table and statement.
TEST_F(PortfolioApi, BenchmarkSymbolsAreValidatedAndStoredAsSent) {
    auto user = NewUser();
    for (const char* bad : {R"(["A,B"])", R"(["{x}"])", R"(["a b"])", R"([""])"}) {
        auto r = Call(user, "POST", "/api/v1/portfolios",
                      std::string(R"({"name":"B","currency":"USD","benchmarks":)") + bad + "}");
        EXPECT_EQ(r.status, 422) << bad << " " << r.body;
        EXPECT_EQ(r.body.find("portfolio_benchmarks"), std::string::npos) << r.body;
    }
    auto ok = Call(user, "POST", "/api/v1/portfolios",
                   R"({"name":"B","currency":"USD","benchmarks":["NULL","^GSPC","SPY"]})");
    ASSERT_EQ(ok.status, 201) << ok.body;
    auto id = std::string(ok.Json().at("id").as_string());
    auto got = Call(user, "GET", "/api/v1/portfolios/" + id).Json().at("benchmarks").as_array();
    std::set<std::string> symbols;
    for (const auto& g : got) symbols.insert(std::string(g.as_string()));
    EXPECT_EQ(symbols, (std::set<std::string>{"NULL", "^GSPC", "SPY"}));
    EXPECT_EQ(got[0].as_string(), "NULL") << "the first one sent is the primary";
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.portfolio_benchmarks WHERE portfolio_id = '" + id + "'"),
              3);
}

// A long ledger is replayed on the CPU pool (above 2000 transactions): the result is the same.
TEST_F(PortfolioApi, ALongImportIsReplayedOffTheEventLoopWithTheSameResult) {
    auto user = NewUser();
    auto pid = CreatePortfolio(user);
    std::string csv = "type,symbol,quantity,price,currency,executed_at\n";
    for (int i = 0; i < 2500; ++i) csv += "BUY,AAPL,1,10,USD,2024-01-02\n";
    csv += "SELL,AAPL,500,12,USD,2024-01-03\n";
    auto r = Call(user, "POST", "/api/v1/portfolios/" + pid + "/transactions/import", csv,
                  {{"Content-Type", "text/csv"}});
    ASSERT_EQ(r.status, 201) << r.body.substr(0, 300);
    EXPECT_EQ(test::QueryValue(PortfolioDb(),
                               "SELECT quantity::text FROM portfolio.holdings WHERE portfolio_id = '" + pid +
                                   "' AND symbol = 'AAPL'"),
              "2000.0000000000");
    EXPECT_EQ(test::QueryValue(PortfolioDb(),
                               "SELECT realized_pnl::text FROM portfolio.holdings WHERE portfolio_id = '" +
                                   pid + "' AND symbol = 'AAPL'"),
              "1000.0000000000");
}

TEST_F(PortfolioApi, CsvImportDryRunAndAllOrNothing) {
    auto user = NewUser();
    auto pid = CreatePortfolio(user);
    auto path = "/api/v1/portfolios/" + pid + "/transactions/import";
    std::map<std::string, std::string> csv{{"Content-Type", "text/csv"}};
    const std::string bad =
        "Action,Ticker,Shares,Price / share,Currency,Date,Commission\n"
        "Market buy,AAPL,10,100,USD,2024-01-02,1\n"
        "Market buy,AAPL,-0,100,USD,2024-01-03,1\n"
        "Market buy,AAPL,1,100,XXX,2024-01-04,0\n"
        "Market buy,AAPL,1,100,USD,not-a-date,0\n";
    auto dry = Call(user, "POST", path + "?dry_run=true", bad, csv);
    EXPECT_EQ(dry.status, 422) << dry.body;
    auto errors = dry.Json().at("errors").as_array();
    std::set<std::int64_t> lines;
    for (const auto& e : errors) lines.insert(e.at("line").as_int64());
    EXPECT_EQ(lines, (std::set<std::int64_t>{3, 4, 5}));
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.transactions WHERE portfolio_id = '" + pid + "'"), 0);

    // Valid lines, but the sale exceeds the holding: nothing is imported.
    const std::string oversold =
        "type,symbol,quantity,price,currency,executed_at\n"
        "BUY,AAPL,10,100,USD,2024-01-02\n"
        "SELL,AAPL,11,100,USD,2024-01-03\n";
    EXPECT_EQ(Call(user, "POST", path, oversold, csv).status, 422);
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.transactions WHERE portfolio_id = '" + pid + "'"), 0);

    const std::string good =
        "type,symbol,quantity,price,currency,executed_at\n"
        "BUY,AAPL,10,100,USD,2024-01-02\n"
        "SELL,AAPL,4,110,USD,2024-01-03\n";
    auto ok = Call(user, "POST", path, good, csv);
    EXPECT_EQ(ok.status, 201) << ok.body;
    EXPECT_EQ(Count("SELECT count(*) FROM portfolio.transactions WHERE portfolio_id = '" + pid + "'"), 2);
    EXPECT_EQ(test::QueryValue(
                  PortfolioDb(),
                  "SELECT realized_pnl::text FROM portfolio.holdings WHERE portfolio_id = '" + pid + "'"),
              "40.0000000000");
}

// The after-write hook (drift, goals, live values) is not part of the request: a write is
// answered while the hook of an earlier write still runs, and the writes made meanwhile are
// coalesced into one more run per shard that starts after them and names every portfolio
// they changed.
TEST_F(PortfolioApi, AfterWriteHookRunsAfterTheResponseAndCoalesces) {
    struct Run {
        std::size_t shard;
        std::set<std::string> portfolios;
        bool after_gate;
    };
    std::mutex mutex;
    std::vector<Run> runs;
    std::atomic<bool> open{false};
    std::atomic<int> finished{0};
    service_->OnHoldingsChanged(
        [&](std::vector<ChangedPortfolio> changed, std::size_t shard) -> asio::awaitable<void> {
            Run run{shard, {}, open.load()};
            for (const auto& p : changed) run.portfolios.insert(p.id.ToString());
            {
                std::lock_guard lock(mutex);
                runs.push_back(run);
            }
            // Closed gate: wait (at most 10 s) until the test opens it.
            asio::steady_timer timer(co_await asio::this_coro::executor);
            for (int i = 0; i < 2000 && !open.load(); ++i) {
                timer.expires_after(std::chrono::milliseconds(5));
                co_await timer.async_wait(asio::use_awaitable);
            }
            ++finished;
        },
        // No gather window: this is about the writes made while a run is active (the window has
        // its own test below); with one, the first run could already take every write.
        std::chrono::milliseconds(0));
    auto user = NewUser();
    auto a = CreatePortfolio(user);
    auto b = CreatePortfolio(user);
    for (int i = 0; i < 3; ++i) {
        for (const auto& pid : {a, b}) {
            auto r =
                Call(user, "POST", "/api/v1/portfolios/" + pid + "/transactions", Buy("AAPL", "1", "10"));
            ASSERT_EQ(r.status, 201) << r.body;
            // Answered while no run of the hook has finished (they wait for the gate).
            EXPECT_EQ(finished.load(), 0);
        }
    }
    open = true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto settled = [&] {
        std::lock_guard lock(mutex);
        return finished.load() == static_cast<int>(runs.size());
    };
    while (std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (settled()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::lock_guard lock(mutex);
    EXPECT_EQ(finished.load(), static_cast<int>(runs.size()));
    std::map<std::size_t, int> per_shard;
    std::set<std::string> after_gate;
    for (const auto& r : runs) {
        ++per_shard[r.shard];
        if (r.after_gate) after_gate.insert(r.portfolios.begin(), r.portfolios.end());
    }
    // One gated run per shard, then one run for everything written meanwhile: not six runs.
    for (const auto& [shard, n] : per_shard) EXPECT_LE(n, 2) << "shard " << shard;
    EXPECT_EQ(after_gate, (std::set<std::string>{a, b}));
}

// Writes inside the gather window after the one that found the runner idle share its run: the
// hook reads them all with one statement instead of one run per write (issue 16).
TEST_F(PortfolioApi, AfterWriteHookGathersTheWritesOfItsWindow) {
    std::mutex mutex;
    std::vector<std::set<std::string>> runs;
    service_->OnHoldingsChanged(
        [&](std::vector<ChangedPortfolio> changed, std::size_t) -> asio::awaitable<void> {
            std::set<std::string> run;
            for (const auto& p : changed) run.insert(p.id.ToString());
            std::lock_guard lock(mutex);
            runs.push_back(std::move(run));
            co_return;
        },
        std::chrono::milliseconds(1500));
    auto user = NewUser();
    const std::vector<std::string> portfolios{CreatePortfolio(user), CreatePortfolio(user),
                                              CreatePortfolio(user)};
    const auto first = std::chrono::steady_clock::now();
    for (const auto& pid : portfolios) {
        auto r = Call(user, "POST", "/api/v1/portfolios/" + pid + "/transactions", Buy("AAPL", "1", "10"));
        ASSERT_EQ(r.status, 201) << r.body;
    }
    const auto written = std::chrono::steady_clock::now() - first;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto seen = [&] {
        std::lock_guard lock(mutex);
        std::set<std::string> all;
        for (const auto& r : runs) all.insert(r.begin(), r.end());
        return all;
    };
    while (seen().size() < portfolios.size() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(seen(), std::set<std::string>(portfolios.begin(), portfolios.end()));
    if (written > std::chrono::milliseconds(1200)) GTEST_SKIP() << "the writes took longer than the window";
    std::lock_guard lock(mutex);
    // One run per shard at most (each shard gathers its own writes), not one per write.
    EXPECT_LE(runs.size(), std::min<std::size_t>(app_->ShardCount(), portfolios.size()));
}

}  // namespace
}  // namespace nn::portfolio
