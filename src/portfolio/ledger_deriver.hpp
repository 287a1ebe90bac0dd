#pragma once

#include <optional>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "infra/db/transaction.hpp"
#include "infra/runtime/cpu_pool.hpp"
#include "portfolio/holdings.hpp"
#include "portfolio/ledger_state.hpp"
#include "portfolio/model.hpp"
#include "portfolio/repository.hpp"

// The incremental ledger (docs/portfolio.md "Incremental ledger", issue 16): after a change to
// portfolio.transactions, brings the derived rows (holdings, cash_balances) and the stored
// states (ledger_positions, ledger_checkpoints) up to date by re-deriving only the symbols the
// change touches, each from its stored state:
//   - every change of a symbol dated after its stored position: applied to that state;
//   - otherwise (back-dated insert, edit, delete, or no stored state): from the nearest
//     checkpoint before the earliest changed place, replaying the symbol's later transactions;
//   - cash: each currency's balance moves by the cash effects removed and added (sums do not
//     depend on order).
// Its statements are the Repository's (LedgerPositions, LedgerCheckpointBefore, StoreLedgerStates,
// AddCash, WriteHoldings, ...): the planning and the derivation are here.
// The result equals the full Replay of every transaction (the reference; ledger_pgtest.cpp
// proves it over random ledgers). The caller holds the portfolio's row lock (LockWritable),
// which serialises writers of one portfolio.
namespace nn::portfolio {

class Repository;

struct LedgerChange {
    std::vector<Transaction> removed;  // as they were stored (with created_at)
    std::vector<Transaction> added;    // as they are stored now (with created_at)
    // The stored positions of the change's symbols when the caller read them under the lock
    // (Repository::LockForAppend: one round trip fewer); otherwise Apply reads them.
    std::optional<std::vector<StoredLedgerState>> stored_positions;
};

class LedgerDeriver {
public:
    // Throws a 422 nn::Error (the ledger error of the earliest transaction that cannot be
    // applied), like the full replay would.
    // Every read and write goes through `repo`. A long derivation runs on `cpu` when given.
    // `checkpoint_every`: kCheckpointEvery, `lots_per_page`: kLotsPerPage, smaller in tests. PgRepository
    // defers the writes (db::Transaction::Defer): an append whose positions came with the lock costs no round
    // trip here (its writes go with the caller's next statement or COMMIT); otherwise one, the read of the
    // stored positions.
    static boost::asio::awaitable<void> Apply(db::Transaction& tx,
                                              Repository& repo,
                                              const Portfolio& p,
                                              const LedgerChange& change,
                                              runtime::CpuPool* cpu = nullptr,
                                              std::int64_t checkpoint_every = kCheckpointEvery,
                                              std::int64_t lots_per_page = kLotsPerPage);
};

// The 422 a ledger refusal is answered with.
Error LedgerRefusal(const LedgerError& e);

}  // namespace nn::portfolio
