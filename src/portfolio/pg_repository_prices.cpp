#include "portfolio/pg_repository.hpp"

#include "infra/db/query.hpp"
#include "infra/db/result.hpp"

// PgRepository's statements of the price flow (price_consumer.hpp: processed events, prices and
// rates applied to holdings, the values of the throttled sample), the live value feed
// (value_feed.hpp) and the daily snapshots (snapshot_job.hpp).
namespace nn::portfolio {
namespace asio = boost::asio;

namespace {

constexpr db::Query kMarkProcessed{
    "INSERT INTO portfolio.processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    "portfolio.mark_processed"};

// The spec's "Market Data Integration" shape: one UPDATE ... FROM for the whole batch. A
// price older than the one already applied never overwrites it (events may arrive reordered).
constexpr db::Query kApplyPrices{
    "UPDATE portfolio.holdings h SET current_price = t.price, price_updated_at = t.time, last_updated = "
    "now() "
    "FROM unnest($1::text[], $2::numeric[], $3::timestamptz[]) AS t(symbol, price, time) "
    "WHERE h.symbol = t.symbol AND (h.price_updated_at IS NULL OR h.price_updated_at < t.time) "
    "RETURNING h.portfolio_id, h.user_id",
    "portfolio.apply_prices"};

constexpr db::Query kApplyRates{
    "UPDATE portfolio.holdings h SET fx_rate = round(CASE WHEN h.currency = t.base THEN t.rate ELSE 1 / "
    "t.rate END, "
    "12), last_updated = now() FROM portfolio.portfolios p, "
    "unnest($1::text[], $2::text[], $3::numeric[]) AS t(base, quote, rate) "
    "WHERE p.id = h.portfolio_id AND ((h.currency = t.base AND p.currency = t.quote) OR "
    "(h.currency = t.quote AND p.currency = t.base)) RETURNING h.portfolio_id, h.user_id",
    "portfolio.apply_rates"};

constexpr db::Query kSnapshotValues{
    "SELECT p.id, p.user_id, p.currency, "
    "coalesce(sum(h.market_value * CASE WHEN h.currency = p.currency THEN 1 ELSE h.fx_rate END), 0)::text, "
    "coalesce((SELECT c.balance FROM portfolio.cash_balances c WHERE c.portfolio_id = p.id AND c.currency = "
    "p.currency), 0)::text, "
    "bool_or(h.quantity <> 0 AND ((h.currency <> p.currency AND h.fx_rate IS NULL) OR h.current_price IS "
    "NULL)) "
    "FROM portfolio.portfolios p LEFT JOIN portfolio.holdings h ON h.portfolio_id = p.id "
    "WHERE p.id = ANY ($1::uuid[]) AND p.is_active GROUP BY p.id",
    "portfolio.snapshot_values"};

// At most one row per portfolio per interval, also across instances.
constexpr db::Query kInsertSnapshots{
    "INSERT INTO analytics_ts.portfolio_snapshots (time, portfolio_id, user_id, currency, total_value, "
    "cash_value, "
    "holdings_value) SELECT now(), t.pid, t.uid, t.cur, t.hv + t.cv, t.cv, t.hv "
    "FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::numeric[], $5::numeric[]) AS t(pid, uid, cur, hv, "
    "cv) "
    "WHERE NOT EXISTS (SELECT 1 FROM analytics_ts.portfolio_snapshots s WHERE s.portfolio_id = t.pid "
    "AND s.time > now() - make_interval(secs => $6)) ON CONFLICT DO NOTHING",
    "portfolio.insert_snapshots"};

constexpr db::Query kFeedValues{
    "SELECT p.id, p.user_id, p.name, p.currency, "
    "trim_scale(coalesce(sum(h.market_value * CASE WHEN h.currency = p.currency THEN 1 ELSE h.fx_rate END) "
    "FILTER (WHERE h.quantity <> 0), 0))::text, "
    "(SELECT string_agg(c.currency || ':' || c.balance::text, ',' ORDER BY c.currency) "
    " FROM portfolio.cash_balances c WHERE c.portfolio_id = p.id AND c.balance <> 0), "
    "coalesce(bool_or(h.quantity <> 0 AND h.current_price IS NULL), false), "
    "coalesce(bool_or(h.quantity <> 0 AND h.currency <> p.currency AND h.fx_rate IS NULL), false) "
    "FROM portfolio.portfolios p LEFT JOIN portfolio.holdings h ON h.portfolio_id = p.id "
    "WHERE p.id = ANY ($1::uuid[]) AND p.is_active GROUP BY p.id",
    "portfolio.value_feed.values"};

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

// Portfolio ids as the $1::uuid[] of kSnapshotValues / kFeedValues.
template <class Id>
db::TextArray PortfolioIdList(const std::vector<Id>& portfolios) {
    std::vector<std::optional<std::string>> ids;
    for (const auto& id : portfolios) ids.push_back(id.ToString());
    return db::TextArray(std::move(ids));
}

std::vector<MovedHolding> MovedHoldingsOf(const db::Result& res) {
    std::vector<MovedHolding> out;
    out.reserve(static_cast<std::size_t>(res.Size()));
    for (auto row : res) out.push_back(MovedHolding{row.Get<Uuid>(0), row.Get<UserId>(1)});
    return out;
}

}  // namespace

asio::awaitable<bool> PgRepository::MarkProcessed(db::Transaction& tx,
                                                  const std::string& consumer,
                                                  const std::string& event_id) {
    auto mark = co_await tx.Execute(kMarkProcessed, consumer, event_id);
    co_return mark.RowsAffected() != 0;
}

asio::awaitable<std::vector<MovedHolding>> PgRepository::ApplyPrices(db::Transaction& tx,
                                                                     const std::vector<PricePoint>& prices) {
    std::vector<std::optional<std::string>> symbols, values, times;
    for (const auto& p : prices) {
        symbols.push_back(p.symbol);
        values.push_back(p.price.ToString());
        times.push_back(FormatRfc3339(p.time));
    }
    const db::TextArray a(symbols), b(values), c(times);
    co_return MovedHoldingsOf(co_await tx.Execute(kApplyPrices, a, b, c));
}

asio::awaitable<std::vector<MovedHolding>> PgRepository::ApplyRates(db::Transaction& tx,
                                                                    const std::vector<RatePoint>& rates) {
    std::vector<std::optional<std::string>> bases, quotes, values;
    for (const auto& r : rates) {
        bases.push_back(r.base);
        quotes.push_back(r.quote);
        values.push_back(r.rate.ToString());
    }
    const db::TextArray a(bases), b(quotes), c(values);
    co_return MovedHoldingsOf(co_await tx.Execute(kApplyRates, a, b, c));
}

asio::awaitable<std::vector<SnapshotValue>> PgRepository::SnapshotValues(
    db::Transaction& tx, const std::vector<Uuid>& portfolios) {
    const db::TextArray id_list = PortfolioIdList(portfolios);
    auto res = co_await tx.Execute(kSnapshotValues, id_list);
    std::vector<SnapshotValue> out;
    for (auto row : res) {
        SnapshotValue v;
        v.portfolio = row.Get<Uuid>(0);
        v.user = row.Get<Uuid>(1);
        v.currency = row.Get<std::string>(2);
        v.holdings_value = row.Get<std::string>(3);
        v.cash_value = row.Get<std::string>(4);
        v.unknown = row.Get<std::optional<bool>>(5).value_or(false);
        out.push_back(std::move(v));
    }
    co_return out;
}

asio::awaitable<std::size_t> PgRepository::InsertValueSamples(db::Transaction& tx,
                                                              const std::vector<SnapshotValue>& values,
                                                              std::chrono::seconds interval) {
    std::vector<std::optional<std::string>> pids, uids, currencies, holdings, cash;
    for (const SnapshotValue& v : values) {
        pids.push_back(v.portfolio.ToString());
        uids.push_back(v.user.ToString());
        currencies.push_back(v.currency);
        holdings.push_back(v.holdings_value);
        cash.push_back(v.cash_value);
    }
    const db::TextArray a(pids), b(uids), c(currencies), d(holdings), e(cash);
    const double seconds = static_cast<double>(interval.count());
    auto res = co_await tx.Execute(kInsertSnapshots, a, b, c, d, e, seconds);
    co_return static_cast<std::size_t>(res.RowsAffected());
}

asio::awaitable<std::vector<FeedValue>> PgRepository::FeedValues(db::Transaction& tx,
                                                                 const std::vector<PortfolioId>& portfolios) {
    const db::TextArray id_list = PortfolioIdList(portfolios);
    auto res = co_await tx.Execute(kFeedValues, id_list);
    std::vector<FeedValue> out;
    for (auto row : res) {
        FeedValue v;
        v.portfolio = row.Get<Uuid>(0);
        v.user = row.Get<Uuid>(1);
        v.name = row.Get<std::string>(2);
        v.currency = row.Get<std::string>(3);
        v.holdings_value = row.Get<std::string>(4);
        v.cash = row.Get<std::optional<std::string>>(5);
        v.missing_price = row.Get<bool>(6);
        v.missing_rate = row.Get<bool>(7);
        out.push_back(std::move(v));
    }
    co_return out;
}

asio::awaitable<std::int64_t> PgRepository::WriteDailySnapshots(db::Transaction& tx,
                                                                Date date,
                                                                const std::vector<SnapshotRate>& rates) {
    const std::string day = FormatDate(date);
    std::vector<std::string> bases, quotes, values;
    for (const auto& rate : rates) {
        bases.push_back(rate.base);
        quotes.push_back(rate.quote);
        values.push_back(rate.rate);
    }
    const db::TextArray base_list(bases);
    const db::TextArray quote_list(quotes);
    const db::TextArray rate_list(values);
    auto res = co_await tx.Execute(kWriteSnapshots, day, base_list, quote_list, rate_list);
    co_return res.RowsAffected();
}

}  // namespace nn::portfolio
