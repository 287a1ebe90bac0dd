#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/actor.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "infra/db/pool.hpp"
#include "infra/db/transaction.hpp"
#include "portfolio/holdings.hpp"
#include "portfolio/ledger_state.hpp"
#include "portfolio/model.hpp"

// The portfolio repository: the records it reads and writes, then the interface (`Repository`)
// the services call (docs/architecture.md "Rooms of a domain"). pg_repository.hpp holds the
// PostgreSQL implementation (the SQL). Every call runs inside a transaction opened as the acting
// nn::Actor (db::RunAs: RLS decides what it sees); the ones taking a db::Transaction run in the
// caller's, so a service composes several (lock, derive, outbox) into one.
namespace nn::portfolio {

struct TransactionFilter {
    std::optional<std::string> symbol;
    std::optional<TransactionType> type;
    std::optional<Timestamp> from;
    std::optional<Timestamp> to;
    std::optional<std::pair<Timestamp, TransactionId>> after;  // cursor: rows before this one
    std::size_t limit = 50;
};

struct PortfolioFilter {
    std::optional<std::pair<Timestamp, PortfolioId>> after;
    std::size_t limit = 50;
    bool include_inactive = false;
};

// What the read path needs to know of a portfolio's ledger without reading it (issue 16): its
// version (0 before any change) and its first transaction's time.
struct LedgerHead {
    std::int64_t version = 0;
    std::optional<Timestamp> first_executed_at;
};

// A read checkpoint as stored (analytics/read_checkpoint.hpp decodes it).
struct StoredReadCheckpoint {
    Date day;
    std::string state;
};

// A stored holding with the price columns the price flow maintains.
struct HoldingRow {
    std::string symbol;
    std::string currency;
    Decimal quantity;
    Decimal average_cost;
    Decimal cost_basis;
    std::optional<Decimal> cost_basis_base;
    Decimal realized_pnl;
    Decimal income;
    Decimal fees;
    std::optional<Decimal> current_price;
    std::optional<Decimal> previous_close;
    std::optional<Decimal> fx_rate;
    std::optional<Timestamp> first_trade_at;
};

struct SummaryRow {
    PortfolioId id;
    std::string name;
    std::string portfolio_type;
    std::string currency;
    std::int64_t holdings_count = 0;
    std::optional<Decimal> holdings_value;  // nullopt: a foreign holding's rate is unknown
    bool missing_price = false;
    std::vector<std::pair<std::string, Decimal>> cash;  // non-zero balances
};

struct IdempotencyRow {
    std::string request_hash;
    std::string status;  // IN_FLIGHT | DONE
    std::optional<std::int32_t> response_status;
    std::optional<std::string> response_body;
    bool stale = false;  // IN_FLIGHT for longer than the takeover delay
};

// One stored page of a position's lots (portfolio.ledger_lot_pages), EncodeLotPage's text.
struct StoredLotPage {
    std::int64_t page = 0;
    std::string lots;
};

// A symbol's stored derivation state (portfolio.ledger_positions and ledger_checkpoints): after
// `count` of its transactions, the last at `last`; `state` as EncodeHolding (a checkpoint, or a
// position of at most a page of open lots) or EncodePosition (a larger position) writes it
// (ledger_state.hpp). A position read by LedgerPositions
// or LockForAppend comes with its first and last page of lots.
struct StoredLedgerState {
    std::string symbol;
    LedgerKey last;
    std::int64_t count = 0;
    std::string state;
    std::optional<StoredLotPage> first_page;
    std::optional<StoredLotPage> last_page;
};

// A holding row a price or rate batch moved.
struct MovedHolding {
    Uuid portfolio;
    UserId user;
};

// An active portfolio's value for the price consumer's throttled sample (decimals as text).
struct SnapshotValue {
    Uuid portfolio;
    Uuid user;
    std::string currency;
    std::string holdings_value;
    std::string cash_value;  // the balance in the portfolio's currency
    bool unknown = false;    // an open holding lacks a price or rate
};

// An active portfolio's value for the live feed (value_feed.hpp): holdings at current price x
// current rate, the non-zero cash balances ("USD:1.5,EUR:2"), and what is missing.
struct FeedValue {
    Uuid portfolio;
    Uuid user;
    std::string name;
    std::string currency;
    std::string holdings_value;
    std::optional<std::string> cash;
    bool missing_price = false;
    bool missing_rate = false;
};

// A latest exchange rate as the daily snapshot job converts with (decimal text).
struct SnapshotRate {
    std::string base;
    std::string quote;
    std::string rate;
};

// The write lock of an append and what it guards (Repository::LockForAppend).
struct LockedForAppend {
    std::optional<Portfolio> portfolio;  // none when absent or not writable by the actor
    std::vector<StoredLedgerState> positions;
};

class Repository {
public:
    virtual ~Repository() = default;

