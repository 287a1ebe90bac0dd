#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tests/schema/schema_fixture.hpp"
#include "tests/support/suite_databases.hpp"
#include "tests/support/test_env.hpp"

namespace nn::schema_test {
namespace {

using migrate::Database;
using migrate::ServiceRole;

// pg_dump prints the roles of a policy in the physical order of pg_authid, which changes when the
// bootstrap alters a role; the set is what matters, so it is sorted.
std::string SortPolicyRoles(const std::string& line) {
    if (line.rfind("CREATE POLICY ", 0) != 0) return line;
    const auto to = line.find(" TO ");
    if (to == std::string::npos) return line;
    auto end = line.find(" USING ", to);
    if (end == std::string::npos) end = line.find(" WITH CHECK ", to);
    if (end == std::string::npos) end = line.find(';', to);
    std::vector<std::string> roles;
    std::istringstream list(line.substr(to + 4, end - to - 4));
    for (std::string role; std::getline(list, role, ',');) {
        roles.push_back(role.substr(role.find_first_not_of(' ')));
    }
    std::sort(roles.begin(), roles.end());
    std::string joined;
    for (const auto& role : roles) joined += (joined.empty() ? "" : ", ") + role;
    return line.substr(0, to + 4) + joined + line.substr(end);
}

// pg_dump --schema-only of one database, without the lines that differ between two dumps of
// the same schema (the random \restrict key of recent minor releases).
std::string DumpSchema(const std::string& url) {
    const std::string cmd = "/usr/lib/postgresql/15/bin/pg_dump --schema-only --dbname='" + url + "' 2>&1";
    std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(cmd.c_str(), "r"), &pclose);
    if (!pipe) throw std::runtime_error("cannot run pg_dump");
    std::string out;
    std::array<char, 8192> buf{};
    while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe.get()) != nullptr) out += buf.data();
    std::istringstream in(out);
    std::string line;
    std::string kept;
    while (std::getline(in, line)) {
        if (line.rfind("\\restrict", 0) == 0 || line.rfind("\\unrestrict", 0) == 0) continue;
        kept += SortPolicyRoles(line) + "\n";
    }
    return kept;
}

// "" when equal, else the first differing line of each dump with its number.
std::string FirstDifference(const std::string& a, const std::string& b) {
    std::istringstream ia(a);
    std::istringstream ib(b);
    std::string la;
    std::string lb;
    for (int n = 1;; ++n) {
        const bool ha = static_cast<bool>(std::getline(ia, la));
        const bool hb = static_cast<bool>(std::getline(ib, lb));
        if (!ha && !hb) return "";
        if (!ha || !hb || la != lb) {
            return "line " + std::to_string(n) + ": [" + (ha ? la : "<end>") + "] vs [" +
                   (hb ? lb : "<end>") + "]";
        }
    }
}

// Schemas and tables other than what the engine itself keeps (schema_migrations) and the
// bootstrap's pg_partman schema.
std::string LeftOver(const std::string& url, bool partman) {
    Conn c(url);
    return c.Value(
        "SELECT coalesce(string_agg(x, ', '), '') FROM ("
        " SELECT 'schema ' || nspname AS x FROM pg_namespace"
        "  WHERE nspname NOT IN ('public', 'partman', 'pg_toast', 'pg_catalog', 'information_schema')"
        "    AND nspname NOT LIKE 'pg_temp_%' AND nspname NOT LIKE 'pg_toast_temp_%'"
        " UNION ALL SELECT 'relation ' || c.oid::regclass::text FROM pg_class c"
        "  JOIN pg_namespace n ON n.oid = c.relnamespace"
        "  WHERE n.nspname IN ('public', 'partman') AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
        "    AND c.relname <> 'schema_migrations'"
        "    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"
        " UNION ALL SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p"
        "  JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'" +
        std::string(partman ? " UNION ALL SELECT 'part_config ' || parent_table FROM partman.part_config"
                            : "") +
        ") s");
}

