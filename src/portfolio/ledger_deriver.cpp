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

// A stored state to write (Repository::StoreLedgerStates): `state` after `st`'s transactions.
StoredLedgerState StateRow(const std::string& symbol, const PositionState& st, std::string state) {
    return StoredLedgerState{symbol, st.last, st.count, std::move(state), {}, {}};
}

// More steps than this run on the CPU pool (a replay step costs ~1 µs; the hop ~50 µs).
constexpr std::size_t kInlineSteps = 2000;

// Pages of lots read at once when a sale closes more than the loaded front holds.
constexpr std::int64_t kPagesAhead = 8;

struct Failure {
    LedgerKey key;
    LedgerError error;
};

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

// A stored position as LoadPositions read it.
struct Loaded {
    PositionState state;
    std::int64_t lots_per_page = 0;  // its lots' pages (0: inline, every lot loaded)
};

// The lots a stored page must hold: those of page `page` (of `per_page`) among the ones numbered
// `from` to before `to`; nullopt when it holds anything else.
std::optional<std::vector<Lot>> PageLots(const StoredLotPage& stored,
                                         std::int64_t page,
                                         std::int64_t per_page,
                                         std::int64_t from,
                                         std::int64_t to) {
    if (stored.page != page) return std::nullopt;
    auto decoded = DecodeLotPage(stored.lots);
    const std::int64_t first = std::max(from, page * per_page);
    const std::int64_t end = std::min(to, (page + 1) * per_page);
    if (!decoded || decoded->first_seq != first ||
        static_cast<std::int64_t>(decoded->lots.size()) != end - first) {
        return std::nullopt;
    }
    return std::move(decoded->lots);
}

// The stored position's first and last page loaded into its (empty) queue; false when they do
// not fit it.
bool AttachEnds(LotQueue& lots, std::int64_t per_page, const StoredLedgerState& row) {
    if (lots.empty()) return true;
    const std::int64_t first = lots.FirstSeq();
    const std::int64_t next = lots.NextSeq();
    const std::int64_t first_page = first / per_page;
    const std::int64_t last_page = (next - 1) / per_page;
    if (!row.first_page) return false;
    auto head = PageLots(*row.first_page, first_page, per_page, first, next);
    if (!head || !lots.LoadAfterHead(std::move(*head))) return false;
    if (last_page == first_page) return true;
    if (!row.last_page) return false;
    auto tail = PageLots(*row.last_page, last_page, per_page, first, next);
    return tail && lots.LoadTail(std::move(*tail));
}

// The stored state of each named symbol (an unreadable one is left out: re-derived like a
// missing one).
asio::awaitable<std::map<std::string, Loaded>> LoadPositions(db::Transaction& tx,
                                                             Repository& repo,
                                                             const Portfolio& p,
                                                             const std::map<std::string, Affected>& affected,
                                                             const LedgerChange& change) {
    // Read under the lock by the caller, or now.
    std::vector<StoredLedgerState> read;
    if (!change.stored_positions) {
        std::vector<std::string> names;
        for (const auto& [s, a] : affected) names.push_back(s);
        read = co_await repo.LedgerPositions(tx, p.id, names);
    }
    const std::vector<StoredLedgerState>& rows = change.stored_positions ? *change.stored_positions : read;
    std::map<std::string, Loaded> stored;
    for (const StoredLedgerState& row : rows) {
        if (!affected.contains(row.symbol)) continue;
        auto decoded = DecodeState(row.state, row.symbol);
        if (!decoded) continue;
        if (decoded->lots_per_page != 0 &&
            !AttachEnds(decoded->holding.fifo.lots, decoded->lots_per_page, row)) {
            continue;
        }
        Loaded l;
        l.state.holding = std::move(decoded->holding);
        l.state.last = row.last;
        l.state.count = row.count;
        l.lots_per_page = decoded->lots_per_page;
        stored.emplace(row.symbol, std::move(l));
    }
    co_return stored;
}

enum class Needs { kNothing, kMoreLots, kAllLots };

