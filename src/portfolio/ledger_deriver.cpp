#include "portfolio/ledger_deriver.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "core/error.hpp"
#include "infra/db/query.hpp"
#include "infra/db/result.hpp"
#include "portfolio/repository.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;

namespace {

constexpr db::Query kSelectPositions{
    "SELECT symbol, last_executed_at, last_created_at, last_transaction_id, transaction_count, state "
    "FROM portfolio.ledger_positions WHERE portfolio_id = $1 AND symbol = ANY ($2::text[])",
    "portfolio.select_ledger_positions"};

constexpr db::Query kCheckpointBefore{
    "SELECT executed_at, created_at, transaction_id, transaction_count, state FROM "
    "portfolio.ledger_checkpoints "
    "WHERE portfolio_id = $1 AND symbol = $2 AND (executed_at, created_at, transaction_id) < ($3, $4, $5) "
    "ORDER BY executed_at DESC, created_at DESC, transaction_id DESC LIMIT 1",
    "portfolio.ledger_checkpoint_before"};

constexpr db::Query kDeleteCheckpointsAfter{
    "DELETE FROM portfolio.ledger_checkpoints WHERE portfolio_id = $1 AND symbol = $2 "
    "AND (executed_at, created_at, transaction_id) > ($3, $4, $5)",
    "portfolio.delete_ledger_checkpoints_after"};

constexpr db::Query kDeleteSymbolCheckpoints{
    "DELETE FROM portfolio.ledger_checkpoints WHERE portfolio_id = $1 AND symbol = $2",
    "portfolio.delete_symbol_ledger_checkpoints"};

constexpr db::Query kInsertCheckpoints{
    "INSERT INTO portfolio.ledger_checkpoints (portfolio_id, user_id, symbol, executed_at, created_at, "
    "transaction_id, transaction_count, state) "
    "SELECT $1, $2, t.* FROM unnest($3::text[], $4::timestamptz[], $5::timestamptz[], $6::uuid[], "
    "$7::bigint[], $8::text[]) AS t "
    "ON CONFLICT (portfolio_id, symbol, executed_at, created_at, transaction_id) DO UPDATE SET "
    "transaction_count = EXCLUDED.transaction_count, state = EXCLUDED.state",
    "portfolio.insert_ledger_checkpoints"};

constexpr db::Query kUpsertPositions{
    "INSERT INTO portfolio.ledger_positions AS l (portfolio_id, user_id, symbol, last_executed_at, "
    "last_created_at, last_transaction_id, transaction_count, state) "
    "SELECT $1, $2, t.* FROM unnest($3::text[], $4::timestamptz[], $5::timestamptz[], $6::uuid[], "
    "$7::bigint[], $8::text[]) AS t "
    "ON CONFLICT (portfolio_id, symbol) DO UPDATE SET last_executed_at = EXCLUDED.last_executed_at, "
    "last_created_at = EXCLUDED.last_created_at, last_transaction_id = EXCLUDED.last_transaction_id, "
    "transaction_count = EXCLUDED.transaction_count, state = EXCLUDED.state",
    "portfolio.upsert_ledger_positions"};

constexpr db::Query kDeletePositions{
    "DELETE FROM portfolio.ledger_positions WHERE portfolio_id = $1 AND symbol = ANY ($2::text[])",
    "portfolio.delete_ledger_positions"};

constexpr db::Query kDeleteHoldings{
    "DELETE FROM portfolio.holdings WHERE portfolio_id = $1 AND symbol = ANY ($2::text[])",
    "portfolio.delete_holdings"};

constexpr db::Query kForgetPositions{"DELETE FROM portfolio.ledger_positions WHERE portfolio_id = $1",
                                     "portfolio.forget_ledger_positions"};
constexpr db::Query kForgetCheckpoints{"DELETE FROM portfolio.ledger_checkpoints WHERE portfolio_id = $1",
                                       "portfolio.forget_ledger_checkpoints"};

// A change dated on `$3` or later: the read checkpoints from that day on no longer hold, and the
// ledger's version moves (docs/analytics.md §17).
constexpr db::Query kChangedFrom{
    "WITH gone AS (DELETE FROM portfolio.read_checkpoints WHERE portfolio_id = $1 AND day >= $3) "
    "INSERT INTO portfolio.ledger_versions (portfolio_id, user_id, version) VALUES ($1, $2, 1) "
    "ON CONFLICT (portfolio_id) DO UPDATE SET version = portfolio.ledger_versions.version + 1",
    "portfolio.ledger_changed_from"};

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
    "portfolio.add_cash"};

