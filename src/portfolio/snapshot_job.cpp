#include "portfolio/snapshot_job.hpp"

#include <spdlog/spdlog.h>

#include "infra/app/app.hpp"
#include "infra/db/pool.hpp"
#include "infra/db/query.hpp"
#include "infra/db/result.hpp"
#include "infra/db/transaction.hpp"
#include "infra/jobs/scheduler.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;

namespace {

// Holdings at their current price and rate plus the portfolio-currency cash; the day's external
// cash flows (deposits, withdrawals, cash transfers) in the portfolio currency; the day change
// net of those flows against the previous day's row. A portfolio with an open holding lacking a
// price or rate, or a flow lacking its trade-date rate, gets no row rather than a wrong one.
// The day's percentage follows the analytics convention (docs/analytics.md §1): a net inflow
// arrives at the start of the day and is at work during it, a net outflow leaves at its end, so
// day_change_percent = day_change / (previous total + max(net flows, 0)) x 100 — the same
// daily return the time-weighted return chains. total_return is the gain since inception
// (total - all external cash flows to date) and total_return_percent that gain over everything
// paid in (deposits and cash transfers in to date): the simple return of §3.4 from inception.
constexpr db::Query kWriteSnapshots{
    "WITH vals AS ("
    " SELECT p.id, p.user_id, p.currency,"
    "  coalesce(sum(h.market_value * CASE WHEN h.currency = p.currency THEN 1 ELSE h.fx_rate END)"
    "   FILTER (WHERE h.quantity <> 0), 0) AS hv,"
    "  coalesce(sum(CASE WHEN h.currency = p.currency THEN h.cost_basis ELSE h.cost_basis_base END)"
    "   FILTER (WHERE h.quantity <> 0), 0) AS invested,"
    "  coalesce(bool_or(h.quantity <> 0 AND (h.current_price IS NULL OR (h.currency <> p.currency AND"
    "   (h.fx_rate IS NULL OR h.cost_basis_base IS NULL)))), false) AS unknown"
    " FROM portfolio.portfolios p LEFT JOIN portfolio.holdings h ON h.portfolio_id = p.id"
    " WHERE p.is_active GROUP BY p.id),"
    " cash AS (SELECT c.portfolio_id, c.balance FROM portfolio.cash_balances c"
    "  JOIN portfolio.portfolios p ON p.id = c.portfolio_id AND c.currency = p.currency),"
    " flows AS (SELECT t.portfolio_id,"
    "  sum(CASE WHEN t.type IN ('DEPOSIT', 'TRANSFER_IN') THEN 1 ELSE -1 END * t.amount *"
    "   CASE WHEN t.currency = p.currency THEN 1 ELSE t.fx_rate END) AS net,"
    "  bool_or(t.currency <> p.currency AND t.fx_rate IS NULL) AS unknown"
    "  FROM portfolio.transactions t JOIN portfolio.portfolios p ON p.id = t.portfolio_id"
    "  WHERE t.type IN ('DEPOSIT', 'WITHDRAWAL', 'TRANSFER_IN', 'TRANSFER_OUT') AND t.symbol IS NULL"
    "  AND t.amount IS NOT NULL AND t.executed_at >= ($1::date)::timestamp AT TIME ZONE 'UTC'"
    "  AND t.executed_at < ($1::date + 1)::timestamp AT TIME ZONE 'UTC' GROUP BY t.portfolio_id),"
    " to_date AS (SELECT t.portfolio_id,"
    "  sum(CASE WHEN t.type IN ('DEPOSIT', 'TRANSFER_IN') THEN 1 ELSE -1 END * t.amount *"
    "   CASE WHEN t.currency = p.currency THEN 1 ELSE t.fx_rate END) AS net,"
    "  coalesce(sum(t.amount * CASE WHEN t.currency = p.currency THEN 1 ELSE t.fx_rate END)"
    "   FILTER (WHERE t.type IN ('DEPOSIT', 'TRANSFER_IN')), 0) AS paid_in,"
    "  bool_or(t.currency <> p.currency AND t.fx_rate IS NULL) AS unknown"
    "  FROM portfolio.transactions t JOIN portfolio.portfolios p ON p.id = t.portfolio_id"
    "  WHERE t.type IN ('DEPOSIT', 'WITHDRAWAL', 'TRANSFER_IN', 'TRANSFER_OUT') AND t.symbol IS NULL"
    "  AND t.amount IS NOT NULL AND t.executed_at < ($1::date + 1)::timestamp AT TIME ZONE 'UTC'"
    "  GROUP BY t.portfolio_id),"
    " rows AS (SELECT v.id, v.user_id, v.currency, v.hv + coalesce(c.balance, 0) AS total,"
    "  coalesce(c.balance, 0) AS cash, v.hv, v.invested, coalesce(f.net, 0) AS net, prev.total_value AS prev,"
    "  coalesce(td.net, 0) AS net_to_date, coalesce(td.paid_in, 0) AS paid_in,"
    "  coalesce(td.unknown, false) AS to_date_unknown"
    "  FROM vals v LEFT JOIN cash c ON c.portfolio_id = v.id LEFT JOIN flows f ON f.portfolio_id = v.id"
    "  LEFT JOIN to_date td ON td.portfolio_id = v.id"
    "  LEFT JOIN portfolio.portfolio_snapshots prev ON prev.portfolio_id = v.id"
    "   AND prev.snapshot_date = $1::date - 1"
    "  WHERE NOT v.unknown AND NOT coalesce(f.unknown, false))"
    " INSERT INTO portfolio.portfolio_snapshots (portfolio_id, user_id, snapshot_date, currency, total_value,"
    "  cash_value, holdings_value, invested_capital, net_flows, day_change, day_change_percent,"
    "  total_return, total_return_percent)"
    " SELECT id, user_id, $1::date, currency, total, cash, hv, invested, net, total - prev - net,"
    "  CASE WHEN prev + greatest(net, 0) > 0"
    "   THEN round((total - prev - net) * 100 / (prev + greatest(net, 0)), 8) END,"
    "  CASE WHEN NOT to_date_unknown THEN total - net_to_date END,"
    "  CASE WHEN paid_in > 0 AND NOT to_date_unknown THEN round((total - net_to_date) * 100 / paid_in, 8) "
    "END FROM rows"
    " ON CONFLICT (portfolio_id, snapshot_date) DO UPDATE SET total_value = EXCLUDED.total_value,"
    "  cash_value = EXCLUDED.cash_value, holdings_value = EXCLUDED.holdings_value,"
    "  invested_capital = EXCLUDED.invested_capital, net_flows = EXCLUDED.net_flows,"
    "  day_change = EXCLUDED.day_change, day_change_percent = EXCLUDED.day_change_percent,"
    "  total_return = EXCLUDED.total_return, total_return_percent = EXCLUDED.total_return_percent",
    "portfolio.write_daily_snapshots"};

}  // namespace

asio::awaitable<std::int64_t> WriteDailySnapshots(db::Pool& pool, Date date) {
    const std::string day = FormatDate(date);
    co_return co_await db::RunInTransaction(pool, db::TransactionOptions().ActingAs("", "SYSTEM"),
                                            [&](db::Transaction& tx) -> asio::awaitable<std::int64_t> {
                                                auto res = co_await tx.Execute(kWriteSnapshots, day);
                                                co_return res.RowsAffected();
                                            });
}

void AddSnapshotJob(App& app, std::chrono::milliseconds interval) {
    db::Pool* pool = &app.Db(ServiceRole::kPortfolio, Database::kPortfolio, 0);
    app.Jobs().Add({.name = std::string(kSnapshotJobName),
                    .interval = interval,
                    .lease_pool = pool,
                    .run = [pool]() -> asio::awaitable<void> {
                        auto n = co_await WriteDailySnapshots(*pool, ToDate(Now()));
                        spdlog::info("portfolio: {} daily snapshot(s) written", n);
                    }});
}

}  // namespace nn::portfolio
