#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "auth/live_answers.hpp"
#include "core/ids.hpp"
#include "portfolio/csv_import.hpp"
#include "portfolio/holdings.hpp"
#include "portfolio/model.hpp"
#include "portfolio/repository.hpp"
#include "portfolio/summary_cache.hpp"
#include "portfolio/value_totals.hpp"

namespace nn {
class App;
}
namespace nn::auth {
class UserDirectory;
}
namespace nn::market {
class RateDirectory;
}

// The portfolio service: orchestrates the repository (through its interface, repository.hpp),
// the pure derivation, the summary cache and idempotency keys. Handlers parse and serialise;
// every call acts as `actor` under RLS.
namespace nn::portfolio {

struct ServiceOptions {
    // How long a summary stays in Redis (summary_cache.hpp; capped at an hour); 0 caches nothing.
    std::chrono::milliseconds summary_cache_ttl{std::chrono::seconds(60)};
    std::string cache_prefix = "nn:portfolio:";
};

struct Idempotency {
    std::string key;
    std::string hash;  // SHA-256 of method, path and body
    std::string method;
    std::string path;
};

// A response that may be a replay of the first one (body as stored).
struct StoredResponse {
    int status = 201;
    std::string body;
};

struct HoldingView {
    HoldingRow row;
    HoldingValue value;
    std::optional<Decimal> weight;  // share of the holdings' value in the base currency
};

struct HoldingsView {
    Portfolio portfolio;
    std::vector<HoldingView> holdings;
    std::vector<std::pair<std::string, Decimal>> cash;
    ValueTotals totals;  // holdings_value, cash_value, total_value (value_totals.hpp)
};

class Service {
public:
    // `repo`: the portfolio statements (module.cpp builds the PostgreSQL one); `rates` is the
    // market's interface for exchange rates (current and at a trade's time).
    Service(App& app,
            std::shared_ptr<Repository> repo,
            std::shared_ptr<auth::UserDirectory> directory,
            std::shared_ptr<market::RateDirectory> rates,
            ServiceOptions options = {});

    boost::asio::awaitable<Portfolio> CreatePortfolio(const Actor& actor, Portfolio draft, std::size_t shard);
    boost::asio::awaitable<std::vector<Portfolio>> ListPortfolios(const Actor& actor,
                                                                  PortfolioFilter filter,
                                                                  std::size_t shard);
    boost::asio::awaitable<Portfolio> GetPortfolio(const Actor& actor, PortfolioId id, std::size_t shard);
    // `change` edits the stored portfolio; a method change re-derives the holdings.
    boost::asio::awaitable<Portfolio> UpdatePortfolio(const Actor& actor,
                                                      PortfolioId id,
                                                      std::function<void(Portfolio&)> change,
                                                      std::size_t shard);

