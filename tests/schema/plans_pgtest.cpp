#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/schema/schema_fixture.hpp"

// The spec's three "Common Query Patterns" on a realistically sized data set, run through the
// service roles under row-level security with EXPLAIN (ANALYZE): a sequential scan of a large
// table fails the test.
namespace nn::schema_test {
namespace {

using migrate::Database;
using migrate::ServiceRole;

constexpr long kLargeTable = 10000;  // rows; smaller tables may be scanned

// The relations the plan reads with a Seq Scan whose table holds more than kLargeTable rows.
std::string LargeSeqScans(Conn& admin, const std::string& plan_json) {
    return admin.Value(
        "SELECT coalesce(string_agg(DISTINCT s.rel || ' (' || c.reltuples::bigint || ' rows)', ', '), '')"
        " FROM (SELECT (n ->> 'Schema') || '.' || (n ->> 'Relation Name') AS rel"
        "       FROM jsonb_path_query($1::jsonb, 'strict $.** ? (@.\"Node Type\" == \"Seq Scan\")') n) s"
        " JOIN pg_class c ON c.oid = s.rel::regclass"
        " WHERE c.reltuples > " +
            std::to_string(kLargeTable),
        {plan_json});
}

class QueryPlans : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        auto start = std::chrono::steady_clock::now();
        Conn portfolio(AdminUrl(Database::kPortfolio));
        Conn ts(AdminUrl(Database::kTimescale));
        // 10k users, 30k portfolios, 600k holdings over 2000 symbols. Foreign-key triggers are
        // skipped for the bulk load (the ids are consistent by construction).
        portfolio.Send(
            "SET session_replication_role = replica;"
            "INSERT INTO portfolio.portfolios (id, user_id, name, currency, is_active)"
            " SELECT md5('p' || k)::uuid, md5('u' || (k % 10000))::uuid, 'p' || k, 'USD', k % 10 <> 0"
            " FROM generate_series(0, 29999) k;"
            "INSERT INTO portfolio.holdings (portfolio_id, user_id, symbol, currency, quantity, "
            "current_price)"
            " SELECT md5('p' || k)::uuid, md5('u' || (k % 10000))::uuid, 'S' || ((k * 37 + j * 101) % 2000), "
            "'USD',"
            "        1 + j, 10 + (k % 100)"
            " FROM generate_series(0, 29999) k, generate_series(0, 19) j;"
            "SET session_replication_role = DEFAULT;"
            "ANALYZE portfolio.portfolios; ANALYZE portfolio.holdings;");
        // 300k intraday snapshots (2000 portfolios, every 12 h for 75 days) and 288k price
        // segments of four ticks each (500 symbols, one segment per symbol-minute every 10 minutes
        // for 4 days, in arrival order: 1.15M ticks), inside the partitions made at migration.
        // Both databases load at the same time.
        ts.Send(
            "INSERT INTO analytics_ts.portfolio_snapshots (time, portfolio_id, user_id, currency, "
            "total_value)"
            " SELECT now() - make_interval(hours => 12 * s), md5('p' || k)::uuid, md5('u' || (k % "
            "10000))::uuid,"
            "        'USD', 1000 + s"
            " FROM generate_series(0, 1999) k, generate_series(0, 149) s;"
            "INSERT INTO market_data.stock_price_segments"
            " (symbol, bucket, first_time, last_time, open, high, low, close, volume, tick_count, times,"
            "  closes, volumes)"
            " SELECT 'S' || k, m, m, m + interval '45 seconds', a.closes[1], a.closes[4], a.closes[1],"
            "        a.closes[4], 406, 4, a.times, a.closes, a.volumes"
            " FROM generate_series(0, 575) s, generate_series(0, 499) k,"
            "      LATERAL (SELECT date_trunc('minute', now()) - make_interval(mins => 10 * s) AS m) b,"
            "      LATERAL (SELECT array_agg(m + make_interval(secs => 15 * j) ORDER BY j) AS times,"
            "                      array_agg(100 + k + s % 7 + j * 0.25 ORDER BY j) AS closes,"
            "                      array_agg(100 + j ORDER BY j) AS volumes"
            "               FROM generate_series(0, 3) j) a"
            " ORDER BY m, k;"
            "ANALYZE analytics_ts.portfolio_snapshots; ANALYZE market_data.stock_price_segments;");
        portfolio.Wait();
        ts.Wait();
        auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("data set generated in %.1f s\n", seconds);
    }
};

// A user with portfolios: md5('u' || 7) owns portfolios 7, 10007 and 20007.
const std::string kUser = "SELECT md5('u7')::uuid";

