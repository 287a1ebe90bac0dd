#include "infra/migrate/migrator.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <thread>

#include "core/error.hpp"
#include "infra/migrate/conninfo.hpp"
#include "tests/support/test_env.hpp"

namespace nn::migrate {
namespace {

using Conn = std::unique_ptr<PGconn, decltype(&PQfinish)>;

// Roles are cluster-wide and shared by every test of every build configuration running at the
// same time, so all of them must set the same service password: the one make test provides.
std::string ServicePassword() {
    const char* v = std::getenv("NEXANEST_DB_SERVICE_PASSWORD");
    if (v == nullptr || *v == '\0') {
        throw std::runtime_error(
            "NEXANEST_DB_SERVICE_PASSWORD is not set: run the tests through `make test`");
    }
    return v;
}

Conn Connect(const std::string& url) {
    return Conn(PQconnectdb(url.c_str()), &PQfinish);
}

class MigrateTest : public ::testing::Test {
protected:
    void SetUp() override {
        prefix_ = test::UniqueName("mig_");
        dir_ = std::filesystem::temp_directory_path() / prefix_;
        std::filesystem::create_directories(dir_);
        options_.admin_url = Secret(test::PgUrl());
        options_.prefix = prefix_;
        options_.service_password = Secret(ServicePassword());
        options_.migrations_dir = dir_;
    }

    void TearDown() override {
        for (Database d : kAllDatabases) {
            try {
                const std::string name = DatabaseName(prefix_, d);
                if (QueryUrl(test::PgUrl(), "SELECT 1 FROM pg_database WHERE datname = '" + name + "'")
                        .empty()) {
                    continue;
                }
                test::ExecSql(test::PgUrl(), "DROP DATABASE " + name + " WITH (FORCE)");
            } catch (const std::exception& e) {
                ADD_FAILURE() << "cleanup: " << e.what();
            }
        }
        std::filesystem::remove_all(dir_);
    }

    void Write(Database d, const std::string& file, const std::string& sql) {
        auto folder = dir_ / std::string(DatabaseKey(d));
        std::filesystem::create_directories(folder);
        std::ofstream(folder / file, std::ios::binary | std::ios::trunc) << sql;
    }

    // A migration pair whose up creates `table` and whose down drops it.
    void WriteTable(Database d, const std::string& version, const std::string& table) {
        Write(d, version + "_" + table + ".up.sql", "CREATE TABLE " + table + " (id bigint PRIMARY KEY);\n");
        Write(d, version + "_" + table + ".down.sql", "DROP TABLE " + table + ";\n");
    }

    // First column of the first row, as the test superuser; "" when there is no row.
    std::string Query(Database d, const std::string& sql) {
        return QueryUrl(test::PgUrlFor(DatabaseName(prefix_, d)), sql);
    }

    static std::string QueryUrl(const std::string& url, const std::string& sql) {
        Conn conn = Connect(url);
        if (PQstatus(conn.get()) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conn.get()));
        std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn.get(), sql.c_str()), &PQclear);
        if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) throw std::runtime_error(PQerrorMessage(conn.get()));
        return PQntuples(r.get()) == 0 ? "" : PQgetvalue(r.get(), 0, 0);
    }

    bool TableExists(Database d, const std::string& table) {
        return Query(d, "SELECT to_regclass('" + table + "') IS NOT NULL") == "t";
    }

    std::string AppliedVersions(Database d) {
        return Query(d,
                     "SELECT coalesce(string_agg(version, ',' ORDER BY version), '') FROM schema_migrations");
    }

    MigrationStatus StatusOf(Database d, const std::string& version) {
        for (const DatabaseStatus& db : Status(options_)) {
            if (db.database != d) continue;
            for (const MigrationStatus& m : db.migrations) {
                if (m.version == version) return m;
            }
        }
        throw std::runtime_error("no status for version " + version);
    }

    std::string prefix_;
    std::filesystem::path dir_;
    Options options_;
};

// Runs f, expecting an nn::Error with this code; returns its message.
template <typename F>
std::string ExpectError(F&& f, const std::string& code) {
    try {
        f();
    } catch (const Error& e) {
        EXPECT_EQ(e.Code(), code) << e.what();
        return e.what();
    }
    ADD_FAILURE() << "expected an nn::Error with code " << code;
    return "";
}