constexpr db::Query kDeleteUnusedCash{
    "DELETE FROM portfolio.cash_balances c WHERE c.portfolio_id = $1 AND c.currency = ANY ($2::text[]) "
    "AND NOT EXISTS (SELECT 1 FROM portfolio.transactions t WHERE t.portfolio_id = $1 AND t.currency = "
    "c.currency)",
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
    "portfolio.upsert_holdings"};

std::optional<std::string> Normalized(const Decimal& d) {
    return d.Rescale(std::min(d.Scale(), kAmountScale)).Normalized().ToString();
}

std::optional<std::string> Time(Timestamp t) {
    return FormatRfc3339(t);
}

// Stored states to write, as the columns of kInsertCheckpoints / kUpsertPositions.
struct StateRows {
    std::vector<std::optional<std::string>> symbol, executed_at, created_at, id, count, state;

    void Add(const std::string& s, const PositionState& st) {
        symbol.push_back(s);
        executed_at.push_back(Time(st.last.executed_at));
        created_at.push_back(Time(st.last.created_at));
        id.push_back(st.last.id.ToString());
        count.push_back(std::to_string(st.count));
        state.push_back(EncodeHolding(st.holding));
    }
    bool Empty() const { return symbol.empty(); }
};

asio::awaitable<void> WriteStates(db::Transaction& tx,
                                  const db::Query& q,
                                  const Portfolio& p,
                                  const StateRows& r) {
    if (r.Empty()) co_return;
    tx.Defer(q, p.id, p.user_id, db::TextArray(r.symbol), db::TextArray(r.executed_at),
             db::TextArray(r.created_at), db::TextArray(r.id), db::TextArray(r.count),
             db::TextArray(r.state));
}

// More steps than this run on the CPU pool (a replay step costs ~1 µs; the hop ~50 µs).
constexpr std::size_t kInlineSteps = 2000;

struct Failure {
    LedgerKey key;
    LedgerError error;
};

// Applies `t` to `st`; false (and `failure` set when earlier than the one recorded) when the
// ledger refuses it. Checkpoints are collected into `checkpoints`.
bool Step(PositionState& st,
          const Transaction& t,
          const LedgerSettings& settings,
          const std::string& symbol,
          std::int64_t checkpoint_every,
          StateRows& checkpoints,
          std::optional<Failure>& failure) {
    auto applied = ApplyTransaction(std::move(st.holding), t, settings);
    if (!applied) {
        const LedgerKey key = KeyOf(t);
        if (!failure || key < failure->key) failure = Failure{key, applied.Error()};
        return false;
    }
    st.holding = std::move(applied).Value();
    st.holding.sales.clear();
    st.last = KeyOf(t);
    ++st.count;
    if (st.count % checkpoint_every == 0) checkpoints.Add(symbol, st);
    return true;
}

}  // namespace

Error LedgerRefusal(const LedgerError& e) {
    return Error(ErrorKind::kUnprocessable, e.code,
                 fmt::format("{} (transaction {})", e.message, e.transaction_id.ToString()));
}

asio::awaitable<void> LedgerDeriver::Forget(db::Transaction& tx, PortfolioId portfolio) {
    tx.Defer(kForgetPositions, portfolio);
    tx.Defer(kForgetCheckpoints, portfolio);
    tx.Defer(kForgetReads, portfolio);
    co_return;
}

asio::awaitable<void> LedgerDeriver::WriteHoldings(db::Transaction& tx,
                                                   const Portfolio& p,
                                                   const std::vector<const Holding*>& holdings) {
    if (holdings.empty()) co_return;
    std::vector<std::optional<std::string>> symbols, currencies, quantity, avg, cost, cost_base, realized,
        income, fees, first;
    for (const Holding* h : holdings) {
        symbols.push_back(h->symbol);
        currencies.push_back(std::string(h->currency.Code()));
        quantity.push_back(Normalized(h->quantity));
        avg.push_back(Normalized(h->AverageCost(p.cost_basis_method)));
        cost.push_back(Normalized(h->CostBasis(p.cost_basis_method)));
        auto base = h->CostBasisBase(p.cost_basis_method);
        cost_base.push_back(base ? Normalized(*base) : std::nullopt);
        realized.push_back(Normalized(h->Realized(p.cost_basis_method)));
        income.push_back(Normalized(h->income));
        fees.push_back(Normalized(h->fees));
        first.push_back(h->first_trade_at ? Time(*h->first_trade_at) : std::nullopt);
    }
    tx.Defer(kUpsertHoldings, p.id, p.user_id, db::TextArray(symbols), db::TextArray(currencies),
             db::TextArray(quantity), db::TextArray(avg), db::TextArray(cost), db::TextArray(cost_base),
             db::TextArray(realized), db::TextArray(income), db::TextArray(fees), db::TextArray(first));
}

