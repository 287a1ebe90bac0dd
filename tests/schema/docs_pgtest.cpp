#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "tests/schema/schema_fixture.hpp"
#include "tests/support/test_env.hpp"

// docs/schema.md cannot drift from the live schema: in each "## Database `<key>`" section, the
// first cells of the inventory tables (lines starting with "| `") name exactly the tables and
// functions that the migrated database holds in its own schemas.
namespace nn::schema_test {
namespace {

using migrate::Database;

struct Documented {
    std::set<std::string> tables;
    std::set<std::string> functions;
};

std::map<std::string, Documented> ReadDoc() {
    std::ifstream in(test::SourceDir() + "/docs/schema.md");
    if (!in) throw std::runtime_error("docs/schema.md is missing");
    std::map<std::string, Documented> out;
    const std::regex section(R"(^## Database `([a-z]+)`)");
    const std::regex cell(R"(^\| `([a-z_]+\.[a-z0-9_]+)(\([^`]*\))?`)");
    std::string line;
    std::string current;
    std::smatch m;
    while (std::getline(in, line)) {
        if (std::regex_search(line, m, section)) {
            current = m[1];
            out[current];
        } else if (line.rfind("## ", 0) == 0) {
            current.clear();
        } else if (!current.empty() && std::regex_search(line, m, cell)) {
            (m[2].matched ? out[current].functions : out[current].tables).insert(m[1]);
        }
    }
    return out;
}

std::set<std::string> Set(Conn& c, const std::string& sql) {
    std::set<std::string> out;
    for (const auto& row : c.Query(sql)) out.insert(row[0]);
    return out;
}

std::string Diff(const std::set<std::string>& live, const std::set<std::string>& doc) {
    std::string out;
    for (const auto& x : live) {
        if (!doc.count(x)) out += " undocumented:" + x;
    }
    for (const auto& x : doc) {
        if (!live.count(x)) out += " not-in-database:" + x;
    }
    return out;
}

TEST(SchemaDoc, DocumentsExactlyTheLiveTablesAndFunctions) {
    auto doc = ReadDoc();
    for (Database d : migrate::kAllDatabases) {
        const std::string key(migrate::DatabaseKey(d));
        SCOPED_TRACE(key);
        ASSERT_TRUE(doc.count(key)) << "no section ## Database `" << key << "`";
        Conn c(AdminUrl(d));
        const std::string ours =
            " NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'partman') AND n.nspname NOT LIKE "
            "'pg_temp%'"
            " AND n.nspname NOT LIKE 'pg_toast_temp%'";
        auto tables = Set(c,
                          "SELECT n.nspname || '.' || c.relname FROM pg_class c"
                          " JOIN pg_namespace n ON n.oid = c.relnamespace"
                          " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname" +
                              ours);
        auto functions = Set(c,
                             "SELECT n.nspname || '.' || p.proname FROM pg_proc p"
                             " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname" +
                                 ours);
        EXPECT_FALSE(tables.empty());
        EXPECT_EQ(Diff(tables, doc[key].tables), "");
        EXPECT_EQ(Diff(functions, doc[key].functions), "");
    }
}

}  // namespace
}  // namespace nn::schema_test