    virtual boost::asio::awaitable<Portfolio> InsertPortfolio(db::Transaction& tx, const Portfolio& p) = 0;
    virtual boost::asio::awaitable<std::optional<Portfolio>> GetPortfolio(db::Transaction& tx,
                                                                          PortfolioId id,
                                                                          bool for_update) = 0;
    // In one round trip (db::ReadOnce, acting as `actor`).
    virtual boost::asio::awaitable<std::vector<Portfolio>> ListPortfolios(db::Pool& pool,
                                                                          const Actor& actor,
                                                                          const PortfolioFilter& f) = 0;
    virtual boost::asio::awaitable<Portfolio> UpdatePortfolio(db::Transaction& tx, const Portfolio& p) = 0;
    virtual boost::asio::awaitable<void> ReplaceBenchmarks(db::Transaction& tx, const Portfolio& p) = 0;

    // Inserts `t` and returns it as stored (created_at set: the database transaction's start;
    // decimals at the columns' scales), in one statement.
    virtual boost::asio::awaitable<Transaction> InsertTransaction(
        db::Transaction& tx,
        PortfolioId portfolio,
        UserId owner,
        const Transaction& t,
        const std::optional<std::string>& idempotency_key) = 0;
    // Many transactions in one binary COPY. `txs` become what is stored: created_at set (the
    // database transaction's start, as for every insert), decimals at the columns' scales.
    virtual boost::asio::awaitable<void> CopyTransactions(db::Transaction& tx,
                                                          PortfolioId portfolio,
                                                          UserId owner,
                                                          std::vector<Transaction>& txs) = 0;
    virtual boost::asio::awaitable<bool> UpdateTransaction(db::Transaction& tx,
                                                           PortfolioId portfolio,
                                                           const Transaction& t) = 0;
    virtual boost::asio::awaitable<bool> DeleteTransaction(db::Transaction& tx,
                                                           PortfolioId portfolio,
                                                           TransactionId id) = 0;
    virtual boost::asio::awaitable<std::optional<Transaction>> GetTransaction(db::Transaction& tx,
                                                                              PortfolioId portfolio,
                                                                              TransactionId id) = 0;
    virtual boost::asio::awaitable<std::vector<Transaction>> ListTransactions(
        db::Transaction& tx, PortfolioId portfolio, const TransactionFilter& filter) = 0;
    virtual boost::asio::awaitable<std::vector<Transaction>> AllTransactions(db::Transaction& tx,
                                                                             PortfolioId portfolio) = 0;
    // One symbol's transactions in replay order, those after `after` only when given.
    virtual boost::asio::awaitable<std::vector<Transaction>> SymbolTransactions(
        db::Transaction& tx,
        PortfolioId portfolio,
        const std::string& symbol,
        const std::optional<LedgerKey>& after) = 0;

