// The market HTTP API end to end: an in-process App running auth + market on 127.0.0.1:0
// against freshly migrated auth and timescale databases and the test Redis. Callers are real
// accounts (created as the operator command does), their bearer tokens and API keys; what was
// written is checked in the database as the superuser.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "auth/module.hpp"
#include "auth/operator_commands.hpp"
#include "auth/test_keys.hpp"
#include "infra/app/app.hpp"
#include "infra/mail/mailer.hpp"
#include "infra/migrate/migrator.hpp"
#include "infra/redis/client.hpp"
#include "market/model.hpp"
#include "market/module.hpp"
#include "tests/support/app_fixture.hpp"
#include "tests/support/test_env.hpp"

namespace nn::market {
namespace {
namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

// The batch limit of this suite's servers, small so the test of an oversized batch stays small.
constexpr int kMaxBatch = 50;

class DiscardMailer final : public mail::Mailer {
public:
    asio::awaitable<void> Send(mail::Message) override { co_return; }
};

struct Reply {
    int status = 0;
    std::string body;
    std::string content_type;
    json::value Json() const { return json::parse(body); }
    std::string Code() const {
        auto v = Json();
        const auto* c = v.as_object().if_contains("code");
        return c && c->is_string() ? std::string(c->as_string()) : std::string();
    }
    // The fields the problem's errors name, in order.
    std::vector<std::string> Fields() const {
        std::vector<std::string> out;
        auto v = Json();
        if (const auto* e = v.as_object().if_contains("errors")) {
            for (const auto& x : e->as_array()) out.emplace_back(x.as_object().at("field").as_string());
        }
        return out;
    }
};

std::string Upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// Redis keys are shared with every other test run: symbols are unique per run.
std::string NewSymbol(const std::string& tag) {
    return Upper(tag + test::UniqueName("").substr(0, 10));
}

std::string Str(const json::value& v, std::string_view key) {
    return std::string(v.as_object().at(key).as_string());
}

Decimal Dec(const json::value& v, std::string_view key) {
    return Decimal::FromString(Str(v, key));
}

Timestamp Time(const json::value& v, std::string_view key) {
    auto t = ParseRfc3339(Str(v, key));
    if (!t) throw std::runtime_error("not a time: " + Str(v, key));
    return *t;
}

// An App with auth + market (market::Register: routes and jobs) on shards of its own threads
// (test::AppHost); Run runs a coroutine on one of them.
class Server : public test::AppHost {
public:
    Server(const runtime::Config& config, const std::string& rate_limit_prefix) {
        MakeApp(config);
        auth::ModuleOptions ao;
        ao.mailer = std::make_shared<DiscardMailer>();
        ao.settings.redis_prefix = rate_limit_prefix;
        directory_ = auth::Register(app(), ao);
        prices_ = Register(app());
        StartApp();
    }
    ~Server() {
        StopApp();
        directory_.reset();
        prices_.reset();
    }

    Reply Call(const std::string& method,
               const std::string& target,
               const std::string& body = "",
               const std::string& authorization = "") const {
        std::map<std::string, std::string> headers;
        if (!authorization.empty()) headers["Authorization"] = authorization;
        const test::AppReply r = AppHost::Call(method, target, body, std::move(headers));
        Reply out;
        out.status = r.status;
        out.body = r.body;
        out.content_type = r.Header("content-type");
        return out;
    }

    PriceDirectory& prices() { return *prices_; }

private:
    std::shared_ptr<auth::UserDirectory> directory_;
    std::shared_ptr<PriceDirectory> prices_;
};

class MarketHttp : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        migrate_ =
            new test::SuiteDatabases("t_mkthttp_", {migrate::Database::kAuth, migrate::Database::kTimescale});
        migrate::Up(*migrate_, migrate::Database::kTimescale);

        config_ = new runtime::Config(test::AppConfig(*migrate_, "auth,market"));
        // Read by market::Register (market::OptionsFrom).
        config_->domain_settings["market.max_batch"] = std::to_string(kMaxBatch);
        auth::testing::PutTestKeys(*config_);
        config_->cpu_threads = 2;
        rate_prefix_ = new std::string(test::UniqueName("t_mkthttp_rl_") + ":");
        server_ = new Server(*config_, *rate_prefix_);

        admin_ = new std::string("Bearer " + Account("admin", auth::Role::kAdmin));
        user_ = new std::string("Bearer " + Account("user", auth::Role::kUser));
        write_key_ = new std::string("ApiKey " + NewKey(*admin_, "market:write"));
        read_key_ = new std::string("ApiKey " + NewKey(*admin_, "market:read"));
    }
    static void TearDownTestSuite() {
        delete server_;
        for (auto* s : {admin_, user_, write_key_, read_key_, rate_prefix_}) delete s;
        delete config_;
        delete migrate_;
    }

    void TearDown() override {
        // The latest-price keys this test's ingests wrote.
        if (symbols_.empty()) return;
        std::vector<std::string> keys;
        for (const auto& s : symbols_) keys.push_back(PriceKey(s));
        for (const auto& k : fx_keys_) keys.push_back(k);
        auto& redis = server_->app().Redis(0);
        server_->Run(redis.DelMany(keys));
    }

    // A verified account with `role`, logged in over HTTP: its access token.
    static std::string Account(const std::string& tag, auth::Role role) {
        const std::string email = test::UniqueName(tag + "_") + "@example.com";
        const std::string password = "correct horse battery staple";
        auto& pool = server_->app().Db(ServiceRole::kAuth, Database::kAuth, 0);
        server_->Run(auth::CreateUserAsOperator(pool, email, password, role));
        auto r = server_->Call("POST", "/api/v1/auth/login",
                               R"({"email":")" + email + R"(","password":")" + password + R"("})");
        if (r.status != 200) throw std::runtime_error("login: " + r.body);
        return Str(r.Json(), "access_token");
    }
    static std::string NewKey(const std::string& bearer, const std::string& scope) {
        auto r = server_->Call("POST", "/api/v1/api-keys", R"({"name":"feed","scopes":[")" + scope + R"("]})",
                               bearer);
        if (r.status != 201) throw std::runtime_error("api key: " + r.body);
        return Str(r.Json(), "key");
    }

    Reply Call(const std::string& method,
               const std::string& target,
               const std::string& body = "",
               const std::string& authorization = "") {
        return server_->Call(method, target, body, authorization);
    }