bool Contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

TEST_F(MigrateTest, UpDownAndStatus) {
    WriteTable(Database::kAuth, "0001", "users");
    Write(Database::kAuth, "0002_users_index.up.sql", "CREATE INDEX users_id_idx ON users (id);");
    Write(Database::kAuth, "0002_users_index.down.sql", "DROP INDEX users_id_idx;");
    WriteTable(Database::kPortfolio, "0001", "portfolios");

    auto before = Status(options_);
    ASSERT_EQ(before.size(), 5u);
    EXPECT_FALSE(before[0].exists);
    ASSERT_EQ(before[0].migrations.size(), 2u);
    EXPECT_EQ(before[0].migrations[0].state, MigrationState::kPending);

    auto steps = Up(options_);
    ASSERT_EQ(steps.size(), 3u);
    EXPECT_EQ(steps[0].database, Database::kAuth);
    EXPECT_EQ(steps[0].version, "0001");
    EXPECT_EQ(steps[1].version, "0002");
    EXPECT_EQ(steps[2].database, Database::kPortfolio);
    EXPECT_TRUE(TableExists(Database::kAuth, "users"));
    EXPECT_TRUE(TableExists(Database::kAuth, "users_id_idx"));
    EXPECT_TRUE(TableExists(Database::kPortfolio, "portfolios"));
    EXPECT_FALSE(TableExists(Database::kPortfolio, "users"));
    EXPECT_EQ(AppliedVersions(Database::kAuth), "0001,0002");
    EXPECT_EQ(Query(Database::kAuth, "SELECT checksum FROM schema_migrations WHERE version = '0001'"),
              Sha256Hex("CREATE TABLE users (id bigint PRIMARY KEY);\n"));
    EXPECT_EQ(Query(Database::kAuth, "SELECT name FROM schema_migrations WHERE version = '0002'"),
              "users_index");
    EXPECT_EQ(Query(Database::kAuth,
                    "SELECT count(*) FROM schema_migrations WHERE duration_ms >= 0 AND "
                    "applied_at > now() - interval '1 minute'"),
              "2");

    auto status = StatusOf(Database::kAuth, "0002");
    EXPECT_EQ(status.state, MigrationState::kApplied);
    EXPECT_EQ(status.applied_checksum, status.file_checksum);
    EXPECT_FALSE(status.applied_at.empty());
    EXPECT_NE(FormatStatus(Status(options_)).find("0002_users_index"), std::string::npos);

    EXPECT_TRUE(Up(options_).empty()) << "a second up has nothing to do";

    auto down = Down(options_, Database::kAuth);
    ASSERT_EQ(down.size(), 1u);
    EXPECT_EQ(down[0].version, "0002");
    EXPECT_EQ(down[0].direction, Direction::kDown);
    EXPECT_FALSE(TableExists(Database::kAuth, "users_id_idx"));
    EXPECT_TRUE(TableExists(Database::kAuth, "users"));
    EXPECT_EQ(StatusOf(Database::kAuth, "0002").state, MigrationState::kPending);

    // More steps than applied migrations rolls back what there is.
    EXPECT_EQ(Down(options_, Database::kAuth, 5).size(), 1u);
    EXPECT_FALSE(TableExists(Database::kAuth, "users"));
    EXPECT_EQ(AppliedVersions(Database::kAuth), "");
    EXPECT_TRUE(TableExists(Database::kPortfolio, "portfolios")) << "down touches only its database";

    EXPECT_EQ(Up(options_, Database::kAuth).size(), 2u);
    EXPECT_EQ(AppliedVersions(Database::kAuth), "0001,0002");
}