    virtual boost::asio::awaitable<LedgerHead> ReadLedgerHead(db::Transaction& tx, PortfolioId portfolio) = 0;
    // Each symbol's latest executed_at (symbols without a transaction are left out), one index
    // probe per symbol.
    virtual boost::asio::awaitable<std::map<std::string, Timestamp>> LastTransactionTimes(
        db::Transaction& tx, PortfolioId portfolio, const std::vector<std::string>& symbols) = 0;
    // The latest read checkpoint on or before `day`.
    virtual boost::asio::awaitable<std::optional<StoredReadCheckpoint>> ReadCheckpoint(db::Transaction& tx,
                                                                                       PortfolioId portfolio,
                                                                                       Date day) = 0;
    // Stores them when the ledger is still at `version` (waiting for a writer in progress: the
    // portfolio's row lock); false otherwise, or when the actor may not write.
    virtual boost::asio::awaitable<bool> StoreReadCheckpoints(
        db::Transaction& tx,
        PortfolioId portfolio,
        UserId owner,
        std::int64_t version,
        const std::vector<StoredReadCheckpoint>& checkpoints) = 0;

    // Rewrites holdings and cash balances from a replayed ledger (price columns kept).
    virtual boost::asio::awaitable<void> WriteLedger(db::Transaction& tx,
                                                     const Portfolio& p,
                                                     const Ledger& ledger) = 0;
    virtual boost::asio::awaitable<std::vector<HoldingRow>> Holdings(db::Transaction& tx,
                                                                     PortfolioId portfolio) = 0;
    virtual boost::asio::awaitable<std::vector<std::pair<std::string, Decimal>>> Cash(
        db::Transaction& tx, PortfolioId portfolio) = 0;

