#include "infra/migrate/schema_version.hpp"

#include <gtest/gtest.h>

#include "infra/migrate/migration_files.hpp"
#include "tests/support/test_env.hpp"

namespace nn::migrate {
namespace {

TEST(SemVer, ParsesAndOrders) {
    ASSERT_TRUE(SemVer::Parse("1.2.3").has_value());
    EXPECT_EQ(SemVer::Parse("1.2.3")->ToString(), "1.2.3");
    EXPECT_EQ(SemVer::Parse("10.0.0")->major, 10u);
    for (const char* bad : {"", "1", "1.2", "1.2.3.4", "01.2.3", "1.2.x", "-1.2.3", "1..3", "1.2.3 "}) {
        EXPECT_FALSE(SemVer::Parse(bad).has_value()) << bad;
    }
    EXPECT_LT(*SemVer::Parse("1.9.9"), *SemVer::Parse("1.10.0"));
    EXPECT_LT(*SemVer::Parse("1.10.0"), *SemVer::Parse("2.0.0"));
}

// Every migration on disk has its schema version, and versions only grow: a new migration
// without a row here fails this test (and `serve` would refuse the database it migrated).
TEST(SchemaHistory, MatchesTheMigrationsFolder) {
    for (Database db : kAllDatabases) {
        auto files = LoadMigrations(std::filesystem::path(test::SourceDir()) / "migrations", db);
        auto history = SchemaHistory(db);
        ASSERT_EQ(files.size(), history.size()) << DatabaseKey(db) << ": add a row to schema_version.cpp";
        for (std::size_t i = 0; i < files.size(); ++i) {
            EXPECT_EQ(files[i].version, history[i].migration) << DatabaseKey(db);
            if (i > 0) {
                EXPECT_LT(history[i - 1].version, history[i].version) << DatabaseKey(db);
            }
        }
        EXPECT_EQ(RequiredSchema(db).migration, history.back().migration);
    }
}

std::vector<std::string> AllKnown(Database db) {
    std::vector<std::string> out;
    for (const auto& m : SchemaHistory(db)) out.emplace_back(m.migration);
    return out;
}

TEST(SchemaMismatch, AcceptsExactlyTheKnownSchema) {
    auto state = EvaluateSchema(Database::kAuth, AllKnown(Database::kAuth));
    EXPECT_TRUE(state.complete);
    EXPECT_EQ(state.version, RequiredSchema(Database::kAuth).version);
    EXPECT_FALSE(SchemaMismatch(Database::kAuth, state).has_value());
}

TEST(SchemaMismatch, RefusesAnOlderSchemaWithOneLine) {
    auto applied = AllKnown(Database::kPortfolio);
    applied.pop_back();
    auto state = EvaluateSchema(Database::kPortfolio, applied);
    EXPECT_FALSE(state.complete);
    auto reason = SchemaMismatch(Database::kPortfolio, state);
    ASSERT_TRUE(reason.has_value());
    EXPECT_NE(
        reason->find("the portfolio schema is " +
                     SchemaHistory(Database::kPortfolio)[applied.size() - 1].version.ToString() +
                     " but this nexanest needs " + RequiredSchema(Database::kPortfolio).version.ToString()),
        std::string::npos)
        << *reason;
    EXPECT_NE(reason->find("nexanest migrate up"), std::string::npos);
    EXPECT_EQ(reason->find('\n'), std::string::npos);

    auto empty = SchemaMismatch(Database::kPortfolio, EvaluateSchema(Database::kPortfolio, {}));
    ASSERT_TRUE(empty.has_value());
    EXPECT_NE(empty->find("schema is empty"), std::string::npos);
}

TEST(SchemaMismatch, RefusesANewerSchema) {
    auto applied = AllKnown(Database::kNotifications);
    applied.push_back("9999");
    auto state = EvaluateSchema(Database::kNotifications, applied);
    EXPECT_TRUE(state.newer);
    EXPECT_EQ(state.newest_applied, "9999");
    auto reason = SchemaMismatch(Database::kNotifications, state);
    ASSERT_TRUE(reason.has_value());
    EXPECT_NE(reason->find("newer than this nexanest knows (migration 9999 applied"), std::string::npos)
        << *reason;
}

TEST(SchemaMismatch, AGapCountsAsOlder) {
    auto applied = AllKnown(Database::kAuth);
    applied.erase(applied.begin());  // 0001 rolled back by hand, later ones still recorded
    auto state = EvaluateSchema(Database::kAuth, applied);
    EXPECT_EQ(state.version, RequiredSchema(Database::kAuth).version);
    EXPECT_FALSE(state.complete);
    EXPECT_TRUE(SchemaMismatch(Database::kAuth, state).has_value());
}

}  // namespace
}  // namespace nn::migrate