    // An instrument created through the API by the admin; remembered for the Redis clean-up.
    std::string Instrument(const std::string& tag,
                           const std::string& asset_class = "EQUITY",
                           const std::string& name = "Test instrument") {
        const std::string symbol = NewSymbol(tag);
        auto r = Call("POST", "/api/v1/market/instruments",
                      R"({"symbol":")" + symbol + R"(","name":")" + name + R"(","asset_class":")" +
                          asset_class + R"(","currency":"USD","exchange_timezone":"UTC"})",
                      *admin_);
        EXPECT_EQ(r.status, 201) << r.body;
        symbols_.push_back(symbol);
        return symbol;
    }

    static std::string Tick(const std::string& symbol,
                            Timestamp time,
                            const std::string& close,
                            const std::string& extra = "") {
        return R"({"time":")" + FormatRfc3339(time) + R"(","symbol":")" + symbol + R"(","close":")" + close +
               "\"" + extra + "}";
    }
    static std::string Batch(const std::vector<std::string>& ticks, const std::string& list = "prices") {
        std::string out = "{\"" + list + "\":[";
        for (std::size_t i = 0; i < ticks.size(); ++i) out += (i ? "," : "") + ticks[i];
        return out + "]}";
    }
    Reply Ingest(const std::vector<std::string>& ticks, const std::string& path = "/api/v1/market/prices") {
        return Call("POST", path, Batch(ticks), *write_key_);
    }

    static std::string TsDb() { return test::PgUrlFor(migrate_->prefix + "_timescale"); }
    static long Count(const std::string& sql) { return std::stol(test::QueryValue(TsDb(), sql)); }
    static long Rows(const std::string& table, const std::string& symbol) {
        return Count("SELECT count(*) FROM market_data." + table + " WHERE symbol = '" + symbol + "'");
    }

    inline static test::SuiteDatabases* migrate_ = nullptr;
    inline static runtime::Config* config_ = nullptr;
    inline static std::string* rate_prefix_ = nullptr;
    inline static Server* server_ = nullptr;
    inline static std::string* admin_ = nullptr;      // "Bearer <admin token>"
    inline static std::string* user_ = nullptr;       // "Bearer <user token>"
    inline static std::string* write_key_ = nullptr;  // "ApiKey <admin's key with market:write>"
    inline static std::string* read_key_ = nullptr;   // "ApiKey <admin's key with market:read>"
    std::vector<std::string> symbols_;
    std::vector<std::string> fx_keys_;
};

void ExpectProblem(const Reply& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.content_type, "application/problem+json") << r.body;
    if (!code.empty() && !r.body.empty()) {
        EXPECT_EQ(r.Code(), code) << r.body;
    }
}

bool Names(const Reply& r, const std::string& field) {
    if (r.body.empty()) return false;
    for (const auto& f : r.Fields()) {
        if (f == field) return true;
    }
    return false;
}