namespace {

// Cash balances: a sum, so only the change's own transactions count, in any order. Also marks
// the stored daily values from the change's first day as stale.
asio::awaitable<void> ApplyCash(db::Transaction& tx, const Portfolio& p, const LedgerChange& change) {
    std::optional<Date> changed_from;
    for (const auto* list : {&change.removed, &change.added}) {
        for (const Transaction& t : *list) {
            const Date day = ToDate(t.executed_at);
            if (!changed_from || day < *changed_from) changed_from = day;
        }
    }
    if (changed_from) tx.Defer(kChangedFrom, p.id, p.user_id, *changed_from);

    std::map<std::string, Decimal> delta;
    std::set<std::string> removed_currencies;
    for (const Transaction& t : change.removed) {
        const std::string c(t.currency.Code());
        delta[c] -= CashEffect(t);
        removed_currencies.insert(c);
    }
    for (const Transaction& t : change.added) delta[std::string(t.currency.Code())] += CashEffect(t);
    if (!delta.empty()) {
        std::vector<std::optional<std::string>> currencies, amounts;
        for (const auto& [c, d] : delta) {
            currencies.push_back(c);
            amounts.push_back(Normalized(d));
        }
        tx.Defer(kAddCash, p.id, p.user_id, db::TextArray(currencies), db::TextArray(amounts));
    }
    if (!removed_currencies.empty()) {
        std::vector<std::optional<std::string>> currencies(removed_currencies.begin(),
                                                           removed_currencies.end());
        tx.Defer(kDeleteUnusedCash, p.id, db::TextArray(currencies));
    }
    co_return;
}

// What the change is for one symbol: its earliest removed transaction and its added ones.
struct Affected {
    std::optional<LedgerKey> earliest_removed;
    std::vector<const Transaction*> added;  // in ledger order
};

std::map<std::string, Affected> AffectedSymbols(const LedgerChange& change) {
    std::map<std::string, Affected> affected;
    for (const Transaction& t : change.removed) {
        if (!t.symbol) continue;
        auto& a = affected[*t.symbol];
        const LedgerKey k = KeyOf(t);
        if (!a.earliest_removed || k < *a.earliest_removed) a.earliest_removed = k;
    }
    for (const Transaction& t : change.added) {
        if (t.symbol) affected[*t.symbol].added.push_back(&t);
    }
    for (auto& [symbol, a] : affected) {
        std::sort(a.added.begin(), a.added.end(),
                  [](const Transaction* x, const Transaction* y) { return KeyOf(*x) < KeyOf(*y); });
    }
    return affected;
}

// The stored state of each named symbol (an unreadable one is left out: re-derived like a
// missing one).
asio::awaitable<std::map<std::string, PositionState>> LoadPositions(
    db::Transaction& tx, const Portfolio& p, const std::map<std::string, Affected>& affected) {
    std::vector<std::optional<std::string>> names;
    for (const auto& [s, a] : affected) names.push_back(s);
    std::map<std::string, PositionState> stored;
    auto res = co_await tx.Execute(kSelectPositions, p.id, db::TextArray(names));
    for (auto row : res) {
        auto symbol = row.Get<std::string>(0);
        auto holding = DecodeHolding(row.Get<std::string>(5), symbol);
        if (!holding) continue;
        PositionState st;
        st.holding = std::move(*holding);
        st.last = LedgerKey{row.Get<Timestamp>(1), row.Get<Timestamp>(2), row.Get<TransactionId>(3)};
        st.count = row.Get<std::int64_t>(4);
        stored.emplace(std::move(symbol), std::move(st));
    }
    co_return stored;
}

// One symbol's starting state and the transactions to apply to it.
struct Plan {
    std::string symbol;
    PositionState state;
    std::vector<Transaction> tail;             // read back (re-derivation)
    std::vector<const Transaction*> appended;  // or the change's own (append)
    bool ok = true;