// What deriving a plan's transactions gave (Derive): its refusal, or stored lots it needs first
// (DeriveLoadingLots then loads them and derives again from a fresh Outcome), and the checkpoints
// met on the way.
struct Outcome {
    bool done = false;
    Needs needs = Needs::kNothing;
    std::optional<Failure> failure;
    std::vector<StoredLedgerState> checkpoints;
};

// One symbol's starting state and the transactions to apply to it.
struct Plan {
    std::string symbol;
    PositionState state;
    std::vector<Transaction> tail;             // read back (re-derivation)
    std::vector<const Transaction*> appended;  // or the change's own (append)
    // The page size of the symbol's stored position (0: its lots were in its state; nullopt: no
    // readable position, so pages may be stored); for an append, the numbering it had and (when
    // not every lot is loaded) the state to derive again from after loading more.
    std::optional<std::int64_t> stored_per_page;
    std::int64_t first_seq = 0;
    std::int64_t next_seq = 0;
    std::optional<PositionState> start;
    Outcome outcome;

    std::size_t Steps() const { return tail.size() + appended.size(); }
};

// Applies `t` to the plan's state; false when the ledger refuses it or lots not loaded are
// needed (both said in the plan's outcome, with the checkpoints met on the way).
bool Step(Plan& plan, const Transaction& t, const LedgerSettings& settings, std::int64_t checkpoint_every) {
    PositionState& st = plan.state;
    try {
        auto applied = ApplyTransaction(std::move(st.holding), t, settings);
        if (!applied) {
            plan.outcome.failure = Failure{KeyOf(t), applied.Error()};
            return false;
        }
        st.holding = std::move(applied).Value();
    } catch (const LotsNotLoaded& missing) {
        plan.outcome.needs = missing.all ? Needs::kAllLots : Needs::kMoreLots;
        return false;
    }
    st.holding.sales.clear();
    st.last = KeyOf(t);
    ++st.count;
    if (IsCheckpoint(st.count, st.holding.fifo.lots.size(), checkpoint_every)) {
        if (!st.holding.fifo.lots.Complete()) {
            plan.outcome.needs = Needs::kAllLots;
            return false;
        }
        plan.outcome.checkpoints.push_back(StateRow(plan.symbol, st, EncodeHolding(st.holding)));
    }
    return true;
}

// Whether an append must load every lot before it starts: a split rescales them all, and a
// checkpoint stores them all. The lots cannot fall below those still in storage without loading
// them (Step then asks), and IsCheckpoint at fewer lots is a multiple of it at more.
bool NeedsEveryLot(const Plan& plan, std::int64_t checkpoint_every) {
    const LotQueue& lots = plan.state.holding.fifo.lots;
    if (lots.Complete()) return false;
    Decimal quantity = plan.state.holding.quantity;
    bool may_close = false;
    for (const Transaction* t : plan.appended) {
        if (t->type == TransactionType::kSplit) return true;
        const std::optional<Decimal> delta = PositionDelta(*t);
        if (!delta) continue;
        if (!quantity.IsZero() && quantity.Sign() != delta->Sign()) may_close = true;
        quantity += *delta;
    }
    const std::size_t fewest = may_close ? lots.Hidden() : lots.size();
    const std::int64_t stride = CheckpointStride(fewest, checkpoint_every);
    for (std::size_t j = 1; j <= plan.appended.size(); ++j) {
        if ((plan.state.count + static_cast<std::int64_t>(j)) % stride == 0) return true;
    }
    return false;
}

