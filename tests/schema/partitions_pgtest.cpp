#include <gtest/gtest.h>

#include <string>

#include "tests/schema/schema_fixture.hpp"

// Partition maintenance as the application's scheduler runs it: through the market service role
// and the partman_maint functions, never as the owner.
namespace nn::schema_test {
namespace {

using migrate::Database;
using migrate::ServiceRole;

// Whether a partition of `parent` covers the instant `at` (an SQL expression).
std::string Covers(Conn& admin, const std::string& parent, const std::string& at) {
    return admin.Value(
        "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = '" +
        parent +
        "'::regclass AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'"
        "   AND (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\) "
        "TO'))[1]::timestamptz <= " +
        at +
        "   AND (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz "
        "> " +
        at);
}

// Each test works on its own partition set of the shared databases (ohlcv_1m, stock_prices,
// market_indices), so they do not disturb each other or the other tests.
class Partitions : public ::testing::Test {
protected:
    std::string Admin() { return AdminUrl(Database::kTimescale); }
    std::string Market() { return ServiceUrl(ServiceRole::kMarket, Database::kTimescale); }
};

TEST_F(Partitions, MaintenanceCreatesFuturePartitions) {
    Conn admin(Admin());
    Conn market(Market());
    // Made ahead at migration time: a week of daily partitions, three months of monthly ones.
    EXPECT_EQ(Covers(admin, "market_data.ohlcv_1m", "now() + interval '6 days'"), "1");
    EXPECT_EQ(Covers(admin, "events.system_events", "now() + interval '2 months'"), "1");

    // Time passes: the future partitions are gone (as if their days had come).
    admin.Exec(
        "DO $$ DECLARE r record; BEGIN"
        " FOR r IN SELECT c.oid::regclass AS t FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        "   WHERE i.inhparent = 'market_data.ohlcv_1m'::regclass AND pg_get_expr(c.relpartbound, c.oid) <> "
        "'DEFAULT'"
        "     AND (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM "
        "\\(''([^'']+)''\\)'))[1]::timestamptz > now()"
        " LOOP EXECUTE format('DROP TABLE %s', r.t); END LOOP; END $$");
    ASSERT_EQ(Covers(admin, "market_data.ohlcv_1m", "now() + interval '2 days'"), "0");

    market.Query("SELECT partman_maint.run_maintenance('market_data.ohlcv_1m')");
    for (int day = 1; day <= 6; ++day) {
        EXPECT_EQ(
            Covers(admin, "market_data.ohlcv_1m", "now() + interval '" + std::to_string(day) + " days'"), "1")
            << "day " << day;
    }
    // A row for tomorrow lands in its partition, not in the default one.
    market.Exec(
        "INSERT INTO market_data.ohlcv_1m (symbol, bucket, open, high, low, close, tick_count, open_time, "
        "close_time)"
        " SELECT 'T', b, 1, 1, 1, 1, 1, b, b FROM (SELECT date_trunc('minute', now()) + interval '1 day' AS "
        "b) x");
    EXPECT_EQ(admin.Value("SELECT count(*) FROM ONLY market_data.ohlcv_1m_default"), "0");

    // Every set at once, and an unknown table is refused.
    market.Query("SELECT partman_maint.run_maintenance()");
    EXPECT_EQ(market.ErrorOf("SELECT partman_maint.run_maintenance('public.job_leases')"), "22023");
}

TEST_F(Partitions, RetentionDropsExpiredPartitions) {
    Conn admin(Admin());
    Conn market(Market());
    // History import: partitions for a range 120 days back, then rows in them.
    EXPECT_EQ(market.Value("SELECT partman_maint.ensure_partitions('market_data.stock_prices',"
                           " now() - interval '120 days', now() - interval '118 days')"),
              "3");
    market.Exec(
        "INSERT INTO market_data.stock_prices (time, symbol, close) VALUES"
        " (now() - interval '119 days', 'OLD', 1), (now(), 'NEW', 2)");
    EXPECT_EQ(admin.Value("SELECT count(*) FROM ONLY market_data.stock_prices_default"), "0");
    const std::string old_partition =
        admin.Value("SELECT tableoid::regclass::text FROM market_data.stock_prices WHERE symbol = 'OLD'");
    ASSERT_NE(old_partition, "");

    market.Query("SELECT partman_maint.set_retention('market_data.stock_prices', '30 days')");
    EXPECT_EQ(market.Value("SELECT retention FROM partman_maint.managed_tables()"
                           " WHERE parent_table = 'market_data.stock_prices'"),
              "30 days");
    market.Query("SELECT partman_maint.run_maintenance('market_data.stock_prices')");

    EXPECT_EQ(admin.Value("SELECT to_regclass('" + old_partition + "') IS NULL"), "t")
        << "the expired partition is dropped, not detached";
    EXPECT_EQ(admin.Value("SELECT count(*) FROM pg_class WHERE relname = '" +
                          old_partition.substr(old_partition.find('.') + 1) + "'"),
              "0");
    EXPECT_EQ(
        market.Value(
            "SELECT string_agg(symbol, ',') FROM market_data.stock_prices WHERE symbol IN ('OLD', 'NEW')"),
        "NEW");
    EXPECT_EQ(Covers(admin, "market_data.stock_prices", "now() - interval '29 days'"), "0")
        << "nothing older than the retention remains";
    EXPECT_EQ(Covers(admin, "market_data.stock_prices", "now()"), "1");

    // Retention is only for the market role and only positive.
    EXPECT_EQ(market.ErrorOf("SELECT partman_maint.set_retention('market_data.stock_prices', '-1 day')"),
              "22023");
}

TEST_F(Partitions, RowOutsideEveryPartitionLandsInDefaultAndIsReported) {
    Conn admin(Admin());
    Conn market(Market());
    const std::string report =
        "SELECT row_count FROM partman_maint.default_partition_rows() WHERE parent_table = "
        "'market_data.market_indices'";
    EXPECT_EQ(market.Value(report), "0");
    EXPECT_EQ(market.Value("SELECT count(*) FROM partman_maint.default_partition_rows()"), "9")
        << "every partition set is reported, zero counts included";

    market.Exec(
        "INSERT INTO market_data.market_indices (time, symbol, close) VALUES"
        " ('2999-06-01 00:00+00', 'FAR', 1), (now() - interval '3 years', 'AGO', 1)");
    EXPECT_EQ(admin.Value("SELECT count(*) FROM ONLY market_data.market_indices_default"), "2");
    EXPECT_EQ(market.Value(report), "2");
    EXPECT_EQ(market.Value("SELECT newest FROM partman_maint.default_partition_rows()"
                           " WHERE parent_table = 'market_data.market_indices'"),
              "2999-06-01 00:00:00+00");

    // The stray far-future row does not derail maintenance of the current range.
    market.Query("SELECT partman_maint.run_maintenance('market_data.market_indices')");
    EXPECT_EQ(Covers(admin, "market_data.market_indices", "now() + interval '2 months'"), "1");
    EXPECT_EQ(Covers(admin, "market_data.market_indices", "'2999-06-01 00:00+00'::timestamptz"), "0");

    // Making a partition for the old row's range moves it out of the default partition.
    EXPECT_EQ(market.Value("SELECT partman_maint.ensure_partitions('market_data.market_indices',"
                           " now() - interval '3 years', now() - interval '3 years' + interval '1 hour')"),
              "1");
    EXPECT_EQ(market.Value(report), "1");
    EXPECT_EQ(market.Value("SELECT count(*) FROM market_data.market_indices WHERE symbol = 'AGO'"), "1");
    EXPECT_EQ(admin.Value("SELECT tableoid::regclass::text <> 'market_data.market_indices_default'"
                          " FROM market_data.market_indices WHERE symbol = 'AGO'"),
              "t");
}

}  // namespace
}  // namespace nn::schema_test
