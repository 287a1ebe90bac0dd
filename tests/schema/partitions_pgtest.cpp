#include <gtest/gtest.h>

#include <string>
#include <vector>

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

// Each test works on its own partition set of the shared databases (ohlcv_1m,
// stock_price_segments, market_index_segments) or on symbols of its own, so they do not disturb
// each other or the other tests.
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

// Segment rows of a single tick each: `values` is a VALUES list of (symbol, time, close, volume).
std::string OneTickSegments(const std::string& table, const std::string& values) {
    return "INSERT INTO " + table +
           " (symbol, bucket, first_time, last_time, open, high, low, close, volume, tick_count, times, "
           "closes,"
           " volumes)"
           " SELECT sym, date_bin('1 minute', t, timestamptz '2000-01-03 00:00+00'), t, t, c, c, c, c, v, 1,"
           " ARRAY[t], ARRAY[c], ARRAY[v]"
           " FROM (VALUES " +
           values + ") v(sym, t, c, v)";
}

// Raw retention: partman_maint.compact_segments folds the segment partitions past the window
// into ohlcv_1m (as far as ohlcv_1m's own retention keeps minutes) and drops them; pg_partman's
// retention is not used for the segment sets.
TEST_F(Partitions, CompactionFoldsExpiredSegmentsIntoMinuteBarsAndDropsThem) {
    Conn admin(Admin());
    Conn market(Market());
    market.Query("SELECT partman_maint.set_retention('market_data.ohlcv_1m', '90 days')");
    // History import: partitions for ranges 120 and 60 days back, then segments in them (two
    // batches with a tick each in one minute 60 days back).
    EXPECT_EQ(market.Value("SELECT partman_maint.ensure_partitions('market_data.stock_price_segments',"
                           " now() - interval '120 days', now() - interval '118 days')"),
              "3");
    EXPECT_EQ(market.Value("SELECT partman_maint.ensure_partitions('market_data.stock_price_segments',"
                           " now() - interval '61 days', now() - interval '59 days')"),
              "3");
    const std::string mid =
        "timestamptz '" + market.Value("SELECT date_trunc('minute', now() - interval '60 days')") + "'";
    market.Exec(OneTickSegments("market_data.stock_price_segments",
                                "('OLD', now() - interval '119 days', 1.5, 10), ('NEW', now(), 2, 10),"
                                " ('MID', " +
                                    mid + " + interval '40 seconds', 3.5, 20), ('MID', " + mid +
                                    " + interval '10 seconds', 3, 10)"));
    EXPECT_EQ(admin.Value("SELECT count(*) FROM ONLY market_data.stock_price_segments_default"), "0");
    const std::string old_partition = admin.Value(
        "SELECT tableoid::regclass::text FROM market_data.stock_price_segments WHERE symbol = 'OLD'");
    const std::string mid_partition = admin.Value(
        "SELECT DISTINCT tableoid::regclass::text FROM market_data.stock_price_segments WHERE symbol = "
        "'MID'");
    ASSERT_NE(old_partition, "");
    ASSERT_NE(mid_partition, "");
    ASSERT_NE(old_partition, "market_data.stock_price_segments_default");
    ASSERT_NE(mid_partition, "market_data.stock_price_segments_default");
    EXPECT_EQ(market.Value("SELECT string_agg(symbol || ':' || close::float8, ',' ORDER BY symbol, time)"
                           " FROM market_data.stock_prices WHERE symbol IN ('OLD', 'MID', 'NEW')"),
              "MID:3,MID:3.5,NEW:2,OLD:1.5")
        << "the view reads every segment";
    // the minute bar of MID, folded from its two segments
    const std::string mid_bar =
        "SELECT open::float8 || ' ' || high::float8 || ' ' || low::float8 || ' ' || close::float8 || ' ' ||"
        " volume || ' ' || tick_count || ' ' || (open_time = " +
        mid + " + interval '10 seconds') || ' ' || (close_time = " + mid +
        " + interval '40 seconds') FROM market_data.";
    EXPECT_EQ(market.Value(mid_bar + "bars_1m WHERE symbol = 'MID'"), "3 3.5 3 3.5 30 2 true true");
    EXPECT_EQ(market.Value("SELECT count(*) FROM market_data.ohlcv_1m WHERE symbol IN ('OLD', 'MID', 'NEW')"),
              "0");

    // pg_partman keeps no retention of its own for the segments: maintenance drops nothing.
    EXPECT_EQ(market.Value("SELECT coalesce(retention, 'none') FROM partman_maint.managed_tables()"
                           " WHERE parent_table = 'market_data.stock_price_segments'"),
              "none");
    market.Query("SELECT partman_maint.run_maintenance('market_data.stock_price_segments')");
    EXPECT_EQ(admin.Value("SELECT to_regclass('" + old_partition + "') IS NOT NULL"), "t");

    EXPECT_EQ(
        market.Value("SELECT partman_maint.compact_segments('market_data.stock_price_segments', '30 days')"),
        "6")
        << "the six daily partitions older than 30 days";
    for (const std::string& dropped : {old_partition, mid_partition}) {
        EXPECT_EQ(admin.Value("SELECT to_regclass('" + dropped + "') IS NULL"), "t")
            << dropped << " is dropped, not detached";
        EXPECT_EQ(admin.Value("SELECT count(*) FROM pg_class WHERE relname = '" +
                              dropped.substr(dropped.find('.') + 1) + "'"),
                  "0");
    }
    EXPECT_EQ(market.Value("SELECT string_agg(symbol, ',') FROM market_data.stock_price_segments"
                           " WHERE symbol IN ('OLD', 'MID', 'NEW')"),
              "NEW");
    EXPECT_EQ(market.Value("SELECT string_agg(symbol, ',') FROM market_data.stock_prices"
                           " WHERE symbol IN ('OLD', 'MID', 'NEW')"),
              "NEW");
    // MID's minute lives on in ohlcv_1m (and bars_1m reads it once); OLD was past ohlcv_1m's
    // 90 days and is gone.
    EXPECT_EQ(market.Value(mid_bar + "ohlcv_1m WHERE symbol = 'MID'"), "3 3.5 3 3.5 30 2 true true");
    EXPECT_EQ(market.Value(mid_bar + "bars_1m WHERE symbol = 'MID'"), "3 3.5 3 3.5 30 2 true true");
    EXPECT_EQ(market.Value("SELECT count(*) FROM market_data.bars_1m WHERE symbol = 'MID'"), "1");
    EXPECT_EQ(market.Value("SELECT string_agg(symbol, ',' ORDER BY symbol) FROM market_data.bars_1m"
                           " WHERE symbol IN ('OLD', 'MID', 'NEW')"),
              "MID,NEW");
    EXPECT_EQ(Covers(admin, "market_data.stock_price_segments", "now() - interval '60 days'"), "0");
    EXPECT_EQ(Covers(admin, "market_data.stock_price_segments", "now() - interval '119 days'"), "0");
    EXPECT_EQ(Covers(admin, "market_data.stock_price_segments", "now()"), "1");
    EXPECT_EQ(
        market.Value("SELECT partman_maint.compact_segments('market_data.stock_price_segments', '30 days')"),
        "0")
        << "nothing left to compact";
    EXPECT_EQ(market.Value("SELECT partman_maint.compact_segments('market_data.stock_price_segments', NULL)"),
              "0");

    // Raw retention goes only through compact_segments, positive, on the segment sets; the old
    // row-per-tick sets are no longer managed.
    EXPECT_EQ(
        market.ErrorOf("SELECT partman_maint.set_retention('market_data.stock_price_segments', '30 days')"),
        "22023");
    EXPECT_EQ(
        market.ErrorOf("SELECT partman_maint.compact_segments('market_data.stock_price_segments', '-1 day')"),
        "22023");
    EXPECT_EQ(market.ErrorOf("SELECT partman_maint.compact_segments('market_data.ohlcv_1m', '30 days')"),
              "22023");
    EXPECT_EQ(market.ErrorOf("SELECT partman_maint.set_retention('market_data.stock_prices', '30 days')"),
              "22023");
}