TEST(Migrations, UpDownUpLeavesAnIdenticalSchema) {
    const test::SuiteDatabases o("sud_");  // dropped at the end

    ASSERT_FALSE(migrate::Up(o).empty());
    std::array<std::string, 5> first;
    for (Database d : migrate::kAllDatabases) {
        first[static_cast<std::size_t>(d)] = DumpSchema(migrate::AdminUrlFor(o, d).Reveal());
        EXPECT_NE(first[static_cast<std::size_t>(d)].find("CREATE TABLE"), std::string::npos);
    }
    for (Database d : migrate::kAllDatabases) {
        migrate::To(o, d, "0");
        EXPECT_EQ(LeftOver(migrate::AdminUrlFor(o, d).Reveal(), d == Database::kTimescale), "")
            << "down left objects behind in " << migrate::DatabaseKey(d);
    }
    ASSERT_FALSE(migrate::Up(o).empty());
    for (Database d : migrate::kAllDatabases) {
        std::string again = DumpSchema(migrate::AdminUrlFor(o, d).Reveal());
        EXPECT_EQ(FirstDifference(first[static_cast<std::size_t>(d)], again), "")
            << "schema differs after up, down, up in " << migrate::DatabaseKey(d);
    }
}

// portfolio 0008: the stored ledger states (a position holds every open lot) are compressed with
// lz4, cheaper than pglz to write and read; rolling it back restores the default method.
TEST(Migrations, LedgerStatesAreCompressedWithLz4UntilPortfolio0008IsRolledBack) {
    const test::SuiteDatabases o("slz_");  // dropped at the end
    ASSERT_FALSE(migrate::Up(o, Database::kPortfolio).empty());
    Conn c(migrate::AdminUrlFor(o, Database::kPortfolio).Reveal());
    const std::string methods =
        "SELECT string_agg(attrelid::regclass::text || '=' || attcompression::text, ',' ORDER BY "
        "attrelid::regclass::text) FROM pg_attribute WHERE attname = 'state' AND attrelid IN "
        "('portfolio.ledger_positions'::regclass, 'portfolio.ledger_checkpoints'::regclass, "
        "'portfolio.read_checkpoints'::regclass)";
    EXPECT_EQ(c.Value(methods),
              "portfolio.ledger_checkpoints=l,portfolio.ledger_positions=l,portfolio.read_checkpoints=l");
    c.Exec(
        "INSERT INTO portfolio.portfolios (id, user_id, name, currency) VALUES "
        "('00000000-0000-4000-8001-000000000001', '00000000-0000-4000-8000-000000000001', 'P', 'USD');"
        "INSERT INTO portfolio.ledger_positions (portfolio_id, user_id, symbol, last_executed_at, "
        "last_created_at, last_transaction_id, transaction_count, state) VALUES "
        "('00000000-0000-4000-8001-000000000001', '00000000-0000-4000-8000-000000000001', 'S', now(), now(), "
        "gen_random_uuid(), 1, repeat('1.2345 123.4567891234 110.12345 1709287200000000 ', 1400))");
    EXPECT_EQ(c.Value("SELECT pg_column_compression(state) FROM portfolio.ledger_positions"), "lz4");

    migrate::To(o, Database::kPortfolio, "0007");
    EXPECT_EQ(c.Value(methods),
              "portfolio.ledger_checkpoints=,portfolio.ledger_positions=,portfolio.read_checkpoints=");
}

