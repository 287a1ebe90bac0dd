#include "portfolio/pg_repository.hpp"
#include "portfolio/pg_rows.hpp"
#include "portfolio/value_totals.hpp"

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "infra/db/copy_in.hpp"
#include "infra/db/query.hpp"
#include "infra/db/result.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;

namespace {

constexpr db::Query kLedgerHead{
    "SELECT coalesce((SELECT version FROM portfolio.ledger_versions WHERE portfolio_id = $1), 0), "
    "(SELECT min(executed_at) FROM portfolio.transactions WHERE portfolio_id = $1)",
    "portfolio.ledger_head"};

constexpr db::Query kLastTransactionTimes{
    "SELECT s, (SELECT max(executed_at) FROM portfolio.transactions t WHERE t.portfolio_id = $1 AND t.symbol "
    "= s) "
    "FROM unnest($2::text[]) AS s",
    "portfolio.last_transaction_times"};

constexpr db::Query kReadCheckpoint{
    "SELECT day, state FROM portfolio.read_checkpoints WHERE portfolio_id = $1 AND day <= $2 "
    "ORDER BY day DESC LIMIT 1",
    "portfolio.read_checkpoint"};

// A writer holds the row FOR UPDATE until it commits: waiting here, the version read next is the
// one after it. Rows the actor may not update are not returned (a READ advisor stores nothing).
constexpr db::Query kShareLedger{"SELECT 1 FROM portfolio.portfolios WHERE id = $1 FOR SHARE",
                                 "portfolio.share_ledger"};

constexpr db::Query kLedgerVersion{
    "SELECT coalesce((SELECT version FROM portfolio.ledger_versions WHERE portfolio_id = $1), 0)",
    "portfolio.ledger_version"};

constexpr db::Query kStoreReadCheckpoints{
    "INSERT INTO portfolio.read_checkpoints (portfolio_id, user_id, day, state) "
    "SELECT $1, $2, (e->>0)::date, e->>1 FROM jsonb_array_elements($3::jsonb) AS e "
    "ON CONFLICT (portfolio_id, day) DO UPDATE SET state = EXCLUDED.state",
    "portfolio.store_read_checkpoints"};

constexpr db::Query kInsertPortfolio{
    "INSERT INTO portfolio.portfolios AS p (id, user_id, name, description, portfolio_type, currency, "
    "cost_basis_method, allow_short, min_trade_amount) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING "
    "id, user_id, name, description, portfolio_type, currency, cost_basis_method, allow_short, "
    "min_trade_amount, "
    "is_active, created_at, updated_at, '{}'::text",
    "portfolio.insert_portfolio"};

constexpr db::Query kSelectPortfolio{
    "SELECT id, user_id, name, description, portfolio_type, currency, cost_basis_method, allow_short, "
    "min_trade_amount, is_active, created_at, updated_at, "
    "ARRAY(SELECT b.symbol FROM portfolio.portfolio_benchmarks b WHERE b.portfolio_id = p.id ORDER BY "
    "b.symbol)::text FROM portfolio.portfolios p WHERE id = $1",
    "portfolio.select_portfolio"};

constexpr db::Query kSelectPortfolioForUpdate{
    "SELECT id, user_id, name, description, portfolio_type, currency, cost_basis_method, allow_short, "
    "min_trade_amount, is_active, created_at, updated_at, "
    "ARRAY(SELECT b.symbol FROM portfolio.portfolio_benchmarks b WHERE b.portfolio_id = p.id ORDER BY "
    "b.symbol)::text FROM portfolio.portfolios p WHERE id = $1 FOR UPDATE",
    "portfolio.select_portfolio_for_update"};

constexpr db::Query kListPortfolios{
    "SELECT id, user_id, name, description, portfolio_type, currency, cost_basis_method, allow_short, "
    "min_trade_amount, is_active, created_at, updated_at, "
    "ARRAY(SELECT b.symbol FROM portfolio.portfolio_benchmarks b WHERE b.portfolio_id = p.id ORDER BY "
    "b.symbol)::text FROM portfolio.portfolios p "
    "WHERE ($1 OR is_active) AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid)) "
    "ORDER BY created_at DESC, id DESC LIMIT $4",
    "portfolio.list_portfolios"};

constexpr db::Query kUpdatePortfolio{
    "UPDATE portfolio.portfolios SET name = $2, description = $3, portfolio_type = $4, cost_basis_method = "
    "$5, "
    "allow_short = $6, min_trade_amount = $7, is_active = $8, updated_at = now(), "
    "deactivated_at = CASE WHEN $8 THEN NULL ELSE coalesce(deactivated_at, now()) END WHERE id = $1",
    "portfolio.update_portfolio"};

constexpr db::Query kDeleteBenchmarks{"DELETE FROM portfolio.portfolio_benchmarks WHERE portfolio_id = $1",
                                      "portfolio.delete_benchmarks"};
constexpr db::Query kInsertBenchmarks{
    "INSERT INTO portfolio.portfolio_benchmarks (portfolio_id, user_id, symbol, weight, is_primary) "
    "SELECT $1, $2, s, 1, ord = 1 FROM unnest($3::text[]) WITH ORDINALITY AS t(s, ord)",
    "portfolio.insert_benchmarks"};

// Write-behind (InsertTransaction): every stored value is known before it is sent.
constexpr db::Query kInsertTransaction{
    "INSERT INTO portfolio.transactions (id, portfolio_id, user_id, type, symbol, quantity, price, amount, "
    "fee, currency, fx_rate, split_ratio, executed_at, notes, idempotency_key, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)",
    "portfolio.insert_transaction", true};

constexpr db::Query kCreateTransactionStage{
    "CREATE TEMP TABLE IF NOT EXISTS nn_stage_transactions (id uuid NOT NULL, type text NOT NULL, symbol "
    "text, "
    "quantity numeric, price numeric, amount numeric, fee numeric NOT NULL, currency text NOT NULL, "
    "fx_rate numeric, split_ratio numeric, executed_at timestamptz NOT NULL, notes text) ON COMMIT DELETE "
    "ROWS",
    "portfolio.create_transaction_stage"};

constexpr db::Query kInsertStagedTransactions{
    "INSERT INTO portfolio.transactions (id, portfolio_id, user_id, type, symbol, quantity, price, amount, "
    "fee, "
    "currency, fx_rate, split_ratio, executed_at, notes) SELECT id, $1, $2, type, symbol, quantity, price, "
    "amount, fee, currency, fx_rate, split_ratio, executed_at, notes FROM nn_stage_transactions",
    "portfolio.insert_staged_transactions"};

constexpr db::Query kTransactionNow{"SELECT now()", "portfolio.transaction_now"};

constexpr db::Query kUpdateTransaction{
    "UPDATE portfolio.transactions SET type = $3, symbol = $4, quantity = $5, price = $6, amount = $7, fee = "
    "$8, "
    "currency = $9, fx_rate = $10, split_ratio = $11, executed_at = $12, notes = $13, updated_at = now() "
    "WHERE portfolio_id = $1 AND id = $2",
    "portfolio.update_transaction"};

constexpr db::Query kDeleteTransaction{
    "DELETE FROM portfolio.transactions WHERE portfolio_id = $1 AND id = $2", "portfolio.delete_transaction"};

constexpr db::Query kSelectTransaction{
    "SELECT id, type, symbol, quantity, price, amount, fee, currency, fx_rate, split_ratio, executed_at, "
    "notes, "
    "created_at FROM portfolio.transactions WHERE portfolio_id = $1 AND id = $2",
    "portfolio.select_transaction"};

// A page of the history, newest first. The bounds are index conditions even in a generic plan
// (no "$n IS NULL OR" around them): the page reads its rows and no others, however deep the
// cursor is in a long history (issue 16). $4: from (or -infinity); ($5, $6): the exclusive
// upper bound, the cursor or `to` (or +infinity).
constexpr db::Query kListTransactions{
    "SELECT id, type, symbol, quantity, price, amount, fee, currency, fx_rate, split_ratio, executed_at, "
    "notes, created_at FROM portfolio.transactions WHERE portfolio_id = $1 "
    "AND executed_at >= $3 AND (executed_at, id) < ($4, $5) AND ($2::text IS NULL OR type = $2) "
    "ORDER BY executed_at DESC, id DESC LIMIT $6",
    "portfolio.list_transactions"};

// The same for one symbol, through (portfolio_id, symbol, executed_at).
constexpr db::Query kListSymbolTransactions{
    "SELECT id, type, symbol, quantity, price, amount, fee, currency, fx_rate, split_ratio, executed_at, "
    "notes, created_at FROM portfolio.transactions WHERE portfolio_id = $1 AND symbol = $7 "
    "AND executed_at >= $3 AND executed_at <= $4 AND (executed_at, id) < ($4, $5) "
    "AND ($2::text IS NULL OR type = $2) ORDER BY executed_at DESC, id DESC LIMIT $6",
    "portfolio.list_symbol_transactions"};

constexpr db::Query kAllTransactions{
    "SELECT id, type, symbol, quantity, price, amount, fee, currency, fx_rate, split_ratio, executed_at, "
    "notes, "
    "created_at FROM portfolio.transactions WHERE portfolio_id = $1 ORDER BY executed_at, created_at, id",
    "portfolio.all_transactions"};

constexpr db::Query kSymbolTransactions{
    "SELECT id, type, symbol, quantity, price, amount, fee, currency, fx_rate, split_ratio, executed_at, "
    "notes, created_at FROM portfolio.transactions WHERE portfolio_id = $1 AND symbol = $2 "
    "ORDER BY executed_at, created_at, id",
    "portfolio.symbol_transactions"};

constexpr db::Query kSymbolTransactionsAfter{
    "SELECT id, type, symbol, quantity, price, amount, fee, currency, fx_rate, split_ratio, executed_at, "
    "notes, created_at FROM portfolio.transactions WHERE portfolio_id = $1 AND symbol = $2 "
    "AND (executed_at, created_at, id) > ($3, $4, $5) ORDER BY executed_at, created_at, id",
    "portfolio.symbol_transactions_after"};

constexpr db::Query kDeleteStaleHoldings{
    "DELETE FROM portfolio.holdings WHERE portfolio_id = $1 AND NOT (symbol = ANY ($2::text[]))",
    "portfolio.delete_stale_holdings"};

constexpr db::Query kUpsertCash{
    "INSERT INTO portfolio.cash_balances AS c (portfolio_id, user_id, currency, balance, updated_at) "
    "SELECT $1, $2, t.cur, t.bal, now() FROM unnest($3::text[], $4::numeric[]) AS t(cur, bal) "
    "ON CONFLICT (portfolio_id, currency) DO UPDATE SET balance = EXCLUDED.balance, updated_at = now() "
    "WHERE c.balance IS DISTINCT FROM EXCLUDED.balance",
    "portfolio.upsert_cash"};

constexpr db::Query kDeleteStaleCash{
    "DELETE FROM portfolio.cash_balances WHERE portfolio_id = $1 AND NOT (currency = ANY ($2::text[]))",
    "portfolio.delete_stale_cash"};

constexpr db::Query kSelectHoldings{
    "SELECT symbol, currency, quantity, average_cost, cost_basis, cost_basis_base, realized_pnl, income, "
    "fees, "
    "current_price, previous_close, fx_rate, first_trade_at FROM portfolio.holdings WHERE portfolio_id = $1 "
    "ORDER BY symbol",
    "portfolio.select_holdings"};

constexpr db::Query kSelectCash{
    "SELECT currency, balance FROM portfolio.cash_balances WHERE portfolio_id = $1 ORDER BY currency",
    "portfolio.select_cash"};

// The spec's "User Portfolio Summary", with each holding converted at its current rate: the
// total is NULL (explicitly unknown) when an open foreign holding has no rate.
constexpr db::Query kSummary{
    "SELECT p.id, p.name, p.portfolio_type, p.currency, count(h.id) FILTER (WHERE h.quantity <> 0), "
    "CASE WHEN bool_or(h.quantity <> 0 AND h.currency <> p.currency AND h.fx_rate IS NULL) THEN NULL "
    "ELSE coalesce(sum(h.market_value * CASE WHEN h.currency = p.currency THEN 1 ELSE h.fx_rate END), 0) "
    "END, "
    "coalesce(bool_or(h.quantity <> 0 AND h.current_price IS NULL), false), "
    "(SELECT string_agg(c.currency || ':' || c.balance::text, ',' ORDER BY c.currency) "
    " FROM portfolio.cash_balances c WHERE c.portfolio_id = p.id AND c.balance <> 0) "
    "FROM portfolio.portfolios p LEFT JOIN portfolio.holdings h ON h.portfolio_id = p.id "
    "WHERE p.user_id = $1 AND p.is_active GROUP BY p.id ORDER BY p.created_at, p.id",
    "portfolio.summary"};

constexpr db::Query kInsertOutbox{
    "INSERT INTO portfolio.outbox (actor_id, user_id, aggregate_type, aggregate_id, event_type, payload, "
    "request_id) "
    "VALUES ($1, $2, $3, $4, $5, $6::jsonb, nullif($7, ''))",
    "portfolio.insert_outbox", true};

constexpr db::Query kClaimKey{
    "INSERT INTO portfolio.idempotency_keys (user_id, key, request_method, request_path, request_hash, "
    "expires_at) "
    "VALUES ($1, $2, $3, $4, $5, now() + interval '24 hours') ON CONFLICT DO NOTHING",
    "portfolio.claim_key"};

constexpr db::Query kGetKey{
    "SELECT request_hash, status, response_status, response_body::text, "
    "status = 'IN_FLIGHT' AND created_at < now() - interval '60 seconds' "
    "FROM portfolio.idempotency_keys WHERE user_id = $1 AND key = $2",
    "portfolio.get_key"};

constexpr db::Query kTakeOverKey{
    "UPDATE portfolio.idempotency_keys SET created_at = now() WHERE user_id = $1 AND key = $2 "
    "AND status = 'IN_FLIGHT' AND created_at < now() - interval '60 seconds'",
    "portfolio.take_over_key"};

constexpr db::Query kFinishKey{
    "UPDATE portfolio.idempotency_keys SET status = 'DONE', response_status = $3, response_body = $4::jsonb, "
    "resource_id = $5 WHERE user_id = $1 AND key = $2 RETURNING response_body::text",
    "portfolio.finish_key"};

constexpr db::Query kReleaseKey{
    "DELETE FROM portfolio.idempotency_keys WHERE user_id = $1 AND key = $2 AND status = 'IN_FLIGHT'",
    "portfolio.release_key"};

std::vector<std::string> ParseTextArray(const std::string& text) {
    // ARRAY(...)::text of symbols: "{A,B}" (symbols never need quoting).
    std::vector<std::string> out;
    if (text.size() < 2) return out;
    std::string current;
    for (std::size_t i = 1; i + 1 < text.size(); ++i) {
        if (text[i] == ',') {
            out.push_back(std::move(current));
            current.clear();
        } else if (text[i] != '"') {
            current.push_back(text[i]);
        }
    }
    if (!current.empty()) out.push_back(std::move(current));
    return out;
}

Transaction ReadTransaction(const db::Row& r) {
    Transaction t;
    t.id = r.Get<TransactionId>(0);
    t.type = ParseType(r.Get<std::string>(1)).value_or(TransactionType::kBuy);
    t.symbol = r.Get<std::optional<std::string>>(2);
    t.quantity = r.Get<std::optional<Decimal>>(3);
    t.price = r.Get<std::optional<Decimal>>(4);
    t.amount = r.Get<std::optional<Decimal>>(5);
    t.fee = r.Get<Decimal>(6);
    t.currency = Currency::FromCode(r.Get<std::string>(7));
    t.fx_rate = r.Get<std::optional<Decimal>>(8);
    t.split_ratio = r.Get<std::optional<Decimal>>(9);
    t.executed_at = r.Get<Timestamp>(10);
    t.notes = r.Get<std::optional<std::string>>(11);
    t.created_at = r.Get<Timestamp>(12);
    return t;
}

std::optional<std::string> NormalizedDecimal(const Decimal& d) {
    return d.Rescale(std::min(d.Scale(), kAmountScale)).Normalized().ToString();
}

}  // namespace