// Loads stored lots after the plan's loaded front into its starting state — the next few pages,
// or every one still in storage — and starts the plan's state again from there. Once every lot
// is loaded no derivation can ask for more: the starting state is moved, not copied (every lot
// of a large position).
asio::awaitable<void> LoadLotsAndRestart(
    db::Transaction& tx, Repository& repo, const Portfolio& p, Plan& plan, bool all) {
    if (!plan.start) {
        throw Error(ErrorKind::kInternal, "portfolio.ledger_pages",
                    fmt::format("a derivation of {} with every lot loaded asked for more", plan.symbol));
    }
    LotQueue& lots = plan.start->holding.fifo.lots;
    const std::int64_t per_page = *plan.stored_per_page;
    const std::int64_t from_seq = lots.FirstSeq() + static_cast<std::int64_t>(lots.Head().size());
    const std::int64_t to_seq = from_seq + static_cast<std::int64_t>(lots.Hidden());  // the tail's first
    const std::int64_t first_page = from_seq / per_page;
    std::int64_t last_page = (to_seq - 1) / per_page;
    if (!all) last_page = std::min(last_page, first_page + kPagesAhead - 1);
    const std::vector<StoredLotPage> pages =
        co_await repo.LotPages(tx, p.id, plan.symbol, first_page, last_page);
    std::vector<Lot> loaded;
    std::size_t i = 0;
    for (std::int64_t page = first_page; page <= last_page; ++page, ++i) {
        auto page_lots =
            i < pages.size() ? PageLots(pages[i], page, per_page, from_seq, to_seq) : std::nullopt;
        if (!page_lots) {
            throw Error(
                ErrorKind::kInternal, "portfolio.ledger_pages",
                fmt::format("the stored lots of {} do not fit its position (page {})", plan.symbol, page));
        }
        for (Lot& lot : *page_lots) loaded.push_back(std::move(lot));
    }
    lots.LoadAfterHead(std::move(loaded));
    if (lots.Complete()) {
        plan.state = std::move(*plan.start);
        plan.start.reset();
    } else {
        plan.state = *plan.start;
    }
}