TEST_F(MigrateTest, ToGoesUpAndDown) {
    WriteTable(Database::kAnalytics, "0001", "a");
    WriteTable(Database::kAnalytics, "0002", "b");
    WriteTable(Database::kAnalytics, "0003", "c");

    EXPECT_EQ(To(options_, Database::kAnalytics, "0002").size(), 2u);
    EXPECT_EQ(AppliedVersions(Database::kAnalytics), "0001,0002");
    EXPECT_FALSE(TableExists(Database::kAnalytics, "c"));

    EXPECT_EQ(To(options_, Database::kAnalytics, "3").size(), 1u) << "versions compare as numbers";
    EXPECT_EQ(AppliedVersions(Database::kAnalytics), "0001,0002,0003");

    auto down = To(options_, Database::kAnalytics, "0001");
    ASSERT_EQ(down.size(), 2u);
    EXPECT_EQ(down[0].version, "0003");
    EXPECT_EQ(down[1].version, "0002");
    EXPECT_EQ(AppliedVersions(Database::kAnalytics), "0001");
    EXPECT_TRUE(TableExists(Database::kAnalytics, "a"));
    EXPECT_FALSE(TableExists(Database::kAnalytics, "b"));

    EXPECT_TRUE(To(options_, Database::kAnalytics, "0001").empty());
    EXPECT_EQ(To(options_, Database::kAnalytics, "0").size(), 1u);
    EXPECT_EQ(AppliedVersions(Database::kAnalytics), "");

    ExpectError([&] { To(options_, Database::kAnalytics, "0009"); }, "migrate.unknown_version");
    ExpectError([&] { To(options_, Database::kAnalytics, "latest"); }, "migrate.options");
}

TEST_F(MigrateTest, RefusesWhenAnAppliedFileChanged) {
    WriteTable(Database::kAuth, "0001", "users");
    Up(options_);
    const std::string applied = Sha256Hex("CREATE TABLE users (id bigint PRIMARY KEY);\n");
    const std::string edited_sql = "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n";
    Write(Database::kAuth, "0001_users.up.sql", edited_sql);
    WriteTable(Database::kAuth, "0002", "sessions");

    std::string message = ExpectError([&] { Up(options_); }, "migrate.checksum_mismatch");
    EXPECT_TRUE(Contains(message, "auth/0001_users.up.sql")) << message;
    EXPECT_TRUE(Contains(message, applied)) << message;
    EXPECT_TRUE(Contains(message, Sha256Hex(edited_sql))) << message;
    EXPECT_FALSE(TableExists(Database::kAuth, "sessions")) << "nothing runs after the refusal";
    ExpectError([&] { Down(options_, Database::kAuth); }, "migrate.checksum_mismatch");
    EXPECT_TRUE(TableExists(Database::kAuth, "users"));

    auto status = StatusOf(Database::kAuth, "0001");
    EXPECT_EQ(status.state, MigrationState::kChanged);
    EXPECT_EQ(status.applied_checksum, applied);
    EXPECT_EQ(status.file_checksum, Sha256Hex(edited_sql));

    // Restoring the file makes it runnable again.
    Write(Database::kAuth, "0001_users.up.sql", "CREATE TABLE users (id bigint PRIMARY KEY);\n");
    EXPECT_EQ(Up(options_).size(), 1u);
}

TEST_F(MigrateTest, RefusesWhenAnAppliedFileIsMissing) {
    WriteTable(Database::kAuth, "0001", "users");
    WriteTable(Database::kAuth, "0002", "sessions");
    Up(options_);
    std::filesystem::remove(dir_ / "auth" / "0002_sessions.up.sql");
    std::filesystem::remove(dir_ / "auth" / "0002_sessions.down.sql");
    std::string message = ExpectError([&] { Up(options_); }, "migrate.missing_file");
    EXPECT_TRUE(Contains(message, "auth/0002_sessions")) << message;
    EXPECT_EQ(StatusOf(Database::kAuth, "0002").state, MigrationState::kFileMissing);
}