TEST_F(MarketHttp, AdminsCreateAndEditInstrumentsEveryoneSearches) {
    const std::string symbol = NewSymbol("INS");
    const std::string body = R"({"symbol":")" + symbol +
                             R"(","name":"Zeta Widgets Inc","asset_class":"EQUITY","sector":"Industrials",)"
                             R"("country":"US","currency":"USD","exchange":"XNYS",)"
                             R"("exchange_timezone":"America/New_York","fractional":true})";
    const long before = Count("SELECT count(*) FROM market_data.instruments");

    ExpectProblem(Call("POST", "/api/v1/market/instruments", body), 401, "");
    ExpectProblem(Call("POST", "/api/v1/market/instruments", body, *user_), 403, "auth.admin_required");
    // An API key never acts as an administrator, whatever its owner's role and scopes.
    ExpectProblem(Call("POST", "/api/v1/market/instruments", body, *write_key_), 403, "auth.admin_required");
    EXPECT_EQ(Count("SELECT count(*) FROM market_data.instruments"), before);

    auto created = Call("POST", "/api/v1/market/instruments", body, *admin_);
    ASSERT_EQ(created.status, 201) << created.body;
    const auto c = created.Json();
    EXPECT_EQ(Str(c, "symbol"), symbol);
    EXPECT_EQ(Str(c, "name"), "Zeta Widgets Inc");
    EXPECT_EQ(Str(c, "sector"), "Industrials");
    EXPECT_EQ(Str(c, "exchange_timezone"), "America/New_York");
    EXPECT_TRUE(c.at("fractional").as_bool());
    EXPECT_EQ(test::QueryValue(TsDb(),
                               "SELECT name || '|' || currency || '|' || exchange FROM "
                               "market_data.instruments WHERE symbol = '" +
                                   symbol + "'"),
              "Zeta Widgets Inc|USD|XNYS");
    ExpectProblem(Call("POST", "/api/v1/market/instruments", body, *admin_), 409, "market.instrument_exists");

    // Validation: every offending field named, nothing written. An unknown field makes the
    // whole answer 400 (the http layer's rule for bodies), still naming every field.
    auto bad = Call("POST", "/api/v1/market/instruments",
                    R"({"symbol":"BAD SYMBOL","name":"","asset_class":"SHARES","currency":"usd"})", *admin_);
    ExpectProblem(bad, 422, "validation.failed");
    for (const char* f : {"name", "asset_class"}) EXPECT_TRUE(Names(bad, f)) << f << " " << bad.body;
    auto unknown = Call(
        "POST", "/api/v1/market/instruments",
        R"({"symbol":"OKSYM","name":"","asset_class":"EQUITY","currency":"USD","colour":"red"})", *admin_);
    ExpectProblem(unknown, 400, "request.unknown_fields");
    for (const char* f : {"name", "colour"}) EXPECT_TRUE(Names(unknown, f)) << f << " " << unknown.body;
    auto bad_symbol =
        Call("POST", "/api/v1/market/instruments",
             R"({"symbol":"BAD SYMBOL","name":"x","asset_class":"EQUITY","currency":"USD"})", *admin_);
    ExpectProblem(bad_symbol, 422, "validation.failed");
    EXPECT_TRUE(Names(bad_symbol, "symbol")) << bad_symbol.body;
    auto bad_currency =
        Call("POST", "/api/v1/market/instruments",
             R"({"symbol":"OKSYM","name":"x","asset_class":"EQUITY","currency":"usd"})", *admin_);
    ExpectProblem(bad_currency, 422, "validation.failed");
    EXPECT_TRUE(Names(bad_currency, "currency")) << bad_currency.body;
    ExpectProblem(Call("POST", "/api/v1/market/instruments", "[1,2]", *admin_), 400, "");
    EXPECT_EQ(Count("SELECT count(*) FROM market_data.instruments"), before + 1);

    // Edit: admins only; null clears; validation names the field and changes nothing.
    const std::string path = "/api/v1/market/instruments/" + symbol;
    ExpectProblem(Call("PATCH", path, R"({"name":"Hijacked"})", *user_), 403, "auth.admin_required");
    ExpectProblem(Call("PATCH", path, R"({"name":"Hijacked"})", *write_key_), 403, "auth.admin_required");
    auto bad_patch = Call("PATCH", path, R"({"currency":"EURO","name":"Hijacked"})", *admin_);
    ExpectProblem(bad_patch, 422, "validation.failed");
    EXPECT_TRUE(Names(bad_patch, "currency")) << bad_patch.body;
    ExpectProblem(Call("PATCH", path, R"({"ticker":"X"})", *admin_), 400, "request.unknown_fields");
    ExpectProblem(
        Call("PATCH", "/api/v1/market/instruments/" + NewSymbol("NONE"), R"({"name":"x"})", *admin_), 404,
        "");
    EXPECT_EQ(
        test::QueryValue(TsDb(), "SELECT name FROM market_data.instruments WHERE symbol = '" + symbol + "'"),
        "Zeta Widgets Inc");
    auto patched =
        Call("PATCH", path, R"({"name":"Zeta Widgets Holding","sector":null,"currency":"EUR"})", *admin_);
    ASSERT_EQ(patched.status, 200) << patched.body;
    EXPECT_EQ(Str(patched.Json(), "name"), "Zeta Widgets Holding");
    EXPECT_TRUE(patched.Json().at("sector").is_null());
    EXPECT_EQ(Str(patched.Json(), "exchange"), "XNYS") << "fields not in the patch stay";
    auto got = Call("GET", path, "", *user_);
    ASSERT_EQ(got.status, 200) << got.body;
    EXPECT_EQ(Str(got.Json(), "currency"), "EUR");
    EXPECT_TRUE(got.Json().at("sector").is_null());

    // Search: every authenticated caller; prefix on symbol or name; asset class; pages.
    const std::string second = Instrument(symbol.substr(0, 3), "ETF", "Zeta Second Fund");
    ExpectProblem(Call("GET", "/api/v1/market/instruments?q=" + symbol), 401, "");
    auto by_symbol = Call("GET", "/api/v1/market/instruments?q=" + symbol, "", *user_);
    ASSERT_EQ(by_symbol.status, 200) << by_symbol.body;
    const auto items = by_symbol.Json().at("items").as_array();
    ASSERT_EQ(items.size(), 1u) << by_symbol.body;
    EXPECT_EQ(Str(items[0], "symbol"), symbol);
    auto by_name = Call("GET", "/api/v1/market/instruments?q=Zeta%20Widgets", "", *user_);
    ASSERT_EQ(by_name.status, 200) << by_name.body;
    bool found = false;
    const auto named = by_name.Json().at("items").as_array();
    for (const auto& i : named) found = found || Str(i, "symbol") == symbol;
    EXPECT_TRUE(found) << by_name.body;
    auto etf = Call("GET", "/api/v1/market/instruments?q=" + second + "&asset_class=EQUITY", "", *user_);
    ASSERT_EQ(etf.status, 200);
    EXPECT_TRUE(etf.Json().at("items").as_array().empty()) << etf.body;
    auto page1 =
        Call("GET", "/api/v1/market/instruments?q=" + symbol.substr(0, 3) + "&limit=1", "", *read_key_);
    ASSERT_EQ(page1.status, 200) << page1.body;
    ASSERT_EQ(page1.Json().at("items").as_array().size(), 1u);
    ASSERT_TRUE(page1.Json().at("next_cursor").is_string()) << page1.body;
    auto page2 = Call("GET",
                      "/api/v1/market/instruments?q=" + symbol.substr(0, 3) +
                          "&limit=1&cursor=" + Str(page1.Json(), "next_cursor"),
                      "", *user_);
    ASSERT_EQ(page2.status, 200) << page2.body;
    ASSERT_EQ(page2.Json().at("items").as_array().size(), 1u);
    EXPECT_NE(Str(page2.Json().at("items").as_array()[0], "symbol"),
              Str(page1.Json().at("items").as_array()[0], "symbol"));
    auto long_q = Call("GET", "/api/v1/market/instruments?q=" + std::string(65, 'A'), "", *user_);
    ExpectProblem(long_q, 422, "validation.failed");
    EXPECT_TRUE(Names(long_q, "q")) << long_q.body;
    auto bad_path = Call("GET", "/api/v1/market/instruments/b%20c", "", *user_);
    ExpectProblem(bad_path, 422, "validation.failed");
    EXPECT_TRUE(Names(bad_path, "symbol")) << bad_path.body;
}

TEST_F(MarketHttp, IngestNeedsAKeyWithMarketWrite) {
    const std::string symbol = Instrument("AUT");
    const Timestamp t = std::chrono::floor<std::chrono::seconds>(Now() - 10min);
    const std::string body = Batch({Tick(symbol, t, "10.5")});
    ExpectProblem(Call("POST", "/api/v1/market/prices", body), 401, "");
    ExpectProblem(Call("POST", "/api/v1/market/prices", body, "ApiKey nnk_live_notakey"), 401, "");
    ExpectProblem(Call("POST", "/api/v1/market/prices", body, *user_), 403, "auth.insufficient_scope");
    ExpectProblem(Call("POST", "/api/v1/market/prices", body, *read_key_), 403, "auth.insufficient_scope");
    EXPECT_EQ(Rows("stock_prices", symbol), 0);

    auto ok = Call("POST", "/api/v1/market/prices", body, *write_key_);
    ASSERT_EQ(ok.status, 200) << ok.body;
    const auto j = ok.Json();
    EXPECT_EQ(j.at("received").as_int64(), 1);
    EXPECT_EQ(j.at("inserted").as_int64(), 1);
    EXPECT_EQ(j.at("updated_latest").as_int64(), 1);
    EXPECT_TRUE(j.at("event_published").as_bool());
    EXPECT_EQ(Count("SELECT count(*) FROM market_data.outbox WHERE payload->>'batch_id' = '" +
                    Str(j, "batch_id") + "' AND published_at IS NOT NULL"),
              1);
    // An administrator's bearer token may ingest too; a replay inserts nothing.
    auto replay = Call("POST", "/api/v1/market/prices", body, *admin_);
    ASSERT_EQ(replay.status, 200) << replay.body;
    EXPECT_EQ(replay.Json().at("inserted").as_int64(), 0);
    EXPECT_EQ(Rows("stock_prices", symbol), 1);
    EXPECT_EQ(test::QueryValue(TsDb(),
                               "SELECT trim_scale(close)::text FROM market_data.stock_prices WHERE "
                               "symbol = '" +
                                   symbol + "'"),
              "10.5");
}

