#include "portfolio/pg_repository.hpp"

#include <fmt/format.h>

#include "infra/db/query.hpp"
#include "infra/db/result.hpp"
#include "infra/db/text_array.hpp"

// PgRepository's statements for notify (notify_directory.hpp): a portfolio's visibility, the
// symbols a user holds or watches, and the watchlist price alerts.
namespace nn::portfolio {
namespace asio = boost::asio;

namespace {

// Row-level security returns the row only to those who may see the portfolio.
constexpr db::Query kVisible{"SELECT user_id FROM portfolio.portfolios WHERE id = $1",
                             "notify.portfolio_visible"};

// Symbols held (open positions of active portfolios) or watched, read as the user.
constexpr db::Query kInterest{
    "SELECT h.symbol FROM portfolio.holdings h JOIN portfolio.portfolios p ON p.id = h.portfolio_id "
    "WHERE p.user_id = $1 AND p.is_active AND h.quantity <> 0 "
    "UNION SELECT symbol FROM portfolio.watchlist_items WHERE user_id = $1",
    "notify.live_interest"};

// Ticks are evaluated in price-time order per item: a tick not newer than the item's
// last_evaluated_at (a replay, or an entry committed after a newer one) changes nothing.
constexpr std::string_view kFresh = "(last_evaluated_at IS NULL OR last_evaluated_at < $3::timestamptz)";

// Re-arms by hysteresis (above, below) and at a new UTC trading date (change). Its row locks make
// a concurrent evaluation of the same symbol wait for this transaction, then find the tick stale.
const std::string kRearmSql = fmt::format(
    "UPDATE portfolio.watchlist_items SET "
    "above_armed = above_armed OR (alert_above IS NOT NULL AND $2::numeric < alert_above * (1 - "
    "$4::numeric)), "
    "below_armed = below_armed OR (alert_below IS NOT NULL AND $2::numeric > alert_below * (1 + "
    "$4::numeric)), "
    "change_armed = change_armed OR (last_evaluated_at IS NOT NULL AND "
    "  (last_evaluated_at AT TIME ZONE 'UTC')::date < ($3::timestamptz AT TIME ZONE 'UTC')::date) "
    "WHERE symbol = $1 AND (alert_above IS NOT NULL OR alert_below IS NOT NULL OR alert_change_pct IS NOT "
    "NULL) "
    "AND {} RETURNING id",
    kFresh);
const db::Query kRearm{kRearmSql, "notify.alerts.rearm"};

constexpr std::string_view kFireTemplate =
    "UPDATE portfolio.watchlist_items SET {0}_armed = false, last_triggered_at = now() "
    "WHERE symbol = $1 AND {0}_armed AND {1} AND {2} "
    "RETURNING id::text, user_id::text, watchlist_id::text, trim_scale({3})::text";

std::string FireSql(std::string_view condition, std::string_view test, std::string_view threshold) {
    return fmt::format(fmt::runtime(kFireTemplate), condition, test, kFresh, threshold);
}

// $1 symbol, $2 price, $3 tick time; for change $4 prev_close (NULL: not evaluated).
const std::string kFireAboveSql =
    FireSql("above", "alert_above IS NOT NULL AND $2::numeric >= alert_above", "alert_above");
const std::string kFireBelowSql =
    FireSql("below", "alert_below IS NOT NULL AND $2::numeric <= alert_below", "alert_below");
const std::string kFireChangeSql = FireSql("change",
                                           "alert_change_pct IS NOT NULL AND $4::numeric IS NOT NULL "
                                           "AND abs($2::numeric / $4::numeric - 1) * 100 >= alert_change_pct",
                                           "alert_change_pct");
const db::Query kFireAbove{kFireAboveSql, "notify.alerts.fire_above"};
const db::Query kFireBelow{kFireBelowSql, "notify.alerts.fire_below"};
const db::Query kFireChange{kFireChangeSql, "notify.alerts.fire_change"};

const std::string kEvaluatedSql = fmt::format(
    "UPDATE portfolio.watchlist_items SET last_price = $2::numeric, last_evaluated_at = $3::timestamptz "
    "WHERE symbol = $1 AND (alert_above IS NOT NULL OR alert_below IS NOT NULL OR alert_change_pct IS NOT "
    "NULL) "
    "AND {}",
    kFresh);
const db::Query kEvaluated{kEvaluatedSql, "notify.alerts.evaluated"};

// Which symbols any watchlist item has an alert on (the partial index of docs/schema.md).
const db::Query kWithAlerts{
    "SELECT DISTINCT symbol FROM portfolio.watchlist_items WHERE symbol = ANY ($1::text[]) "
    "AND (alert_above IS NOT NULL OR alert_below IS NOT NULL OR alert_change_pct IS NOT NULL)",
    "notify.alerts.with_alerts"};

std::vector<FiredAlert> FiredOf(db::Result& rows) {
    std::vector<FiredAlert> out;
    for (db::Row row : rows) {
        out.push_back({row.Get<std::string>(0), row.Get<std::string>(1), row.Get<std::string>(2),
                       row.Get<std::string>(3)});
    }
    return out;
}

}  // namespace

asio::awaitable<bool> PgRepository::PortfolioVisible(db::Transaction& tx, PortfolioId id) {
    auto rows = co_await tx.Execute(kVisible, id);
    co_return !rows.Empty();
}

asio::awaitable<std::set<std::string>> PgRepository::InterestOf(db::Transaction& tx, UserId user) {
    auto rows = co_await tx.Execute(kInterest, user);
    std::set<std::string> symbols;
    for (db::Row row : rows) symbols.insert(row.Get<std::string>(0));
    co_return symbols;
}

asio::awaitable<std::set<std::string>> PgRepository::SymbolsWithAlerts(
    db::Transaction& tx, const std::vector<std::string>& symbols) {
    const db::TextArray array(symbols);
    auto rows = co_await tx.Execute(kWithAlerts, array);
    std::set<std::string> out;
    for (db::Row row : rows) out.insert(row.Get<std::string>(0));
    co_return out;
}

asio::awaitable<std::size_t> PgRepository::RearmAlerts(db::Transaction& tx, const AlertTick& tick) {
    auto candidates = co_await tx.Execute(kRearm, tick.symbol, tick.price, tick.time, tick.hysteresis);
    co_return static_cast<std::size_t>(candidates.Size());
}

asio::awaitable<FiredAlerts> PgRepository::FireAlerts(db::Transaction& tx, const AlertTick& tick) {
    FiredAlerts fired;
    auto above = co_await tx.Execute(kFireAbove, tick.symbol, tick.price, tick.time);
    fired.above = FiredOf(above);
    auto below = co_await tx.Execute(kFireBelow, tick.symbol, tick.price, tick.time);
    fired.below = FiredOf(below);
    auto change = co_await tx.Execute(kFireChange, tick.symbol, tick.price, tick.time, tick.prev_close);
    fired.change = FiredOf(change);
    co_return fired;
}

asio::awaitable<void> PgRepository::MarkAlertsEvaluated(db::Transaction& tx, const AlertTick& tick) {
    co_await tx.Execute(kEvaluated, tick.symbol, tick.price, tick.time);
}

}  // namespace nn::portfolio