Portfolio ReadPortfolio(const db::Row& r) {
    Portfolio p;
    p.id = r.Get<PortfolioId>(0);
    p.user_id = r.Get<UserId>(1);
    p.name = r.Get<std::string>(2);
    p.description = r.Get<std::optional<std::string>>(3);
    p.portfolio_type = r.Get<std::string>(4);
    p.currency = Currency::FromCode(r.Get<std::string>(5));
    p.cost_basis_method = ParseMethod(r.Get<std::string>(6)).value_or(CostBasisMethod::kAverage);
    p.allow_short = r.Get<bool>(7);
    p.min_trade_amount = r.Get<Decimal>(8);
    p.is_active = r.Get<bool>(9);
    p.created_at = r.Get<Timestamp>(10);
    p.updated_at = r.Get<Timestamp>(11);
    p.benchmarks = ParseTextArray(r.Get<std::string>(12));
    return p;
}

asio::awaitable<Portfolio> PgRepository::InsertPortfolio(db::Transaction& tx, const Portfolio& p) {
    auto res =
        co_await tx.Execute(kInsertPortfolio, p.id, p.user_id, p.name, p.description, p.portfolio_type,
                            std::string(p.currency.Code()), std::string(MethodName(p.cost_basis_method)),
                            p.allow_short, p.min_trade_amount);
    Portfolio out = ReadPortfolio(res[0]);
    out.benchmarks = p.benchmarks;
    co_return out;
}

