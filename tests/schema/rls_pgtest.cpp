#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/schema/schema_fixture.hpp"

// Row-level security through the service roles (security.md §2.6): another user's rows are
// invisible, UPDATE/DELETE of them affect nothing, INSERT for another user fails with 42501,
// no context sees nothing, advisors see what is granted and admins what the model says.
namespace nn::schema_test {
namespace {

using migrate::Database;
using migrate::ServiceRole;

// The ids one user's seed rows use.
struct Ids {
    std::string u = NewUuid();  // user
    std::string p = NewUuid();  // portfolio
    std::string w = NewUuid();  // watchlist
    std::string g = NewUuid();  // goal
    std::string x = NewUuid();  // any other row
};

std::string Fill(std::string sql, const Ids& ids) {
    const std::map<std::string, std::string> keys = {
        {"{u}", ids.u}, {"{p}", ids.p}, {"{w}", ids.w}, {"{g}", ids.g}, {"{x}", ids.x}};
    for (const auto& [key, value] : keys) {
        for (auto pos = sql.find(key); pos != std::string::npos; pos = sql.find(key, pos)) {
            sql.replace(pos, key.size(), value);
        }
    }
    return sql;
}

struct TableCase {
    std::string table;
    std::string owner_column;        // the column naming the user the row belongs to
    std::string seed;                // inserts one row of {u}
    std::string seed_role = "USER";  // context the seed runs in (SYSTEM for producer-only tables)
};

// Seeds rows for a and b, then checks isolation from a's point of view.
void CheckIsolation(ServiceRole role, Database db, const std::vector<TableCase>& tables) {
    Conn c(ServiceUrl(role, db));
    Ids a;
    Ids b;
    for (const Ids* ids : {&a, &b}) {
        for (const TableCase& t : tables) {
            BeginAs(c, ids->u, t.seed_role);
            c.Exec(Fill(t.seed, *ids));
            c.Exec("COMMIT");
        }
    }
    for (const TableCase& t : tables) {
        SCOPED_TRACE(t.table);
        const std::string where = " WHERE " + t.owner_column + " = $1";
        BeginAs(c, a.u, "USER");
        EXPECT_EQ(c.Value("SELECT count(*) FROM " + t.table + where, {b.u}), "0") << "b's rows visible to a";
        const std::string own = c.Value("SELECT count(*) FROM " + t.table + where, {a.u});
        if (t.seed_role == "USER") {
            EXPECT_EQ(own, "1") << "a does not see a's own row";
        }
        EXPECT_EQ(c.Value("SELECT count(*) FROM " + t.table), own) << "a sees rows of other users";
        for (const std::string& dml :
             {"UPDATE " + t.table + " SET " + t.owner_column + " = " + t.owner_column + where,
              "DELETE FROM " + t.table + where}) {
            c.Exec("SAVEPOINT dml");
            try {
                EXPECT_EQ(c.Affected(dml, {b.u}), 0) << dml;
                c.Exec("RELEASE SAVEPOINT dml");
            } catch (const PgError& e) {
                EXPECT_EQ(e.sqlstate, "42501") << "no privilege is the only acceptable failure: " << e.what();
                c.Exec("ROLLBACK TO SAVEPOINT dml");
            }
        }
        EXPECT_EQ(c.ErrorOf(Fill(t.seed, b)), "42501") << "a inserted a row of b";
        c.Exec("ROLLBACK");

        // Without any context, and with the context of a transaction that ended, nothing.
        EXPECT_EQ(c.Value("SELECT count(*) FROM " + t.table), "0") << "visible without context";
        c.Exec("BEGIN");
        EXPECT_EQ(c.Value("SELECT count(*) FROM " + t.table), "0") << "visible without context";
        c.Exec("ROLLBACK");

        BeginAs(c, b.u, "USER");
        EXPECT_EQ(c.Value("SELECT count(*) FROM " + t.table + where, {b.u}), own)
            << "b's own rows were changed";
        c.Exec("ROLLBACK");
    }
}

TEST(RowLevelSecurity, AuthTablesAreIsolatedPerUser) {
    CheckIsolation(
        ServiceRole::kAuth, Database::kAuth,
        {
            {"auth.users", "id",
             "INSERT INTO auth.users (id, email, password_hash) VALUES ('{u}', '{u}@example.com', 'h')"},
            {"auth.user_profiles", "user_id",
             "INSERT INTO auth.user_profiles (user_id, display_name) VALUES ('{u}', 'n')"},
            {"auth.refresh_tokens", "user_id",
             "INSERT INTO auth.refresh_tokens (user_id, token_hash, family_id, expires_at)"
             " VALUES ('{u}', decode(md5('{x}'), 'hex'), '{x}', now() + interval '1 day')"},
            {"auth.api_keys", "user_id",
             "INSERT INTO auth.api_keys (user_id, name, prefix, key_hash, scopes)"
             " VALUES ('{u}', 'k', left(md5('{x}'), 12), '\\x01', '{market:write}')"},
            {"auth.email_verification_tokens", "user_id",
             "INSERT INTO auth.email_verification_tokens (user_id, token_hash, email, expires_at)"
             " VALUES ('{u}', decode(md5('{x}'), 'hex'), 'e@x.io', now() + interval '1 day')"},
            {"auth.password_reset_tokens", "user_id",
             "INSERT INTO auth.password_reset_tokens (user_id, token_hash, expires_at)"
             " VALUES ('{u}', decode(md5('{x}'), 'hex'), now() + interval '1 hour')"},
            {"auth.login_attempts", "user_id",
             "INSERT INTO auth.login_attempts (user_id, email, ip, success) VALUES ('{u}', 'e@x.io', "
             "'10.0.0.1', true)"},
        });
}

TEST(RowLevelSecurity, PortfolioTablesAreIsolatedPerUser) {
    CheckIsolation(
        ServiceRole::kPortfolio, Database::kPortfolio,
        {
            {"portfolio.portfolios", "user_id",
             "INSERT INTO portfolio.portfolios (id, user_id, name, currency) VALUES ('{p}', '{u}', 'main', "
             "'USD')"},
            {"portfolio.holdings", "user_id",
             "INSERT INTO portfolio.holdings (portfolio_id, user_id, symbol, currency, quantity, "
             "current_price)"
             " VALUES ('{p}', '{u}', 'AAPL', 'USD', 10, 150)"},
            {"portfolio.transactions", "user_id",
             "INSERT INTO portfolio.transactions (portfolio_id, user_id, type, symbol, quantity, price, "
             "currency,"
             " executed_at) VALUES ('{p}', '{u}', 'BUY', 'AAPL', 10, 150, 'USD', now())"},
            {"portfolio.cash_balances", "user_id",
             "INSERT INTO portfolio.cash_balances (portfolio_id, user_id, currency, balance)"
             " VALUES ('{p}', '{u}', 'USD', 100)"},
            {"portfolio.portfolio_snapshots", "user_id",
             "INSERT INTO portfolio.portfolio_snapshots (portfolio_id, user_id, snapshot_date, currency, "
             "total_value)"
             " VALUES ('{p}', '{u}', current_date, 'USD', 1500)"},
            {"portfolio.watchlists", "user_id",
             "INSERT INTO portfolio.watchlists (id, user_id, name) VALUES ('{w}', '{u}', 'tech')"},
            {"portfolio.watchlist_items", "user_id",
             "INSERT INTO portfolio.watchlist_items (watchlist_id, user_id, symbol, alert_above)"
             " VALUES ('{w}', '{u}', 'MSFT', 500)"},
            {"portfolio.allocation_rules", "user_id",
             "INSERT INTO portfolio.allocation_rules (portfolio_id, user_id, dimension, key, target_weight)"
             " VALUES ('{p}', '{u}', 'SYMBOL', 'AAPL', 0.5)"},
            {"portfolio.portfolio_benchmarks", "user_id",
             "INSERT INTO portfolio.portfolio_benchmarks (portfolio_id, user_id, symbol) VALUES ('{p}', "
             "'{u}', '^GSPC')"},
            {"portfolio.goals", "user_id",
             "INSERT INTO portfolio.goals (id, user_id, name, target_amount, currency, target_date)"
             " VALUES ('{g}', '{u}', 'house', 100000, 'USD', '2030-01-01')"},
            {"portfolio.goal_portfolios", "user_id",
             "INSERT INTO portfolio.goal_portfolios (goal_id, portfolio_id, user_id) VALUES ('{g}', '{p}', "
             "'{u}')"},
            {"portfolio.idempotency_keys", "user_id",
             "INSERT INTO portfolio.idempotency_keys (user_id, key, request_method, request_path, "
             "request_hash,"
             " expires_at) VALUES ('{u}', 'k1', 'POST', '/x', '\\x00', now() + interval '1 day')"},
        });
}

TEST(RowLevelSecurity, AnalyticsAndNotificationTablesAreIsolatedPerUser) {
    CheckIsolation(
        ServiceRole::kAnalytics, Database::kAnalytics,
        {{"analytics.reports", "user_id",
          "INSERT INTO analytics.reports (user_id, portfolio_id, report_type, period_start, period_end,"
          " currency) VALUES ('{u}', '{p}', 'MONTHLY', '2026-01-01', '2026-01-31', 'USD')"}});
    CheckIsolation(
        ServiceRole::kNotify, Database::kNotifications,
        {
            {"notifications.notifications", "user_id",
             "INSERT INTO notifications.notifications (user_id, kind, title) VALUES ('{u}', 'PRICE_ALERT', "
             "'t')"},
            {"notifications.notification_preferences", "user_id",
             "INSERT INTO notifications.notification_preferences (user_id, kind, channel, enabled)"
             " VALUES ('{u}', 'PRICE_ALERT', 'EMAIL', false)"},
            {"notifications.deliveries", "user_id",
             "INSERT INTO notifications.deliveries (user_id, template, to_address, subject, body_text)"
             " VALUES ('{u}', 'alert', 'a@x.io', 's', 'b')",
             "SYSTEM"},
        });
}

TEST(RowLevelSecurity, TimescaleUserTablesAreIsolatedPerUser) {
    CheckIsolation(
        ServiceRole::kPortfolio, Database::kTimescale,
        {{"analytics_ts.portfolio_snapshots", "user_id",
          "INSERT INTO analytics_ts.portfolio_snapshots (time, portfolio_id, user_id, currency, total_value)"
          " VALUES (now(), '{p}', '{u}', 'USD', 100)"}});
    CheckIsolation(
        ServiceRole::kNotify, Database::kTimescale,
        {
            {"events.trading_events", "user_id",
             "INSERT INTO events.trading_events (time, portfolio_id, source_event_id, user_id, event_type)"
             " VALUES (now(), '{p}', 1, '{u}', 'BUY')",
             "SYSTEM"},
            {"events.system_events", "user_id",
             "INSERT INTO events.system_events (time, source, source_event_id, user_id, entity_type,"
             " entity_id, action) VALUES (now(), 'auth', ('x' || left(md5('{x}'), 15))::bit(60)::bigint,"
             " '{u}', 'user', '{u}', 'LOGIN')",
             "SYSTEM"},
        });
}

// Outboxes: a transaction enqueues only events it is the actor of; only the relay reads them.
TEST(RowLevelSecurity, OutboxesAcceptOwnEventsAndOnlyTheRelayReadsThem) {
    const std::pair<ServiceRole, std::pair<Database, std::string>> outboxes[] = {
        {ServiceRole::kAuth, {Database::kAuth, "auth.outbox"}},
        {ServiceRole::kPortfolio, {Database::kPortfolio, "portfolio.outbox"}},
        {ServiceRole::kAnalytics, {Database::kAnalytics, "analytics.outbox"}},
        {ServiceRole::kNotify, {Database::kNotifications, "notifications.outbox"}},
    };
    for (const auto& [role, where] : outboxes) {
        SCOPED_TRACE(where.second);
        Conn c(ServiceUrl(role, where.first));
        const std::string a = NewUuid();
        const std::string b = NewUuid();
        const std::string insert = "INSERT INTO " + where.second +
                                   " (actor_id, user_id, aggregate_type, aggregate_id, event_type)"
                                   " VALUES ($1, $1, 'x', 'x', 'CREATED')";
        BeginAs(c, a, "USER");
        EXPECT_EQ(c.Affected(insert, {a}), 1);
        EXPECT_EQ(c.ErrorOf(insert, {b}), "42501");
        EXPECT_EQ(c.Value("SELECT count(*) FROM " + where.second), "0");
        EXPECT_EQ(c.Affected("UPDATE " + where.second + " SET published_at = now()"), 0);
        c.Exec("COMMIT");
        BeginAs(c, "", "SYSTEM");
        EXPECT_EQ(c.Value("SELECT count(*) FROM " + where.second + " WHERE actor_id = $1", {a}), "1");
        EXPECT_EQ(c.Affected("UPDATE " + where.second + " SET published_at = now() WHERE actor_id = $1", {a}),
                  1);
        c.Exec("ROLLBACK");
    }
}

// Advisors in the portfolio database: READ grants are visible, MANAGE grants also writable,
// everything else invisible; the client lists only count for the ADVISOR role.
TEST(RowLevelSecurity, AdvisorSeesExactlyWhatIsGranted) {
    Conn c(ServiceUrl(ServiceRole::kPortfolio, Database::kPortfolio));
    Ids read;
    Ids manage;
    Ids none;
    Ids advisor;
    for (const Ids* ids : {&read, &manage, &none}) {
        BeginAs(c, ids->u, "USER");
        c.Exec(
            Fill("INSERT INTO portfolio.portfolios (id, user_id, name, currency) VALUES ('{p}', '{u}', 'p', "
                 "'EUR');"
                 "INSERT INTO portfolio.holdings (portfolio_id, user_id, symbol, currency, quantity, "
                 "current_price)"
                 " VALUES ('{p}', '{u}', 'SAP', 'EUR', 1, 100)",
                 *ids));
        c.Exec("COMMIT");
    }
    const std::string all = "('" + read.u + "', '" + manage.u + "', '" + none.u + "')";
    const std::string read_ids = "{" + read.u + "}";
    const std::string manage_ids = "{" + manage.u + "}";

    BeginAs(c, advisor.u, "ADVISOR", read_ids, manage_ids);
    EXPECT_EQ(c.Value("SELECT string_agg(user_id::text, ',' ORDER BY user_id) FROM portfolio.portfolios"
                      " WHERE user_id IN " +
                      all),
              std::min(read.u, manage.u) + "," + std::max(read.u, manage.u));
    EXPECT_EQ(c.Value("SELECT count(*) FROM portfolio.holdings WHERE user_id IN " + all), "2");
    EXPECT_EQ(c.Affected("UPDATE portfolio.portfolios SET name = 'x' WHERE user_id = $1", {read.u}), 0);
    EXPECT_EQ(c.Affected("UPDATE portfolio.portfolios SET name = 'x' WHERE user_id = $1", {none.u}), 0);
    EXPECT_EQ(c.Affected("UPDATE portfolio.portfolios SET name = 'x' WHERE user_id = $1", {manage.u}), 1);
    EXPECT_EQ(c.Affected("DELETE FROM portfolio.holdings WHERE user_id = $1", {read.u}), 0);
    const std::string insert =
        "INSERT INTO portfolio.portfolios (user_id, name, currency) VALUES ($1, 'n', 'USD')";
    EXPECT_EQ(c.ErrorOf(insert, {read.u}), "42501");
    EXPECT_EQ(c.ErrorOf(insert, {none.u}), "42501");
    EXPECT_EQ(c.ErrorOf(insert, {manage.u}), "");
    c.Exec("ROLLBACK");

    // The same lists with another role grant nothing.
    BeginAs(c, advisor.u, "USER", read_ids, manage_ids);
    EXPECT_EQ(c.Value("SELECT count(*) FROM portfolio.portfolios WHERE user_id IN " + all), "0");
    c.Exec("ROLLBACK");

    // Admins read everything and change nothing.
    BeginAs(c, advisor.u, "ADMIN");
    EXPECT_EQ(c.Value("SELECT count(*) FROM portfolio.portfolios WHERE user_id IN " + all), "3");
    EXPECT_EQ(c.Affected("UPDATE portfolio.portfolios SET name = 'x' WHERE user_id IN " + all), 0);
    c.Exec("ROLLBACK");

    // The same holds in the timescale database for the analytics reader.
    Conn ts(ServiceUrl(ServiceRole::kPortfolio, Database::kTimescale));
    for (const Ids* ids : {&read, &manage, &none}) {
        BeginAs(ts, ids->u, "USER");
        ts.Exec(
            Fill("INSERT INTO analytics_ts.portfolio_snapshots (time, portfolio_id, user_id, currency, "
                 "total_value)"
                 " VALUES (now(), '{p}', '{u}', 'EUR', 100)",
                 *ids));
        ts.Exec("COMMIT");
    }
    Conn an(ServiceUrl(ServiceRole::kAnalytics, Database::kTimescale));
    BeginAs(an, advisor.u, "ADVISOR", read_ids, "");
    EXPECT_EQ(an.Value("SELECT string_agg(user_id::text, ',') FROM analytics_ts.portfolio_snapshots"
                       " WHERE user_id IN " +
                       all),
              read.u);
    an.Exec("ROLLBACK");
}

// Write policies are evaluated per row, with no plan node set up per execution (portfolio 0007,
// docs/schema.md "Row-level security model"): an upsert keeps only the InitPlans of its read
// policy, which ON CONFLICT DO UPDATE applies three times (3 x 3), a plain insert has none, and a
// read only its read policy's three. Under the former FOR ALL write policy: 27, 3 and 6.
TEST(RowLevelSecurity, PortfolioWritePoliciesSetUpNoPlanNodes) {
    Conn c(ServiceUrl(ServiceRole::kPortfolio, Database::kPortfolio));
    Ids a;
    BeginAs(c, a.u, "USER");
    auto init_plans = [&](const std::string& sql) {
        int n = 0;
        for (const auto& row : c.Query("EXPLAIN (VERBOSE) " + sql))
            if (!row.empty() && row[0].find("InitPlan") != std::string::npos) ++n;
        return n;
    };
    EXPECT_EQ(
        init_plans(Fill("INSERT INTO portfolio.cash_balances AS c (portfolio_id, user_id, currency, balance)"
                        " VALUES ('{p}', '{u}', 'USD', 1) ON CONFLICT (portfolio_id, currency)"
                        " DO UPDATE SET balance = c.balance + EXCLUDED.balance",
                        a)),
        9);
    EXPECT_EQ(init_plans(Fill("INSERT INTO portfolio.outbox (actor_id, user_id, aggregate_type, aggregate_id,"
                              " event_type) VALUES ('{u}', '{u}', 'portfolio', '{p}', 'x')",
                              a)),
              0);
    EXPECT_EQ(init_plans("SELECT * FROM portfolio.holdings"), 3);
    c.Exec("ROLLBACK");
}

// Advisor grants and roles in the auth database.
TEST(RowLevelSecurity, AuthGrantsRolesAndPreLoginLookups) {
    Conn c(ServiceUrl(ServiceRole::kAuth, Database::kAuth));
    Ids client;
    Ids other;
    Ids advisor;
    auto create = [&](const Ids& ids, const std::string& role) {
        BeginAs(c, "", "SYSTEM");
        c.Query(
            "INSERT INTO auth.users (id, email, password_hash, role) VALUES ($1::uuid, $1::text || "
            "'@Example.com', 'h', $2)",
            {ids.u, role});
        c.Exec("COMMIT");
    };
    create(client, "USER");
    create(other, "USER");
    create(advisor, "ADVISOR");

    // The client grants; nobody else can grant on the client's behalf.
    BeginAs(c, client.u, "USER");
    EXPECT_EQ(
        c.Affected("INSERT INTO auth.advisor_clients (advisor_id, client_id, access) VALUES ($1, $2, 'READ')",
                   {advisor.u, client.u}),
        1);
    EXPECT_EQ(
        c.ErrorOf(
            "INSERT INTO auth.advisor_clients (advisor_id, client_id, access) VALUES ($1, $2, 'MANAGE')",
            {advisor.u, other.u}),
        "42501");
    c.Exec("COMMIT");

    // A grant lets no one read the other party's users row (it holds the password hash, auth/0003):
    // the advisor sees their own account only.
    BeginAs(c, advisor.u, "ADVISOR");
    EXPECT_EQ(
        c.Value("SELECT count(*) FROM auth.users WHERE id IN ($1, $2, $3)", {client.u, other.u, advisor.u}),
        "1");
    EXPECT_EQ(c.Value("SELECT count(*) FROM auth.users WHERE id = $1", {other.u}), "0");
    EXPECT_EQ(c.Affected("DELETE FROM auth.advisor_clients WHERE client_id = $1", {client.u}), 0)
        << "only the client revokes";
    c.Exec("ROLLBACK");

    // A user cannot raise their own role; an ADMIN can manage USER/ADVISOR but only a SUPERUSER
    // can make or change an ADMIN.
    BeginAs(c, client.u, "USER");
    EXPECT_EQ(c.ErrorOf("UPDATE auth.users SET role = 'ADMIN' WHERE id = $1", {client.u}), "42501");
    EXPECT_EQ(c.Affected("UPDATE auth.users SET failed_login_count = 1 WHERE id = $1", {client.u}), 1);
    c.Exec("ROLLBACK");
    BeginAs(c, NewUuid(), "ADMIN");
    EXPECT_EQ(c.Affected("UPDATE auth.users SET role = 'ADVISOR' WHERE id = $1", {other.u}), 1);
    EXPECT_EQ(c.ErrorOf("UPDATE auth.users SET role = 'ADMIN' WHERE id = $1", {other.u}), "42501");
    c.Exec("ROLLBACK");
    BeginAs(c, NewUuid(), "SUPERUSER");
    EXPECT_EQ(c.Affected("UPDATE auth.users SET role = 'ADMIN' WHERE id = $1", {other.u}), 1);
    c.Exec("ROLLBACK");

    // Registration: only one's own id, only as USER.
    Ids fresh;
    BeginAs(c, fresh.u, "USER");
    EXPECT_EQ(
        c.ErrorOf(
            "INSERT INTO auth.users (id, email, password_hash, role) VALUES ($1, 'f@x.io', 'h', 'ADMIN')",
            {fresh.u}),
        "42501");
    EXPECT_EQ(
        c.ErrorOf("INSERT INTO auth.users (id, email, password_hash) VALUES ($1, 'f@x.io', 'h')", {other.x}),
        "42501");
    EXPECT_EQ(
        c.ErrorOf("INSERT INTO auth.users (id, email, password_hash) VALUES ($1, 'f@x.io', 'h')", {fresh.u}),
        "");
    c.Exec("ROLLBACK");

    // Before login nothing is visible, but the lookup functions find exactly one account.
    EXPECT_EQ(c.Value("SELECT count(*) FROM auth.users"), "0");
    EXPECT_EQ(c.Value("SELECT id FROM auth.user_for_login($1)", {client.u + "@EXAMPLE.com"}), client.u);
    EXPECT_EQ(c.Value("SELECT count(*) FROM auth.user_for_login('nobody@example.com')"), "0");
    EXPECT_EQ(c.Value("SELECT auth.advisor_id_by_email($1)", {advisor.u + "@example.com"}), advisor.u);
    EXPECT_EQ(c.Value("SELECT auth.advisor_id_by_email($1)", {client.u + "@example.com"}), "");
    BeginAs(c, client.u, "USER");
    c.Query(
        "INSERT INTO auth.refresh_tokens (user_id, token_hash, family_id, expires_at)"
        " VALUES ($1, '\\xdeadbeef', $1, now() + interval '1 day')",
        {client.u});
    c.Query(
        "INSERT INTO auth.login_attempts (email, ip, success, failure_reason)"
        " VALUES ('ghost@example.com', '10.9.9.9', false, 'BAD_CREDENTIALS')");
    c.Exec("COMMIT");
    EXPECT_EQ(c.Value("SELECT user_id FROM auth.refresh_token_by_hash('\\xdeadbeef')"), client.u);
    EXPECT_EQ(
        c.Value(
            "SELECT by_ip || '/' || by_email FROM auth.recent_login_failures('10.9.9.9', 'GHOST@example.com',"
            " now() - interval '1 hour')"),
        "1/1");
    // The unique email is case-insensitive.
    BeginAs(c, "", "SYSTEM");
    EXPECT_EQ(c.ErrorOf("INSERT INTO auth.users (email, password_hash) VALUES ($1, 'h')",
                        {client.u + "@EXAMPLE.COM"}),
              "23505");
    c.Exec("ROLLBACK");
}

}  // namespace
}  // namespace nn::schema_test