// Market reads named market:read but never checked it: a key with the write scope alone read
// every price.
TEST_F(MarketHttp, ReadsNeedMarketRead) {
    const std::string symbol = Instrument("RDS");
    ExpectProblem(Call("GET", "/api/v1/market/prices/" + symbol + "/latest", "", *write_key_), 403,
                  "auth.insufficient_scope");
    ExpectProblem(Call("GET", "/api/v1/market/prices/" + symbol, "", *write_key_), 403,
                  "auth.insufficient_scope");
    ExpectProblem(Call("GET", "/api/v1/market/instruments?q=A", "", *write_key_), 403,
                  "auth.insufficient_scope");
    EXPECT_NE(Call("GET", "/api/v1/market/instruments?q=A", "", *read_key_).status, 403);
    EXPECT_NE(Call("GET", "/api/v1/market/instruments?q=A", "", *user_).status, 403);
}

TEST_F(MarketHttp, BadInputIsRejectedNamingTheElementAndNothingOfTheBatchIsWritten) {
    const std::string good = Instrument("GOOD");
    const std::string other = Instrument("OTH");
    const std::string index = Instrument("IDX", "INDEX");
    const Timestamp t = std::chrono::floor<std::chrono::seconds>(Now() - 2min);
    const std::string first = Tick(good, t, "10");
    const long outbox_before = Count("SELECT count(*) FROM market_data.outbox");

    struct Case {
        const char* what;
        std::string bad;
        int status;
        std::string field;
        std::string code;
    };
    const std::vector<Case> cases = {
        {"unknown symbol", Tick(NewSymbol("NOPE"), t, "10"), 422, "prices[1].symbol",
         "market.unknown_symbol"},
        {"an index on the stock path", Tick(index, t, "10"), 422, "prices[1].symbol",
         "market.unknown_symbol"},
        {"invalid symbol", Tick("no spaces", t, "10"), 422, "prices[1].symbol", "validation.failed"},
        {"negative price", Tick(other, t, "-1.5"), 422, "prices[1].close", "validation.failed"},
        {"zero price", Tick(other, t, "0"), 422, "prices[1].close", "validation.failed"},
        {"zero low", Tick(other, t, "10", R"(,"low":"0.000")"), 422, "prices[1].low", "validation.failed"},
        {"high below low", Tick(other, t, "10", R"(,"high":"9","low":"11")"), 422, "prices[1].high",
         "validation.failed"},
        {"close above high", Tick(other, t, "12", R"(,"high":"11","low":"9")"), 422, "prices[1].close",
         "validation.failed"},
        {"NaN", Tick(other, t, "NaN"), 422, "prices[1].close", "validation.failed"},
        {"Infinity", Tick(other, t, "Infinity"), 422, "prices[1].close", "validation.failed"},
        {"-Infinity", Tick(other, t, "10", R"(,"open":"-Infinity")"), 422, "prices[1].open",
         "validation.failed"},
        {"exponent", Tick(other, t, "1e3"), 422, "prices[1].close", "validation.failed"},
        {"a JSON number",
         R"({"time":")" + FormatRfc3339(t) + R"(","symbol":")" + other + R"(","close":10.5})", 422,
         "prices[1].close", "validation.failed"},
        {"too precise", Tick(other, t, "1.12345678901"), 422, "prices[1].close", "validation.failed"},
        {"too large", Tick(other, t, "1234567890123456789"), 422, "prices[1].close", "validation.failed"},
        {"far-future time", Tick(other, Now() + 1h, "10"), 422, "prices[1].time", "validation.failed"},
        {"before 1970", Tick(other, TimestampFromString("1969-12-31T23:59:59Z"), "10"), 422, "prices[1].time",
         "validation.failed"},
        {"time without offset", R"({"time":"2024-05-01T14:30:00","symbol":")" + other + R"(","close":"10"})",
         422, "prices[1].time", "validation.failed"},
        {"negative volume", Tick(other, t, "10", R"(,"volume":-5)"), 422, "prices[1].volume",
         "validation.failed"},
        {"missing close", R"({"time":")" + FormatRfc3339(t) + R"(","symbol":")" + other + R"("})", 422,
         "prices[1].close", "validation.failed"},
        {"unknown field", Tick(other, t, "10", R"(,"bid":"9")"), 422, "prices[1].bid", "validation.failed"},
        {"same key, other values", Tick(good, t, "11"), 422, "prices[1].time", "validation.failed"},
        {"not an object", "42", 422, "prices[1]", "validation.failed"},
    };
    for (const auto& c : cases) {
        auto r = Ingest({first, c.bad});
        ExpectProblem(r, c.status, c.code);
        EXPECT_TRUE(Names(r, c.field)) << c.what << ": " << r.body;
    }

    std::vector<std::string> oversized;
    for (int i = 0; i <= kMaxBatch; ++i) oversized.push_back(Tick(good, t - std::chrono::seconds(i), "10"));
    auto big = Ingest(oversized);
    ExpectProblem(big, 413, "market.batch_too_large");
    EXPECT_TRUE(Names(big, "prices")) << big.body;
    ExpectProblem(Call("POST", "/api/v1/market/prices", R"({"prices":[]})", *write_key_), 422, "");
    ExpectProblem(Call("POST", "/api/v1/market/prices", R"({"ticks":[]})", *write_key_), 422, "");
    ExpectProblem(Call("POST", "/api/v1/market/prices", "{not json", *write_key_), 400, "");

    // Nothing of any of those batches: no raw row, no bar, no latest price, no event.
    for (const char* table : {"stock_prices", "bars_1m", "ohlcv_1h", "ohlcv_1d", "latest_prices"}) {
        EXPECT_EQ(Rows(table, good), 0) << table;
        EXPECT_EQ(Rows(table, other), 0) << table;
    }
    EXPECT_EQ(Count("SELECT count(*) FROM market_data.outbox"), outbox_before);
    ExpectProblem(Call("GET", "/api/v1/market/prices/" + good + "/latest", "", *user_), 404,
                  "market.no_price");

    // The good element alone goes through (the rejections above were about the bad one), and
    // exactly the largest batch allowed is accepted.
    auto alone = Ingest({first});
    ASSERT_EQ(alone.status, 200) << alone.body;
    EXPECT_EQ(Rows("stock_prices", good), 1);
    oversized.pop_back();
    auto full = Ingest(oversized);
    ASSERT_EQ(full.status, 200) << full.body;
    EXPECT_EQ(Rows("stock_prices", good), kMaxBatch);
}