TEST_F(Partitions, SegmentOutsideEveryPartitionLandsInDefaultAndIsReported) {
    Conn admin(Admin());
    Conn market(Market());
    const std::string report =
        "SELECT row_count FROM partman_maint.default_partition_rows() WHERE parent_table = "
        "'market_data.market_index_segments'";
    EXPECT_EQ(market.Value(report), "0");
    EXPECT_EQ(market.Value("SELECT count(*) FROM partman_maint.default_partition_rows()"), "9")
        << "every partition set is reported, zero counts included";
    EXPECT_EQ(
        market.Value("SELECT count(*) FROM partman_maint.default_partition_rows()"
                     " WHERE parent_table IN ('market_data.stock_prices', 'market_data.market_indices')"),
        "0")
        << "the views are not partition sets";

    market.Exec(OneTickSegments("market_data.market_index_segments",
                                "('FAR', timestamptz '2999-06-01 00:00:30+00', 1, 0),"
                                " ('AGO', now() - interval '3 years', 1, 0)"));
    EXPECT_EQ(admin.Value("SELECT count(*) FROM ONLY market_data.market_index_segments_default"), "2");
    EXPECT_EQ(market.Value(report), "2");
    EXPECT_EQ(market.Value("SELECT newest FROM partman_maint.default_partition_rows()"
                           " WHERE parent_table = 'market_data.market_index_segments'"),
              "2999-06-01 00:00:00+00")
        << "the control column is the segment's bucket";

    // The stray far-future segment does not derail maintenance of the current range.
    market.Query("SELECT partman_maint.run_maintenance('market_data.market_index_segments')");
    EXPECT_EQ(Covers(admin, "market_data.market_index_segments", "now() + interval '2 months'"), "1");
    EXPECT_EQ(Covers(admin, "market_data.market_index_segments", "'2999-06-01 00:00+00'::timestamptz"), "0");

    // Making a partition for the old segment's range moves it out of the default partition,
    // arrays intact.
    const std::string ago_bucket =
        market.Value("SELECT bucket FROM market_data.market_index_segments WHERE symbol = 'AGO'");
    ASSERT_NE(ago_bucket, "");
    EXPECT_EQ(market.Value("SELECT partman_maint.ensure_partitions('market_data.market_index_segments',"
                           " $1::timestamptz, $1::timestamptz + interval '1 hour')",
                           {ago_bucket}),
              "1");
    EXPECT_EQ(market.Value(report), "1");
    EXPECT_EQ(market.Value("SELECT count(*) FROM market_data.market_indices WHERE symbol = 'AGO'"), "1");
    EXPECT_EQ(admin.Value("SELECT tableoid::regclass::text <> 'market_data.market_index_segments_default'"
                          " AND cardinality(times) = 1 AND times[1] = first_time AND closes = '{1}'"
                          " FROM market_data.market_index_segments WHERE symbol = 'AGO'"),
              "t");
}