// The stored ledger states, checkpoints and read checkpoints are caches of the transactions:
// portfolio 0010 (a partial close's cost is now the exact share, rounded once) forgets them and
// moves every ledger version on, and so does rolling back 0009 (whose states the code before it
// cannot read). A migration runs as the tables' owner, whom FORCE ROW LEVEL SECURITY leaves no
// policy: a plain DELETE there saw no rows and removed nothing.
TEST(Migrations, LedgerCachesAreForgottenByPortfolio0010AndByRollingBack0009) {
    const test::SuiteDatabases o("slc_");  // dropped at the end
    ASSERT_FALSE(migrate::To(o, Database::kPortfolio, "0009").empty());
    Conn c(migrate::AdminUrlFor(o, Database::kPortfolio).Reveal());
    const std::string p = "'00000000-0000-4000-8001-000000000001'";
    const std::string u = "'00000000-0000-4000-8000-000000000001'";
    const std::string fill =
        "INSERT INTO portfolio.ledger_positions (portfolio_id, user_id, symbol, last_executed_at, "
        "last_created_at, last_transaction_id, transaction_count, state) VALUES (" +
        p + ", " + u +
        ", 'S', now(), now(), gen_random_uuid(), 1, 'v2');"
        "INSERT INTO portfolio.ledger_checkpoints (portfolio_id, user_id, symbol, executed_at, created_at, "
        "transaction_id, transaction_count, state) VALUES (" +
        p + ", " + u +
        ", 'S', now(), now(), gen_random_uuid(), 1, 'v2');"
        "INSERT INTO portfolio.read_checkpoints (portfolio_id, user_id, day, state) VALUES (" +
        p + ", " + u +
        ", '2024-01-02', '{}');"
        "INSERT INTO portfolio.ledger_versions (portfolio_id, user_id, version) VALUES (" +
        p + ", " + u + ", 1) ON CONFLICT (portfolio_id) DO UPDATE SET version = 1;";
    const std::string caches =
        "SELECT (SELECT count(*) FROM portfolio.ledger_positions) || ',' || (SELECT count(*) FROM "
        "portfolio.ledger_checkpoints) || ',' || (SELECT count(*) FROM portfolio.read_checkpoints) || ',' || "
        "(SELECT version FROM portfolio.ledger_versions)";
    c.Exec("INSERT INTO portfolio.portfolios (id, user_id, name, currency) VALUES (" + p + ", " + u +
           ", 'P', 'USD');" + fill +
           "INSERT INTO portfolio.ledger_lot_pages (portfolio_id, user_id, symbol, page, lots) VALUES (" + p +
           ", " + u + ", 'S', 0, '')");
    ASSERT_EQ(c.Value(caches), "1,1,1,1");

    migrate::To(o, Database::kPortfolio, "0010");
    EXPECT_EQ(c.Value(caches), "0,0,0,2");
    EXPECT_EQ(c.Value("SELECT count(*) FROM portfolio.ledger_lot_pages"), "0");
    EXPECT_EQ(c.Value("SELECT count(*) FROM portfolio.portfolios"), "1");

    c.Exec(fill);
    migrate::To(o, Database::kPortfolio, "0008");  // 0010's down, then 0009's: one version each
    EXPECT_EQ(c.Value(caches), "0,0,0,3");
    EXPECT_EQ(c.Value("SELECT relforcerowsecurity::text FROM pg_class WHERE oid = "
                      "'portfolio.ledger_versions'::regclass"),
              "true");
}