asio::awaitable<std::optional<Portfolio>> PgRepository::GetPortfolio(db::Transaction& tx,
                                                                     PortfolioId id,
                                                                     bool for_update) {
    auto res = co_await tx.Execute(for_update ? kSelectPortfolioForUpdate : kSelectPortfolio, id);
    if (res.Empty()) co_return std::nullopt;
    co_return ReadPortfolio(res[0]);
}

namespace {

db::Params ListParams(const PortfolioFilter& f) {
    std::optional<Timestamp> after_time;
    std::optional<Uuid> after_id;
    if (f.after) {
        after_time = f.after->first;
        after_id = f.after->second.Value();
    }
    return db::MakeParams(f.include_inactive, after_time, after_id, static_cast<std::int64_t>(f.limit));
}

std::vector<Portfolio> PortfoliosFrom(const db::Result& res) {
    std::vector<Portfolio> out;
    out.reserve(res.Size());
    for (auto row : res) out.push_back(ReadPortfolio(row));
    return out;
}

std::vector<SummaryRow> SummaryFrom(const db::Result& res) {
    std::vector<SummaryRow> out;
    out.reserve(res.Size());
    for (auto r : res) {
        SummaryRow s;
        s.id = r.Get<PortfolioId>(0);
        s.name = r.Get<std::string>(1);
        s.portfolio_type = r.Get<std::string>(2);
        s.currency = r.Get<std::string>(3);
        s.holdings_count = r.Get<std::int64_t>(4);
        s.holdings_value = r.Get<std::optional<Decimal>>(5);
        s.missing_price = r.Get<bool>(6);
        s.cash = ParseBalances(r.Get<std::optional<std::string>>(7).value_or(""));
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace

asio::awaitable<std::vector<Portfolio>> PgRepository::ListPortfolios(db::Pool& pool,
                                                                     const Actor& actor,
                                                                     const PortfolioFilter& f) {
    auto res =
        co_await db::ReadOnce(pool, db::TransactionOptions().ActingAs(actor), kListPortfolios, ListParams(f));
    co_return PortfoliosFrom(res);
}

asio::awaitable<Portfolio> PgRepository::UpdatePortfolio(db::Transaction& tx, const Portfolio& p) {
    co_await tx.Execute(kUpdatePortfolio, p.id, p.name, p.description, p.portfolio_type,
                        std::string(MethodName(p.cost_basis_method)), p.allow_short, p.min_trade_amount,
                        p.is_active);
    auto updated = co_await GetPortfolio(tx, p.id, false);
    co_return *updated;
}

asio::awaitable<void> PgRepository::ReplaceBenchmarks(db::Transaction& tx, const Portfolio& p) {
    co_await tx.Execute(kDeleteBenchmarks, p.id);
    if (p.benchmarks.empty()) co_return;
    co_await tx.Execute(kInsertBenchmarks, p.id, p.user_id, db::TextArray(p.benchmarks));
}

asio::awaitable<Transaction> PgRepository::InsertTransaction(
    db::Transaction& tx,
    PortfolioId portfolio,
    UserId owner,
    const Transaction& t,
    const std::optional<std::string>& idempotency_key) {
    // The row as PostgreSQL stores it, without asking: the decimals at their columns' scales
    // (the API admits no more digits than those), created_at this server's clock in microseconds.
    // The insert travels with the transaction's next statement (docs/architecture.md "The write
    // path"), which is how a failing insert is reported.
    Transaction stored = t;
    // PostgreSQL rounds to a column's scale half away from zero (never needed here: the API and
    // the trade-rate fill keep within the scales).
    auto at_scale = [](std::optional<Decimal>& d, int scale) {
        if (d) d = d->Rescale(scale, Rounding::kHalfUp);
    };
    at_scale(stored.quantity, kAmountScale);
    at_scale(stored.price, kAmountScale);
    at_scale(stored.amount, kAmountScale);
    at_scale(stored.fx_rate, kFxRateScale);
    at_scale(stored.split_ratio, kAmountScale);
    stored.fee = stored.fee.Rescale(kAmountScale, Rounding::kHalfUp);
    stored.created_at = Now();
    tx.Defer(kInsertTransaction, stored.id, portfolio, owner, std::string(TypeName(stored.type)),
             stored.symbol, stored.quantity, stored.price, stored.amount, stored.fee,
             std::string(stored.currency.Code()), stored.fx_rate, stored.split_ratio, stored.executed_at,
             stored.notes, idempotency_key, stored.created_at);
    co_return stored;
}

asio::awaitable<void> PgRepository::CopyTransactions(db::Transaction& tx,
                                                     PortfolioId portfolio,
                                                     UserId owner,
                                                     std::vector<Transaction>& txs) {
    static const std::vector<std::string> kColumns{"id",      "type",        "symbol",      "quantity",
                                                   "price",   "amount",      "fee",         "currency",
                                                   "fx_rate", "split_ratio", "executed_at", "notes"};
    co_await tx.Execute(kCreateTransactionStage);
    {
        co_await tx.Flush();  // the deferred writes before the COPY
        auto copy = co_await db::CopyIn::Begin(tx.Conn(), "nn_stage_transactions", kColumns);
        for (const Transaction& t : txs) {
            copy.AddRow(t.id, TypeName(t.type), t.symbol, t.quantity, t.price, t.amount, t.fee,
                        t.currency.Code(), t.fx_rate, t.split_ratio, t.executed_at, t.notes);
            if (copy.ShouldFlush()) co_await copy.Flush();
        }
        co_await copy.Finish();
    }
    co_await tx.Execute(kInsertStagedTransactions, portfolio, owner);
    auto now = co_await tx.Execute(kTransactionNow);
    const Timestamp created = now[0].Get<Timestamp>(0);
    auto at = [](std::optional<Decimal>& d, int scale) {
        if (d) d = d->Rescale(scale);
    };
    for (Transaction& t : txs) {
        t.created_at = created;
        at(t.quantity, kAmountScale);
        at(t.price, kAmountScale);
        at(t.amount, kAmountScale);
        t.fee = t.fee.Rescale(kAmountScale);
        at(t.fx_rate, 12);
        at(t.split_ratio, 10);
    }
}

asio::awaitable<bool> PgRepository::UpdateTransaction(db::Transaction& tx,
                                                      PortfolioId portfolio,
                                                      const Transaction& t) {
    auto res = co_await tx.Execute(
        kUpdateTransaction, portfolio, t.id, std::string(TypeName(t.type)), t.symbol, t.quantity, t.price,
        t.amount, t.fee, std::string(t.currency.Code()), t.fx_rate, t.split_ratio, t.executed_at, t.notes);
    co_return res.RowsAffected() == 1;
}

asio::awaitable<bool> PgRepository::DeleteTransaction(db::Transaction& tx,
                                                      PortfolioId portfolio,
                                                      TransactionId id) {
    auto res = co_await tx.Execute(kDeleteTransaction, portfolio, id);
    co_return res.RowsAffected() == 1;
}

asio::awaitable<std::optional<Transaction>> PgRepository::GetTransaction(db::Transaction& tx,
                                                                         PortfolioId portfolio,
                                                                         TransactionId id) {
    auto res = co_await tx.Execute(kSelectTransaction, portfolio, id);
    if (res.Empty()) co_return std::nullopt;
    co_return ReadTransaction(res[0]);
}

asio::awaitable<std::vector<Transaction>> PgRepository::ListTransactions(db::Transaction& tx,
                                                                         PortfolioId portfolio,
                                                                         const TransactionFilter& f) {
    std::optional<std::string> type;
    if (f.type) type = std::string(TypeName(*f.type));
    // Timestamps PostgreSQL holds (4713 BC .. 294276 AD) are inside these.
    const Timestamp lowest = TimestampFromString("0001-01-01T00:00:00Z");
    const Timestamp highest = TimestampFromString("9999-12-31T23:59:59Z");
    const Timestamp from = f.from.value_or(lowest);
    // executed_at < to is (executed_at, id) < (to, the smallest uuid).
    std::pair<Timestamp, Uuid> upper{highest, Uuid()};
    bool bounded = false;
    if (f.to) {
        upper = {*f.to, Uuid()};
        bounded = true;
    }
    if (f.after && (!bounded || std::pair(f.after->first, f.after->second.Value()) < upper)) {
        upper = {f.after->first, f.after->second.Value()};
        bounded = true;
    }
    if (!bounded) {
        // Above every stored row: the largest uuid at the latest time.
        Uuid::Bytes max;
        max.fill(0xff);
        upper.second = Uuid(max);
    }
    std::vector<Transaction> out;
    const auto limit = static_cast<std::int64_t>(f.limit);
    if (f.symbol) {
        auto res = co_await tx.Execute(kListSymbolTransactions, portfolio, type, from, upper.first,
                                       upper.second, limit, *f.symbol);
        for (auto row : res) out.push_back(ReadTransaction(row));
    } else {
        auto res =
            co_await tx.Execute(kListTransactions, portfolio, type, from, upper.first, upper.second, limit);
        for (auto row : res) out.push_back(ReadTransaction(row));
    }
    co_return out;
}

asio::awaitable<std::vector<Transaction>> PgRepository::AllTransactions(db::Transaction& tx,
                                                                        PortfolioId portfolio) {
    auto res = co_await tx.Execute(kAllTransactions, portfolio);
    std::vector<Transaction> out;
    out.reserve(static_cast<std::size_t>(res.Size()));
    for (auto row : res) out.push_back(ReadTransaction(row));
    co_return out;
}

asio::awaitable<std::vector<Transaction>> PgRepository::SymbolTransactions(
    db::Transaction& tx,
    PortfolioId portfolio,
    const std::string& symbol,
    const std::optional<LedgerKey>& after) {
    std::vector<Transaction> out;
    if (after) {
        auto res = co_await tx.Execute(kSymbolTransactionsAfter, portfolio, symbol, after->executed_at,
                                       after->created_at, after->id);
        out.reserve(static_cast<std::size_t>(res.Size()));
        for (auto row : res) out.push_back(ReadTransaction(row));
    } else {
        auto res = co_await tx.Execute(kSymbolTransactions, portfolio, symbol);
        out.reserve(static_cast<std::size_t>(res.Size()));
        for (auto row : res) out.push_back(ReadTransaction(row));
    }
    co_return out;
}

asio::awaitable<void> PgRepository::WriteLedger(db::Transaction& tx,
                                                const Portfolio& p,
                                                const Ledger& ledger) {
    std::vector<std::optional<std::string>> symbols;
    std::vector<const Holding*> holdings;
    for (const auto& [symbol, h] : ledger.holdings) {
        symbols.push_back(symbol);
        holdings.push_back(&h);
    }
    const db::TextArray symbol_array(symbols);
    co_await WriteHoldings(tx, p, holdings);
    co_await tx.Execute(kDeleteStaleHoldings, p.id, symbol_array);

    std::vector<std::optional<std::string>> cash_currencies, balances;
    for (const auto& [currency, balance] : ledger.cash) {
        cash_currencies.push_back(std::string(currency.Code()));
        balances.push_back(NormalizedDecimal(balance));
    }
    const db::TextArray currency_array(cash_currencies);
    if (!cash_currencies.empty()) {
        co_await tx.Execute(kUpsertCash, p.id, p.user_id, currency_array, db::TextArray(balances));
    }
    co_await tx.Execute(kDeleteStaleCash, p.id, currency_array);
}

asio::awaitable<std::vector<HoldingRow>> PgRepository::Holdings(db::Transaction& tx, PortfolioId portfolio) {
    auto res = co_await tx.Execute(kSelectHoldings, portfolio);
    std::vector<HoldingRow> out;
    for (auto r : res) {
        HoldingRow h;
        h.symbol = r.Get<std::string>(0);
        h.currency = r.Get<std::string>(1);
        h.quantity = r.Get<Decimal>(2);
        h.average_cost = r.Get<Decimal>(3);
        h.cost_basis = r.Get<Decimal>(4);
        h.cost_basis_base = r.Get<std::optional<Decimal>>(5);
        h.realized_pnl = r.Get<Decimal>(6);
        h.income = r.Get<Decimal>(7);
        h.fees = r.Get<Decimal>(8);
        h.current_price = r.Get<std::optional<Decimal>>(9);
        h.previous_close = r.Get<std::optional<Decimal>>(10);
        h.fx_rate = r.Get<std::optional<Decimal>>(11);
        h.first_trade_at = r.Get<std::optional<Timestamp>>(12);
        out.push_back(std::move(h));
    }
    co_return out;
}

asio::awaitable<std::vector<std::pair<std::string, Decimal>>> PgRepository::Cash(db::Transaction& tx,
                                                                                 PortfolioId portfolio) {
    auto res = co_await tx.Execute(kSelectCash, portfolio);
    std::vector<std::pair<std::string, Decimal>> out;
    for (auto row : res) out.emplace_back(row.Get<std::string>(0), row.Get<Decimal>(1));
    co_return out;
}

std::string_view SummarySql() {
    return kSummary.sql;
}

asio::awaitable<std::vector<SummaryRow>> PgRepository::Summary(db::Pool& pool,
                                                               const Actor& actor,
                                                               UserId user) {
    auto res = co_await db::ReadOnce(pool, db::TransactionOptions().ActingAs(actor), kSummary, user);
    co_return SummaryFrom(res);
}

asio::awaitable<void> PgRepository::InsertOutbox(db::Transaction& tx,
                                                 const Actor& actor,
                                                 UserId owner,
                                                 std::string_view aggregate_type,
                                                 std::string_view aggregate_id,
                                                 std::string_view event_type,
                                                 const std::string& payload_json,
                                                 const std::string& request_id) {
    tx.Defer(kInsertOutbox, actor.user_id, owner, aggregate_type, aggregate_id, event_type, payload_json,
             request_id);
    co_return;  // sent with the next statement or the COMMIT (write-behind)
}

asio::awaitable<bool> PgRepository::ClaimKey(db::Transaction& tx,
                                             UserId user,
                                             const std::string& key,
                                             std::string_view method,
                                             std::string_view path,
                                             const std::string& hash) {
    auto res = co_await tx.Execute(kClaimKey, user, key, method, path, db::Bytea(hash));
    co_return res.RowsAffected() == 1;
}

asio::awaitable<std::optional<IdempotencyRow>> PgRepository::GetKey(db::Transaction& tx,
                                                                    UserId user,
                                                                    const std::string& key) {
    auto res = co_await tx.Execute(kGetKey, user, key);
    if (res.Empty()) co_return std::nullopt;
    IdempotencyRow row;
    row.request_hash = res[0].Get<db::Bytea>(0).bytes;
    row.status = res[0].Get<std::string>(1);
    row.response_status = res[0].Get<std::optional<std::int32_t>>(2);
    row.response_body = res[0].Get<std::optional<std::string>>(3);
    row.stale = res[0].Get<bool>(4);
    co_return row;
}

asio::awaitable<bool> PgRepository::TakeOverKey(db::Transaction& tx, UserId user, const std::string& key) {
    auto res = co_await tx.Execute(kTakeOverKey, user, key);
    co_return res.RowsAffected() == 1;
}

asio::awaitable<std::string> PgRepository::FinishKey(db::Transaction& tx,
                                                     UserId user,
                                                     const std::string& key,
                                                     int status,
                                                     const std::string& body,
                                                     std::optional<Uuid> resource_id) {
    auto res =
        co_await tx.Execute(kFinishKey, user, key, static_cast<std::int32_t>(status), body, resource_id);
    co_return res.AsSingleRow<std::string>();
}

asio::awaitable<void> PgRepository::ReleaseKey(db::Transaction& tx, UserId user, const std::string& key) {
    co_await tx.Execute(kReleaseKey, user, key);
}

asio::awaitable<LedgerHead> PgRepository::ReadLedgerHead(db::Transaction& tx, PortfolioId portfolio) {
    const db::Result res = co_await tx.Execute(kLedgerHead, portfolio);
    LedgerHead head;
    head.version = res[0].Get<std::int64_t>(0);
    head.first_executed_at = res[0].Get<std::optional<Timestamp>>(1);
    co_return head;
}

asio::awaitable<std::map<std::string, Timestamp>> PgRepository::LastTransactionTimes(
    db::Transaction& tx, PortfolioId portfolio, const std::vector<std::string>& symbols) {
    std::map<std::string, Timestamp> out;
    if (symbols.empty()) co_return out;
    std::vector<std::optional<std::string>> names(symbols.begin(), symbols.end());
    const db::Result res = co_await tx.Execute(kLastTransactionTimes, portfolio, db::TextArray(names));
    for (db::Row row : res) {
        if (const auto at = row.Get<std::optional<Timestamp>>(1)) out[row.Get<std::string>(0)] = *at;
    }
    co_return out;
}

asio::awaitable<std::optional<StoredReadCheckpoint>> PgRepository::ReadCheckpoint(db::Transaction& tx,
                                                                                  PortfolioId portfolio,
                                                                                  Date day) {
    const db::Result res = co_await tx.Execute(kReadCheckpoint, portfolio, day);
    if (res.Empty()) co_return std::nullopt;
    co_return StoredReadCheckpoint{res[0].Get<Date>(0), res[0].Get<std::string>(1)};
}

asio::awaitable<bool> PgRepository::StoreReadCheckpoints(
    db::Transaction& tx,
    PortfolioId portfolio,
    UserId owner,
    std::int64_t version,
    const std::vector<StoredReadCheckpoint>& checkpoints) {
    if (checkpoints.empty()) co_return true;
    if ((co_await tx.Execute(kShareLedger, portfolio)).Empty()) co_return false;
    if ((co_await tx.Execute(kLedgerVersion, portfolio))[0].Get<std::int64_t>(0) != version) co_return false;
    boost::json::array rows;
    for (const StoredReadCheckpoint& c : checkpoints) {
        rows.push_back(
            boost::json::array{boost::json::value(FormatDate(c.day)), boost::json::value(c.state)});
    }
    const std::string payload = boost::json::serialize(rows);
    co_await tx.Execute(kStoreReadCheckpoints, portfolio, owner, payload);
    co_return true;
}

}  // namespace nn::portfolio
