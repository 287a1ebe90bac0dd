#pragma once

#include <string_view>

#include "portfolio/repository.hpp"

// The SQL of the portfolio database (STYLE.md "pg_repository"); repository.hpp says what each
// call does. It holds no state: one serves every shard.
namespace nn::portfolio {

// The summary's statement ($1: the user), for the benchmark that runs it under pgbench as the
// physical limit of the summary route: the very text the server sends, so the two cannot drift.
std::string_view SummarySql();

class PgRepository final : public Repository {
public:
    boost::asio::awaitable<Portfolio> InsertPortfolio(db::Transaction& tx, const Portfolio& p) override;
    boost::asio::awaitable<std::optional<Portfolio>> GetPortfolio(db::Transaction& tx,
                                                                  PortfolioId id,
                                                                  bool for_update) override;
    boost::asio::awaitable<std::vector<Portfolio>> ListPortfolios(db::Pool& pool,
                                                                  const Actor& actor,
                                                                  const PortfolioFilter& f) override;
    boost::asio::awaitable<Portfolio> UpdatePortfolio(db::Transaction& tx, const Portfolio& p) override;
    boost::asio::awaitable<void> ReplaceBenchmarks(db::Transaction& tx, const Portfolio& p) override;

    boost::asio::awaitable<Transaction> InsertTransaction(
        db::Transaction& tx,
        PortfolioId portfolio,
        UserId owner,
        const Transaction& t,
        const std::optional<std::string>& idempotency_key) override;
    // COPY FROM does not run under row-level security: the rows are staged in a temporary table
    // and inserted from there (under it).
    boost::asio::awaitable<void> CopyTransactions(db::Transaction& tx,
                                                  PortfolioId portfolio,
                                                  UserId owner,
                                                  std::vector<Transaction>& txs) override;
    boost::asio::awaitable<bool> UpdateTransaction(db::Transaction& tx,
                                                   PortfolioId portfolio,
                                                   const Transaction& t) override;
    boost::asio::awaitable<bool> DeleteTransaction(db::Transaction& tx,
                                                   PortfolioId portfolio,
                                                   TransactionId id) override;
    boost::asio::awaitable<std::optional<Transaction>> GetTransaction(db::Transaction& tx,
                                                                      PortfolioId portfolio,
                                                                      TransactionId id) override;
    boost::asio::awaitable<std::vector<Transaction>> ListTransactions(
        db::Transaction& tx, PortfolioId portfolio, const TransactionFilter& filter) override;
    boost::asio::awaitable<std::vector<Transaction>> AllTransactions(db::Transaction& tx,
                                                                     PortfolioId portfolio) override;
    boost::asio::awaitable<std::vector<Transaction>> SymbolTransactions(
        db::Transaction& tx,
        PortfolioId portfolio,
        const std::string& symbol,
        const std::optional<LedgerKey>& after) override;

    boost::asio::awaitable<LedgerHead> ReadLedgerHead(db::Transaction& tx, PortfolioId portfolio) override;
    boost::asio::awaitable<std::map<std::string, Timestamp>> LastTransactionTimes(
        db::Transaction& tx, PortfolioId portfolio, const std::vector<std::string>& symbols) override;
    boost::asio::awaitable<std::optional<StoredReadCheckpoint>> ReadCheckpoint(db::Transaction& tx,
                                                                               PortfolioId portfolio,
                                                                               Date day) override;
    boost::asio::awaitable<bool> StoreReadCheckpoints(
        db::Transaction& tx,
        PortfolioId portfolio,
        UserId owner,
        std::int64_t version,
        const std::vector<StoredReadCheckpoint>& checkpoints) override;