TEST_F(QueryPlans, UserPortfolioSummaryUsesIndexes) {
    Conn admin(AdminUrl(Database::kPortfolio));
    const std::string user = admin.Value(kUser);
    Conn c(ServiceUrl(ServiceRole::kPortfolio, Database::kPortfolio));
    const std::string query =
        "SELECT p.id, p.name, p.portfolio_type, p.currency, COUNT(h.id) as holdings_count,"
        "       SUM(h.market_value) as total_value"
        " FROM portfolio.portfolios p"
        " LEFT JOIN portfolio.holdings h ON p.id = h.portfolio_id"
        " WHERE p.user_id = '" +
        user +
        "' AND p.is_active = true"
        " GROUP BY p.id, p.name, p.portfolio_type, p.currency";
    BeginAs(c, user, "USER");
    const std::string plan = c.Value("EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) " + query);
    Rows rows = c.Query(query);
    c.Exec("ROLLBACK");
    EXPECT_EQ(LargeSeqScans(admin, plan), "") << plan;
    ASSERT_EQ(rows.size(), 3u);
    for (const auto& row : rows) EXPECT_EQ(row[4], "20");
}

TEST_F(QueryPlans, PerformanceAnalyticsUsesTheSnapshotKey) {
    Conn admin(AdminUrl(Database::kTimescale));
    const std::string user = admin.Value(kUser);
    const std::string portfolio = admin.Value("SELECT md5('p7')::uuid");
    Conn c(ServiceUrl(ServiceRole::kAnalytics, Database::kTimescale));
    const std::string query =
        "SELECT ps.time::date as date, ps.total_value, ps.day_change_percent, ps.total_return_percent"
        " FROM analytics_ts.portfolio_snapshots ps"
        " WHERE ps.portfolio_id = '" +
        portfolio +
        "'"
        "   AND ps.time >= now() - interval '30 days'"
        " ORDER BY ps.time";
    BeginAs(c, user, "USER");
    const std::string plan = c.Value("EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) " + query);
    Rows rows = c.Query(query);
    c.Exec("ROLLBACK");
    EXPECT_EQ(LargeSeqScans(admin, plan), "") << plan;
    EXPECT_GE(rows.size(), 59u);
    EXPECT_LE(rows.size(), 61u);
}