    // Creates a transaction; `render` builds the 201 body from the stored transaction (inside the
    // database transaction, so an idempotent replay returns exactly the stored body).
    boost::asio::awaitable<StoredResponse> CreateTransaction(
        const Actor& actor,
        PortfolioId portfolio,
        Transaction tx,
        std::optional<Idempotency> idem,
        std::function<std::string(const Transaction&)> render,
        const std::string& request_id,
        std::size_t shard);
    // 404 unless `actor` may write `portfolio`: the import checks this before it reads a byte
    // of the file, so a stranger's upload costs no parsing.
    boost::asio::awaitable<void> CheckWritable(const Actor& actor, PortfolioId portfolio, std::size_t shard);
    // Parses a CSV import on the CPU pool, never on an I/O thread.
    boost::asio::awaitable<CsvImport> ParseImport(std::string_view csv, Timestamp now);
    // Several transactions, all or none (CSV import).
    boost::asio::awaitable<std::size_t> ImportTransactions(const Actor& actor,
                                                           PortfolioId portfolio,
                                                           std::vector<Transaction> txs,
                                                           const std::string& request_id,
                                                           std::size_t shard);
    boost::asio::awaitable<std::vector<Transaction>> ListTransactions(const Actor& actor,
                                                                      PortfolioId portfolio,
                                                                      TransactionFilter filter,
                                                                      std::size_t shard);
    // The read path's view of the ledger (issue 16, docs/analytics.md §17), under RLS as `actor`.
    boost::asio::awaitable<LedgerHead> ReadLedgerHead(const Actor& actor,
                                                      PortfolioId portfolio,
                                                      std::size_t shard);
    boost::asio::awaitable<std::map<std::string, Timestamp>> LastTransactionTimes(
        const Actor& actor, PortfolioId portfolio, std::vector<std::string> symbols, std::size_t shard);
    boost::asio::awaitable<std::optional<StoredReadCheckpoint>> ReadCheckpoint(const Actor& actor,
                                                                               PortfolioId portfolio,
                                                                               Date on_or_before,
                                                                               std::size_t shard);
    // Every transaction matching `filter` (its limit ignored), read in pages of `page_size`,
    // newest first, in one read-only snapshot (REPEATABLE READ); 404 when not visible.
    boost::asio::awaitable<std::vector<Transaction>> ListAllTransactions(const Actor& actor,
                                                                         PortfolioId portfolio,
                                                                         TransactionFilter filter,
                                                                         std::size_t page_size,
                                                                         std::size_t shard);
    // A period's opening in one read-only snapshot (REPEATABLE READ, so the checkpoint and the
    // pages agree): the latest read checkpoint on or before `checkpoint_day` (none asked when
    // nullopt) and the transactions dated after its day (all of them without one) up to `until`
    // (exclusive), read in pages of `page_size`, newest first.
    struct OpeningRead {
        std::optional<StoredReadCheckpoint> checkpoint;
        std::vector<Transaction> after;
    };
    boost::asio::awaitable<OpeningRead> ReadOpening(const Actor& actor,
                                                    PortfolioId portfolio,
                                                    std::optional<Date> checkpoint_day,
                                                    Timestamp until,
                                                    std::size_t page_size,
                                                    std::size_t shard);
    // Best effort: false when not stored (the ledger moved past `version`, a READ advisor).
    boost::asio::awaitable<bool> StoreReadCheckpoints(const Actor& actor,
                                                      const Portfolio& portfolio,
                                                      std::int64_t version,
                                                      std::vector<StoredReadCheckpoint> checkpoints,
                                                      std::size_t shard);
    boost::asio::awaitable<Transaction> GetTransaction(const Actor& actor,
                                                       PortfolioId portfolio,
                                                       TransactionId id,
                                                       std::size_t shard);
    boost::asio::awaitable<Transaction> UpdateTransaction(const Actor& actor,
                                                          PortfolioId portfolio,
                                                          Transaction tx,
                                                          const std::string& request_id,
                                                          std::size_t shard);
    boost::asio::awaitable<void> DeleteTransaction(const Actor& actor,
                                                   PortfolioId portfolio,
                                                   TransactionId id,
                                                   const std::string& request_id,
                                                   std::size_t shard);

    boost::asio::awaitable<HoldingsView> Holdings(const Actor& actor,
                                                  PortfolioId portfolio,
                                                  std::size_t shard);
    // The summary as JSON text: Redis first (summary_cache.hpp), the database on a miss or with
    // Redis down; the response does not wait for the body to be stored.
    boost::asio::awaitable<std::string> SummaryJson(const Actor& actor, std::size_t shard);

    // Makes a user's cached summary stale (a new generation: best effort; the TTL bounds
    // staleness when Redis is down) and forgets this process's cached portfolio list of the user
    // (at once). Every portfolio write calls it after committing.
    boost::asio::awaitable<void> InvalidateSummary(UserId user, std::size_t shard);
    // The first page of GET /api/v1/portfolios as a plain user asks for it, per user, valid
    // under the request's liveness copy (auth::LiveAnswers); dropped by InvalidateSummary.
    auth::LiveAnswers& ListAnswers() noexcept { return list_answers_; }
    const SummaryCache& SummaryCacheOf() const noexcept { return summary_cache_; }