// timescale 0002 turns raw rows into segments and ohlcv_1m into the bars of expired minutes
// only: every tick, every one-minute bar (raw-backed or not) and every index value reads the
// same after the up migration (through the views) and after the down migration (tables again).
TEST(Migrations, PriceSegmentsMigrationKeepsEveryTickAndMinuteBarBothWays) {
    const test::SuiteDatabases o("seg_");  // dropped at the end
    migrate::To(o, Database::kTimescale, "0001");
    Conn db(migrate::AdminUrlFor(o, Database::kTimescale).Reveal());
    db.Exec("SET TimeZone = 'UTC'");
    // 2 symbols x 3 minutes of ticks yesterday, some with open/high/low, some volumes missing
    db.Exec(
        "INSERT INTO market_data.stock_prices (time, symbol, open, high, low, close, volume) "
        "SELECT date_trunc('day', now()) - interval '1 day' + interval '10 hours' + g * interval '7 "
        "seconds', "
        "s, CASE WHEN g % 3 = 0 THEN 10 + g END, CASE WHEN g % 3 = 0 THEN 12 + g END, "
        "CASE WHEN g % 3 = 0 THEN 9 + g END, 10.5 + g * 0.25, CASE WHEN g % 4 <> 0 THEN g END "
        "FROM generate_series(0, 25) g, unnest(ARRAY['MIGA', 'MIGB']) s");
    db.Exec(
        "INSERT INTO market_data.market_indices (time, symbol, close) "
        "SELECT date_trunc('day', now()) - interval '1 day' + g * interval '1 minute', 'MIGIDX', 1000 + g "
        "FROM generate_series(0, 4) g");
    // the one-minute bars ingest kept, plus a minute whose raw ticks are gone
    db.Exec(
        "INSERT INTO market_data.ohlcv_1m (symbol, bucket, open, high, low, close, volume, tick_count, "
        "open_time, close_time) "
        "SELECT symbol, date_bin('1 minute', time, timestamptz '2000-01-03'), "
        "(array_agg(coalesce(open, close) ORDER BY time))[1], max(coalesce(high, close)), "
        "min(coalesce(low, close)), (array_agg(close ORDER BY time DESC))[1], coalesce(sum(volume), 0), "
        "count(*), min(time), max(time) FROM (SELECT * FROM market_data.stock_prices UNION ALL "
        "SELECT * FROM market_data.market_indices) r GROUP BY 1, 2");
    db.Exec(
        "INSERT INTO market_data.ohlcv_1m (symbol, bucket, open, high, low, close, volume, tick_count, "
        "open_time, close_time) VALUES ('MIGA', date_trunc('day', now()) - interval '2 days', 5, 6, 4, 5.5, "
        "70, 3, date_trunc('day', now()) - interval '2 days', "
        "date_trunc('day', now()) - interval '2 days' + interval '50 seconds')");
    const std::string ticks =
        "SELECT count(*) || ' ' || string_agg(format('%s %s %s %s %s %s %s', symbol, time, open, high, low, "
        "close, volume), ';' ORDER BY symbol, time) FROM market_data.stock_prices";
    const std::string indices =
        "SELECT string_agg(format('%s %s %s', symbol, time, close), ';' ORDER BY symbol, time) "
        "FROM market_data.market_indices";
    const std::string bars =
        "SELECT count(*) || ' ' || string_agg(format('%s %s %s %s %s %s %s %s %s %s', symbol, bucket, open, "
        "high, low, close, volume, tick_count, open_time, close_time), ';' ORDER BY symbol, bucket) FROM "
        "market_data.";
    const std::string ticks_before = db.Value(ticks);
    const std::string indices_before = db.Value(indices);
    const std::string bars_before = db.Value(bars + "ohlcv_1m");
    ASSERT_EQ(ticks_before.substr(0, 3), "52 ");
    ASSERT_EQ(bars_before.substr(0, 3), "12 ") << "3 + 3 + 5 raw-backed minutes and one without raw";

    migrate::To(o, Database::kTimescale, "0002");
    EXPECT_EQ(db.Value(ticks), ticks_before);
    EXPECT_EQ(db.Value(indices), indices_before);
    EXPECT_EQ(db.Value(bars + "bars_1m"), bars_before);
    EXPECT_EQ(db.Value("SELECT count(*) FROM market_data.ohlcv_1m"), "1") << "only the minute without raw";
    EXPECT_EQ(db.Value("SELECT count(*) FROM market_data.stock_price_segments"), "6");

    migrate::To(o, Database::kTimescale, "0001");
    EXPECT_EQ(db.Value(ticks), ticks_before);
    EXPECT_EQ(db.Value(indices), indices_before);
    EXPECT_EQ(db.Value(bars + "ohlcv_1m"), bars_before);
}