TEST_F(MarketHttp, LatestForOneAndForManySymbols) {
    const std::string a = Instrument("LA");
    const std::string b = Instrument("LB");
    const std::string unpriced = Instrument("LC");
    const Timestamp t0 = std::chrono::floor<std::chrono::seconds>(Now() - 30min);
    const Timestamp t1 = t0 + 5min;
    const Timestamp t2 = t0 + 10min;
    ASSERT_EQ(Ingest({Tick(a, t1, "101.50", R"(,"volume":100)"), Tick(b, t1, "7")}).status, 200);
    ASSERT_EQ(Ingest({Tick(a, t2, "102.25", R"(,"volume":5)")}).status, 200);
    // a late tick does not move the latest price back
    ASSERT_EQ(Ingest({Tick(a, t0, "50")}).status, 200);

    auto one = Call("GET", "/api/v1/market/prices/" + a + "/latest", "", *user_);
    ASSERT_EQ(one.status, 200) << one.body;
    EXPECT_EQ(Str(one.Json(), "symbol"), a);
    EXPECT_EQ(Dec(one.Json(), "price"), Decimal::FromString("102.25"));
    EXPECT_EQ(Time(one.Json(), "time"), t2);
    ExpectProblem(Call("GET", "/api/v1/market/prices/" + a + "/latest"), 401, "");
    ExpectProblem(Call("GET", "/api/v1/market/prices/" + unpriced + "/latest", "", *user_), 404,
                  "market.no_price");
    ExpectProblem(Call("GET", "/api/v1/market/prices/" + NewSymbol("NONE") + "/latest", "", *user_), 404, "");

    auto many = Call("GET",
                     "/api/v1/market/prices/latest?symbols=" + b + "," + unpriced + "," + a + "," +
                         NewSymbol("NONE") + "," + a,
                     "", *read_key_);
    ASSERT_EQ(many.status, 200) << many.body;
    const auto prices = many.Json().at("items").as_array();
    EXPECT_TRUE(many.Json().at("next_cursor").is_null()) << many.body;
    ASSERT_EQ(prices.size(), 2u) << "unknown and unpriced symbols are left out, duplicates once: "
                                 << many.body;
    const auto& pa = a < b ? prices[0] : prices[1];
    const auto& pb = a < b ? prices[1] : prices[0];
    EXPECT_EQ(Str(pa, "symbol"), a);
    EXPECT_EQ(Dec(pa, "price"), Decimal::FromString("102.25"));
    EXPECT_EQ(Time(pa, "time"), t2);
    EXPECT_EQ(Str(pb, "symbol"), b);
    EXPECT_EQ(Dec(pb, "price"), Decimal::FromString("7"));
    EXPECT_EQ(Time(pb, "time"), t1);

    ExpectProblem(Call("GET", "/api/v1/market/prices/latest", "", *user_), 422, "validation.failed");
    auto invalid = Call("GET", "/api/v1/market/prices/latest?symbols=" + a + ",b%20c", "", *user_);
    ExpectProblem(invalid, 422, "validation.failed");
    EXPECT_TRUE(Names(invalid, "symbols")) << invalid.body;
    std::string too_many;
    for (int i = 0; i < 201; ++i) too_many += (i ? ",S" : "S") + std::to_string(i);
    ExpectProblem(Call("GET", "/api/v1/market/prices/latest?symbols=" + too_many, "", *user_), 422,
                  "validation.failed");
}

TEST_F(MarketHttp, LatestFallsBackToTheDatabaseWhenRedisIsUnreachable) {
    const std::string s = Instrument("FB");
    const Timestamp t = std::chrono::floor<std::chrono::seconds>(Now() - 20min);
    ASSERT_EQ(Ingest({Tick(s, t, "55.5", R"(,"volume":3)")}).status, 200);
    // Make Redis disagree with the database, so each answer shows where it came from.
    auto& redis = server_->app().Redis(0);
    server_->Run(redis.Set(PriceKey(s), EncodeCachedPrice(t + 1s, Decimal::FromString("999"))));
    auto cached = Call("GET", "/api/v1/market/prices/" + s + "/latest", "", *user_);
    ASSERT_EQ(cached.status, 200) << cached.body;
    EXPECT_EQ(Dec(cached.Json(), "price"), Decimal::FromString("999")) << "Redis is read first";

    // The same databases, Redis on a port nobody listens on.
    runtime::Config dead = *config_;
    dead.redis_url = Secret("redis://127.0.0.1:1/0");
    Server down(dead, *rate_prefix_);
    auto one = down.Call("GET", "/api/v1/market/prices/" + s + "/latest", "", *user_);
    ASSERT_EQ(one.status, 200) << one.body;
    EXPECT_EQ(Dec(one.Json(), "price"), Decimal::FromString("55.5"));
    EXPECT_EQ(Time(one.Json(), "time"), t);
    EXPECT_EQ(one.Json().at("volume").as_int64(), 3);
    auto many = down.Call("GET", "/api/v1/market/prices/latest?symbols=" + s, "", *user_);
    ASSERT_EQ(many.status, 200) << many.body;
    ASSERT_EQ(many.Json().at("items").as_array().size(), 1u);
    EXPECT_EQ(Dec(many.Json().at("items").as_array()[0], "price"), Decimal::FromString("55.5"));

    // Ingest still commits; the event waits in the outbox, and the database answers the new price.
    auto ingest = down.Call("POST", "/api/v1/market/prices", Batch({Tick(s, t + 1min, "56")}), *write_key_);
    ASSERT_EQ(ingest.status, 200) << ingest.body;
    EXPECT_FALSE(ingest.Json().at("event_published").as_bool());
    EXPECT_EQ(Count("SELECT count(*) FROM market_data.outbox WHERE payload->>'batch_id' = '" +
                    Str(ingest.Json(), "batch_id") + "' AND published_at IS NULL"),
              1);
    auto after = down.Call("GET", "/api/v1/market/prices/" + s + "/latest", "", *user_);
    ASSERT_EQ(after.status, 200) << after.body;
    EXPECT_EQ(Dec(after.Json(), "price"), Decimal::FromString("56"));
}

// The bars the rollup rules give for a set of ticks: open of the earliest tick (open, else
// close), close of the latest, high/low over high/low (else close), volumes summed.
struct TickIn {
    Timestamp time;
    Decimal open, high, low, close;
    std::int64_t volume;
};
struct BarOut {
    Decimal open, high, low, close;
    std::int64_t volume = 0;
    Timestamp first{}, last{};
};

