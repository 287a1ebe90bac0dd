#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/schema/schema_fixture.hpp"

// The rules the plan past one PostgreSQL relies on (docs/scale-out.md "Past one PostgreSQL"):
// every table has a place in a distributed PostgreSQL (Citus) — distributed by the user it
// belongs to, distributed by symbol, a reference table, or local to the coordinator — and the
// schema keeps what Citus requires of it: a distributed table carries its distribution column,
// and a foreign key between two distributed tables includes that column on both sides (Citus
// refuses any other), never crosses from user data to market data, and no reference or local
// table points into distributed data. A new table fails here until it is given its place.
namespace nn::schema_test {
namespace {

using migrate::Database;

enum class Place { kByUser, kBySymbol, kReference, kLocal };

struct Planned {
    Place place;
    std::string column;  // the distribution column (kByUser, kBySymbol)
    // A distribution column that may be NULL: those rows go to one shard (the nil UUID) when the
    // table is distributed. Give the reason.
    std::string nullable_because = {};
};

// schema.table -> its place. Keep in step with the table in docs/scale-out.md.
const std::map<std::string, Planned>& Plan() {
    static const std::map<std::string, Planned> plan = {
        // auth
        {"auth.users", {Place::kByUser, "id"}},
        {"auth.user_profiles", {Place::kByUser, "user_id"}},
        {"auth.refresh_tokens", {Place::kByUser, "user_id"}},
        {"auth.api_keys", {Place::kByUser, "user_id"}},
        {"auth.email_verification_tokens", {Place::kByUser, "user_id"}},
        {"auth.password_reset_tokens", {Place::kByUser, "user_id"}},
        {"auth.login_attempts",
         {Place::kByUser, "user_id", "an attempt on an unknown email belongs to nobody"}},
        // An advisor's grants live with the client they open (the advisor's listing fans out).
        {"auth.advisor_clients", {Place::kByUser, "client_id"}},
        {"auth.outbox", {Place::kByUser, "user_id", "system events (no acting user)"}},
        // portfolio
        {"portfolio.portfolios", {Place::kByUser, "user_id"}},
        {"portfolio.transactions", {Place::kByUser, "user_id"}},
        {"portfolio.holdings", {Place::kByUser, "user_id"}},
        {"portfolio.cash_balances", {Place::kByUser, "user_id"}},
        {"portfolio.portfolio_snapshots", {Place::kByUser, "user_id"}},
        {"portfolio.portfolio_benchmarks", {Place::kByUser, "user_id"}},
        {"portfolio.ledger_positions", {Place::kByUser, "user_id"}},
        {"portfolio.ledger_lot_pages", {Place::kByUser, "user_id"}},
        {"portfolio.ledger_checkpoints", {Place::kByUser, "user_id"}},
        {"portfolio.ledger_versions", {Place::kByUser, "user_id"}},
        {"portfolio.read_checkpoints", {Place::kByUser, "user_id"}},
        {"portfolio.watchlists", {Place::kByUser, "user_id"}},
        {"portfolio.watchlist_items", {Place::kByUser, "user_id"}},
        {"portfolio.goals", {Place::kByUser, "user_id"}},
        {"portfolio.goal_portfolios", {Place::kByUser, "user_id"}},
        {"portfolio.allocation_rules", {Place::kByUser, "user_id"}},
        {"portfolio.idempotency_keys", {Place::kByUser, "user_id"}},
        {"portfolio.outbox", {Place::kByUser, "user_id", "system events (no acting user)"}},
        {"portfolio.processed_events", {Place::kLocal, ""}},
        // analytics
        {"analytics.portfolio_history_builds", {Place::kByUser, "user_id"}},
        {"analytics.portfolio_history", {Place::kByUser, "user_id"}},
        {"analytics.reports", {Place::kByUser, "user_id"}},
        {"analytics.outbox", {Place::kByUser, "user_id", "system events (no acting user)"}},
        {"analytics.benchmark_statistics", {Place::kBySymbol, "symbol"}},
        // notifications
        {"notifications.notifications", {Place::kByUser, "user_id"}},
        {"notifications.notification_preferences", {Place::kByUser, "user_id"}},
        {"notifications.deliveries",
         {Place::kByUser, "user_id", "mail to an address with no account (a reset for an unknown email)"}},
        {"notifications.outbox", {Place::kByUser, "user_id", "system events (no acting user)"}},
        {"notifications.processed_events", {Place::kLocal, ""}},
        // timescale: events and snapshots by user, market data by symbol
        {"analytics_ts.portfolio_snapshots", {Place::kByUser, "user_id"}},
        {"events.trading_events", {Place::kByUser, "user_id"}},
        {"events.system_events", {Place::kByUser, "user_id", "events of no user (a job, an import)"}},
        {"market_data.stock_price_segments", {Place::kBySymbol, "symbol"}},
        {"market_data.market_index_segments", {Place::kBySymbol, "symbol"}},
        {"market_data.ohlcv_1m", {Place::kBySymbol, "symbol"}},
        {"market_data.ohlcv_1h", {Place::kBySymbol, "symbol"}},
        {"market_data.ohlcv_1d", {Place::kBySymbol, "symbol"}},
        {"market_data.latest_prices", {Place::kBySymbol, "symbol"}},
        {"market_data.instruments", {Place::kReference, ""}},
        {"market_data.exchange_rates", {Place::kReference, ""}},
        {"market_data.latest_exchange_rates", {Place::kReference, ""}},
        {"market_data.outbox", {Place::kLocal, ""}},
        // every database
        {"public.job_leases", {Place::kLocal, ""}},
        {"public.schema_migrations", {Place::kLocal, ""}},
    };
    return plan;
}

// Keys that relate two users and so cannot stay inside one shard, each with what replaces it
// when the table is distributed.
const std::map<std::string, std::string>& CrossShardKeys() {
    static const std::map<std::string, std::string> keys = {
        {"advisor_clients_advisor_id_fkey",
         "a grant joins an advisor and a client; distributed by client, the advisor's key is dropped and "
         "deleting an account removes its grants as advisor (docs/scale-out.md)"},
    };
    return keys;
}

bool Distributed(Place p) {
    return p == Place::kByUser || p == Place::kBySymbol;
}

// Tables of a database, partitions left out (they follow their parent), pg_partman's own left
// out (it is replaced by the engine's partitioning there).
std::vector<std::string> Tables(Conn& c) {
    std::vector<std::string> out;
    for (const auto& row :
         c.Query("SELECT n.nspname || '.' || t.relname FROM pg_class t JOIN pg_namespace n ON n.oid = "
                 "t.relnamespace "
                 "WHERE t.relkind IN ('r', 'p') AND NOT t.relispartition "
                 "AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'partman') "
                 "AND n.nspname NOT LIKE 'pg_temp%' "
                 // pg_partman's template tables
                 "AND t.relname NOT LIKE 'template\\_%' ORDER BY 1")) {
        out.push_back(row[0]);
    }
    return out;
}

struct ForeignKey {
    std::string name, from, to;
    std::vector<std::string> from_columns, to_columns;
};

std::vector<std::string> Split(const std::string& list) {
    std::vector<std::string> out;
    std::string cur;
    for (char ch : list) {
        if (ch == ',') {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += ch;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

std::vector<ForeignKey> ForeignKeys(Conn& c) {
    std::vector<ForeignKey> out;
    for (const auto& row : c.Query(
             "SELECT f.conname, fn.nspname || '.' || ft.relname, tn.nspname || '.' || tt.relname, "
             "(SELECT string_agg(a.attname, ',' ORDER BY k.i) FROM unnest(f.conkey) WITH ORDINALITY k(n, i) "
             "  JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.n), "
             "(SELECT string_agg(a.attname, ',' ORDER BY k.i) FROM unnest(f.confkey) WITH ORDINALITY k(n, i) "
             "  JOIN pg_attribute a ON a.attrelid = f.confrelid AND a.attnum = k.n) "
             "FROM pg_constraint f "
             "JOIN pg_class ft ON ft.oid = f.conrelid JOIN pg_namespace fn ON fn.oid = ft.relnamespace "
             "JOIN pg_class tt ON tt.oid = f.confrelid JOIN pg_namespace tn ON tn.oid = tt.relnamespace "
             "WHERE f.contype = 'f' AND NOT ft.relispartition AND fn.nspname <> 'partman' "
             // a partitioned table's key shows again on every partition (conparentid set)
             "AND f.conparentid = 0 ORDER BY 1, 2")) {
        out.push_back({row[0], row[1], row[2], Split(row[3]), Split(row[4])});
    }
    return out;
}

class Distribution : public ::testing::TestWithParam<Database> {};

TEST_P(Distribution, EveryTableHasAPlaceAndCarriesItsDistributionColumn) {
    Conn c(AdminUrl(GetParam()));
    const auto& plan = Plan();
    for (const auto& table : Tables(c)) {
        SCOPED_TRACE(table);
        auto it = plan.find(table);
        ASSERT_NE(it, plan.end()) << table
                                  << " has no place in the distribution plan: add it to Plan() here and to "
                                     "docs/scale-out.md \"Past one PostgreSQL\"";
        const Planned& p = it->second;
        if (!Distributed(p.place)) continue;
        const auto dot = table.find('.');
        auto rows = c.Query(
            "SELECT a.attnotnull FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = $1 AND t.relname = $2 AND a.attname = $3 AND NOT a.attisdropped",
            {table.substr(0, dot), table.substr(dot + 1), p.column});
        ASSERT_EQ(rows.size(), 1u) << table << " lacks its distribution column " << p.column;
        if (p.nullable_because.empty()) {
            EXPECT_EQ(rows[0][0], "t")
                << table << "." << p.column << " may be NULL: a row without it has no shard";
        }
    }
}

TEST_P(Distribution, ForeignKeysStayInsideOneShard) {
    Conn c(AdminUrl(GetParam()));
    const auto& plan = Plan();
    for (const auto& fk : ForeignKeys(c)) {
        SCOPED_TRACE(fk.name + " on " + fk.from + " -> " + fk.to);
        if (CrossShardKeys().contains(fk.name)) continue;
        auto from = plan.find(fk.from);
        auto to = plan.find(fk.to);
        ASSERT_NE(from, plan.end());
        ASSERT_NE(to, plan.end());
        const Planned& f = from->second;
        const Planned& t = to->second;
        if (t.place == Place::kReference) continue;  // a reference table is on every node
        if (!Distributed(f.place)) {
            ADD_FAILURE() << "a " << (f.place == Place::kLocal ? "local" : "reference")
                          << " table points into distributed data";
            continue;
        }
        ASSERT_TRUE(Distributed(t.place)) << "a distributed table points to a coordinator-local table";
        EXPECT_EQ(f.place, t.place) << "user data and market data are distributed apart: no key may cross";
        // Citus: a foreign key between co-located tables must include the distribution column, in
        // the same position on both sides.
        bool paired = false;
        for (std::size_t i = 0; i < fk.from_columns.size() && i < fk.to_columns.size(); ++i) {
            if (fk.from_columns[i] == f.column && fk.to_columns[i] == t.column) paired = true;
        }
        EXPECT_TRUE(paired) << "the key (" << ::testing::PrintToString(fk.from_columns)
                            << ") does not carry the distribution column " << f.column << " to " << t.column;
    }
}

INSTANTIATE_TEST_SUITE_P(Databases,
                         Distribution,
                         ::testing::Values(Database::kAuth,
                                           Database::kPortfolio,
                                           Database::kAnalytics,
                                           Database::kNotifications,
                                           Database::kTimescale),
                         [](const auto& info) { return std::string(migrate::DatabaseKey(info.param)); });

}  // namespace
}  // namespace nn::schema_test