// The catalog facts row-level security relies on (security.md §2.4 P1), in every database.
TEST(Migrations, EveryUserTableForcesRowLevelSecurityAndNothingIsPublic) {
    for (Database d : migrate::kAllDatabases) {
        SCOPED_TRACE(std::string(migrate::DatabaseKey(d)));
        Conn c(AdminUrl(d));
        // Tables holding a user's data: every table with a user_id column, plus auth.users.
        EXPECT_EQ(c.Value("SELECT coalesce(string_agg(c.oid::regclass::text, ', '), '') FROM pg_class c"
                          " JOIN pg_namespace n ON n.oid = c.relnamespace"
                          " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
                          "   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'partman')"
                          "   AND (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid"
                          "                AND a.attname = 'user_id' AND NOT a.attisdropped)"
                          "        OR c.oid = to_regclass('auth.users'))"
                          "   AND NOT (c.relrowsecurity AND c.relforcerowsecurity"
                          "            AND EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid))"),
                  "")
            << "tables with user data but without forced RLS and a policy";
        EXPECT_GT(std::stoi(c.Value("SELECT count(*) FROM pg_class WHERE relforcerowsecurity")), 0);
        // Everything belongs to the owner role.
        EXPECT_EQ(
            c.Value("SELECT coalesce(string_agg(c.oid::regclass::text, ', '), '') FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'partman')"
                    "   AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'"
                    "   AND c.relname <> 'schema_migrations'"
                    "   AND pg_get_userbyid(c.relowner) <> 'nexanest_owner'"),
            "");
        // Nothing granted to PUBLIC: no table ACL entry, and every function's ACL is explicit.
        EXPECT_EQ(c.Value("SELECT coalesce(string_agg(c.oid::regclass::text, ', '), '') FROM pg_class c"
                          " JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a"
                          " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND a.grantee = 0"),
                  "");
        EXPECT_EQ(c.Value("SELECT coalesce(string_agg(p.oid::regprocedure::text, ', '), '') FROM pg_proc p"
                          " JOIN pg_namespace n ON n.oid = p.pronamespace"
                          " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'partman')"
                          "   AND (p.proacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(p.proacl) a"
                          "                                    WHERE a.grantee = 0))"),
                  "");
        // SECURITY DEFINER functions pin their search_path.
        EXPECT_EQ(
            c.Value("SELECT coalesce(string_agg(p.oid::regprocedure::text, ', '), '') FROM pg_proc p"
                    " JOIN pg_namespace n ON n.oid = p.pronamespace"
                    " WHERE n.nspname <> 'partman' AND p.prosecdef"
                    "   AND NOT coalesce(p.proconfig::text LIKE '%search_path=pg_catalog, pg_temp%', false)"),
            "");
        // Service roles get DML at most: no TRUNCATE, REFERENCES or TRIGGER anywhere.
        EXPECT_EQ(
            c.Value("SELECT coalesce(string_agg(c.oid::regclass::text || ':' || a.privilege_type, ', '), '')"
                    " FROM pg_class c, aclexplode(c.relacl) a"
                    " WHERE pg_get_userbyid(a.grantee) LIKE 'nexanest\\_%'"
                    "   AND pg_get_userbyid(a.grantee) <> 'nexanest_owner'"
                    "   AND a.privilege_type IN ('TRUNCATE', 'REFERENCES', 'TRIGGER')"),
            "");
    }
    Conn admin(test::PgUrl());
    EXPECT_EQ(admin.Value("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'nexanest\\_%'"
                          " AND (rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb)"),
              "0");
}

// A service role reaches exactly its own database(s).
TEST(Migrations, ServiceRolesConnectOnlyToTheirDatabases) {
    for (ServiceRole role : migrate::kAllServiceRoles) {
        for (Database d : migrate::kAllDatabases) {
            SCOPED_TRACE(std::string(migrate::RoleName(role)) + " -> " +
                         std::string(migrate::DatabaseKey(d)));
            bool connected = false;
            try {
                Conn c(ServiceUrl(role, d));
                connected = c.Value("SELECT current_user") == migrate::RoleName(role);
            } catch (const PgError& e) {
                EXPECT_NE(std::string(e.what()).find("permission denied"), std::string::npos) << e.what();
            }
            EXPECT_EQ(connected, migrate::MayConnect(role, d));
        }
    }
}

// The rights of `role` on market_data, as "object:privilege, ..." sorted.
std::string MarketDataRights(const std::string& admin_url, ServiceRole role) {
    Conn c(admin_url);
    const std::string name(migrate::RoleName(role));
    return c.Value(
        "SELECT coalesce(string_agg(x, ', ' ORDER BY x), '') FROM ("
        " SELECT c.oid::regclass::text || ':' || a.privilege_type AS x"
        "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a"
        "  WHERE n.nspname = 'market_data' AND pg_get_userbyid(a.grantee) = $1"
        " UNION ALL SELECT 'schema market_data:' || a.privilege_type"
        "  FROM pg_namespace n, aclexplode(n.nspacl) a"
        "  WHERE n.nspname = 'market_data' AND pg_get_userbyid(a.grantee) = $1) s",
        {name});
}