template <class Key, class KeyOf>
std::map<Key, BarOut> Expected(const std::vector<TickIn>& ticks, KeyOf key_of) {
    std::map<Key, BarOut> out;
    for (const auto& t : ticks) {
        auto [it, fresh] = out.try_emplace(key_of(t.time));
        BarOut& b = it->second;
        if (fresh || t.time < b.first) {
            b.open = t.open;
            b.first = t.time;
        }
        if (fresh || t.time > b.last) {
            b.close = t.close;
            b.last = t.time;
        }
        if (fresh || t.high > b.high) b.high = t.high;
        if (fresh || t.low < b.low) b.low = t.low;
        b.volume += t.volume;
    }
    return out;
}

void ExpectBar(const json::value& got, const BarOut& want, const std::string& where) {
    EXPECT_EQ(Dec(got, "open"), want.open) << where;
    EXPECT_EQ(Dec(got, "high"), want.high) << where;
    EXPECT_EQ(Dec(got, "low"), want.low) << where;
    EXPECT_EQ(Dec(got, "close"), want.close) << where;
    EXPECT_EQ(got.at("volume").as_int64(), want.volume) << where;
}

TEST_F(MarketHttp, HistoryAtEveryIntervalMatchesTheIngestedTicks) {
    const std::string s = Instrument("HIS");
    using std::chrono::days;
    const auto today = std::chrono::floor<days>(Now());
    const auto d0 = today - days(40);
    // Ticks on days spanning weeks and (mostly) a month boundary, several per minute, minutes in
    // and across 5- and 15-minute buckets, two hours a day; some carry open/high/low.
    std::vector<TickIn> ticks;
    std::vector<std::string> json_ticks;
    int i = 0;
    for (int day : {0, 1, 6, 13, 20, 27, 35}) {
        for (int hour : {9, 14}) {
            for (int minute : {0, 1, 4, 5, 14, 15, 16, 44}) {
                for (int second : {10, 40}) {
                    const Timestamp time = d0 + days(day) + std::chrono::hours(hour) +
                                           std::chrono::minutes(minute) + std::chrono::seconds(second);
                    const Decimal close = Decimal::FromUnscaled(10'000 + (i * 7919) % 5000, 2);
                    TickIn t{time, close, close, close, close, 1 + i % 13};
                    std::string extra = ",\"volume\":" + std::to_string(t.volume);
                    if (i % 3 == 0) {
                        t.open = close - Decimal::FromString("0.5");
                        t.high = close + Decimal::FromString("1.25");
                        t.low = t.open - Decimal::FromString("0.75");
                        extra += R"(,"open":")" + t.open.ToString() + R"(","high":")" + t.high.ToString() +
                                 R"(","low":")" + t.low.ToString() + "\"";
                    }
                    ticks.push_back(t);
                    json_ticks.push_back(Tick(s, time, close.ToString(), extra));
                    ++i;
                }
            }
        }
    }
    // Out of order, in batches of at most kMaxBatch: late ticks must still give the right bars.
    std::vector<std::string> shuffled;
    for (std::size_t k = 0; k < json_ticks.size(); k += 2)
        shuffled.push_back(json_ticks[json_ticks.size() - 1 - k]);
    for (std::size_t k = 1; k < json_ticks.size(); k += 2)
        shuffled.push_back(json_ticks[json_ticks.size() - 1 - k]);
    for (std::size_t k = 0; k < shuffled.size(); k += kMaxBatch) {
        std::vector<std::string> chunk(
            shuffled.begin() + static_cast<std::ptrdiff_t>(k),
            shuffled.begin() + static_cast<std::ptrdiff_t>(std::min(shuffled.size(), k + kMaxBatch)));
        auto r = Ingest(chunk);
        ASSERT_EQ(r.status, 200) << r.body;
    }

    const std::string range = "&from=" + FormatRfc3339(d0 - days(1)) + "&to=" + FormatRfc3339(Now());
    // From the second tick: inside the first tick's minute, so inside the first bucket of every
    // interval, which must still come back whole (from moves back to the bucket's start).
    const std::string inside = "&from=" + FormatRfc3339(ticks[1].time) + "&to=" + FormatRfc3339(Now());
    auto get_in = [&](const std::string& interval, const std::string& query) {
        auto r = Call("GET", "/api/v1/market/prices/" + s + "?interval=" + interval + query + "&limit=10000",
                      "", *user_);
        EXPECT_EQ(r.status, 200) << interval << ": " << r.body;
        EXPECT_TRUE(r.Json().at("next_cursor").is_null());
        EXPECT_EQ(Str(r.Json(), "interval"), interval);
        return r.Json().at("items").as_array();
    };
    auto get = [&](const std::string& interval) {
        auto all = get_in(interval, range);
        if (interval != "raw") {
            EXPECT_EQ(get_in(interval, inside), all) << interval << " from inside a bucket";
        }
        return all;
    };

    auto raw = get("raw");
    ASSERT_EQ(raw.size(), ticks.size());
    for (std::size_t k = 0; k < ticks.size(); ++k) {
        EXPECT_EQ(Time(raw[k], "time"), ticks[k].time);
        EXPECT_EQ(Dec(raw[k], "close"), ticks[k].close);
    }

    auto intraday = [&](const std::string& interval, std::chrono::minutes width) {
        auto want = Expected<Timestamp>(ticks, [&](Timestamp t) {
            const auto m = std::chrono::floor<std::chrono::minutes>(t).time_since_epoch();
            return Timestamp(std::chrono::duration_cast<std::chrono::microseconds>(m - m % width));
        });
        auto bars = get(interval);
        ASSERT_EQ(bars.size(), want.size()) << interval;
        std::size_t k = 0;
        for (const auto& [start, bar] : want) {
            EXPECT_EQ(Time(bars[k], "time"), start) << interval;
            ExpectBar(bars[k], bar, interval + " " + FormatRfc3339(start));
            ++k;
        }
    };
    intraday("1m", std::chrono::minutes(1));
    intraday("5m", std::chrono::minutes(5));
    intraday("15m", std::chrono::minutes(15));
    intraday("1h", std::chrono::minutes(60));

    // Daily and coarser: the instrument trades in UTC, so the trading date is the UTC date.
    auto daily = [&](const std::string& interval, auto date_of) {
        auto want = Expected<std::string>(
            ticks, [&](Timestamp t) { return FormatDate(date_of(std::chrono::floor<days>(t))); });
        auto bars = get(interval);
        ASSERT_EQ(bars.size(), want.size()) << interval;
        std::size_t k = 0;
        for (const auto& [date, bar] : want) {
            EXPECT_EQ(Str(bars[k], "date"), date) << interval;
            ExpectBar(bars[k], bar, interval + " " + date);
            ++k;
        }
    };
    daily("1d", [](std::chrono::sys_days d) { return Date(d); });
    daily("1w",
          [](std::chrono::sys_days d) { return Date(d - (std::chrono::weekday(d) - std::chrono::Monday)); });
    daily("1mo", [](std::chrono::sys_days d) {
        const Date ymd(d);
        return Date(ymd.year() / ymd.month() / 1);
    });

    // limit and cursor pages (a next_cursor only when more exist; following them gives exactly
    // the one-page answer, no bar twice or lost, also where a bar folds several buckets), the
    // echoed bucket start, the default interval and the bad queries
    auto limited = Call("GET", "/api/v1/market/prices/" + s + "?interval=1d&limit=2" + range, "", *user_);
    ASSERT_EQ(limited.status, 200) << limited.body;
    EXPECT_EQ(limited.Json().at("items").as_array().size(), 2u);
    EXPECT_TRUE(limited.Json().at("next_cursor").is_string());
    auto exact = Call("GET", "/api/v1/market/prices/" + s + "?interval=1d&limit=7" + range, "", *user_);
    ASSERT_EQ(exact.status, 200) << exact.body;
    EXPECT_EQ(exact.Json().at("items").as_array().size(), 7u) << "one daily bar per tick day";
    EXPECT_TRUE(exact.Json().at("next_cursor").is_null()) << exact.body;
    for (const std::string interval : {"raw", "5m", "1h", "1d", "1w", "1mo"}) {
        const std::string query = "/api/v1/market/prices/" + s + "?interval=" + interval + range;
        auto whole = get_in(interval, range);
        json::array paged;
        std::string cursor;
        for (int page = 0; page < 400; ++page) {
            auto r =
                Call("GET", query + "&limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor), "", *user_);
            ASSERT_EQ(r.status, 200) << interval << ": " << r.body;
            const auto body = r.Json();
            for (const auto& bar : body.at("items").as_array()) paged.push_back(bar);
            const auto& next = body.at("next_cursor");
            if (next.is_null()) break;
            cursor = std::string(next.as_string());
        }
        EXPECT_EQ(json::serialize(paged), json::serialize(whole)) << interval;
    }
    auto bad_cursor =
        Call("GET", "/api/v1/market/prices/" + s + "?interval=1d&cursor=%21%21" + range, "", *user_);
    ExpectProblem(bad_cursor, 400, "pagination.bad_cursor");
    auto echoed = Call("GET", "/api/v1/market/prices/" + s + "?interval=15m" + inside, "", *user_);
    ASSERT_EQ(echoed.status, 200) << echoed.body;
    EXPECT_EQ(Time(echoed.Json(), "from"), d0 + std::chrono::hours(9));
    auto by_default = Call("GET", "/api/v1/market/prices/" + s + "?" + range.substr(1), "", *user_);
    ASSERT_EQ(by_default.status, 200) << by_default.body;
    EXPECT_EQ(Str(by_default.Json(), "interval"), "1m");
    auto bad_interval = Call("GET", "/api/v1/market/prices/" + s + "?interval=2m", "", *user_);
    ExpectProblem(bad_interval, 422, "validation.failed");
    EXPECT_TRUE(Names(bad_interval, "interval")) << bad_interval.body;
    auto reversed = Call(
        "GET", "/api/v1/market/prices/" + s + "?from=" + FormatRfc3339(Now()) + "&to=" + FormatRfc3339(d0),
        "", *user_);
    ExpectProblem(reversed, 422, "validation.failed");
    EXPECT_TRUE(Names(reversed, "from")) << reversed.body;
    auto bad_time = Call("GET", "/api/v1/market/prices/" + s + "?from=yesterday", "", *user_);
    ExpectProblem(bad_time, 422, "validation.failed");
    EXPECT_TRUE(Names(bad_time, "from")) << bad_time.body;
    ExpectProblem(Call("GET", "/api/v1/market/prices/" + s + "?limit=0", "", *user_), 422,
                  "validation.failed");
    ExpectProblem(Call("GET", "/api/v1/market/prices/" + NewSymbol("NONE") + "?interval=1d", "", *user_), 404,
                  "market.unknown_symbol");
    ExpectProblem(Call("GET", "/api/v1/market/prices/" + s + "?interval=1d"), 401, "");
}

TEST_F(MarketHttp, IndicesHaveTheirOwnSeries) {
    const std::string idx = Instrument("NDX", "INDEX");
    const std::string stock = Instrument("STK");
    const Timestamp t = std::chrono::floor<std::chrono::minutes>(Now() - 30min);
    const std::string path = "/api/v1/market/indices";
    auto r = Ingest(
        {Tick(idx, t + 5s, "18000.5"), Tick(idx, t + 20s, "18010.25"), Tick(idx, t + 70s, "17990")}, path);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Count("SELECT count(*) FROM market_data.market_indices WHERE symbol = '" + idx + "'"), 3);
    EXPECT_EQ(Rows("stock_prices", idx), 0);
    auto stock_on_index = Ingest({Tick(stock, t, "10")}, path);
    ExpectProblem(stock_on_index, 422, "market.unknown_symbol");
    EXPECT_TRUE(Names(stock_on_index, "prices[0].symbol")) << stock_on_index.body;
    ExpectProblem(Call("POST", path, Batch({Tick(idx, t + 90s, "1")}), *user_), 403,
                  "auth.insufficient_scope");

    auto latest = Call("GET", path + "/" + idx + "/latest", "", *user_);
    ASSERT_EQ(latest.status, 200) << latest.body;
    EXPECT_EQ(Dec(latest.Json(), "price"), Decimal::FromString("17990"));
    EXPECT_EQ(Time(latest.Json(), "time"), t + 70s);

    auto history = Call(
        "GET",
        path + "/" + idx + "?interval=1m&from=" + FormatRfc3339(t - 1min) + "&to=" + FormatRfc3339(t + 10min),
        "", *user_);
    ASSERT_EQ(history.status, 200) << history.body;
    const auto bars = history.Json().at("items").as_array();
    ASSERT_EQ(bars.size(), 2u) << history.body;
    EXPECT_EQ(Time(bars[0], "time"), t);
    EXPECT_EQ(Dec(bars[0], "open"), Decimal::FromString("18000.5"));
    EXPECT_EQ(Dec(bars[0], "high"), Decimal::FromString("18010.25"));
    EXPECT_EQ(Dec(bars[0], "low"), Decimal::FromString("18000.5"));
    EXPECT_EQ(Dec(bars[0], "close"), Decimal::FromString("18010.25"));
    EXPECT_EQ(Time(bars[1], "time"), t + 1min);
    EXPECT_EQ(Dec(bars[1], "close"), Decimal::FromString("17990"));
    auto raw = Call(
        "GET", path + "/" + idx + "?interval=raw&from=" + FormatRfc3339(t) + "&to=" + FormatRfc3339(t + 1min),
        "", *user_);
    ASSERT_EQ(raw.status, 200) << raw.body;
    EXPECT_EQ(raw.Json().at("items").as_array().size(), 2u) << "to is exclusive: " << raw.body;
    // the stock series of the index symbol is empty
    auto as_stock = Call("GET",
                         "/api/v1/market/prices/" + idx + "?interval=raw&from=" + FormatRfc3339(t) +
                             "&to=" + FormatRfc3339(t + 10min),
                         "", *user_);
    ASSERT_EQ(as_stock.status, 200) << as_stock.body;
    EXPECT_TRUE(as_stock.Json().at("items").as_array().empty());
}

