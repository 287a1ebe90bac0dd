#include "portfolio/ledger_deriver.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "core/error.hpp"
#include "portfolio/repository.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;

namespace {

// Stored states to write (Repository::StoreLedgerStates).
struct StateRows {
    std::vector<StoredLedgerState> rows;

    void Add(const std::string& s, const PositionState& st) {
        rows.push_back(StoredLedgerState{s, st.last, st.count, EncodeHolding(st.holding)});
    }
};

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
    if (IsCheckpoint(st.count, st.holding.fifo.lots.size(), checkpoint_every)) checkpoints.Add(symbol, st);
    return true;
}

}  // namespace

Error LedgerRefusal(const LedgerError& e) {
    return Error(ErrorKind::kUnprocessable, e.code,
                 fmt::format("{} (transaction {})", e.message, e.transaction_id.ToString()));
}

namespace {

// Cash balances: a sum, so only the change's own transactions count, in any order. Also marks
// the stored daily values from the change's first day as stale.
asio::awaitable<void> ApplyCash(db::Transaction& tx,
                                Repository& repo,
                                const Portfolio& p,
                                const LedgerChange& change) {
    std::optional<Date> changed_from;
    for (const auto* list : {&change.removed, &change.added}) {
        for (const Transaction& t : *list) {
            const Date day = ToDate(t.executed_at);
            if (!changed_from || day < *changed_from) changed_from = day;
        }
    }
    if (changed_from) co_await repo.LedgerChangedFrom(tx, p.id, p.user_id, *changed_from);

    std::map<std::string, Decimal> delta;
    std::set<std::string> removed_currencies;
    for (const Transaction& t : change.removed) {
        const std::string c(t.currency.Code());
        delta[c] -= CashEffect(t);
        removed_currencies.insert(c);
    }
    // A currency the change adds a transaction in is in use: only the others can have lost their
    // last one (finding out reads the ledger).
    for (const Transaction& t : change.added) {
        const std::string c(t.currency.Code());
        delta[c] += CashEffect(t);
        removed_currencies.erase(c);
    }
    if (!delta.empty()) co_await repo.AddCash(tx, p.id, p.user_id, delta);
    if (!removed_currencies.empty()) {
        const std::vector<std::string> currencies(removed_currencies.begin(), removed_currencies.end());
        co_await repo.DeleteUnusedCash(tx, p.id, currencies);
    }
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
    db::Transaction& tx,
    Repository& repo,
    const Portfolio& p,
    const std::map<std::string, Affected>& affected,
    const LedgerChange& change) {
    // Read under the lock by the caller, or now; never copied (a state grows with open lots).
    std::vector<StoredLedgerState> read;
    if (!change.stored_positions) {
        std::vector<std::string> names;
        for (const auto& [s, a] : affected) names.push_back(s);
        read = co_await repo.LedgerPositions(tx, p.id, names);
    }
    const std::vector<StoredLedgerState>& rows = change.stored_positions ? *change.stored_positions : read;
    std::map<std::string, PositionState> stored;
    for (const StoredLedgerState& row : rows) {
        if (!affected.contains(row.symbol)) continue;
        auto holding = DecodeHolding(row.state, row.symbol);
        if (!holding) continue;
        PositionState st;
        st.holding = std::move(*holding);
        st.last = row.last;
        st.count = row.count;
        stored.emplace(row.symbol, std::move(st));
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
    std::optional<StoredLedgerState> cp = co_await repo.LedgerCheckpointBefore(tx, p.id, symbol, start);
    if (cp) {
        auto holding = DecodeHolding(cp->state, symbol);
        if (holding) {
            plan.state.holding = std::move(*holding);
            plan.state.last = cp->last;
            plan.state.count = cp->count;
            from = plan.state.last;
        }
    }
    co_await repo.DeleteLedgerCheckpoints(tx, p.id, symbol, from);
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
    const std::map<std::string, Affected> affected = AffectedSymbols(change);
    if (affected.empty()) {
        co_await ApplyCash(tx, repo, p, change);
        co_return;
    }
    std::map<std::string, PositionState> stored = co_await LoadPositions(tx, repo, p, affected, change);

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
    std::vector<std::string> gone;
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

    // Every write after the reads: deferred, they go in one round trip with the COMMIT, the
    // fusable ones as one statement (db::Query::fusable). Cash and the ledger version do not
    // depend on the reads above, nor they on them.
    co_await ApplyCash(tx, repo, p, change);
    co_await repo.StoreLedgerStates(tx, p.id, p.user_id, checkpoints.rows, positions.rows);
    if (!gone.empty()) {
        co_await repo.DeleteLedgerPositions(tx, p.id, gone);
        co_await repo.DeleteHoldings(tx, p.id, gone);
    }
    co_await repo.WriteHoldings(tx, p, holdings);
}

}  // namespace nn::portfolio