// timescale 0003: the portfolio and analytics roles lose every right on market_data (they read
// market data through the market's directories, as the market role); down gives back exactly
// the reads they had.
TEST(Migrations, PortfolioAndAnalyticsRolesReadNoMarketDataAfterTimescale0003) {
    const test::SuiteDatabases o("spm_");
    migrate::To(o, Database::kTimescale, "0002");
    const std::string admin = migrate::AdminUrlFor(o, Database::kTimescale).Reveal();
    const ServiceRole roles[] = {ServiceRole::kPortfolio, ServiceRole::kAnalytics};
    std::vector<std::string> before;
    for (ServiceRole role : roles) {
        before.push_back(MarketDataRights(admin, role));
        EXPECT_NE(before.back().find("market_data.latest_exchange_rates:SELECT"), std::string::npos)
            << before.back();
        EXPECT_NE(before.back().find("schema market_data:USAGE"), std::string::npos) << before.back();
    }

    migrate::To(o, Database::kTimescale, "0003");
    for (ServiceRole role : roles) {
        SCOPED_TRACE(std::string(migrate::RoleName(role)));
        EXPECT_EQ(MarketDataRights(admin, role), "");
        Conn reader(migrate::ServiceUrlFor(o, role, Database::kTimescale).Reveal());
        EXPECT_EQ(reader.ErrorOf("SELECT 1 FROM market_data.latest_exchange_rates LIMIT 1"), "42501");
        EXPECT_EQ(reader.ErrorOf("SELECT 1 FROM analytics_ts.portfolio_snapshots LIMIT 1"), "");
    }
    Conn market(migrate::ServiceUrlFor(o, ServiceRole::kMarket, Database::kTimescale).Reveal());
    EXPECT_EQ(market.ErrorOf("SELECT 1 FROM market_data.latest_exchange_rates LIMIT 1"), "");

    migrate::To(o, Database::kTimescale, "0002");
    for (std::size_t i = 0; i < 2; ++i) EXPECT_EQ(MarketDataRights(admin, roles[i]), before[i]);
}