    std::size_t Steps() const { return tail.size() + appended.size(); }
};

// An append after the symbol's last stored transaction continues from the stored state; any
// other change re-derives from the last checkpoint before it (or the first transaction), whose
// later checkpoints describe the ledger before this change and are deleted.
asio::awaitable<Plan> PlanSymbol(db::Transaction& tx,
                                 Repository& repo,
                                 const Portfolio& p,
                                 const std::string& symbol,
                                 const Affected& a,
                                 std::map<std::string, PositionState>& stored) {
    Plan plan;
    plan.symbol = symbol;
    auto head = stored.find(symbol);
    const bool append = head != stored.end() && !a.earliest_removed && !a.added.empty() &&
                        head->second.last < KeyOf(*a.added.front());
    if (append) {
        plan.state = std::move(head->second);
        plan.appended = a.added;
        co_return plan;
    }
    LedgerKey start = a.added.empty() ? *a.earliest_removed : KeyOf(*a.added.front());
    if (a.earliest_removed && *a.earliest_removed < start) start = *a.earliest_removed;
    std::optional<LedgerKey> from;
    auto cp =
        co_await tx.Execute(kCheckpointBefore, p.id, symbol, start.executed_at, start.created_at, start.id);
    if (!cp.Empty()) {
        auto holding = DecodeHolding(cp[0].Get<std::string>(4), symbol);
        if (holding) {
            plan.state.holding = std::move(*holding);
            plan.state.last =
                LedgerKey{cp[0].Get<Timestamp>(0), cp[0].Get<Timestamp>(1), cp[0].Get<TransactionId>(2)};
            plan.state.count = cp[0].Get<std::int64_t>(3);
            from = plan.state.last;
        }
    }
    if (from) {
        tx.Defer(kDeleteCheckpointsAfter, p.id, symbol, from->executed_at, from->created_at, from->id);
    } else {
        tx.Defer(kDeleteSymbolCheckpoints, p.id, symbol);
    }
    plan.tail = co_await repo.SymbolTransactions(tx, p.id, symbol, from);
    co_return plan;
}

// The derivation, pure: each plan's transactions applied to its state, checkpoints collected.
void Derive(std::vector<Plan>& plans,
            const LedgerSettings& settings,
            std::int64_t checkpoint_every,
            StateRows& checkpoints,
            std::optional<Failure>& failure) {
    for (Plan& plan : plans) {
        for (const Transaction* t : plan.appended) {
            if (!(plan.ok =
                      Step(plan.state, *t, settings, plan.symbol, checkpoint_every, checkpoints, failure)))
                break;
        }
        for (const Transaction& t : plan.tail) {
            if (!(plan.ok =
                      Step(plan.state, t, settings, plan.symbol, checkpoint_every, checkpoints, failure)))
                break;
        }
    }
}

}  // namespace

asio::awaitable<void> LedgerDeriver::Apply(db::Transaction& tx,
                                           Repository& repo,
                                           const Portfolio& p,
                                           const LedgerChange& change,
                                           runtime::CpuPool* cpu,
                                           std::int64_t checkpoint_every) {
    const LedgerSettings settings{p.currency, p.cost_basis_method, p.allow_short};
    co_await ApplyCash(tx, p, change);
    const std::map<std::string, Affected> affected = AffectedSymbols(change);
    if (affected.empty()) co_return;
    std::map<std::string, PositionState> stored = co_await LoadPositions(tx, p, affected);

    // 1. Reads: each symbol's starting state and the transactions to apply to it.
    std::vector<Plan> plans;
    std::size_t steps = 0;
    for (const auto& [symbol, a] : affected) {
        Plan plan = co_await PlanSymbol(tx, repo, p, symbol, a, stored);
        steps += plan.Steps();
        plans.push_back(std::move(plan));
    }

    // 2. The derivation, pure: on the CPU pool when it is long (a large import, an edit early
    // in a long history), so the request's event loop keeps serving others (issue 15).
    std::optional<Failure> failure;
    StateRows checkpoints;
    if (cpu && steps > kInlineSteps) {
        co_await cpu->Run([&] {
            Derive(plans, settings, checkpoint_every, checkpoints, failure);
            return 0;
        });
    } else {
        Derive(plans, settings, checkpoint_every, checkpoints, failure);
    }

    // 3. Writes.
    StateRows positions;
    std::vector<const Holding*> holdings;
    std::vector<std::optional<std::string>> gone;
    for (const Plan& plan : plans) {
        if (!plan.ok) continue;
        if (plan.state.count == 0) {
            gone.push_back(plan.symbol);
            continue;
        }
        positions.Add(plan.symbol, plan.state);
        holdings.push_back(&plan.state.holding);
    }
    if (failure) throw LedgerRefusal(failure->error);

    co_await WriteStates(tx, kInsertCheckpoints, p, checkpoints);
    co_await WriteStates(tx, kUpsertPositions, p, positions);
    if (!gone.empty()) {
        const db::TextArray list(gone);
        tx.Defer(kDeletePositions, p.id, list);
        tx.Defer(kDeleteHoldings, p.id, list);
    }
    co_await WriteHoldings(tx, p, holdings);
}

}  // namespace nn::portfolio
