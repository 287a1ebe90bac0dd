#include "portfolio/pg_repository.hpp"
#include "portfolio/pg_rows.hpp"

#include <algorithm>

#include "infra/db/query.hpp"
#include "infra/db/result.hpp"

// PgRepository's statements of the incremental ledger (ledger_deriver.hpp): stored positions and
// checkpoints, ledger versions, cash balances and holdings rows. The writes are write-behind
// (db::Transaction::Defer): sent with the transaction's next statement or its COMMIT.
namespace nn::portfolio {
namespace asio = boost::asio;

namespace {

// Each position with its first and last page of lots (an index probe each): what an append
// needs of them unless it closes more than the first page holds.
constexpr db::Query kSelectPositions{
    "SELECT l.symbol, l.last_executed_at, l.last_created_at, l.last_transaction_id, l.transaction_count, "
    "l.state, f.page, f.lots, b.page, b.lots FROM portfolio.ledger_positions l "
    "LEFT JOIN LATERAL (SELECT g.page, g.lots FROM portfolio.ledger_lot_pages g WHERE g.portfolio_id = "
    "l.portfolio_id AND g.symbol = l.symbol ORDER BY g.page LIMIT 1) f ON true "
    "LEFT JOIN LATERAL (SELECT g.page, g.lots FROM portfolio.ledger_lot_pages g WHERE g.portfolio_id = "
    "l.portfolio_id AND g.symbol = l.symbol ORDER BY g.page DESC LIMIT 1) b ON true "
    "WHERE l.portfolio_id = $1 AND l.symbol = ANY ($2::text[])",
    "portfolio.select_ledger_positions"};

constexpr db::Query kSelectLotPages{
    "SELECT page, lots FROM portfolio.ledger_lot_pages WHERE portfolio_id = $1 AND symbol = $2 "
    "AND page BETWEEN $3 AND $4 ORDER BY page",
    "portfolio.select_lot_pages"};

constexpr db::Query kPruneLotPages{
    "DELETE FROM portfolio.ledger_lot_pages g USING unnest($2::text[], $3::bigint[], $4::bigint[]) AS "
    "k(symbol, keep_from, keep_to) WHERE g.portfolio_id = $1 AND g.symbol = k.symbol "
    "AND (g.page < k.keep_from OR g.page > k.keep_to)",
    "portfolio.prune_lot_pages", true};

constexpr db::Query kUpsertLotPages{
    "INSERT INTO portfolio.ledger_lot_pages AS g (portfolio_id, user_id, symbol, page, lots) "
    "SELECT $1, $2, t.* FROM unnest($3::text[], $4::bigint[], $5::text[]) AS t "
    "ON CONFLICT (portfolio_id, symbol, page) DO UPDATE SET lots = EXCLUDED.lots",
    "portfolio.upsert_lot_pages", true};

constexpr db::Query kDeleteSymbolLotPages{
    "DELETE FROM portfolio.ledger_lot_pages WHERE portfolio_id = $1 AND symbol = ANY ($2::text[])",
    "portfolio.delete_symbol_lot_pages", true};

constexpr db::Query kForgetLotPages{"DELETE FROM portfolio.ledger_lot_pages WHERE portfolio_id = $1",
                                    "portfolio.forget_lot_pages", true};

// The write lock of an append: GetPortfolio's columns FOR UPDATE without the benchmarks, whose
// sub-select (and its read policy) an append does not need.
constexpr db::Query kLockForAppend{
    "SELECT id, user_id, name, description, portfolio_type, currency, cost_basis_method, allow_short, "
    "min_trade_amount, is_active, created_at, updated_at, '{}'::text FROM portfolio.portfolios "
    "WHERE id = $1 FOR UPDATE",
    "portfolio.lock_for_append"};

constexpr db::Query kCheckpointBefore{
    "SELECT executed_at, created_at, transaction_id, transaction_count, state FROM "
    "portfolio.ledger_checkpoints "
    "WHERE portfolio_id = $1 AND symbol = $2 AND (executed_at, created_at, transaction_id) < ($3, $4, $5) "
    "ORDER BY executed_at DESC, created_at DESC, transaction_id DESC LIMIT 1",
    "portfolio.ledger_checkpoint_before"};

constexpr db::Query kDeleteCheckpointsAfter{
    "DELETE FROM portfolio.ledger_checkpoints WHERE portfolio_id = $1 AND symbol = $2 "
    "AND (executed_at, created_at, transaction_id) > ($3, $4, $5)",
    "portfolio.delete_ledger_checkpoints_after", true};

constexpr db::Query kDeleteSymbolCheckpoints{
    "DELETE FROM portfolio.ledger_checkpoints WHERE portfolio_id = $1 AND symbol = $2",
    "portfolio.delete_symbol_ledger_checkpoints", true};

constexpr db::Query kInsertCheckpoints{
    "INSERT INTO portfolio.ledger_checkpoints (portfolio_id, user_id, symbol, executed_at, created_at, "
    "transaction_id, transaction_count, state) "
    "SELECT $1, $2, t.* FROM unnest($3::text[], $4::timestamptz[], $5::timestamptz[], $6::uuid[], "
    "$7::bigint[], $8::text[]) AS t "
    "ON CONFLICT (portfolio_id, symbol, executed_at, created_at, transaction_id) DO UPDATE SET "
    "transaction_count = EXCLUDED.transaction_count, state = EXCLUDED.state",
    "portfolio.insert_ledger_checkpoints", true};

constexpr db::Query kUpsertPositions{
    "INSERT INTO portfolio.ledger_positions AS l (portfolio_id, user_id, symbol, last_executed_at, "
    "last_created_at, last_transaction_id, transaction_count, state) "
    "SELECT $1, $2, t.* FROM unnest($3::text[], $4::timestamptz[], $5::timestamptz[], $6::uuid[], "
    "$7::bigint[], $8::text[]) AS t "
    "ON CONFLICT (portfolio_id, symbol) DO UPDATE SET last_executed_at = EXCLUDED.last_executed_at, "
    "last_created_at = EXCLUDED.last_created_at, last_transaction_id = EXCLUDED.last_transaction_id, "
    "transaction_count = EXCLUDED.transaction_count, state = EXCLUDED.state",
    "portfolio.upsert_ledger_positions", true};

constexpr db::Query kDeletePositions{
    "DELETE FROM portfolio.ledger_positions WHERE portfolio_id = $1 AND symbol = ANY ($2::text[])",
    "portfolio.delete_ledger_positions", true};

constexpr db::Query kDeleteHoldings{
    "DELETE FROM portfolio.holdings WHERE portfolio_id = $1 AND symbol = ANY ($2::text[])",
    "portfolio.delete_holdings", true};

constexpr db::Query kForgetPositions{"DELETE FROM portfolio.ledger_positions WHERE portfolio_id = $1",
                                     "portfolio.forget_ledger_positions", true};
constexpr db::Query kForgetCheckpoints{"DELETE FROM portfolio.ledger_checkpoints WHERE portfolio_id = $1",
                                       "portfolio.forget_ledger_checkpoints", true};

// A change dated on `$2` or later: the read checkpoints from that day on no longer hold, and the
// ledger's version moves (docs/analytics.md §17). Two writes, fused into the statement of the
// other writes of the change (db::Query::fusable).
constexpr db::Query kDeleteReadsFrom{
    "DELETE FROM portfolio.read_checkpoints WHERE portfolio_id = $1 AND day >= $2",
    "portfolio.delete_read_checkpoints_from", true};
constexpr db::Query kBumpVersion{
    "INSERT INTO portfolio.ledger_versions (portfolio_id, user_id, version) VALUES ($1, $2, 1) "
    "ON CONFLICT (portfolio_id) DO UPDATE SET version = portfolio.ledger_versions.version + 1",
    "portfolio.bump_ledger_version", true};

constexpr db::Query kForgetReads{
    "WITH gone AS (DELETE FROM portfolio.read_checkpoints WHERE portfolio_id = $1) "
    "INSERT INTO portfolio.ledger_versions (portfolio_id, user_id, version) "
    "SELECT id, user_id, 1 FROM portfolio.portfolios WHERE id = $1 "
    "ON CONFLICT (portfolio_id) DO UPDATE SET version = portfolio.ledger_versions.version + 1",
    "portfolio.ledger_forget_reads"};

// A balance moves by the sum of the cash effects; a currency's first transaction creates its
// row (balance 0 included, as the full replay writes it).
constexpr db::Query kAddCash{
    "INSERT INTO portfolio.cash_balances AS c (portfolio_id, user_id, currency, balance, updated_at) "
    "SELECT $1, $2, t.cur, t.delta, now() FROM unnest($3::text[], $4::numeric[]) AS t(cur, delta) "
    "ON CONFLICT (portfolio_id, currency) DO UPDATE SET balance = c.balance + EXCLUDED.balance, "
    "updated_at = now() WHERE EXCLUDED.balance <> 0",
    "portfolio.add_cash", true};

// A scalar sub-select stopping at the first transaction in the currency: as NOT EXISTS the planner
// could make it an anti-join reading every transaction of the portfolio (5 ms at 100 000).
constexpr db::Query kDeleteUnusedCash{
    "DELETE FROM portfolio.cash_balances c WHERE c.portfolio_id = $1 AND c.currency = ANY ($2::text[]) "
    "AND (SELECT 1 FROM portfolio.transactions t WHERE t.portfolio_id = $1 AND t.currency = c.currency "
    "LIMIT 1) IS NULL",
    "portfolio.delete_unused_cash"};

// Only rows whose figures change are written (a write that changes nothing costs no new row
// version, no WAL and no index update).
constexpr db::Query kUpsertHoldings{
    "INSERT INTO portfolio.holdings AS h (portfolio_id, user_id, symbol, currency, quantity, average_cost, "
    "cost_basis, cost_basis_base, realized_pnl, income, fees, first_trade_at, last_updated) "
    "SELECT $1, $2, t.* , now() FROM unnest($3::text[], $4::text[], $5::numeric[], $6::numeric[], "
    "$7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[], $12::timestamptz[]) AS t "
    "ON CONFLICT (portfolio_id, symbol) DO UPDATE SET currency = EXCLUDED.currency, quantity = "
    "EXCLUDED.quantity, average_cost = EXCLUDED.average_cost, cost_basis = EXCLUDED.cost_basis, "
    "cost_basis_base = EXCLUDED.cost_basis_base, realized_pnl = EXCLUDED.realized_pnl, income = "
    "EXCLUDED.income, fees = EXCLUDED.fees, first_trade_at = EXCLUDED.first_trade_at, last_updated = now() "
    "WHERE (h.currency, h.quantity, h.average_cost, h.cost_basis, h.cost_basis_base, h.realized_pnl, "
    "h.income, h.fees, h.first_trade_at) IS DISTINCT FROM (EXCLUDED.currency, EXCLUDED.quantity, "
    "EXCLUDED.average_cost, EXCLUDED.cost_basis, EXCLUDED.cost_basis_base, EXCLUDED.realized_pnl, "
    "EXCLUDED.income, EXCLUDED.fees, EXCLUDED.first_trade_at)",
    "portfolio.upsert_holdings", true};

std::optional<std::string> LedgerAmount(const Decimal& d) {
    return d.Rescale(std::min(d.Scale(), kAmountScale)).Normalized().ToString();
}

std::optional<std::string> LedgerTime(Timestamp t) {
    return FormatRfc3339(t);
}

// Stored states as the columns of kInsertCheckpoints / kUpsertPositions.
void DeferStates(db::Transaction& tx,
                 const db::Query& q,
                 PortfolioId portfolio,
                 UserId owner,
                 const std::vector<StoredLedgerState>& states) {
    if (states.empty()) return;
    std::vector<std::optional<std::string>> symbol, executed_at, created_at, id, count, state;
    for (const StoredLedgerState& s : states) {
        symbol.push_back(s.symbol);
        executed_at.push_back(LedgerTime(s.last.executed_at));
        created_at.push_back(LedgerTime(s.last.created_at));
        id.push_back(s.last.id.ToString());
        count.push_back(std::to_string(s.count));
        state.push_back(s.state);
    }
    tx.Defer(q, portfolio, owner, db::TextArray(symbol), db::TextArray(executed_at),
             db::TextArray(created_at), db::TextArray(id), db::TextArray(count), db::TextArray(state));
}

}  // namespace

namespace {

std::vector<StoredLedgerState> PositionsFrom(const db::Result& res) {
    std::vector<StoredLedgerState> out;
    out.reserve(res.Size());
    for (auto row : res) {
        StoredLedgerState s;
        s.symbol = row.Get<std::string>(0);
        s.last = LedgerKey{row.Get<Timestamp>(1), row.Get<Timestamp>(2), row.Get<TransactionId>(3)};
        s.count = row.Get<std::int64_t>(4);
        s.state = row.Get<std::string>(5);
        if (!row.IsNull(6)) s.first_page = StoredLotPage{row.Get<std::int64_t>(6), row.Get<std::string>(7)};
        if (!row.IsNull(8)) s.last_page = StoredLotPage{row.Get<std::int64_t>(8), row.Get<std::string>(9)};
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace

asio::awaitable<std::vector<StoredLedgerState>> PgRepository::LedgerPositions(
    db::Transaction& tx, PortfolioId portfolio, const std::vector<std::string>& symbols) {
    auto res = co_await tx.Execute(kSelectPositions, portfolio, db::TextArray(symbols));
    co_return PositionsFrom(res);
}

asio::awaitable<LockedForAppend> PgRepository::LockForAppend(db::Transaction& tx,
                                                             PortfolioId id,
                                                             const std::vector<std::string>& symbols) {
    // One round trip with the deferred BEGIN: the server runs the statements in order, so the
    // positions are read with the lock held (the next writer of this portfolio waits for it).
    db::Pipeline batch;
    batch.Push(kLockForAppend, id);
    if (!symbols.empty()) batch.Push(kSelectPositions, id, db::TextArray(symbols));
    std::vector<db::Result> results = co_await tx.RunBatch(std::move(batch));
    LockedForAppend out;
    if (!results.at(0).Empty()) out.portfolio = ReadPortfolio(results[0][0]);
    if (results.size() > 1) out.positions = PositionsFrom(results[1]);
    co_return out;
}

asio::awaitable<std::optional<StoredLedgerState>> PgRepository::LedgerCheckpointBefore(
    db::Transaction& tx, PortfolioId portfolio, const std::string& symbol, const LedgerKey& before) {
    auto cp = co_await tx.Execute(kCheckpointBefore, portfolio, symbol, before.executed_at, before.created_at,
                                  before.id);
    if (cp.Empty()) co_return std::nullopt;
    StoredLedgerState s;
    s.symbol = symbol;
    s.last = LedgerKey{cp[0].Get<Timestamp>(0), cp[0].Get<Timestamp>(1), cp[0].Get<TransactionId>(2)};
    s.count = cp[0].Get<std::int64_t>(3);
    s.state = cp[0].Get<std::string>(4);
    co_return s;
}

asio::awaitable<void> PgRepository::DeleteLedgerCheckpoints(db::Transaction& tx,
                                                            PortfolioId portfolio,
                                                            const std::string& symbol,
                                                            const std::optional<LedgerKey>& after) {
    if (after) {
        tx.Defer(kDeleteCheckpointsAfter, portfolio, symbol, after->executed_at, after->created_at,
                 after->id);
    } else {
        tx.Defer(kDeleteSymbolCheckpoints, portfolio, symbol);
    }
    co_return;
}

asio::awaitable<void> PgRepository::StoreLedgerStates(db::Transaction& tx,
                                                      PortfolioId portfolio,
                                                      UserId owner,
                                                      const std::vector<StoredLedgerState>& checkpoints,
                                                      const std::vector<StoredLedgerState>& positions) {
    DeferStates(tx, kInsertCheckpoints, portfolio, owner, checkpoints);
    DeferStates(tx, kUpsertPositions, portfolio, owner, positions);
    co_return;
}

asio::awaitable<std::vector<StoredLotPage>> PgRepository::LotPages(db::Transaction& tx,
                                                                   PortfolioId portfolio,
                                                                   const std::string& symbol,
                                                                   std::int64_t from,
                                                                   std::int64_t to) {
    auto res = co_await tx.Execute(kSelectLotPages, portfolio, symbol, from, to);
    std::vector<StoredLotPage> out;
    out.reserve(res.Size());
    for (auto row : res) out.push_back(StoredLotPage{row.Get<std::int64_t>(0), row.Get<std::string>(1)});
    co_return out;
}

asio::awaitable<void> PgRepository::WriteLotPages(db::Transaction& tx,
                                                  PortfolioId portfolio,
                                                  UserId owner,
                                                  const std::vector<LotPagesWrite>& writes) {
    std::vector<std::optional<std::string>> prune_symbol, keep_from, keep_to, symbol, page, lots;
    for (const LotPagesWrite& w : writes) {
        if (w.prune) {
            prune_symbol.push_back(w.symbol);
            keep_from.push_back(std::to_string(w.keep_from));
            keep_to.push_back(std::to_string(w.keep_to));
        }
        for (const StoredLotPage& p : w.pages) {
            symbol.push_back(w.symbol);
            page.push_back(std::to_string(p.page));
            lots.push_back(p.lots);
        }
    }
    // The pages pruned are outside the ones written: one statement may do both.
    if (!prune_symbol.empty()) {
        tx.Defer(kPruneLotPages, portfolio, db::TextArray(prune_symbol), db::TextArray(keep_from),
                 db::TextArray(keep_to));
    }
    if (!symbol.empty()) {
        tx.Defer(kUpsertLotPages, portfolio, owner, db::TextArray(symbol), db::TextArray(page),
                 db::TextArray(lots));
    }
    co_return;
}

asio::awaitable<void> PgRepository::DeleteLedgerPositions(db::Transaction& tx,
                                                          PortfolioId portfolio,
                                                          const std::vector<std::string>& symbols) {
    tx.Defer(kDeletePositions, portfolio, db::TextArray(symbols));
    tx.Defer(kDeleteSymbolLotPages, portfolio, db::TextArray(symbols));
    co_return;
}

asio::awaitable<void> PgRepository::ForgetLedger(db::Transaction& tx, PortfolioId portfolio) {
    tx.Defer(kForgetPositions, portfolio);
    tx.Defer(kForgetLotPages, portfolio);
    tx.Defer(kForgetCheckpoints, portfolio);
    tx.Defer(kForgetReads, portfolio);
    co_return;
}

asio::awaitable<void> PgRepository::LedgerChangedFrom(db::Transaction& tx,
                                                      PortfolioId portfolio,
                                                      UserId owner,
                                                      Date day) {
    tx.Defer(kDeleteReadsFrom, portfolio, day);
    tx.Defer(kBumpVersion, portfolio, owner);
    co_return;
}

asio::awaitable<void> PgRepository::AddCash(db::Transaction& tx,
                                            PortfolioId portfolio,
                                            UserId owner,
                                            const std::map<std::string, Decimal>& deltas) {
    if (deltas.empty()) co_return;
    std::vector<std::optional<std::string>> currencies, amounts;
    for (const auto& [c, d] : deltas) {
        currencies.push_back(c);
        amounts.push_back(LedgerAmount(d));
    }
    tx.Defer(kAddCash, portfolio, owner, db::TextArray(currencies), db::TextArray(amounts));
}

asio::awaitable<void> PgRepository::DeleteUnusedCash(db::Transaction& tx,
                                                     PortfolioId portfolio,
                                                     const std::vector<std::string>& currencies) {
    if (currencies.empty()) co_return;
    tx.Defer(kDeleteUnusedCash, portfolio, db::TextArray(currencies));
}

asio::awaitable<void> PgRepository::WriteHoldings(db::Transaction& tx,
                                                  const Portfolio& p,
                                                  const std::vector<const Holding*>& holdings) {
    if (holdings.empty()) co_return;
    std::vector<std::optional<std::string>> symbols, currencies, quantity, avg, cost, cost_base, realized,
        income, fees, first;
    for (const Holding* h : holdings) {
        symbols.push_back(h->symbol);
        currencies.push_back(std::string(h->currency.Code()));
        quantity.push_back(LedgerAmount(h->quantity));
        avg.push_back(LedgerAmount(h->AverageCost(p.cost_basis_method)));
        cost.push_back(LedgerAmount(h->CostBasis(p.cost_basis_method)));
        auto base = h->CostBasisBase(p.cost_basis_method);
        cost_base.push_back(base ? LedgerAmount(*base) : std::nullopt);
        realized.push_back(LedgerAmount(h->Realized(p.cost_basis_method)));
        income.push_back(LedgerAmount(h->income));
        fees.push_back(LedgerAmount(h->fees));
        first.push_back(h->first_trade_at ? LedgerTime(*h->first_trade_at) : std::nullopt);
    }
    tx.Defer(kUpsertHoldings, p.id, p.user_id, db::TextArray(symbols), db::TextArray(currencies),
             db::TextArray(quantity), db::TextArray(avg), db::TextArray(cost), db::TextArray(cost_base),
             db::TextArray(realized), db::TextArray(income), db::TextArray(fees), db::TextArray(first));
}

asio::awaitable<void> PgRepository::DeleteHoldings(db::Transaction& tx,
                                                   PortfolioId portfolio,
                                                   const std::vector<std::string>& symbols) {
    tx.Defer(kDeleteHoldings, portfolio, db::TextArray(symbols));
    co_return;
}

}  // namespace nn::portfolio