// An append after the symbol's last stored transaction continues from the stored state; any
// other change re-derives from the last checkpoint before it (or the first transaction), whose
// later checkpoints describe the ledger before this change and are deleted.
asio::awaitable<Plan> PlanSymbol(db::Transaction& tx,
                                 Repository& repo,
                                 const Portfolio& p,
                                 const std::string& symbol,
                                 const Affected& a,
                                 std::map<std::string, Loaded>& stored,
                                 std::int64_t checkpoint_every,
                                 std::int64_t lots_per_page) {
    Plan plan;
    plan.symbol = symbol;
    auto head = stored.find(symbol);
    const bool append = head != stored.end() && !a.earliest_removed && !a.added.empty() &&
                        head->second.state.last < KeyOf(*a.added.front());
    if (head != stored.end()) plan.stored_per_page = head->second.lots_per_page;
    if (append) {
        plan.state = std::move(head->second.state);
        plan.appended = a.added;
        plan.first_seq = plan.state.holding.fifo.lots.FirstSeq();
        plan.next_seq = plan.state.holding.fifo.lots.NextSeq();
        if (!plan.state.holding.fifo.lots.Complete()) {
            plan.start = plan.state;
            // Pages of another size are written again whole.
            if (NeedsEveryLot(plan, checkpoint_every) || plan.stored_per_page != lots_per_page) {
                co_await LoadLotsAndRestart(tx, repo, p, plan, true);
            }
        }
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

// The derivation, pure: each unfinished plan's transactions applied to its state.
void Derive(std::vector<Plan>& plans, const LedgerSettings& settings, std::int64_t checkpoint_every) {
    for (Plan& plan : plans) {
        if (plan.outcome.done) continue;
        plan.outcome.done = true;
        bool ok = true;
        for (const Transaction* t : plan.appended) {
            if (!(ok = Step(plan, *t, settings, checkpoint_every))) break;
        }
        if (!ok) continue;
        for (const Transaction& t : plan.tail) {
            if (!Step(plan, t, settings, checkpoint_every)) break;
        }
    }
}

// The lots of page `page` as they are now, from the loaded ones.
StoredLotPage PageOf(const LotQueue& lots, std::int64_t page, std::int64_t per_page) {
    const std::int64_t first = std::max(lots.FirstSeq(), page * per_page);
    const std::int64_t end = std::min(lots.NextSeq(), (page + 1) * per_page);
    std::vector<const Lot*> list;
    for (std::int64_t seq = first; seq < end; ++seq) {
        const Lot* lot = lots.Loaded(seq);
        if (lot == nullptr) {
            throw Error(ErrorKind::kInternal, "portfolio.ledger_pages",
                        fmt::format("lot {} of page {} is not loaded", seq, page));
        }
        list.push_back(lot);
    }
    return StoredLotPage{page, EncodeLotPage(first, list)};
}

// The pages a derivation changed: after an append to paged lots, the front page when a sale
// closed into it and the pages the new lots went to (earlier pages deleted); otherwise every page
// (the others deleted), as after a split.
Repository::LotPagesWrite PagesToWrite(const Plan& plan, std::int64_t per_page) {
    const LotQueue& lots = plan.state.holding.fifo.lots;
    Repository::LotPagesWrite w;
    w.symbol = plan.symbol;
    const std::int64_t first = lots.FirstSeq();
    const std::int64_t next = lots.NextSeq();
    w.keep_from = first / per_page;
    w.keep_to = lots.empty() ? w.keep_from - 1 : (next - 1) / per_page;
    std::set<std::int64_t> pages;
    if (plan.stored_per_page == per_page && !plan.appended.empty() && !lots.AllTouched()) {
        w.prune = lots.empty() || w.keep_from != plan.first_seq / per_page;
        // The front page changed when a sale closed into it; one whose first lot is the front
        // and still in storage was not touched.
        const bool front_untouched = first % per_page == 0 && lots.Loaded(first) == nullptr;
        if (!lots.empty() && (first != plan.first_seq || lots.FrontTouched()) && !front_untouched) {
            pages.insert(w.keep_from);
        }
        for (std::int64_t page = std::max(plan.next_seq, first) / per_page;
             next > plan.next_seq && page <= w.keep_to; ++page) {
            pages.insert(page);
        }
    } else {
        w.prune = true;
        for (std::int64_t page = w.keep_from; page <= w.keep_to; ++page) pages.insert(page);
    }
    for (std::int64_t page : pages) w.pages.push_back(PageOf(lots, page, per_page));
    return w;
}

// The pages of the plan's lots to write (PagesToWrite). Written whole (a re-derivation, a split),
// the stored pages that did not change stay: a back-dated change seldom reaches the open lots, and
// reading pages is cheaper than writing them.
asio::awaitable<Repository::LotPagesWrite> ChangedPages(
    db::Transaction& tx, Repository& repo, const Portfolio& p, const Plan& plan, std::int64_t per_page) {
    Repository::LotPagesWrite w = PagesToWrite(plan, per_page);
    if (plan.stored_per_page == per_page && w.pages.size() > 2) {
        const std::vector<StoredLotPage> old =
            co_await repo.LotPages(tx, p.id, plan.symbol, w.pages.front().page, w.pages.back().page);
        std::map<std::int64_t, const std::string*> before;
        for (const StoredLotPage& page : old) before.emplace(page.page, &page.lots);
        std::erase_if(w.pages, [&](const StoredLotPage& page) {
            auto it = before.find(page.page);
            return it != before.end() && *it->second == page.lots;
        });
    }
    co_return w;
}

// The derivation, pure, on `cpu` when given (a large import, an edit early in a long history), so
// the request's event loop keeps serving others (issue 15). An append that reaches lots still in
// storage loads them and derives again from its stored state.
asio::awaitable<void> DeriveLoadingLots(db::Transaction& tx,
                                        Repository& repo,
                                        const Portfolio& p,
                                        std::vector<Plan>& plans,
                                        const LedgerSettings& settings,
                                        runtime::CpuPool* cpu,
                                        std::int64_t checkpoint_every) {
    for (;;) {
        if (cpu) {
            co_await cpu->Run([&] {
                Derive(plans, settings, checkpoint_every);
                return 0;
            });
        } else {
            Derive(plans, settings, checkpoint_every);
        }
        bool again = false;
        for (Plan& plan : plans) {
            if (plan.outcome.needs == Needs::kNothing) continue;
            co_await LoadLotsAndRestart(tx, repo, p, plan, plan.outcome.needs == Needs::kAllLots);
            plan.outcome = Outcome{};
            again = true;
        }
        if (!again) co_return;
    }
}

}  // namespace

asio::awaitable<void> LedgerDeriver::Apply(db::Transaction& tx,
                                           Repository& repo,
                                           const Portfolio& p,
                                           const LedgerChange& change,
                                           runtime::CpuPool* cpu,
                                           std::int64_t checkpoint_every,
                                           std::int64_t lots_per_page) {
    const LedgerSettings settings{p.currency, p.cost_basis_method, p.allow_short};
    const std::map<std::string, Affected> affected = AffectedSymbols(change);
    if (affected.empty()) {
        co_await ApplyCash(tx, repo, p, change);
        co_return;
    }
    std::map<std::string, Loaded> stored = co_await LoadPositions(tx, repo, p, affected, change);

    // 1. Reads: each symbol's starting state and the transactions to apply to it.
    std::vector<Plan> plans;
    std::size_t steps = 0;
    for (const auto& [symbol, a] : affected) {
        Plan plan = co_await PlanSymbol(tx, repo, p, symbol, a, stored, checkpoint_every, lots_per_page);
        steps += plan.Steps();
        plans.push_back(std::move(plan));
    }

    // 2. The derivation.
    co_await DeriveLoadingLots(tx, repo, p, plans, settings, steps > kInlineSteps ? cpu : nullptr,
                               checkpoint_every);

    // 3. Writes.
    std::optional<Failure> failure;
    std::vector<StoredLedgerState> checkpoints, positions;
    std::vector<Repository::LotPagesWrite> pages;
    std::vector<const Holding*> holdings;
    std::vector<std::string> gone;
    for (Plan& plan : plans) {
        // Derived to the end, a plan stopped only where the ledger refused a transaction.
        const std::optional<Failure>& refused = plan.outcome.failure;
        if (refused && (!failure || refused->key < failure->key)) failure = refused;
        for (StoredLedgerState& cp : plan.outcome.checkpoints) checkpoints.push_back(std::move(cp));
        if (refused) continue;
        if (plan.state.count == 0) {
            gone.push_back(plan.symbol);
            continue;
        }
        // Up to a page of open lots stays in the state (one row per append, as most positions
        // need); more go to pages.
        const LotQueue& lots = plan.state.holding.fifo.lots;
        const bool inline_lots = lots.Complete() && lots.size() <= static_cast<std::size_t>(lots_per_page);
        positions.push_back(StateRow(plan.symbol, plan.state,
                                     inline_lots ? EncodeHolding(plan.state.holding)
                                                 : EncodePosition(plan.state.holding, lots_per_page)));
        if (!inline_lots) {
            pages.push_back(co_await ChangedPages(tx, repo, p, plan, lots_per_page));
        } else if (plan.stored_per_page != 0) {
            pages.push_back(Repository::LotPagesWrite{plan.symbol, true, 0, -1, {}});
        }
        holdings.push_back(&plan.state.holding);
    }
    if (failure) throw LedgerRefusal(failure->error);

    // Every write after the reads: deferred, they go in one round trip with the COMMIT, the
    // fusable ones as one statement (db::Query::fusable). Cash and the ledger version do not
    // depend on the reads above, nor they on them.
    co_await ApplyCash(tx, repo, p, change);
    co_await repo.StoreLedgerStates(tx, p.id, p.user_id, checkpoints, positions);
    co_await repo.WriteLotPages(tx, p.id, p.user_id, pages);
    if (!gone.empty()) {
        co_await repo.DeleteLedgerPositions(tx, p.id, gone);
        co_await repo.DeleteHoldings(tx, p.id, gone);
    }
    co_await repo.WriteHoldings(tx, p, holdings);
}

}  // namespace nn::portfolio