TEST_F(MarketHttp, FxRateAtATimeAndItsInverse) {
    // Currency codes are only checked for shape; random ones keep the shared Redis keys apart.
    std::string letters = Upper(test::UniqueName(""));
    for (auto& c : letters) c = static_cast<char>('A' + (c % 26));
    const std::string base = letters.substr(0, 3), quote = letters.substr(3, 3);
    ASSERT_NE(base, quote);
    fx_keys_ = {"nn:fx:" + base + quote};  // service.cpp's FX cache key
    symbols_.push_back(base + quote);      // makes TearDown run
    const Timestamp t1 = std::chrono::floor<std::chrono::seconds>(Now() - 72h);
    const Timestamp t2 = t1 + 24h;
    auto rate = [&](Timestamp t, const std::string& r) {
        return R"({"time":")" + FormatRfc3339(t) + R"(","base":")" + base + R"(","quote":")" + quote +
               R"(","rate":")" + r + "\"}";
    };
    const std::string body = Batch({rate(t1, "1.0812"), rate(t2, "1.0950")}, "rates");
    ExpectProblem(Call("POST", "/api/v1/market/fx", body, *user_), 403, "auth.insufficient_scope");
    auto bad =
        Call("POST", "/api/v1/market/fx", Batch({rate(t1, "1.0812"), rate(t2, "-1")}, "rates"), *write_key_);
    ExpectProblem(bad, 422, "validation.failed");
    EXPECT_TRUE(Names(bad, "rates[1].rate")) << bad.body;
    EXPECT_EQ(Count("SELECT count(*) FROM market_data.exchange_rates WHERE base = '" + base + "'"), 0);
    auto ok = Call("POST", "/api/v1/market/fx", body, *write_key_);
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(ok.Json().at("inserted").as_int64(), 2);

    const std::string q = "/api/v1/market/fx?base=" + base + "&quote=" + quote;
    auto now = Call("GET", q, "", *user_);
    ASSERT_EQ(now.status, 200) << now.body;
    EXPECT_EQ(Dec(now.Json(), "rate"), Decimal::FromString("1.095"));
    EXPECT_EQ(Time(now.Json(), "time"), t2);
    EXPECT_FALSE(now.Json().at("inverted").as_bool());
    auto earlier = Call("GET", q + "&at=" + FormatRfc3339(t1 + 12h), "", *user_);
    ASSERT_EQ(earlier.status, 200) << earlier.body;
    EXPECT_EQ(Dec(earlier.Json(), "rate"), Decimal::FromString("1.0812"));
    EXPECT_EQ(Time(earlier.Json(), "time"), t1);
    ExpectProblem(Call("GET", q + "&at=" + FormatRfc3339(t1 - 1s), "", *user_), 404, "market.no_rate");

    auto inverse = Call("GET", "/api/v1/market/fx?base=" + quote + "&quote=" + base, "", *user_);
    ASSERT_EQ(inverse.status, 200) << inverse.body;
    EXPECT_TRUE(inverse.Json().at("inverted").as_bool());
    // 1 / 1.095 to 12 places
    EXPECT_EQ(Dec(inverse.Json(), "rate"), Decimal::FromString("0.913242009132"));

    auto same = Call("GET", "/api/v1/market/fx?base=" + base + "&quote=" + base, "", *user_);
    ASSERT_EQ(same.status, 200) << same.body;
    EXPECT_EQ(Dec(same.Json(), "rate"), Decimal::FromString("1"));
    auto invalid = Call("GET", "/api/v1/market/fx?base=eur&quote=" + quote, "", *user_);
    ExpectProblem(invalid, 422, "validation.failed");
    EXPECT_TRUE(Names(invalid, "base")) << invalid.body;
    auto bad_at = Call("GET", q + "&at=tomorrow", "", *user_);
    ExpectProblem(bad_at, 422, "validation.failed");
    EXPECT_TRUE(Names(bad_at, "at")) << bad_at.body;
    ExpectProblem(Call("GET", q), 401, "");
}