// Inside the shared timescale database each role reaches only its own schemas and rights.
TEST(Migrations, ServiceRolesCannotReadOrWriteAnotherServicesTables) {
    const std::string now = "now()";
    const std::string insert_segment =
        "INSERT INTO market_data.stock_price_segments"
        " (symbol, bucket, first_time, last_time, open, high, low, close, volume, tick_count, times, closes)"
        " SELECT 'X', date_bin('1 minute', now(), timestamptz '2000-01-03 00:00+00'), now(), now(),"
        " 1, 1, 1, 1, 0, 1, ARRAY[now()], '{1}'";
    struct Case {
        ServiceRole role;
        std::string sql;
    };
    const Case denied[] = {
        {ServiceRole::kAnalytics, insert_segment},
        {ServiceRole::kPortfolio, "DELETE FROM market_data.market_index_segments"},
        {ServiceRole::kPortfolio, "DELETE FROM market_data.latest_prices"},
        // portfolio and analytics read market data only through the market's directories
        {ServiceRole::kPortfolio, "SELECT 1 FROM market_data.latest_exchange_rates LIMIT 1"},
        {ServiceRole::kPortfolio, "SELECT 1 FROM market_data.exchange_rates LIMIT 1"},
        {ServiceRole::kPortfolio, "SELECT 1 FROM market_data.instruments LIMIT 1"},
        {ServiceRole::kPortfolio, "SELECT 1 FROM market_data.stock_prices LIMIT 1"},
        {ServiceRole::kAnalytics, "SELECT 1 FROM market_data.ohlcv_1d LIMIT 1"},
        {ServiceRole::kAnalytics, "SELECT 1 FROM market_data.exchange_rates LIMIT 1"},
        {ServiceRole::kAnalytics, "SELECT 1 FROM market_data.latest_prices LIMIT 1"},
        {ServiceRole::kAnalytics, "SELECT 1 FROM market_data.instruments LIMIT 1"},
        {ServiceRole::kNotify, "UPDATE market_data.instruments SET name = name"},
        {ServiceRole::kMarket, "SELECT 1 FROM events.system_events LIMIT 1"},
        {ServiceRole::kMarket, "SELECT 1 FROM analytics_ts.portfolio_snapshots LIMIT 1"},
        {ServiceRole::kAnalytics, "SELECT 1 FROM events.system_events LIMIT 1"},
        {ServiceRole::kPortfolio, "SELECT 1 FROM events.system_events LIMIT 1"},
        {ServiceRole::kAnalytics, "DELETE FROM analytics_ts.portfolio_snapshots"},
        {ServiceRole::kNotify, "SELECT 1 FROM analytics_ts.portfolio_snapshots LIMIT 1"},
        {ServiceRole::kMarket, "SELECT 1 FROM partman.part_config LIMIT 1"},
        {ServiceRole::kAnalytics,
         "SELECT partman_maint.set_retention('market_data.stock_price_segments', '1 day')"},
        {ServiceRole::kAnalytics,
         "SELECT partman_maint.compact_segments('market_data.stock_price_segments', '1 day')"},
        {ServiceRole::kMarket, "SELECT 1 FROM market_data.stock_price_segments_default LIMIT 1"},
        {ServiceRole::kNotify, "SELECT 1 FROM market_data.market_index_segments_default LIMIT 1"},
        {ServiceRole::kMarket, "TRUNCATE market_data.stock_price_segments"},
        {ServiceRole::kMarket, "UPDATE market_data.stock_price_segments SET closes = closes"},
        {ServiceRole::kMarket, "UPDATE market_data.market_index_segments SET closes = closes"},
        {ServiceRole::kMarket, "CREATE TABLE market_data.x (id int)"},
        {ServiceRole::kMarket, "DROP TABLE market_data.latest_prices"},
        // segments leave only with their partition (compact_segments, as the owner)
        {ServiceRole::kMarket, "DELETE FROM market_data.stock_price_segments"},
    };
    for (const Case& c : denied) {
        SCOPED_TRACE(std::string(migrate::RoleName(c.role)) + ": " + c.sql);
        Conn conn(ServiceUrl(c.role, Database::kTimescale));
        EXPECT_EQ(conn.ErrorOf(c.sql), "42501");
    }
    // and the rights they do need
    Conn market(ServiceUrl(ServiceRole::kMarket, Database::kTimescale));
    market.Exec("BEGIN");
    EXPECT_EQ(market.ErrorOf("CREATE TEMP TABLE stage (symbol text, bucket timestamptz) ON COMMIT DROP"), "");
    EXPECT_EQ(market.Affected(insert_segment), 1);
    EXPECT_EQ(market.Value("SELECT count(*) FROM market_data.stock_prices WHERE symbol = 'X'"), "1");
    EXPECT_EQ(market.Affected("INSERT INTO market_data.latest_prices (symbol, time, close) VALUES ('X', " +
                              now + ", 1)"),
              1);
    market.Exec("ROLLBACK");
    // every service that reads market data reads the segments and the row views
    for (ServiceRole role : {ServiceRole::kMarket, ServiceRole::kNotify}) {
        SCOPED_TRACE(std::string(migrate::RoleName(role)));
        Conn reader(ServiceUrl(role, Database::kTimescale));
        for (const char* table :
             {"market_data.stock_price_segments", "market_data.market_index_segments",
              "market_data.stock_prices", "market_data.market_indices", "market_data.bars_1m"}) {
            EXPECT_EQ(reader.ErrorOf(std::string("SELECT 1 FROM ") + table + " LIMIT 1"), "") << table;
        }
    }
    Conn auth(ServiceUrl(ServiceRole::kAuth, Database::kAuth));
    EXPECT_EQ(auth.ErrorOf("TRUNCATE auth.users"), "42501");
    EXPECT_EQ(auth.ErrorOf("ALTER TABLE auth.users DISABLE ROW LEVEL SECURITY"), "42501");
    EXPECT_EQ(auth.ErrorOf("CREATE TABLE public.x (id int)"), "42501");
}

}  // namespace
}  // namespace nn::schema_test
