#include "portfolio/snapshot_job.hpp"

#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "infra/app/app.hpp"
#include "infra/db/pool.hpp"
#include "infra/db/query.hpp"
#include "infra/db/result.hpp"
#include "infra/db/transaction.hpp"
#include "infra/jobs/scheduler.hpp"
#include "market/rate_directory.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;

namespace {

// Holdings at their current price and rate plus all cash, foreign cash converted at the latest
// rate ($2..$4: every latest rate of the market's RateDirectory, either direction, the inverse
// rounded to 12 places) and rounded to 10 places; the day's external flows in the portfolio
// currency: deposits, withdrawals and cash transfers at their trade-date rate, securities
// transfers in kind at market value (quantity x the holding's current price x current rate, the
// valuation the snapshot itself uses, so a transfer is no gain or loss); the day change net of
// those flows against the previous day's row. A portfolio with an open holding lacking a price
// or rate, foreign cash without a rate, or a flow lacking its rate gets no row rather than a
// wrong one. The day's percentage follows the analytics convention (docs/analytics.md §1): a net
// inflow arrives at the start of the day and is at work during it, a net outflow leaves at its
// end, so day_change_percent = day_change / (previous total + max(net flows, 0)) x 100 — the same
// daily return the time-weighted return chains. total_return is the gain since inception (total -
// all external flows to date) and total_return_percent that gain over everything paid in to date:
// the simple return of §3.4 from inception. Past securities transfers count there at their
// recorded price (the carried cost; the current price when none) and trade-date rate: their market
// value on their own day is not known to this table.
constexpr db::Query kWriteSnapshots{
    "WITH fx AS (SELECT * FROM unnest($2::text[], $3::text[], $4::numeric[]) AS f(base, quote, rate)),"
    " vals AS ("
    " SELECT p.id, p.user_id, p.currency,"
    "  coalesce(sum(h.market_value * CASE WHEN h.currency = p.currency THEN 1 ELSE h.fx_rate END)"
    "   FILTER (WHERE h.quantity <> 0), 0) AS hv,"
    "  coalesce(sum(CASE WHEN h.currency = p.currency THEN h.cost_basis ELSE h.cost_basis_base END)"
    "   FILTER (WHERE h.quantity <> 0), 0) AS invested,"
    "  coalesce(bool_or(h.quantity <> 0 AND (h.current_price IS NULL OR (h.currency <> p.currency AND"
    "   (h.fx_rate IS NULL OR h.cost_basis_base IS NULL)))), false) AS unknown"
    " FROM portfolio.portfolios p LEFT JOIN portfolio.holdings h ON h.portfolio_id = p.id"
    " WHERE p.is_active GROUP BY p.id),"
    " cash AS (SELECT c.portfolio_id,"
    "  sum(CASE WHEN c.currency = p.currency THEN c.balance ELSE round(c.balance * r.rate, 10) END) AS "
    "balance,"
    "  bool_or(c.currency <> p.currency AND c.balance <> 0 AND r.rate IS NULL) AS unknown"
    "  FROM portfolio.cash_balances c JOIN portfolio.portfolios p ON p.id = c.portfolio_id"
    "  LEFT JOIN LATERAL (SELECT coalesce("
    "   (SELECT f.rate FROM fx f WHERE f.base = c.currency::text AND f.quote = p.currency::text),"
    "   (SELECT round(1 / f.rate, 12) FROM fx f WHERE f.base = p.currency::text AND f.quote = "
    "c.currency::text))"
    "   AS rate) r ON true"
    "  GROUP BY c.portfolio_id),"
    " flows AS (SELECT t.portfolio_id,"
    "  sum(CASE WHEN t.type IN ('DEPOSIT', 'TRANSFER_IN') THEN 1 ELSE -1 END *"
    "   CASE WHEN t.symbol IS NULL THEN t.amount * CASE WHEN t.currency = p.currency THEN 1 ELSE t.fx_rate "
    "END"
    "   ELSE round(t.quantity * h.current_price * CASE WHEN h.currency = p.currency THEN 1 ELSE h.fx_rate "
    "END,"
    "    10) END) AS net,"
    "  bool_or(CASE WHEN t.symbol IS NULL THEN t.currency <> p.currency AND t.fx_rate IS NULL"
    "   ELSE h.current_price IS NULL OR (h.currency <> p.currency AND h.fx_rate IS NULL) END) AS unknown"
    "  FROM portfolio.transactions t JOIN portfolio.portfolios p ON p.id = t.portfolio_id"
    "  LEFT JOIN portfolio.holdings h ON h.portfolio_id = t.portfolio_id AND h.symbol = t.symbol"
    "  WHERE t.type IN ('DEPOSIT', 'WITHDRAWAL', 'TRANSFER_IN', 'TRANSFER_OUT')"
    "  AND ((t.symbol IS NULL AND t.amount IS NOT NULL) OR (t.symbol IS NOT NULL AND t.quantity IS NOT NULL"
    "   AND t.type IN ('TRANSFER_IN', 'TRANSFER_OUT')))"
    "  AND t.executed_at >= ($1::date)::timestamp AT TIME ZONE 'UTC'"
    "  AND t.executed_at < ($1::date + 1)::timestamp AT TIME ZONE 'UTC' GROUP BY t.portfolio_id),"
    " to_date AS (SELECT t.portfolio_id,"
    "  sum(CASE WHEN t.type IN ('DEPOSIT', 'TRANSFER_IN') THEN 1 ELSE -1 END * s.local *"
    "   CASE WHEN t.currency = p.currency THEN 1 ELSE t.fx_rate END) AS net,"
    "  coalesce(sum(s.local * CASE WHEN t.currency = p.currency THEN 1 ELSE t.fx_rate END)"
    "   FILTER (WHERE t.type IN ('DEPOSIT', 'TRANSFER_IN')), 0) AS paid_in,"
    "  bool_or((t.currency <> p.currency AND t.fx_rate IS NULL) OR s.local IS NULL) AS unknown"
    "  FROM portfolio.transactions t JOIN portfolio.portfolios p ON p.id = t.portfolio_id"
    "  LEFT JOIN portfolio.holdings h ON h.portfolio_id = t.portfolio_id AND h.symbol = t.symbol"
    "  CROSS JOIN LATERAL (SELECT CASE WHEN t.symbol IS NULL THEN t.amount"
    "   ELSE round(t.quantity * coalesce(t.price, h.current_price), 10) END AS local) s"
    "  WHERE t.type IN ('DEPOSIT', 'WITHDRAWAL', 'TRANSFER_IN', 'TRANSFER_OUT')"
    "  AND ((t.symbol IS NULL AND t.amount IS NOT NULL) OR (t.symbol IS NOT NULL AND t.quantity IS NOT NULL"
    "   AND t.type IN ('TRANSFER_IN', 'TRANSFER_OUT')))"
    "  AND t.executed_at < ($1::date + 1)::timestamp AT TIME ZONE 'UTC'"
    "  GROUP BY t.portfolio_id),"
    " rows AS (SELECT v.id, v.user_id, v.currency, v.hv + coalesce(c.balance, 0) AS total,"
    "  coalesce(c.balance, 0) AS cash, v.hv, v.invested, coalesce(f.net, 0) AS net, prev.total_value AS prev,"
    "  coalesce(td.net, 0) AS net_to_date, coalesce(td.paid_in, 0) AS paid_in,"
    "  coalesce(td.unknown, false) AS to_date_unknown"
    "  FROM vals v LEFT JOIN cash c ON c.portfolio_id = v.id LEFT JOIN flows f ON f.portfolio_id = v.id"
    "  LEFT JOIN to_date td ON td.portfolio_id = v.id"
    "  LEFT JOIN portfolio.portfolio_snapshots prev ON prev.portfolio_id = v.id"
    "   AND prev.snapshot_date = $1::date - 1"
    "  WHERE NOT v.unknown AND NOT coalesce(f.unknown, false) AND NOT coalesce(c.unknown, false))"
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

asio::awaitable<std::int64_t> WriteDailySnapshots(db::Pool& pool,
                                                  market::RateDirectory& market_rates,
                                                  Date date) {
    const std::string day = FormatDate(date);
    std::vector<std::string> bases, quotes, rates;
    // Read before the portfolio transaction: the market's database was never part of it.
    const std::vector<market::StoredRate> latest = co_await market_rates.AllLatestRates(0);
    for (const auto& rate : latest) {
        bases.push_back(rate.base);
        quotes.push_back(rate.quote);
        rates.push_back(rate.rate);
    }
    const db::TextArray base_list(bases);
    const db::TextArray quote_list(quotes);
    const db::TextArray rate_list(rates);
    co_return co_await db::RunInTransaction(pool, db::TransactionOptions().ActingAs(Actor::System()),
                                            [&](db::Transaction& tx) -> asio::awaitable<std::int64_t> {
                                                auto res = co_await tx.Execute(
                                                    kWriteSnapshots, day, base_list, quote_list, rate_list);
                                                co_return res.RowsAffected();
                                            });
}

void AddSnapshotJob(App& app,
                    std::shared_ptr<market::RateDirectory> rates,
                    std::chrono::milliseconds interval) {
    db::Pool* pool = &app.Db(ServiceRole::kPortfolio, Database::kPortfolio, 0);
    app.Jobs().Add({.name = std::string(kSnapshotJobName),
                    .interval = interval,
                    .lease_pool = pool,
                    .run = [pool, rates]() -> asio::awaitable<void> {
                        auto n = co_await WriteDailySnapshots(*pool, *rates, ToDate(Now()));
                        spdlog::info("portfolio: {} daily snapshot(s) written", n);
                    }});
}

}  // namespace nn::portfolio
