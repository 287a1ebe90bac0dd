#include "infra/migrate/migration_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "infra/migrate/conninfo.hpp"
#include "infra/migrate/migrator.hpp"

namespace nn::migrate {
namespace {

TEST(ParseFileName, AcceptsUpAndDown) {
    struct Case {
        const char* file;
        const char* version;
        std::uint64_t number;
        const char* name;
        Direction direction;
    };
    const Case cases[] = {
        {"0001_init.up.sql", "0001", 1, "init", Direction::kUp},
        {"0001_init.down.sql", "0001", 1, "init", Direction::kDown},
        {"0042_add_users_2.up.sql", "0042", 42, "add_users_2", Direction::kUp},
        {"7_x.down.sql", "7", 7, "x", Direction::kDown},
        {"20240501120000_big.up.sql", "20240501120000", 20240501120000ULL, "big", Direction::kUp},
    };
    for (const Case& c : cases) {
        auto parsed = ParseFileName(c.file);
        ASSERT_TRUE(parsed.has_value()) << c.file;
        EXPECT_EQ(parsed->version, c.version) << c.file;
        EXPECT_EQ(parsed->number, c.number) << c.file;
        EXPECT_EQ(parsed->name, c.name) << c.file;
        EXPECT_EQ(parsed->direction, c.direction) << c.file;
    }
}

TEST(ParseFileName, RejectsMalformedNames) {
    for (const char* file : {"0001_init.sql", "0001_Init.up.sql", "0001-init.up.sql", "init.up.sql",
                             "_init.up.sql", "0001_.up.sql", "0001_init.UP.sql", "00a1_init.up.sql",
                             "0001_in it.up.sql", "0001_init.up.sql.bak", ".up.sql", "0001_init.sideways.sql",
                             "99999999999999999999999_overflow.up.sql", "0001_caf\xc3\xa9.up.sql"}) {
        EXPECT_FALSE(ParseFileName(file).has_value()) << file;
    }
}

TEST(BuildMigrationSet, PairsAndSortsByNumber) {
    auto set =
        BuildMigrationSet("auth", {"0010_c.down.sql", "0002_b.up.sql", "0010_c.up.sql", "0002_b.down.sql",
                                   "README.md", "0001_a.down.sql", "0001_a.up.sql"});
    ASSERT_EQ(set.size(), 3u);
    EXPECT_EQ(set[0].version, "0001");
    EXPECT_EQ(set[1].version, "0002");
    EXPECT_EQ(set[2].version, "0010");
    EXPECT_EQ(set[2].up_file, "0010_c.up.sql");
    EXPECT_EQ(set[2].down_file, "0010_c.down.sql");
}

// Sorting is numeric, not by text: "9" comes before "10".
TEST(BuildMigrationSet, OrdersNumerically) {
    auto set = BuildMigrationSet("auth", {"10_b.up.sql", "10_b.down.sql", "9_a.up.sql", "9_a.down.sql"});
    ASSERT_EQ(set.size(), 2u);
    EXPECT_EQ(set[0].name, "a");
    EXPECT_EQ(set[1].name, "b");
}

std::string ErrorOf(const std::vector<std::string>& files) {
    try {
        BuildMigrationSet("portfolio", files);
    } catch (const Error& e) {
        EXPECT_EQ(e.Kind(), ErrorKind::kUnprocessable);
        EXPECT_EQ(e.Code(), "migrate.invalid_files");
        return e.what();
    }
    return "";
}

TEST(BuildMigrationSet, ReportsEveryProblem) {
    std::string missing_down = ErrorOf({"0001_a.up.sql"});
    EXPECT_NE(missing_down.find("portfolio/0001_a.up.sql: has no matching 0001_a.down.sql"),
              std::string::npos)
        << missing_down;

    std::string missing_up = ErrorOf({"0001_a.down.sql"});
    EXPECT_NE(missing_up.find("has no matching 0001_a.up.sql"), std::string::npos) << missing_up;

    std::string duplicate = ErrorOf({"0001_a.up.sql", "0001_a.down.sql", "0001_b.up.sql", "0001_b.down.sql"});
    EXPECT_NE(duplicate.find("duplicate version 0001"), std::string::npos) << duplicate;

    std::string same_number = ErrorOf({"1_a.up.sql", "1_a.down.sql", "01_a.up.sql", "01_a.down.sql"});
    EXPECT_NE(same_number.find("duplicate version"), std::string::npos) << same_number;

    std::string bad_name = ErrorOf({"0001_A.up.sql", "0001_A.down.sql"});
    EXPECT_NE(bad_name.find("portfolio/0001_A.up.sql: name must be"), std::string::npos) << bad_name;

    std::string zero = ErrorOf({"0000_a.up.sql", "0000_a.down.sql"});
    EXPECT_NE(zero.find("version 0 is reserved"), std::string::npos) << zero;

    std::string two = ErrorOf({"0001_a.up.sql", "0002_b.down.sql"});
    EXPECT_NE(two.find("0001_a.down.sql"), std::string::npos) << two;
    EXPECT_NE(two.find("0002_b.up.sql"), std::string::npos) << two;
}

TEST(BuildMigrationSet, EmptyFolderIsValid) {
    EXPECT_TRUE(BuildMigrationSet("auth", {}).empty());
}

TEST(LoadMigrations, ReadsContentsAndChecksums) {
    auto dir = std::filesystem::temp_directory_path() / ("nn_migrate_load_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "notifications");
    std::ofstream(dir / "notifications" / "0001_a.up.sql") << "CREATE TABLE a (id int);";
    std::ofstream(dir / "notifications" / "0001_a.down.sql") << "DROP TABLE a;";
    auto set = LoadMigrations(dir, Database::kNotifications);
    auto none = LoadMigrations(dir, Database::kAuth);  // no folder: no migrations
    std::filesystem::remove_all(dir);
    ASSERT_EQ(set.size(), 1u);
    EXPECT_EQ(set[0].up_sql, "CREATE TABLE a (id int);");
    EXPECT_EQ(set[0].down_sql, "DROP TABLE a;");
    EXPECT_EQ(set[0].checksum, Sha256Hex("CREATE TABLE a (id int);"));
    EXPECT_TRUE(none.empty());
}

TEST(Sha256Hex, MatchesKnownVectors) {
    EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(NoTransactionMarker, OnlyAsTheFirstLine) {
    EXPECT_TRUE(HasNoTransactionMarker("-- nexanest:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);"));
    EXPECT_TRUE(HasNoTransactionMarker("-- nexanest:no-transaction  \r\nSELECT 1;"));
    EXPECT_TRUE(HasNoTransactionMarker("-- nexanest:no-transaction"));
    EXPECT_FALSE(HasNoTransactionMarker("SELECT 1;\n-- nexanest:no-transaction\n"));
    EXPECT_FALSE(HasNoTransactionMarker(" -- nexanest:no-transaction\n"));
    EXPECT_FALSE(HasNoTransactionMarker("-- nexanest:no-transactions\n"));
    EXPECT_FALSE(HasNoTransactionMarker(""));
}

std::vector<std::string> Texts(std::string_view sql) {
    std::vector<std::string> out;
    for (const Statement& s : SplitStatements(sql)) out.emplace_back(s.text);
    return out;
}

TEST(SplitStatements, SplitsAtTopLevelSemicolonsOnly) {
    using V = std::vector<std::string>;
    EXPECT_EQ(Texts("SELECT 1; SELECT 2;"), (V{"SELECT 1", "SELECT 2"}));
    EXPECT_EQ(Texts("SELECT 1"), (V{"SELECT 1"}));
    EXPECT_EQ(Texts("SELECT 'a;b''c;'; SELECT 2"), (V{"SELECT 'a;b''c;'", "SELECT 2"}));
    EXPECT_EQ(Texts("SELECT E'x\\';y'; SELECT 2"), (V{"SELECT E'x\\';y'", "SELECT 2"}));
    // Without E a backslash is an ordinary character, so the quote after it closes the string.
    EXPECT_EQ(Texts("SELECT 'x\\'; SELECT 2"), (V{"SELECT 'x\\'", "SELECT 2"}));
    EXPECT_EQ(Texts("SELECT \"a;\"\"b\" FROM t; SELECT 2"), (V{"SELECT \"a;\"\"b\" FROM t", "SELECT 2"}));
    EXPECT_EQ(Texts("DO $$ BEGIN PERFORM 1; END $$; SELECT 2"),
              (V{"DO $$ BEGIN PERFORM 1; END $$", "SELECT 2"}));
    EXPECT_EQ(Texts("CREATE FUNCTION f() RETURNS int AS $fn$ SELECT 1; $x$ $fn$ LANGUAGE sql; SELECT 2"),
              (V{"CREATE FUNCTION f() RETURNS int AS $fn$ SELECT 1; $x$ $fn$ LANGUAGE sql", "SELECT 2"}));
    EXPECT_EQ(Texts("PREPARE p AS SELECT $1; SELECT a$b FROM t"),
              (V{"PREPARE p AS SELECT $1", "SELECT a$b FROM t"}));
    EXPECT_EQ(Texts("SELECT 1; -- a; comment\nSELECT 2 /* x; /* nested; */ y; */ ;"),
              (V{"SELECT 1", "-- a; comment\nSELECT 2 /* x; /* nested; */ y; */"}));
}

TEST(SplitStatements, DropsEmptyPiecesAndKeepsOffsets) {
    std::string_view sql = "-- nexanest:no-transaction\n;;\n  CREATE INDEX a;\n-- only a comment;\n\n";
    auto parts = SplitStatements(sql);
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].text, "CREATE INDEX a");
    EXPECT_EQ(sql.substr(parts[0].offset, parts[0].text.size()), "CREATE INDEX a");
    EXPECT_TRUE(SplitStatements("  \n-- x\n/* y */").empty());
}

TEST(LineOfPosition, CountsCharactersNotBytes) {
    std::string_view sql = "SELECT 1;\nSELECT 'é';\nSELEC x;";
    // 'S' of "SELEC" is character 23 (é is one character but two bytes).
    EXPECT_EQ(LineOfPosition(sql, 0, 1), 1u);
    EXPECT_EQ(LineOfPosition(sql, 0, 11), 2u);
    EXPECT_EQ(LineOfPosition(sql, 0, 23), 3u);
    EXPECT_EQ(LineOfPosition(sql, 0, 10), 1u);  // the newline belongs to the line it ends
    // Relative to a statement that starts on line 3.
    auto offset = sql.find("SELEC x");
    EXPECT_EQ(LineOfPosition(sql, offset, 1), 3u);
}

TEST(Conninfo, ReplacesTheDatabaseOfAUri) {
    EXPECT_EQ(WithDatabase("postgresql://u:p@h:5432/postgres", "nexanest_auth"),
              "postgresql://u:p@h:5432/nexanest_auth");
    EXPECT_EQ(WithDatabase("postgresql://u:p@h:5432/postgres?sslmode=disable", "x_auth"),
              "postgresql://u:p@h:5432/x_auth?sslmode=disable");
    EXPECT_EQ(WithDatabase("postgres://h", "db"), "postgres://h/db");
    EXPECT_EQ(WithDatabase("postgresql://u:p%2Fq@h/a?host=/run/pg", "b"),
              "postgresql://u:p%2Fq@h/b?host=/run/pg");
    EXPECT_EQ(WithDatabase("host=h user=u dbname=postgres", "x_auth"),
              "host=h user=u dbname=postgres dbname='x_auth'");
}

TEST(Conninfo, BuildsServiceCredentials) {
    EXPECT_EQ(WithCredentials("postgresql://admin:secret@h:5432/postgres?user=admin&sslmode=require",
                              "nexanest_auth", "p@ss:w/rd", "nexanest_auth"),
              "postgresql://nexanest_auth:p%40ss%3Aw%2Frd@h:5432/nexanest_auth?sslmode=require");
    EXPECT_EQ(WithCredentials("host=h port=1", "r", "it's", "d"),
              "host=h port=1 user='r' password='it\\'s' dbname='d'");
}

TEST(Conninfo, EachServiceRoleMayHaveItsOwnPassword) {
    Options options;
    options.admin_url = Secret("postgresql://admin:secret@h:5432/postgres");
    options.service_password = Secret("shared");
    options.role_passwords["auth"] = Secret("auth-own");
    EXPECT_EQ(ServiceUrlFor(options, ServiceRole::kAuth, Database::kAuth).Reveal(),
              "postgresql://nexanest_auth:auth-own@h:5432/nexanest_auth");
    EXPECT_EQ(ServiceUrlFor(options, ServiceRole::kNotify, Database::kNotifications).Reveal(),
              "postgresql://nexanest_notify:shared@h:5432/nexanest_notifications");
    EXPECT_EQ(PasswordFor(options, ServiceRole::kMarket).Reveal(), "shared");
}

TEST(Conninfo, ScrubsThePassword) {
    EXPECT_EQ(ScrubPassword("postgresql://u:s3cr%21t@h/db", "bad token s3cr%21t and s3cr!t"),
              "bad token *** and ***");
    EXPECT_EQ(ScrubPassword("host=h password=hunter2", "x hunter2 y"), "x *** y");
    EXPECT_EQ(ScrubPassword("postgresql://u:%zz@h/db", "invalid percent-encoded token: \"%zz\""),
              "invalid percent-encoded token: \"***\"");
    EXPECT_EQ(ScrubPassword("postgresql://h/db", "nothing to hide"), "nothing to hide");
}

}  // namespace
}  // namespace nn::migrate