TEST_F(MigrateTest, FailingMigrationLeavesNothingBehind) {
    WriteTable(Database::kAuth, "0001", "users");
    Write(Database::kAuth, "0002_bad.up.sql",
          "CREATE TABLE half_done (id int);\n"
          "INSERT INTO half_done VALUES (1);\n"
          "ALTER TABLE users ADD COLUMN email text;\n"
          "SELECT * FROM\n  no_such_table;\n");
    Write(Database::kAuth, "0002_bad.down.sql", "DROP TABLE half_done;");
    WriteTable(Database::kAuth, "0003", "later");

    std::string message = ExpectError([&] { Up(options_); }, "migrate.failed");
    EXPECT_TRUE(Contains(message, "auth/0002_bad.up.sql")) << message;
    EXPECT_TRUE(Contains(message, "rolled back")) << message;
    EXPECT_TRUE(Contains(message, "42P01")) << message;
    EXPECT_TRUE(Contains(message, "no_such_table")) << message;
    EXPECT_TRUE(Contains(message, "(line 5)")) << message;

    EXPECT_EQ(AppliedVersions(Database::kAuth), "0001") << "the migration before still counts";
    EXPECT_FALSE(TableExists(Database::kAuth, "half_done"));
    EXPECT_EQ(
        Query(Database::kAuth,
              "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = "
              "'email'"),
        "0");
    EXPECT_FALSE(TableExists(Database::kAuth, "later")) << "no migration runs after a failure";
    EXPECT_EQ(StatusOf(Database::kAuth, "0002").state, MigrationState::kPending);

    // A syntax error reports its line too.
    Write(Database::kAuth, "0002_bad.up.sql",
          "CREATE TABLE half_done (id int);\n\nCREAT TABLE x (id int);\n");
    message = ExpectError([&] { Up(options_); }, "migrate.failed");
    EXPECT_TRUE(Contains(message, "42601")) << message;
    EXPECT_TRUE(Contains(message, "(line 3)")) << message;
    EXPECT_FALSE(TableExists(Database::kAuth, "half_done"));
}

TEST_F(MigrateTest, FailingDownKeepsTheMigrationApplied) {
    WriteTable(Database::kAuth, "0001", "users");
    Write(Database::kAuth, "0001_users.down.sql", "DROP TABLE users;\nDROP TABLE not_there;\n");
    Up(options_);
    std::string message = ExpectError([&] { Down(options_, Database::kAuth); }, "migrate.failed");
    EXPECT_TRUE(Contains(message, "auth/0001_users.down.sql")) << message;
    EXPECT_TRUE(TableExists(Database::kAuth, "users"));
    EXPECT_EQ(AppliedVersions(Database::kAuth), "0001");
}

TEST_F(MigrateTest, FileMustNotEndTheTransaction) {
    Write(Database::kAuth, "0001_commit.up.sql", "CREATE TABLE early (id int);\nCOMMIT;\n");
    Write(Database::kAuth, "0001_commit.down.sql", "DROP TABLE early;");
    std::string message = ExpectError([&] { Up(options_); }, "migrate.failed");
    EXPECT_TRUE(Contains(message, "auth/0001_commit.up.sql")) << message;
    EXPECT_TRUE(Contains(message, "COMMIT")) << message;
    EXPECT_EQ(AppliedVersions(Database::kAuth), "");
}

TEST_F(MigrateTest, NoTransactionMarkerAllowsConcurrentIndexes) {
    WriteTable(Database::kAuth, "0001", "users");
    const std::string concurrently =
        "CREATE INDEX CONCURRENTLY users_id_desc ON users (id DESC);\n"
        "CREATE INDEX CONCURRENTLY users_id_hash ON users USING hash (id);\n";
    Write(Database::kAuth, "0002_indexes.up.sql", std::string(kNoTransactionMarker) + "\n" + concurrently);
    Write(Database::kAuth, "0002_indexes.down.sql",
          std::string(kNoTransactionMarker) +
              "\nDROP INDEX CONCURRENTLY users_id_hash;\nDROP INDEX CONCURRENTLY users_id_desc;\n");
    // The same statements without the marker are refused by PostgreSQL inside a transaction.
    WriteTable(Database::kPortfolio, "0001", "users");
    Write(Database::kPortfolio, "0002_indexes.up.sql", concurrently);
    Write(Database::kPortfolio, "0002_indexes.down.sql", "SELECT 1;");

    EXPECT_EQ(Up(options_, Database::kAuth).size(), 2u);
    EXPECT_EQ(Query(Database::kAuth,
                    "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "WHERE c.relname IN ('users_id_desc', 'users_id_hash') AND i.indisvalid AND "
                    "pg_get_userbyid(c.relowner) = 'nexanest_owner'"),
              "2");
    EXPECT_TRUE(StatusOf(Database::kAuth, "0002").no_transaction);
    EXPECT_EQ(Down(options_, Database::kAuth).size(), 1u);
    EXPECT_FALSE(TableExists(Database::kAuth, "users_id_desc"));
    EXPECT_EQ(AppliedVersions(Database::kAuth), "0001");

    std::string message = ExpectError([&] { Up(options_, Database::kPortfolio); }, "migrate.failed");
    EXPECT_TRUE(Contains(message, "transaction block")) << message;
    EXPECT_EQ(AppliedVersions(Database::kPortfolio), "0001");
}