// The CHECKs keep a segment's arrays well-formed and its values positive and finite, and the
// views read one row per tick out of the arrays.
TEST_F(Partitions, SegmentChecksAndTheRowView) {
    Conn market(Market());
    // $1 times, $2..$6 opens, highs, lows, closes, volumes ('' = NULL), $7 the minute bar
    // {open, high, low, close, volume} ('' = a valid one), $8 tick_count ('' = cardinality(times))
    const std::string insert =
        "INSERT INTO market_data.stock_price_segments"
        " (symbol, bucket, first_time, last_time, open, high, low, close, volume, tick_count,"
        "  times, opens, highs, lows, closes, volumes)"
        " SELECT 'SEGCHK', date_bin('1 minute', t[1], timestamptz '2000-01-03 00:00+00'), t[1],"
        " t[cardinality(t)], b[1], b[2], b[3], b[4], b[5]::bigint, coalesce(nullif($8, '')::int, "
        "cardinality(t)),"
        " t, nullif($2, '')::numeric[], nullif($3, '')::numeric[], nullif($4, '')::numeric[],"
        " nullif($5, '')::numeric[], nullif($6, '')::bigint[]"
        " FROM (SELECT $1::timestamptz[] AS t, coalesce(nullif($7, '')::numeric[], '{1,1,1,1,0}') AS b) x";
    auto seg = [&](const std::string& times, const std::string& opens, const std::string& highs,
                   const std::string& lows, const std::string& closes, const std::string& volumes,
                   const std::string& bar = "", const std::string& ticks = "") {
        return market.ErrorOf(insert, {times, opens, highs, lows, closes, volumes, bar, ticks});
    };
    // a minute of today (partitions exist) and the next one, as the session (UTC) prints them
    const Rows minutes = market.Query(
        "SELECT to_char(b, 'YYYY-MM-DD HH24:MI'), to_char(b + interval '1 minute', 'YYYY-MM-DD HH24:MI:SS')"
        " FROM (SELECT date_trunc('minute', now(), 'UTC') AT TIME ZONE 'UTC' AS b) x");
    const std::string m = minutes.at(0).at(0);
    const std::string next = minutes.at(0).at(1);
    const std::string three = "{\"" + m + ":01+00\",\"" + m + ":02.5+00\",\"" + m + ":59+00\"}";
    market.Exec("BEGIN");
    // length mismatch between times and closes, and between times and an optional array
    EXPECT_EQ(seg(three, "", "", "", "{1,2}", ""), "23514");
    EXPECT_EQ(seg(three, "{1,2,3,4}", "", "", "{1,2,3}", ""), "23514");
    // a NULL close or time among the ticks
    EXPECT_EQ(seg(three, "", "", "", "{1,NULL,3}", ""), "23514");
    EXPECT_EQ(seg("{\"" + m + ":01+00\",NULL,\"" + m + ":59+00\"}", "", "", "", "{1,2,3}", ""), "23514");
    // a tick count that is not the number of ticks
    EXPECT_EQ(seg(three, "", "", "", "{1,2,3}", "", "", "2"), "23514");
    // a non-positive close, a zero open, a NaN high, a negative volume
    EXPECT_EQ(seg(three, "", "", "", "{1,0,3}", ""), "23514");
    EXPECT_EQ(seg(three, "", "", "", "{1,-2,3}", ""), "23514");
    EXPECT_EQ(seg(three, "{0,1,1}", "", "", "{1,2,3}", ""), "23514");
    EXPECT_EQ(seg(three, "", "{1,NaN,1}", "", "{1,2,3}", ""), "23514");
    EXPECT_EQ(seg(three, "", "", "", "{1,2,3}", "{1,-1,1}"), "23514");
    // a minute bar with high < low, a zero open, a negative volume
    EXPECT_EQ(seg(three, "", "", "", "{1,2,3}", "", "{1,1,2,1,0}"), "23514");
    EXPECT_EQ(seg(three, "", "", "", "{1,2,3}", "", "{0,1,1,1,0}"), "23514");
    EXPECT_EQ(seg(three, "", "", "", "{1,2,3}", "", "{1,1,1,1,-1}"), "23514");
    // a tick outside the bucket's minute (the last one in the next minute)
    EXPECT_EQ(seg("{\"" + m + ":01+00\",\"" + next + "+00\"}", "", "", "", "{1,2}", ""), "23514");
    // ticks of one minute under another minute's bucket, first/last_time that are not the ends
    // of times[], an empty segment
    const std::string cols =
        "INSERT INTO market_data.stock_price_segments"
        " (symbol, bucket, first_time, last_time, open, high, low, close, volume, tick_count, times, closes)"
        " VALUES ('SEGCHK', ";
    EXPECT_EQ(market.ErrorOf(cols + "'" + next + "+00', '" + m + ":01+00', '" + m +
                             ":59+00', 1, 1, 1, 1, 0, 3, '" + three + "', '{1,2,3}')"),
              "23514");
    EXPECT_EQ(market.ErrorOf(cols + "'" + m + "+00', '" + m + ":01+00', '" + m +
                             ":30+00', 1, 1, 1, 1, 0, 3, '" + three + "', '{1,2,3}')"),
              "23514");
    EXPECT_EQ(market.ErrorOf(cols + "'" + m + "+00', '" + m + ":01+00', '" + m +
                             ":01+00', 1, 1, 1, 1, 0, 0, '{}', '{}')"),
              "23514");

    // A well-formed segment goes in, and the view reads one row per tick, in the arrays' order
    // of values, NULL where an optional array is absent.
    EXPECT_EQ(
        seg(three, "", "{1.5,2.5,3.5}", "{0.5,1.5,2.5}", "{1,2,3.25}", "{10,0,30}", "{1,3.5,0.5,3.25,40}"),
        "");
    const Rows rows = market.Query(
        "SELECT time, open IS NULL, high::float8, low::float8, close::float8, volume"
        " FROM market_data.stock_prices WHERE symbol = 'SEGCHK' ORDER BY time");
    market.Exec("ROLLBACK");
    ASSERT_EQ(rows.size(), 3u);
    const std::vector<std::vector<std::string>> want = {
        {m + ":01+00", "t", "1.5", "0.5", "1", "10"},
        {m + ":02.5+00", "t", "2.5", "1.5", "2", "0"},
        {m + ":59+00", "t", "3.5", "2.5", "3.25", "30"},
    };
    EXPECT_EQ(rows, want);

    // The market role reads and deletes segments but never updates one in place.
    EXPECT_EQ(market.ErrorOf("UPDATE market_data.stock_price_segments SET closes = closes WHERE false"),
              "42501");
}

}  // namespace
}  // namespace nn::schema_test