// What notify's price alerts read through market::PriceDirectory: the previous close, only for a
// tick of the latest price's UTC trading date.
TEST_F(MarketHttp, ThePriceDirectoryGivesThePreviousCloseOfTheLatestTradingDate) {
    const std::string s = Instrument("PDC");
    test::QueryValue(
        TsDb(),
        "INSERT INTO market_data.latest_prices (symbol, time, close, prev_close, prev_close_date) "
        "VALUES ('" +
            s + "', '2024-05-01T15:00:00Z', 103, 100.5, '2024-04-30')");
    auto previous = [&](const std::string& symbol, const std::string& time) {
        return server_->Run(server_->prices().PreviousClose(symbol, time, 0));
    };
    const auto same_day = previous(s, "2024-05-01T00:00:00.000000Z");
    ASSERT_TRUE(same_day.has_value());
    EXPECT_EQ(Decimal::FromString(*same_day), Decimal::FromString("100.5"));
    EXPECT_FALSE(previous(s, "2024-05-02T00:00:00Z").has_value());
    EXPECT_FALSE(previous(s, "2024-04-30T23:59:59Z").has_value());
    EXPECT_FALSE(previous(NewSymbol("NONE"), "2024-05-01T12:00:00Z").has_value());
    test::QueryValue(TsDb(),
                     "UPDATE market_data.latest_prices SET prev_close = NULL WHERE symbol = '" + s + "'");
    EXPECT_FALSE(previous(s, "2024-05-01T12:00:00Z").has_value());
}

}  // namespace
}  // namespace nn::market