TEST_F(MigrateTest, NoTransactionFailureNamesTheLine) {
    WriteTable(Database::kAuth, "0001", "users");
    Write(Database::kAuth, "0002_indexes.up.sql",
          std::string(kNoTransactionMarker) +
              "\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_a ON users (id);\n"
              "CREATE INDEX CONCURRENTLY users_b ON users (missing_column);\n");
    Write(Database::kAuth, "0002_indexes.down.sql", "SELECT 1;");
    std::string message = ExpectError([&] { Up(options_); }, "migrate.failed");
    EXPECT_TRUE(Contains(message, "auth/0002_indexes.up.sql")) << message;
    EXPECT_TRUE(Contains(message, "no-transaction")) << message;
    EXPECT_TRUE(Contains(message, "(statement at line 3)")) << message;
    EXPECT_EQ(AppliedVersions(Database::kAuth), "0001");
    // Written idempotently, the file succeeds once fixed.
    Write(Database::kAuth, "0002_indexes.up.sql",
          std::string(kNoTransactionMarker) +
              "\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_a ON users (id);\n"
              "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_b ON users (id DESC);\n");
    EXPECT_EQ(Up(options_).size(), 1u);
}

TEST_F(MigrateTest, ConcurrentUpAppliesEachMigrationOnce) {
    for (Database d : kAllDatabases) {
        // The sleep keeps the first runner inside the lock while the second arrives.
        Write(d, "0001_slow.up.sql", "CREATE TABLE slow (id int);\nSELECT pg_sleep(0.3);\n");
        Write(d, "0001_slow.down.sql", "DROP TABLE slow;");
        Write(d, "0002_count.up.sql", "CREATE TABLE runs (n int);\nINSERT INTO runs VALUES (1);\n");
        Write(d, "0002_count.down.sql", "DROP TABLE runs;");
    }
    std::vector<Step> a;
    std::vector<Step> b;
    std::string error_a;
    std::string error_b;
    auto run = [&](std::vector<Step>& out, std::string& error) {
        try {
            out = Up(options_);
        } catch (const std::exception& e) {
            error = e.what();
        }
    };
    std::thread ta(run, std::ref(a), std::ref(error_a));
    std::thread tb(run, std::ref(b), std::ref(error_b));
    ta.join();
    tb.join();
    EXPECT_EQ(error_a, "");
    EXPECT_EQ(error_b, "");
    EXPECT_EQ(a.size() + b.size(), 10u);
    for (Database d : kAllDatabases) {
        EXPECT_EQ(AppliedVersions(d), "0001,0002");
        EXPECT_EQ(Query(d, "SELECT count(*) FROM runs"), "1");
    }
}