    boost::asio::awaitable<void> WriteLedger(db::Transaction& tx,
                                             const Portfolio& p,
                                             const Ledger& ledger) override;
    boost::asio::awaitable<std::vector<HoldingRow>> Holdings(db::Transaction& tx,
                                                             PortfolioId portfolio) override;
    boost::asio::awaitable<std::vector<std::pair<std::string, Decimal>>> Cash(db::Transaction& tx,
                                                                              PortfolioId portfolio) override;
    boost::asio::awaitable<std::vector<StoredLedgerState>> LedgerPositions(
        db::Transaction& tx, PortfolioId portfolio, const std::vector<std::string>& symbols) override;
    boost::asio::awaitable<LockedForAppend> LockForAppend(db::Transaction& tx,
                                                          PortfolioId id,
                                                          const std::vector<std::string>& symbols) override;
    boost::asio::awaitable<std::optional<StoredLedgerState>> LedgerCheckpointBefore(
        db::Transaction& tx,
        PortfolioId portfolio,
        const std::string& symbol,
        const LedgerKey& before) override;
    boost::asio::awaitable<void> DeleteLedgerCheckpoints(db::Transaction& tx,
                                                         PortfolioId portfolio,
                                                         const std::string& symbol,
                                                         const std::optional<LedgerKey>& after) override;
    boost::asio::awaitable<void> StoreLedgerStates(db::Transaction& tx,
                                                   PortfolioId portfolio,
                                                   UserId owner,
                                                   const std::vector<StoredLedgerState>& checkpoints,
                                                   const std::vector<StoredLedgerState>& positions) override;
    boost::asio::awaitable<std::vector<StoredLotPage>> LotPages(db::Transaction& tx,
                                                                PortfolioId portfolio,
                                                                const std::string& symbol,
                                                                std::int64_t from,
                                                                std::int64_t to) override;
    boost::asio::awaitable<void> WriteLotPages(db::Transaction& tx,
                                               PortfolioId portfolio,
                                               UserId owner,
                                               const std::vector<LotPagesWrite>& writes) override;
    boost::asio::awaitable<void> DeleteLedgerPositions(db::Transaction& tx,
                                                       PortfolioId portfolio,
                                                       const std::vector<std::string>& symbols) override;
    boost::asio::awaitable<void> ForgetLedger(db::Transaction& tx, PortfolioId portfolio) override;
    boost::asio::awaitable<void> LedgerChangedFrom(db::Transaction& tx,
                                                   PortfolioId portfolio,
                                                   UserId owner,
                                                   Date day) override;
    boost::asio::awaitable<void> AddCash(db::Transaction& tx,
                                         PortfolioId portfolio,
                                         UserId owner,
                                         const std::map<std::string, Decimal>& deltas) override;
    boost::asio::awaitable<void> DeleteUnusedCash(db::Transaction& tx,
                                                  PortfolioId portfolio,
                                                  const std::vector<std::string>& currencies) override;
    boost::asio::awaitable<void> WriteHoldings(db::Transaction& tx,
                                               const Portfolio& p,
                                               const std::vector<const Holding*>& holdings) override;
    boost::asio::awaitable<void> DeleteHoldings(db::Transaction& tx,
                                                PortfolioId portfolio,
                                                const std::vector<std::string>& symbols) override;

    boost::asio::awaitable<bool> MarkProcessed(db::Transaction& tx,
                                               const std::string& consumer,
                                               const std::string& event_id) override;
    boost::asio::awaitable<std::vector<MovedHolding>> ApplyPrices(
        db::Transaction& tx, const std::vector<PricePoint>& prices) override;
    boost::asio::awaitable<std::vector<MovedHolding>> ApplyRates(
        db::Transaction& tx, const std::vector<RatePoint>& rates) override;
    boost::asio::awaitable<std::vector<SnapshotValue>> SnapshotValues(
        db::Transaction& tx, const std::vector<Uuid>& portfolios) override;
    boost::asio::awaitable<std::size_t> InsertValueSamples(db::Transaction& tx,
                                                           const std::vector<SnapshotValue>& values,
                                                           std::chrono::seconds interval) override;
    boost::asio::awaitable<std::vector<FeedValue>> FeedValues(
        db::Transaction& tx, const std::vector<PortfolioId>& portfolios) override;
    boost::asio::awaitable<std::int64_t> WriteDailySnapshots(db::Transaction& tx,
                                                             Date date,
                                                             const std::vector<SnapshotRate>& rates) override;

    boost::asio::awaitable<bool> PortfolioVisible(db::Transaction& tx, PortfolioId id) override;
    boost::asio::awaitable<std::set<std::string>> InterestOf(db::Transaction& tx, UserId user) override;
    boost::asio::awaitable<std::set<std::string>> SymbolsWithAlerts(
        db::Transaction& tx, const std::vector<std::string>& symbols) override;
    boost::asio::awaitable<std::size_t> RearmAlerts(db::Transaction& tx, const AlertTick& tick) override;
    boost::asio::awaitable<FiredAlerts> FireAlerts(db::Transaction& tx, const AlertTick& tick) override;
    boost::asio::awaitable<void> MarkAlertsEvaluated(db::Transaction& tx, const AlertTick& tick) override;

    boost::asio::awaitable<std::vector<SummaryRow>> Summary(db::Pool& pool,
                                                            const Actor& actor,
                                                            UserId user) override;

    boost::asio::awaitable<void> InsertOutbox(db::Transaction& tx,
                                              const Actor& actor,
                                              UserId owner,
                                              std::string_view aggregate_type,
                                              std::string_view aggregate_id,
                                              std::string_view event_type,
                                              const std::string& payload_json,
                                              const std::string& request_id) override;

    boost::asio::awaitable<bool> ClaimKey(db::Transaction& tx,
                                          UserId user,
                                          const std::string& key,
                                          std::string_view method,
                                          std::string_view path,
                                          const std::string& hash) override;
    boost::asio::awaitable<std::optional<IdempotencyRow>> GetKey(db::Transaction& tx,
                                                                 UserId user,
                                                                 const std::string& key) override;
    boost::asio::awaitable<bool> TakeOverKey(db::Transaction& tx,
                                             UserId user,
                                             const std::string& key) override;
    boost::asio::awaitable<std::string> FinishKey(db::Transaction& tx,
                                                  UserId user,
                                                  const std::string& key,
                                                  int status,
                                                  const std::string& body,
                                                  std::optional<Uuid> resource_id) override;
    boost::asio::awaitable<void> ReleaseKey(db::Transaction& tx,
                                            UserId user,
                                            const std::string& key) override;
};

}  // namespace nn::portfolio