    const ServiceOptions& Options() const noexcept { return options_; }
    // The repository this service calls (the sub-domains' repositories reuse its portfolio
    // lookup and outbox statements).
    const std::shared_ptr<Repository>& Repo() const noexcept { return repo_; }
    // The market's rates this service reads (the value feed and goals convert with the same).
    const std::shared_ptr<market::RateDirectory>& Rates() const noexcept { return rates_; }

    // Called after committed transaction writes (create, import, update, delete) with the
    // portfolios whose holdings were re-derived: the drift and goal watches and the live value
    // feed (module.cpp). It runs on the write's shard after the response, not inside the
    // request: nothing it does is acknowledged with the write (the outbox row carries the
    // durable event; the live value is state the next write or price batch refreshes). Writes
    // arriving while it runs are coalesced: the next run gets every portfolio changed
    // meanwhile, once, so a burst of writes costs one run per round, not one per write. Each
    // round starts `gather` after the previous one ended (or after the write that found the
    // runner idle), so the writes of that window share it too: under load the hook reads many
    // portfolios per statement instead of a few (its statements were a third of the database's
    // work per recorded transaction, issue 16); a live value is later by at most one run plus
    // `gather`. Every write is followed by a run that starts after it committed. Failures are
    // logged.
    using HoldingsHook =
        std::function<boost::asio::awaitable<void>(std::vector<ChangedPortfolio>, std::size_t shard)>;
    static constexpr std::chrono::milliseconds kHoldingsGather{25};
    void OnHoldingsChanged(HoldingsHook hook, std::chrono::milliseconds gather = kHoldingsGather) {
        holdings_hook_ = std::move(hook);
        holdings_gather_ = gather;
    }
    // Returns once `shard` has no hook run active or queued (tests and shutdown use it to see
    // the effects of the writes made before). Call it on that shard.
    boost::asio::awaitable<void> AfterWritesDone(std::size_t shard);

private:
    // Queues `portfolio` (owned by `owner`) for the hook on `shard` and starts the shard's runner
    // when idle.
    void HoldingsChanged(PortfolioId portfolio, UserId owner, std::size_t shard);
    boost::asio::awaitable<void> RunHoldingsHook(std::size_t shard);
    // Replays the portfolio's transactions and rewrites holdings; throws 422 on a ledger error.
    boost::asio::awaitable<void> Rederive(db::Transaction& tx, const Portfolio& p);
    // Fills a foreign transaction's fx_rate from the trade-date rate when the client sent none.
    boost::asio::awaitable<void> FillTradeRate(Transaction& tx, Currency base, std::size_t shard);
    // The same for many transactions in one round trip (an import), in place (none copied).
    boost::asio::awaitable<void> FillTradeRates(std::span<Transaction> txs, Currency base, std::size_t shard);
    // Current rates (base per unit) for currencies; missing ones are absent.
    boost::asio::awaitable<std::vector<std::pair<std::string, Decimal>>> CurrentRates(
        const std::vector<std::string>& currencies, Currency base, std::size_t shard);
    boost::asio::awaitable<Portfolio> LockWritable(db::Transaction& tx, PortfolioId id);
    // LockWritable (its benchmarks left empty) with the stored position of `t`'s symbol read
    // under the lock, in one round trip (Repository::LockForAppend).
    boost::asio::awaitable<LockedForAppend> LockForAppend(db::Transaction& tx,
                                                          PortfolioId id,
                                                          const Transaction& t);

    App& app_;
    std::shared_ptr<Repository> repo_;
    std::shared_ptr<auth::UserDirectory> directory_;
    std::shared_ptr<market::RateDirectory> rates_;
    ServiceOptions options_;
    HoldingsHook holdings_hook_;
    std::chrono::milliseconds holdings_gather_{kHoldingsGather};
    // Per shard, touched only on that shard's thread: the portfolios waiting for the hook and
    // whether a runner is active.
    struct AfterWrites {
        std::vector<ChangedPortfolio> pending;
        bool running = false;
    };
    std::vector<AfterWrites> after_writes_;
    auth::LiveAnswers list_answers_;
    SummaryCache summary_cache_;
};

}  // namespace nn::portfolio