TEST_F(MigrateTest, BootstrapIsIdempotentAndSafeConcurrently) {
    std::string error_a;
    std::string error_b;
    auto run = [&](std::string& error) {
        try {
            Bootstrap(options_);
        } catch (const std::exception& e) {
            error = e.what();
        }
    };
    std::thread ta(run, std::ref(error_a));
    std::thread tb(run, std::ref(error_b));
    ta.join();
    tb.join();
    EXPECT_EQ(error_a, "");
    EXPECT_EQ(error_b, "");
    Bootstrap(options_);

    for (Database d : kAllDatabases) {
        EXPECT_EQ(
            Query(d, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"),
            "nexanest_owner")
            << DatabaseKey(d);
        EXPECT_EQ(Query(d, "SELECT has_database_privilege('public', current_database(), 'CONNECT')"), "f");
        EXPECT_EQ(Query(d, "SELECT has_database_privilege('public', current_database(), 'TEMP')"), "f");
        EXPECT_EQ(Query(d, "SELECT has_schema_privilege('public', 'public', 'CREATE')"), "f");
    }
    EXPECT_EQ(Query(Database::kAuth,
                    "SELECT rolcanlogin::text || rolsuper::text || rolbypassrls::text FROM pg_roles "
                    "WHERE rolname = 'nexanest_owner'"),
              "falsefalsefalse");
    EXPECT_EQ(Query(Database::kTimescale,
                    "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                    "WHERE e.extname = 'pg_partman'"),
              "partman");
}

TEST_F(MigrateTest, ServiceRolesConnectOnlyWhereGranted) {
    Bootstrap(options_);
    for (ServiceRole role : kAllServiceRoles) {
        EXPECT_EQ(Query(Database::kAuth,
                        "SELECT rolcanlogin::text || rolsuper::text || rolbypassrls::text || "
                        "rolcreatedb::text || rolcreaterole::text FROM pg_roles WHERE rolname = '" +
                            std::string(RoleName(role)) + "'"),
                  "truefalsefalsefalsefalse")
            << RoleName(role);
        for (Database d : kAllDatabases) {
            Conn conn = Connect(ServiceUrlFor(options_, role, d).Reveal());
            std::string error = PQerrorMessage(conn.get());
            if (MayConnect(role, d)) {
                EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK)
                    << RoleName(role) << " -> " << DatabaseKey(d) << ": " << error;
            } else {
                EXPECT_NE(PQstatus(conn.get()), CONNECTION_OK) << RoleName(role) << " -> " << DatabaseKey(d);
                EXPECT_TRUE(Contains(error, "permission denied for database")) << error;
            }
        }
    }
    // The table from the brief, spelled out, so a change to kConnectGrants is a visible decision.
    EXPECT_FALSE(MayConnect(ServiceRole::kAuth, Database::kPortfolio));
    EXPECT_TRUE(MayConnect(ServiceRole::kPortfolio, Database::kTimescale));
    EXPECT_TRUE(MayConnect(ServiceRole::kMarket, Database::kTimescale));
    EXPECT_FALSE(MayConnect(ServiceRole::kMarket, Database::kPortfolio));
}

// The portfolio role plans generically in its database, and only there (catalog.hpp
// kRoleSettings): every session of it gets the setting, whoever opens it.
TEST_F(MigrateTest, RoleSettingsApplyInTheirDatabaseOnly) {
    Bootstrap(options_);
    const auto mode = [&](ServiceRole role, Database d) {
        return QueryUrl(ServiceUrlFor(options_, role, d).Reveal(), "SHOW plan_cache_mode");
    };
    EXPECT_EQ(mode(ServiceRole::kPortfolio, Database::kPortfolio), "force_generic_plan");
    EXPECT_EQ(mode(ServiceRole::kPortfolio, Database::kTimescale), "auto");
    EXPECT_EQ(mode(ServiceRole::kMarket, Database::kTimescale), "auto");
    EXPECT_EQ(mode(ServiceRole::kAuth, Database::kAuth), "auto");
    Bootstrap(options_);  // idempotent
    EXPECT_EQ(mode(ServiceRole::kPortfolio, Database::kPortfolio), "force_generic_plan");
}

TEST_F(MigrateTest, OwnerRoleOwnsWhatMigrationsCreate) {
    Write(Database::kAuth, "0001_objects.up.sql",
          "CREATE SCHEMA auth;\n"
          "CREATE TYPE auth.user_role AS ENUM ('USER', 'ADMIN');\n"
          "CREATE SEQUENCE auth.counter;\n"
          "CREATE TABLE auth.users (id bigserial PRIMARY KEY, role auth.user_role NOT NULL);\n"
          "CREATE VIEW auth.admins AS SELECT id FROM auth.users WHERE role = 'ADMIN';\n"
          "CREATE FUNCTION auth.user_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM "
          "auth.users $$;\n"
          "SET search_path = auth;\n");
    Write(Database::kAuth, "0001_objects.down.sql", "DROP SCHEMA auth CASCADE;");
    WriteTable(Database::kAuth, "0002", "public_table");
    Up(options_);
    const std::string not_owned =
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname IN ('auth', 'public') AND pg_get_userbyid(c.relowner) <> 'nexanest_owner'";
    EXPECT_EQ(Query(Database::kAuth, not_owned), "0");
    EXPECT_EQ(Query(Database::kAuth,
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname IN ('auth', 'public')"),
              "9")
        << "schema_migrations, its key, users, its key and sequence, counter, admins, public_table and its "
           "key";
    EXPECT_EQ(
        Query(Database::kAuth, "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'auth'"),
        "nexanest_owner");
    EXPECT_EQ(
        Query(Database::kAuth, "SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'user_count'"),
        "nexanest_owner");
    EXPECT_EQ(
        Query(Database::kAuth, "SELECT pg_get_userbyid(typowner) FROM pg_type WHERE typname = 'user_role'"),
        "nexanest_owner");
    // SET search_path in 0001 did not leak into 0002, which landed in public.
    EXPECT_TRUE(TableExists(Database::kAuth, "public.public_table"));
}

TEST_F(MigrateTest, OwnerRoleCanUsePartman) {
    Write(Database::kTimescale, "0001_prices.up.sql",
          "CREATE SCHEMA market_data;\n"
          "CREATE TABLE market_data.prices (time timestamptz NOT NULL, symbol text NOT NULL, close numeric,\n"
          "  PRIMARY KEY (symbol, time)) PARTITION BY RANGE (time);\n"
          "SELECT partman.create_parent('market_data.prices', 'time', 'native', 'daily', p_premake := 2);\n");
    Write(Database::kTimescale, "0001_prices.down.sql",
          "DELETE FROM partman.part_config WHERE parent_table = 'market_data.prices';\n"
          "DROP TABLE IF EXISTS partman.template_market_data_prices;\n"
          "DROP SCHEMA market_data CASCADE;\n");
    Up(options_);
    EXPECT_EQ(Query(Database::kTimescale,
                    "SELECT count(*) >= 5 FROM pg_inherits WHERE inhparent = "
                    "'market_data.prices'::regclass"),
              "t");
    EXPECT_EQ(
        Query(Database::kTimescale,
              "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = "
              "'market_data.prices'::regclass AND pg_get_userbyid(c.relowner) <> 'nexanest_owner'"),
        "0");
    Down(options_, Database::kTimescale);
    EXPECT_EQ(Query(Database::kTimescale, "SELECT count(*) FROM partman.part_config"), "0");
}

TEST_F(MigrateTest, InvalidFilesFailBeforeAnythingIsCreated) {
    Write(Database::kAuth, "0001_users.up.sql", "SELECT 1;");
    std::string message = ExpectError([&] { Up(options_); }, "migrate.invalid_files");
    EXPECT_TRUE(Contains(message, "auth/0001_users.up.sql")) << message;
    EXPECT_EQ(
        QueryUrl(test::PgUrl(), "SELECT count(*) FROM pg_database WHERE datname LIKE '" + prefix_ + "%'"),
        "0");
}

TEST_F(MigrateTest, RejectsBadOptions) {
    Options bad = options_;
    bad.prefix = "Bad-Prefix";
    ExpectError([&] { Up(bad); }, "migrate.options");
    bad = options_;
    bad.service_password = Secret();
    ExpectError([&] { Bootstrap(bad); }, "migrate.options");
    bad = options_;
    bad.migrations_dir = dir_ / "nowhere";
    ExpectError([&] { Status(bad); }, "migrate.options");
    bad = options_;
    bad.admin_url = Secret(WithCredentials(test::PgUrl(), "postgres", "wrong-password-123", "postgres"));
    std::string message = ExpectError([&] { Bootstrap(bad); }, "migrate.connect");
    EXPECT_FALSE(Contains(message, "wrong-password-123")) << message;
}

}  // namespace
}  // namespace nn::migrate