    // The incremental ledger's stored states (ledger_deriver.hpp), in the writer's transaction
    // (it holds the portfolio's row lock). The writes may be write-behind as InsertTransaction
    // (PgRepository's are). LedgerPositions: the stored positions of `symbols` (a symbol without
    // one is left out).
    virtual boost::asio::awaitable<std::vector<StoredLedgerState>> LedgerPositions(
        db::Transaction& tx, PortfolioId portfolio, const std::vector<std::string>& symbols) = 0;
    // The portfolio's write lock (GetPortfolio(tx, id, true), its benchmarks left empty: an
    // append does not use them) and, read after it in the same round trip, the stored positions
    // of `symbols` (LedgerPositions; no such read when `symbols` is empty).
    virtual boost::asio::awaitable<LockedForAppend> LockForAppend(
        db::Transaction& tx, PortfolioId id, const std::vector<std::string>& symbols) = 0;
    // The symbol's latest checkpoint before `before`.
    virtual boost::asio::awaitable<std::optional<StoredLedgerState>> LedgerCheckpointBefore(
        db::Transaction& tx, PortfolioId portfolio, const std::string& symbol, const LedgerKey& before) = 0;
    // Deletes the symbol's checkpoints after `after` (every one of the symbol when nullopt).
    virtual boost::asio::awaitable<void> DeleteLedgerCheckpoints(db::Transaction& tx,
                                                                 PortfolioId portfolio,
                                                                 const std::string& symbol,
                                                                 const std::optional<LedgerKey>& after) = 0;
    // Stores new checkpoints, then the symbols' positions (either list may be empty).
    virtual boost::asio::awaitable<void> StoreLedgerStates(
        db::Transaction& tx,
        PortfolioId portfolio,
        UserId owner,
        const std::vector<StoredLedgerState>& checkpoints,
        const std::vector<StoredLedgerState>& positions) = 0;
    // A symbol's pages of lots numbered `from` to `to` (both included), in order.
    virtual boost::asio::awaitable<std::vector<StoredLotPage>> LotPages(db::Transaction& tx,
                                                                        PortfolioId portfolio,
                                                                        const std::string& symbol,
                                                                        std::int64_t from,
                                                                        std::int64_t to) = 0;
    // Per symbol: its pages outside [keep_from, keep_to] deleted (every one when keep_to <
    // keep_from; none when `prune` is false), then `pages` written.
    struct LotPagesWrite {
        std::string symbol;
        bool prune = false;
        std::int64_t keep_from = 0;
        std::int64_t keep_to = -1;
        std::vector<StoredLotPage> pages;
    };
    virtual boost::asio::awaitable<void> WriteLotPages(db::Transaction& tx,
                                                       PortfolioId portfolio,
                                                       UserId owner,
                                                       const std::vector<LotPagesWrite>& writes) = 0;
    // Deletes the positions of `symbols` and their pages of lots.
    virtual boost::asio::awaitable<void> DeleteLedgerPositions(db::Transaction& tx,
                                                               PortfolioId portfolio,
                                                               const std::vector<std::string>& symbols) = 0;
    // Forgets every stored state and read checkpoint of the portfolio and moves its ledger
    // version (a full re-derivation).
    virtual boost::asio::awaitable<void> ForgetLedger(db::Transaction& tx, PortfolioId portfolio) = 0;
    // A change dated on `day` or later: the read checkpoints from that day on are dropped and the
    // ledger's version moves (docs/analytics.md §17).
    virtual boost::asio::awaitable<void> LedgerChangedFrom(db::Transaction& tx,
                                                           PortfolioId portfolio,
                                                           UserId owner,
                                                           Date day) = 0;
    // Moves each currency's balance by its delta; a currency's first one creates its row.
    virtual boost::asio::awaitable<void> AddCash(db::Transaction& tx,
                                                 PortfolioId portfolio,
                                                 UserId owner,
                                                 const std::map<std::string, Decimal>& deltas) = 0;
    // Deletes the balances of `currencies` no transaction of the portfolio is in any more.
    virtual boost::asio::awaitable<void> DeleteUnusedCash(db::Transaction& tx,
                                                          PortfolioId portfolio,
                                                          const std::vector<std::string>& currencies) = 0;
    // Writes holdings rows (the figures of the portfolio's method), only where they differ.
    virtual boost::asio::awaitable<void> WriteHoldings(db::Transaction& tx,
                                                       const Portfolio& p,
                                                       const std::vector<const Holding*>& holdings) = 0;
    virtual boost::asio::awaitable<void> DeleteHoldings(db::Transaction& tx,
                                                        PortfolioId portfolio,
                                                        const std::vector<std::string>& symbols) = 0;

    // The price flow (price_consumer.hpp), in SYSTEM context. MarkProcessed: false when the
    // consumer had already processed the event.
    virtual boost::asio::awaitable<bool> MarkProcessed(db::Transaction& tx,
                                                       const std::string& consumer,
                                                       const std::string& event_id) = 0;
    // The price (rate) columns of every holding of the batch's symbols (currency pairs), across
    // portfolios; a price older than the applied one is skipped. Returns the rows moved.
    virtual boost::asio::awaitable<std::vector<MovedHolding>> ApplyPrices(
        db::Transaction& tx, const std::vector<PricePoint>& prices) = 0;
    virtual boost::asio::awaitable<std::vector<MovedHolding>> ApplyRates(
        db::Transaction& tx, const std::vector<RatePoint>& rates) = 0;
    // Of `portfolios`, the active ones.
    virtual boost::asio::awaitable<std::vector<SnapshotValue>> SnapshotValues(
        db::Transaction& tx, const std::vector<Uuid>& portfolios) = 0;
    // In a transaction on the timescale database: the samples of analytics_ts.portfolio_snapshots,
    // at most one per portfolio per `interval` (also across instances); returns the rows written.
    virtual boost::asio::awaitable<std::size_t> InsertValueSamples(db::Transaction& tx,
                                                                   const std::vector<SnapshotValue>& values,
                                                                   std::chrono::seconds interval) = 0;
    // The live feed's values (value_feed.hpp) of the active ones of `portfolios`.
    virtual boost::asio::awaitable<std::vector<FeedValue>> FeedValues(
        db::Transaction& tx, const std::vector<PortfolioId>& portfolios) = 0;
    // Writes (or refreshes) `date`'s portfolio_snapshots row of every active portfolio whose value
    // is known (snapshot_job.hpp); returns the rows written.
    virtual boost::asio::awaitable<std::int64_t> WriteDailySnapshots(
        db::Transaction& tx, Date date, const std::vector<SnapshotRate>& rates) = 0;