// "Update holdings with latest prices" joins two databases in the spec; here its inner query runs
// on the timescale database and the UPDATE on the portfolio database takes that batch as arrays
// (the shape of the price consumer). Raw ticks are segments (one row of parallel arrays per
// symbol-minute): the application reads a symbol's ticks of a range through the
// market_data.stock_prices view bounded by the segments' bucket too, which prunes partitions and
// uses the (symbol, bucket) index; the spec's query, bounded by time only, unnests every segment
// (it cannot prune by time), so only its result is checked.
TEST_F(QueryPlans, MarketDataIntegrationUsesIndexes) {
    Conn ts_admin(AdminUrl(Database::kTimescale));
    Conn market(ServiceUrl(ServiceRole::kMarket, Database::kTimescale));

    const std::string range =
        "SELECT time, symbol, open, high, low, close, volume FROM market_data.stock_prices"
        " WHERE symbol = $1"
        "   AND bucket >= date_bin('1 minute', $2::timestamptz, timestamptz '2000-01-03 00:00+00')"
        "   AND bucket < $3::timestamptz AND time >= $2::timestamptz AND time < $3::timestamptz";
    const Rows bounds = ts_admin.Query("SELECT now() - interval '1 hour', now() + interval '1 minute'");
    const std::vector<std::string> params{"S7", bounds.at(0).at(0), bounds.at(0).at(1)};
    const std::string range_plan = market.Value("EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) " + range, params);
    EXPECT_EQ(LargeSeqScans(ts_admin, range_plan), "") << range_plan;
    // Every index the plan reads is (a partition's child of) idx_stock_price_segments_symbol_bucket.
    const Rows indexes = ts_admin.Query(
        "SELECT count(*), coalesce(string_agg(n ->> 'Index Name', ', ') FILTER (WHERE NOT ok), '')"
        " FROM (SELECT n, coalesce(to_regclass('market_data.' || quote_ident(n ->> 'Index Name'))"
        "                   IN ('market_data.idx_stock_price_segments_symbol_bucket'::regclass,"
        "                       (SELECT i.inhrelid::regclass FROM pg_inherits i"
        "                        WHERE i.inhparent = "
        "'market_data.idx_stock_price_segments_symbol_bucket'::regclass"
        "                          AND i.inhrelid = to_regclass('market_data.' || quote_ident(n ->> 'Index "
        "Name')))),"
        "                   false) AS ok"
        "       FROM jsonb_path_query($1::jsonb, 'strict $.** ? (exists (@.\"Index Name\"))') n) x",
        {range_plan});
    EXPECT_GE(std::stol(indexes.at(0).at(0)), 1L) << "no index scan: " << range_plan;
    EXPECT_EQ(indexes.at(0).at(1), "") << range_plan;
    // Partitions are pruned: the plan reads at most the two daily partitions an hour can touch
    // (never the default one) of a set that has many more.
    const Rows scanned = ts_admin.Query(
        "SELECT count(DISTINCT r), coalesce(string_agg(DISTINCT r, ', ') FILTER ("
        "   WHERE r NOT IN (SELECT i.inhrelid::regclass::text FROM pg_inherits i"
        "                   WHERE i.inhparent = 'market_data.stock_price_segments'::regclass)"
        "      OR r = 'market_data.stock_price_segments_default'), '')"
        " FROM (SELECT (n ->> 'Schema') || '.' || (n ->> 'Relation Name') AS r"
        "       FROM jsonb_path_query($1::jsonb, 'strict $.** ? (exists (@.\"Relation Name\"))') n) x",
        {range_plan});
    EXPECT_GE(std::stol(scanned.at(0).at(0)), 1L) << range_plan;
    EXPECT_LE(std::stol(scanned.at(0).at(0)), 2L) << range_plan;
    EXPECT_EQ(scanned.at(0).at(1), "") << range_plan;
    EXPECT_GT(std::stol(ts_admin.Value("SELECT count(*) FROM pg_inherits"
                                       " WHERE inhparent = 'market_data.stock_price_segments'::regclass")),
              5L);
    // Its ticks are the view's ticks of the same symbol and range; the newest is the last tick of
    // the newest segment (close 100 + 7 + 0.75).
    const Rows ticks = market.Query("SELECT time, close FROM (" + range + ") r ORDER BY time", params);
    const Rows view_ticks = market.Query(
        "SELECT time, close FROM market_data.stock_prices"
        " WHERE symbol = $1 AND time >= $2::timestamptz AND time < $3::timestamptz ORDER BY time",
        params);
    EXPECT_GE(ticks.size(), 20u) << "at least five segments of four ticks in the last hour";
    EXPECT_EQ(ticks, view_ticks);
    ASSERT_FALSE(ticks.empty());
    EXPECT_EQ(std::stod(ticks.back()[1]), 107.75);

    // The spec's query, through the view.
    const std::string latest =
        "SELECT DISTINCT ON (symbol) symbol, close"
        " FROM market_data.stock_prices"
        " WHERE time >= NOW() - INTERVAL '1 hour'"
        " ORDER BY symbol, time DESC";
    Rows all_prices = market.Query(latest);
    EXPECT_EQ(std::to_string(all_prices.size()),
              ts_admin.Value("SELECT count(DISTINCT symbol) FROM market_data.stock_price_segments"
                             " WHERE last_time >= now() - interval '1 hour'"));
    // the generated symbols (other tests may add their own rows): S<k> last closed at 100 + k + 0.75
    Rows prices;
    for (const auto& row : all_prices) {
        if (row[0].rfind("S", 0) == 0 && row[0].find_first_not_of("0123456789", 1) == std::string::npos) {
            prices.push_back(row);
            EXPECT_EQ(std::stod(row[1]), 100.75 + std::stod(row[0].substr(1))) << row[0];
        }
    }
    ASSERT_EQ(prices.size(), 500u);

    // The batch of one price-update event: 20 symbols.
    std::string symbols = "{";
    std::string closes = "{";
    for (int i = 0; i < 20; ++i) {
        symbols += (i ? "," : "") + prices[static_cast<std::size_t>(i)][0];
        closes += (i ? "," : "") + prices[static_cast<std::size_t>(i)][1];
    }
    symbols += "}";
    closes += "}";
    const std::string update =
        "UPDATE portfolio.holdings h"
        " SET current_price = sp.close,"
        "     last_updated = NOW()"
        " FROM (SELECT DISTINCT ON (symbol) symbol, close"
        "       FROM unnest('" +
        symbols + "'::text[], '" + closes +
        "'::numeric[]) AS batch(symbol, close)"
        "       ORDER BY symbol) sp"
        " WHERE h.symbol = sp.symbol";
    Conn admin(AdminUrl(Database::kPortfolio));
    Conn c(ServiceUrl(ServiceRole::kPortfolio, Database::kPortfolio));
    BeginAs(c, "", "SYSTEM");
    const std::string update_plan = c.Value("EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) " + update);
    c.Exec("ROLLBACK");
    EXPECT_EQ(LargeSeqScans(admin, update_plan), "") << update_plan;
    BeginAs(c, "", "SYSTEM");
    EXPECT_EQ(c.Affected(update), 6000) << "20 symbols x 300 holdings each";
    EXPECT_EQ(c.Value("SELECT count(*) FROM portfolio.holdings WHERE symbol = $1 AND current_price = $2"
                      " AND market_value = trim_scale(quantity * current_price)",
                      {prices[0][0], prices[0][1]}),
              "300");
    c.Exec("ROLLBACK");
    // A user's transaction changes only that user's holdings.
    BeginAs(c, admin.Value(kUser), "USER");
    const long visible = std::stol(
        c.Value("SELECT count(*) FROM portfolio.holdings WHERE symbol = ANY ('" + symbols + "'::text[])"));
    EXPECT_LT(visible, 6000);
    EXPECT_EQ(c.Affected(update), visible);
    c.Exec("ROLLBACK");
}

}  // namespace
}  // namespace nn::schema_test
