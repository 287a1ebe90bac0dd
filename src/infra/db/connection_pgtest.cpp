#include "infra/db/connection.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "infra/db/errors.hpp"
#include "infra/db/testing/pg.hpp"
#include "infra/db/url.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::db {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using nn::test::RunAwaitable;
using testkit::DbUrl;

// No default argument: g++ 12 miscompiles defaulted parameters of coroutines.
asio::awaitable<std::unique_ptr<Connection>> Open(ConnectOptions opts) {
    co_return co_await Connection::Connect(co_await asio::this_coro::executor, std::move(opts));
}

asio::awaitable<std::unique_ptr<Connection>> Open() {
    return Open(ConnectOptions{.url = DbUrl()});
}

TEST(Connection, DecodesEveryTypeFromBinaryResults) {
    RunAwaitable([]() -> asio::awaitable<void> {
        auto conn = co_await Open();
        static constexpr Query kAll{
            "SELECT $1::int2, $2::int4, $3::int8, $4::bool, $5::float8, $6::text, $7::varchar, "
            "'{\"a\": [1, 2]}'::jsonb, '-12345.678900'::numeric, '2024-02-29 "
            "13:45:00.123456+00'::timestamptz, "
            "'1999-12-31'::date, $8::uuid, '\\x00ff10'::bytea, NULL::int8, '0.1'::float4",
            "test.all_types"};
        const auto uuid = nn::Uuid::FromString("0190f0a1-2b3c-7d4e-8f60-718293a4b5c6");
        Result r = co_await conn->Execute(kAll, std::int16_t{-7}, std::int32_t{2'000'000'000},
                                          std::int64_t{-9'000'000'000'000}, true, 2.5, std::string("héllo"),
                                          std::string_view("v"), uuid);
        EXPECT_EQ(r.Size(), 1);
        Row row = r[0];
        EXPECT_EQ(row.Get<std::int16_t>(0), -7);
        EXPECT_EQ(row.Get<std::int32_t>(1), 2'000'000'000);
        EXPECT_EQ(row.Get<std::int64_t>(2), -9'000'000'000'000);
        EXPECT_EQ(row.Get<std::int64_t>(1), 2'000'000'000);  // int4 widens
        EXPECT_TRUE(row.Get<bool>(3));
        EXPECT_EQ(row.Get<double>(4), 2.5);
        EXPECT_EQ(row.Get<std::string>(5), "héllo");
        EXPECT_EQ(row.Get<std::string>(6), "v");
        EXPECT_EQ(row.Get<std::string>(7), "{\"a\": [1, 2]}");
        EXPECT_EQ(row.Get<std::string>(8), "-12345.678900");
        EXPECT_TRUE(row.Get<nn::Decimal>(8).IdenticalTo(nn::Decimal::FromString("-12345.678900")));
        EXPECT_EQ(nn::FormatRfc3339(row.Get<nn::Timestamp>(9)), "2024-02-29T13:45:00.123456Z");
        EXPECT_EQ(nn::FormatDate(row.Get<nn::Date>(10)), "1999-12-31");
        EXPECT_EQ(row.Get<nn::Uuid>(11), uuid);
        EXPECT_EQ(row.Get<nn::UserId>(11).Value(), uuid);
        EXPECT_EQ(row.Get<Bytea>(12).bytes, std::string("\x00\xff\x10", 3));
        EXPECT_EQ(row.Get<std::optional<std::int64_t>>(13), std::nullopt);
        EXPECT_TRUE(row.IsNull(13));
        EXPECT_FLOAT_EQ(static_cast<float>(row.Get<double>(14)), 0.1f);
        auto [a, b] = row.As<std::int16_t, std::int32_t>();
        EXPECT_EQ(a, -7);
        EXPECT_EQ(b, 2'000'000'000);
    });
}

TEST(Connection, ParametersRoundTrip) {
    RunAwaitable([]() -> asio::awaitable<void> {
        auto conn = co_await Open();
        static constexpr Query kEcho{
            "SELECT $1::numeric, $2::timestamptz, $3::date, $4::bytea, $5::int8, $6::text, $7::bool",
            "test.echo"};
        const auto ts = nn::TimestampFromString("1970-01-01T00:00:00.000001Z");
        const auto date = nn::DateFromString("2100-02-28");
        Result r = co_await conn->Execute(kEcho, nn::Decimal::FromString("-0.000100"), ts, date,
                                          Bytea(std::string("a\0b", 3)), std::optional<std::int64_t>(),
                                          std::optional<std::string>("x"), false);
        Row row = r[0];
        EXPECT_EQ(row.Get<std::string>(0), "-0.000100");
        EXPECT_EQ(row.Get<nn::Timestamp>(1), ts);
        EXPECT_EQ(row.Get<nn::Date>(2), date);
        EXPECT_EQ(row.Get<std::string>(3), std::string("a\0b", 3));
        EXPECT_TRUE(row.IsNull(4));
        EXPECT_EQ(row.Get<std::optional<std::string>>(5), "x");
        EXPECT_FALSE(row.Get<bool>(6));
    });
}

TEST(Connection, TextArraysKeepEveryElementWhole) {
    RunAwaitable([]() -> asio::awaitable<void> {
        auto conn = co_await Open();
        static constexpr Query kUnnest{
            "SELECT count(*)::int8, string_agg(s, '|' ORDER BY o) FROM "
            "unnest($1::text[]) WITH ORDINALITY AS t(s, o)",
            "test.text_array"};
        const std::vector<std::string> items{"A,B", "{x}", "NULL", "a\"b\\c", "", "héllo"};
        Result r = co_await conn->Execute(kUnnest, TextArray(items));
        EXPECT_EQ(r[0].Get<std::int64_t>(0), 6);
        EXPECT_EQ(r[0].Get<std::string>(1), "A,B|{x}|NULL|a\"b\\c||héllo");
        Result empty = co_await conn->Execute(kUnnest, TextArray());
        EXPECT_EQ(empty[0].Get<std::int64_t>(0), 0);
    });
}

// Every quoting case of db::ArrayLiteral against PostgreSQL's own array text: the literal is what
// the server prints for the same array, and the server reads it back element for element.
TEST(Connection, TextArrayNullsAndLiteralMatchTheServer) {
    RunAwaitable([]() -> asio::awaitable<void> {
        auto conn = co_await Open();
        static constexpr Query kPrint{
            "SELECT $1::text[]::text, array_position($1::text[], NULL) IS NOT NULL, "
            "cardinality($1::text[])",
            "test.text_array_print"};
        static constexpr Query kParse{"SELECT $1::text[] IS NOT DISTINCT FROM $2::text[]",
                                      "test.text_array_parse"};
        const std::vector<std::optional<std::string>> items{
            "A,B", "{x}", "NULL", "null", "a\"b\\c", "", "two words", std::nullopt, "plain", "héllo"};
        const TextArray array(items);
        Result printed = co_await conn->Execute(kPrint, array);
        EXPECT_EQ(printed[0].Get<std::string>(0), ArrayLiteral(array));
        EXPECT_TRUE(printed[0].Get<bool>(1));
        EXPECT_EQ(printed[0].Get<std::int32_t>(2), 10);
        const std::string literal = ArrayLiteral(array);
        Result parsed = co_await conn->Execute(kParse, literal, array);
        EXPECT_TRUE(parsed[0].Get<bool>(0));
    });
}

TEST(Connection, EnumsAndNamedColumns) {
    RunAwaitable([]() -> asio::awaitable<void> {
        auto conn = co_await Open();
        const std::string type = nn::test::UniqueName("mood_");
        co_await conn->ExecuteScript("CREATE TYPE " + type + " AS ENUM ('happy', 'sad')");
        const std::string sql = "SELECT 'sad'::" + type + " AS mood, 42 AS answer";
        Result r = co_await conn->Execute(Query{sql, "test.enum"});
        EXPECT_EQ(r[0].Get<std::string>("mood"), "sad");
        EXPECT_EQ(r[0].Get<std::int32_t>("answer"), 42);
        EXPECT_EQ(r.ColumnIndex("answer"), 1);
        co_await conn->ExecuteScript("DROP TYPE " + type);
    });
}

template <class E>
void ExpectShapeError(const std::function<void()>& f, const std::string& code) {
    try {
        f();
        ADD_FAILURE() << "expected " << code;
    } catch (const E& e) {
        EXPECT_EQ(e.Code(), code);
        EXPECT_EQ(e.Kind(), ErrorKind::kInternal);
    }
}

TEST(Connection, ShapeErrorsAreTyped) {
    RunAwaitable([]() -> asio::awaitable<void> {
        auto conn = co_await Open();
        static constexpr Query kNone{"SELECT 1 WHERE false", "test.none"};
        static constexpr Query kTwo{"SELECT generate_series(1, 2)", "test.two"};
        static constexpr Query kNull{"SELECT NULL::int4", "test.null"};
        static constexpr Query kText{"SELECT 'x'::text", "test.text"};
        Result none = co_await conn->Execute(kNone);
        Result two = co_await conn->Execute(kTwo);
        Result null = co_await conn->Execute(kNull);
        Result text = co_await conn->Execute(kText);
        ExpectShapeError<ResultShapeError>([&] { none.AsSingleRow<std::int32_t>(); }, "db.no_rows");
        ExpectShapeError<ResultShapeError>([&] { two.AsSingleRow<std::int32_t>(); }, "db.too_many_rows");
        ExpectShapeError<ResultShapeError>([&] { null.AsSingleRow<std::int32_t>(); }, "db.unexpected_null");
        ExpectShapeError<ResultShapeError>([&] { text.AsSingleRow<std::int64_t>(); }, "db.type_mismatch");
        ExpectShapeError<ResultShapeError>([&] { text[0].Get<std::string>(3); }, "db.column_out_of_range");
        EXPECT_EQ(none.AsOptionalRow<std::int32_t>(), std::nullopt);
        EXPECT_EQ(null.AsSingleRow<std::optional<std::int32_t>>(), std::nullopt);
        EXPECT_EQ(two.AsVector<std::int32_t>(), (std::vector<std::int32_t>{1, 2}));
    });
}

template <class E>
asio::awaitable<void> ExpectServerError(Connection& conn,
                                        std::string sql,
                                        std::string sqlstate,
                                        ErrorKind kind,
                                        std::string code,
                                        std::string constraint = {}) {
    bool thrown = false;
    try {
        co_await conn.Execute(Query{sql, "test.failing"});
    } catch (const E& e) {
        thrown = true;
        EXPECT_EQ(e.SqlState(), sqlstate) << sql;
        EXPECT_EQ(e.Kind(), kind) << sql;
        EXPECT_EQ(e.Code(), code) << sql;
        EXPECT_EQ(e.QueryName(), "test.failing");
        if (!constraint.empty()) {
            EXPECT_EQ(e.Constraint(), constraint);
        }
    }
    EXPECT_TRUE(thrown) << sql;
}

TEST(Connection, ServerErrorsAreTypedAndNeverQuoteValues) {
    RunAwaitable([]() -> asio::awaitable<void> {
        auto conn = co_await Open();
        const std::string p = nn::test::UniqueName("p_");
        const std::string c = nn::test::UniqueName("c_");
        co_await conn->ExecuteScript(
            "CREATE TABLE " + p + " (id int PRIMARY KEY, email text UNIQUE);" + "CREATE TABLE " + c +
            " (id int PRIMARY KEY, p int NOT NULL REFERENCES " + p + ", qty int CONSTRAINT " + c +
            "_qty_positive CHECK (qty > 0));" + "INSERT INTO " + p + " VALUES (1, 'secret@example.com')");
        co_await ExpectServerError<UniqueViolation>(
            *conn, "INSERT INTO " + p + " VALUES (2, 'secret@example.com')", "23505", ErrorKind::kConflict,
            "db.unique_violation", p + "_email_key");
        co_await ExpectServerError<ForeignKeyViolation>(*conn, "INSERT INTO " + c + " VALUES (1, 99, 1)",
                                                        "23503", ErrorKind::kUnprocessable,
                                                        "db.foreign_key_violation", c + "_p_fkey");
        co_await ExpectServerError<CheckViolation>(*conn, "INSERT INTO " + c + " VALUES (1, 1, 0)", "23514",
                                                   ErrorKind::kUnprocessable, "db.check_violation",
                                                   c + "_qty_positive");
        co_await ExpectServerError<NotNullViolation>(*conn, "INSERT INTO " + c + " VALUES (1, NULL, 1)",
                                                     "23502", ErrorKind::kUnprocessable,
                                                     "db.not_null_violation");
        co_await ExpectServerError<DataException>(*conn, "SELECT 1 / 0", "22012", ErrorKind::kUnprocessable,
                                                  "db.data_exception");
        co_await ExpectServerError<DataException>(*conn, "SELECT 99999::numeric(4, 0)", "22003",
                                                  ErrorKind::kUnprocessable, "db.out_of_range");
        co_await ExpectServerError<ServerError>(*conn, "SELECT * FROM no_such_table_here", "42P01",
                                                ErrorKind::kInternal, "db.server_error");
        // All of the above are IntegrityViolation / DbError / nn::Error for generic handlers.
        try {
            co_await conn->Execute(Query{"INSERT INTO " + p + " VALUES (1, 'secret@example.com')", "t"});
        } catch (const nn::Error& e) {
            EXPECT_EQ(std::string(e.what()).find("secret@example.com"), std::string::npos) << e.what();
        }
        try {
            co_await conn->Execute(Query{"SELECT $1::int4", "t"}, std::string("my-secret-input"));
        } catch (const DataException& e) {
            EXPECT_EQ(e.SqlState(), "22P02");
            EXPECT_EQ(std::string(e.what()).find("my-secret-input"), std::string::npos) << e.what();
        }
        // The connection is still fine after all of these.
        EXPECT_EQ((co_await conn->Execute(Query{"SELECT 7", "t"})).AsSingleRow<std::int32_t>(), 7);
        co_await conn->ExecuteScript("DROP TABLE " + c + "; DROP TABLE " + p);
    });
}

TEST(Connection, InsufficientPrivilegeThroughDerivedCredentials) {
    const std::string role = nn::test::UniqueName("nn_db_role_");
    const std::string table = nn::test::UniqueName("priv_");
    nn::test::ExecSql(
        DbUrl(), "CREATE ROLE " + role + " LOGIN PASSWORD 'p@ss:w/rd'; CREATE TABLE " + table + " (x int)");
    RunAwaitable([&]() -> asio::awaitable<void> {
        ConnectOptions as_role{.url = WithCredentials(DbUrl(), role, "p@ss:w/rd")};
        auto conn = co_await Open(std::move(as_role));
        EXPECT_EQ(
            (co_await conn->Execute(Query{"SELECT current_user::text", "t"})).AsSingleRow<std::string>(),
            role);
        co_await ExpectServerError<InsufficientPrivilege>(*conn, "SELECT * FROM " + table, "42501",
                                                          ErrorKind::kForbidden, "db.insufficient_privilege");
        bool refused = false;
        try {
            ConnectOptions wrong{.url = WithCredentials(DbUrl(), role, "wrong")};
            co_await Open(std::move(wrong));
        } catch (const ConnectionError& e) {
            refused = true;
            EXPECT_EQ(e.Kind(), ErrorKind::kUnavailable);
        }
        EXPECT_TRUE(refused);
    });
    nn::test::ExecSql(DbUrl(), "DROP TABLE " + table + "; DROP ROLE " + role);
}

TEST(Connection, DeadlineCancelsTheQueryAndKeepsTheConnection) {
    RunAwaitable([]() -> asio::awaitable<void> {
        auto conn = co_await Open();
        static constexpr Query kSleep{"SELECT pg_sleep(5)", "test.sleep"};
        const auto start = std::chrono::steady_clock::now();
        bool timed_out = false;
        try {
            co_await conn->Execute(Timeout{200ms}, kSleep);
        } catch (const DeadlineExceeded& e) {
            timed_out = true;
            EXPECT_EQ(e.Kind(), ErrorKind::kTimeout);
            EXPECT_EQ(e.Code(), "db.timeout");
        }
        const auto elapsed = std::chrono::steady_clock::now() - start;
        EXPECT_TRUE(timed_out);
        EXPECT_LT(elapsed, 1500ms);
        EXPECT_GE(elapsed, 200ms);
        // The server answered the cancel within the grace period: the connection is reusable.
        EXPECT_FALSE(conn->IsBroken());
        EXPECT_EQ((co_await conn->Execute(Query{"SELECT 1", "t"})).AsSingleRow<std::int32_t>(), 1);
    });
}

TEST(Connection, PreparedStatementsSurviveAlterTable) {
    RunAwaitable([]() -> asio::awaitable<void> {
        auto conn = co_await Open();
        const std::string t = nn::test::UniqueName("alter_");
        co_await conn->ExecuteScript("CREATE TABLE " + t + " (a int); INSERT INTO " + t + " VALUES (1)");
        const std::string sql = "SELECT * FROM " + t;
        const Query q{sql, "test.select_star"};
        EXPECT_EQ((co_await conn->Execute(q)).Columns(), 1);
        EXPECT_EQ(conn->PreparedStatements(), 1u);
        co_await conn->ExecuteScript("ALTER TABLE " + t + " ADD COLUMN b text DEFAULT 'x'");
        // The cached plan now returns a different row type: 0A000, handled by re-preparing.
        Result r = co_await conn->Execute(q);
        EXPECT_EQ(r.Columns(), 2);
        EXPECT_EQ(r[0].Get<std::string>(1), "x");
        // Inside a transaction the failure aborts it, so it surfaces (retryable) instead.
        co_await conn->ExecuteScript("ALTER TABLE " + t + " ADD COLUMN c int DEFAULT 3");
        co_await conn->ExecuteScript("BEGIN");
        bool invalidated = false;
        try {
            co_await conn->Execute(q);
        } catch (const CachedPlanInvalidated& e) {
            invalidated = true;
            EXPECT_TRUE(IsRetryable(e));
        }
        EXPECT_TRUE(invalidated);
        co_await conn->ExecuteScript("ROLLBACK");
        EXPECT_EQ((co_await conn->Execute(q)).Columns(), 3);
        co_await conn->ExecuteScript("DROP TABLE " + t);
    });
}

TEST(Connection, PreparedCacheIsBoundedLru) {
    RunAwaitable([]() -> asio::awaitable<void> {
        ConnectOptions opts{.url = DbUrl(), .prepared_cache_size = 2};
        auto conn = co_await Open(std::move(opts));
        co_await conn->Execute(Query{"SELECT 1", "a"});
        co_await conn->Execute(Query{"SELECT 2", "b"});
        co_await conn->Execute(Query{"SELECT 3", "c"});
        EXPECT_EQ(conn->PreparedStatements(), 2u);
        static constexpr Query kCount{"SELECT count(*) FROM pg_prepared_statements", "test.count_prepared"};
        // The counting statement itself evicts one more: the server holds exactly the cache.
        EXPECT_EQ((co_await conn->Execute(kCount)).AsSingleRow<std::int64_t>(), 2);
    });
}

TEST(Connection, ScriptsRunSeveralStatements) {
    RunAwaitable([]() -> asio::awaitable<void> {
        auto conn = co_await Open();
        const std::string t = nn::test::UniqueName("script_");
        co_await conn->ExecuteScript("CREATE TABLE " + t + " (a int); INSERT INTO " + t +
                                     " VALUES (1), (2);");
        EXPECT_EQ((co_await conn->Execute(Query{"SELECT sum(a) FROM " + t, "t"})).AsSingleRow<std::int64_t>(),
                  3);
        bool failed = false;
        try {
            co_await conn->ExecuteScript("INSERT INTO " + t + " VALUES (3); SELECT 1/0;");
        } catch (const DataException&) {
            failed = true;
        }
        EXPECT_TRUE(failed);
        // A failed script is one implicit transaction: the insert before the error is gone.
        EXPECT_EQ(
            (co_await conn->Execute(Query{"SELECT count(*) FROM " + t, "t"})).AsSingleRow<std::int64_t>(), 2);
        co_await conn->ExecuteScript("DROP TABLE " + t);
    });
}

TEST(Connection, ConnectFailuresAreConnectionErrors) {
    RunAwaitable([]() -> asio::awaitable<void> {
        // Nothing listens on port 1.
        bool refused = false;
        try {
            ConnectOptions opts{.url = "postgresql://u:p@127.0.0.1:1/db", .connect_timeout = 2s};
            co_await Open(std::move(opts));
        } catch (const ConnectionError& e) {
            refused = true;
            EXPECT_EQ(e.Code(), "db.connection");
            EXPECT_EQ(std::string(e.what()).find(":p@"), std::string::npos);
        }
        EXPECT_TRUE(refused);
        bool bad_url = false;
        try {
            ConnectOptions opts{.url = "postgresql://h/db?nosuchoption=1"};
            co_await Open(std::move(opts));
        } catch (const ConnectionError& e) {
            bad_url = true;
            EXPECT_EQ(e.Code(), "db.bad_url");
        }
        EXPECT_TRUE(bad_url);
    });
}

TEST(Connection, RefusesASecondConcurrentUser) {
    RunAwaitable([]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto conn = co_await Open();
        static constexpr Query kSleep{"SELECT pg_sleep(0.2)", "test.sleep"};
        bool first_done = false;
        asio::co_spawn(ex, conn->Execute(kSleep), [&](std::exception_ptr e, Result) {
            EXPECT_FALSE(e);
            first_done = true;
        });
        asio::steady_timer t(ex, 20ms);
        co_await t.async_wait(asio::use_awaitable);
        bool refused = false;
        try {
            co_await conn->Execute(Query{"SELECT 1", "t"});
        } catch (const ServerError& e) {
            refused = e.Code() == "db.connection_busy";
        }
        EXPECT_TRUE(refused);
        while (!first_done) {
            asio::steady_timer tick(ex, 10ms);
            co_await tick.async_wait(asio::use_awaitable);
        }
        // The refused call did not disturb the running one or the connection.
        EXPECT_EQ((co_await conn->Execute(Query{"SELECT 2", "t"})).AsSingleRow<std::int32_t>(), 2);
    });
}

TEST(Connection, ResolvesHostNamesWithoutBlocking) {
    // "localhost" goes through the Asio resolver and reaches the same server as 127.0.0.1.
    std::string url = DbUrl();
    const auto at = url.find("@127.0.0.1:");
    ASSERT_NE(at, std::string::npos) << "the test cluster listens on 127.0.0.1";
    url.replace(at + 1, 9, "localhost");
    RunAwaitable([&]() -> asio::awaitable<void> {
        ConnectOptions opts{.url = url};
        auto conn = co_await Open(std::move(opts));
        EXPECT_EQ((co_await conn->Execute(Query{"SELECT 1", "t"})).AsSingleRow<std::int32_t>(), 1);
    });
}

}  // namespace
}  // namespace nn::db