    // What notify reads and changes (notify_directory.hpp), each in the caller's transaction.
    // Whether the acting user sees the portfolio (row-level security decides).
    virtual boost::asio::awaitable<bool> PortfolioVisible(db::Transaction& tx, PortfolioId id) = 0;
    // The symbols `user` holds (open positions of active portfolios) or watches.
    virtual boost::asio::awaitable<std::set<std::string>> InterestOf(db::Transaction& tx, UserId user) = 0;
    // Of `symbols`, those with an alert on some watchlist item.
    virtual boost::asio::awaitable<std::set<std::string>> SymbolsWithAlerts(
        db::Transaction& tx, const std::vector<std::string>& symbols) = 0;
    // The alert evaluation's three steps (NotifyDirectory::EvaluateAlerts): re-arm the symbol's
    // items the tick is fresh for (returns how many; their row locks serialise evaluations of
    // the symbol), fire and disarm the crossed conditions, record the tick as evaluated.
    virtual boost::asio::awaitable<std::size_t> RearmAlerts(db::Transaction& tx, const AlertTick& tick) = 0;
    virtual boost::asio::awaitable<FiredAlerts> FireAlerts(db::Transaction& tx, const AlertTick& tick) = 0;
    virtual boost::asio::awaitable<void> MarkAlertsEvaluated(db::Transaction& tx, const AlertTick& tick) = 0;

    // The spec's "User Portfolio Summary": the user's active portfolios with holdings count and
    // total value in each portfolio's currency.
    virtual boost::asio::awaitable<std::vector<SummaryRow>> Summary(db::Pool& pool,
                                                                    const Actor& actor,
                                                                    UserId user) = 0;

    virtual boost::asio::awaitable<void> InsertOutbox(db::Transaction& tx,
                                                      const Actor& actor,
                                                      UserId owner,
                                                      std::string_view aggregate_type,
                                                      std::string_view aggregate_id,
                                                      std::string_view event_type,
                                                      const std::string& payload_json,
                                                      const std::string& request_id) = 0;

    // Idempotency keys (security.md §4.3): claim in a short transaction of its own; true when
    // this request now owns the key.
    virtual boost::asio::awaitable<bool> ClaimKey(db::Transaction& tx,
                                                  UserId user,
                                                  const std::string& key,
                                                  std::string_view method,
                                                  std::string_view path,
                                                  const std::string& hash) = 0;
    virtual boost::asio::awaitable<std::optional<IdempotencyRow>> GetKey(db::Transaction& tx,
                                                                         UserId user,
                                                                         const std::string& key) = 0;
    // Takes over a stale IN_FLIGHT key (its request died); true when taken.
    virtual boost::asio::awaitable<bool> TakeOverKey(db::Transaction& tx,
                                                     UserId user,
                                                     const std::string& key) = 0;
    // DONE with the response; returns the stored body as text (what every replay sends).
    virtual boost::asio::awaitable<std::string> FinishKey(db::Transaction& tx,
                                                          UserId user,
                                                          const std::string& key,
                                                          int status,
                                                          const std::string& body,
                                                          std::optional<Uuid> resource_id) = 0;
    virtual boost::asio::awaitable<void> ReleaseKey(db::Transaction& tx,
                                                    UserId user,
                                                    const std::string& key) = 0;
};

}  // namespace nn::portfolio
