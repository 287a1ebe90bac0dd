// The portfolio service over its repository interface (repository.hpp, issue 18): a decorator
// around the PostgreSQL repository fails or counts chosen statements, and the real database shows
// what the service left behind.
#include <functional>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>

#include "portfolio/pg_repository.hpp"
#include "portfolio/portfolio_api_fixture.hpp"

namespace nn::portfolio::testing {
namespace {

// Every statement goes to PgRepository; InsertOutbox fails when `fail_outbox` is set and
// WriteHoldings when `fail_holdings` is (after the statements before it ran in the same
// transaction), and the ledger reads are counted.
class ProbeRepository final : public Repository {
public:
    bool fail_outbox = false;
    bool fail_holdings = false;
    int position_reads = 0;      // LedgerPositions: the incremental ledger's stored states
    int inserted = 0;            // InsertTransaction
    int full_replays = 0;        // AllTransactions: the full re-derivation's read
    int symbol_reads = 0;        // SymbolTransactions: one symbol re-derived from a checkpoint
    int summary_reads = 0;       // Summary
    int unused_cash_checks = 0;  // currencies DeleteUnusedCash looked for
    // Runs after Summary has read its rows and before the service uses them.
    std::function<asio::awaitable<void>()> after_summary_read;

    asio::awaitable<Portfolio> InsertPortfolio(db::Transaction& tx, const Portfolio& p) override {
        co_return co_await pg_.InsertPortfolio(tx, p);
    }
    asio::awaitable<std::optional<Portfolio>> GetPortfolio(db::Transaction& tx,
                                                           PortfolioId id,
                                                           bool for_update) override {
        co_return co_await pg_.GetPortfolio(tx, id, for_update);
    }
    asio::awaitable<std::vector<Portfolio>> ListPortfolios(db::Pool& pool,
                                                           const Actor& actor,
                                                           const PortfolioFilter& f) override {
        co_return co_await pg_.ListPortfolios(pool, actor, f);
    }
    asio::awaitable<Portfolio> UpdatePortfolio(db::Transaction& tx, const Portfolio& p) override {
        co_return co_await pg_.UpdatePortfolio(tx, p);
    }
    asio::awaitable<void> ReplaceBenchmarks(db::Transaction& tx, const Portfolio& p) override {
        co_await pg_.ReplaceBenchmarks(tx, p);
    }
    asio::awaitable<Transaction> InsertTransaction(db::Transaction& tx,
                                                   PortfolioId portfolio,
                                                   UserId owner,
                                                   const Transaction& t,
                                                   const std::optional<std::string>& key) override {
        ++inserted;
        co_return co_await pg_.InsertTransaction(tx, portfolio, owner, t, key);
    }
    asio::awaitable<void> CopyTransactions(db::Transaction& tx,
                                           PortfolioId portfolio,
                                           UserId owner,
                                           std::vector<Transaction>& txs) override {
        co_await pg_.CopyTransactions(tx, portfolio, owner, txs);
    }
    asio::awaitable<bool> UpdateTransaction(db::Transaction& tx,
                                            PortfolioId portfolio,
                                            const Transaction& t) override {
        co_return co_await pg_.UpdateTransaction(tx, portfolio, t);
    }
    asio::awaitable<bool> DeleteTransaction(db::Transaction& tx,
                                            PortfolioId portfolio,
                                            TransactionId id) override {
        co_return co_await pg_.DeleteTransaction(tx, portfolio, id);
    }
    asio::awaitable<std::optional<Transaction>> GetTransaction(db::Transaction& tx,
                                                               PortfolioId portfolio,
                                                               TransactionId id) override {
        co_return co_await pg_.GetTransaction(tx, portfolio, id);
    }
    asio::awaitable<std::vector<Transaction>> ListTransactions(db::Transaction& tx,
                                                               PortfolioId portfolio,
                                                               const TransactionFilter& filter) override {
        co_return co_await pg_.ListTransactions(tx, portfolio, filter);
    }
    asio::awaitable<std::vector<Transaction>> AllTransactions(db::Transaction& tx,
                                                              PortfolioId portfolio) override {
        ++full_replays;
        co_return co_await pg_.AllTransactions(tx, portfolio);
    }
    asio::awaitable<std::vector<Transaction>> SymbolTransactions(
        db::Transaction& tx,
        PortfolioId portfolio,
        const std::string& symbol,
        const std::optional<LedgerKey>& after) override {
        ++symbol_reads;
        co_return co_await pg_.SymbolTransactions(tx, portfolio, symbol, after);
    }
    asio::awaitable<LedgerHead> ReadLedgerHead(db::Transaction& tx, PortfolioId portfolio) override {
        co_return co_await pg_.ReadLedgerHead(tx, portfolio);
    }
    asio::awaitable<std::map<std::string, Timestamp>> LastTransactionTimes(
        db::Transaction& tx, PortfolioId portfolio, const std::vector<std::string>& symbols) override {
        co_return co_await pg_.LastTransactionTimes(tx, portfolio, symbols);
    }
    asio::awaitable<std::optional<StoredReadCheckpoint>> ReadCheckpoint(db::Transaction& tx,
                                                                        PortfolioId portfolio,
                                                                        Date day) override {
        co_return co_await pg_.ReadCheckpoint(tx, portfolio, day);
    }
    asio::awaitable<bool> StoreReadCheckpoints(
        db::Transaction& tx,
        PortfolioId portfolio,
        UserId owner,
        std::int64_t version,
        const std::vector<StoredReadCheckpoint>& checkpoints) override {
        co_return co_await pg_.StoreReadCheckpoints(tx, portfolio, owner, version, checkpoints);
    }
    asio::awaitable<void> WriteLedger(db::Transaction& tx,
                                      const Portfolio& p,
                                      const nn::portfolio::Ledger& ledger) override {
        co_await pg_.WriteLedger(tx, p, ledger);
    }
    asio::awaitable<std::vector<HoldingRow>> Holdings(db::Transaction& tx, PortfolioId portfolio) override {
        co_return co_await pg_.Holdings(tx, portfolio);
    }
    asio::awaitable<std::vector<std::pair<std::string, Decimal>>> Cash(db::Transaction& tx,
                                                                       PortfolioId portfolio) override {
        co_return co_await pg_.Cash(tx, portfolio);
    }
    asio::awaitable<LockedForAppend> LockForAppend(db::Transaction& tx,
                                                   PortfolioId id,
                                                   const std::vector<std::string>& symbols) override {
        if (!symbols.empty()) ++position_reads;
        co_return co_await pg_.LockForAppend(tx, id, symbols);
    }
    asio::awaitable<std::vector<StoredLedgerState>> LedgerPositions(
        db::Transaction& tx, PortfolioId portfolio, const std::vector<std::string>& symbols) override {
        ++position_reads;
        co_return co_await pg_.LedgerPositions(tx, portfolio, symbols);
    }
    asio::awaitable<std::optional<StoredLedgerState>> LedgerCheckpointBefore(
        db::Transaction& tx,
        PortfolioId portfolio,
        const std::string& symbol,
        const LedgerKey& before) override {
        co_return co_await pg_.LedgerCheckpointBefore(tx, portfolio, symbol, before);
    }
    asio::awaitable<void> DeleteLedgerCheckpoints(db::Transaction& tx,
                                                  PortfolioId portfolio,
                                                  const std::string& symbol,
                                                  const std::optional<LedgerKey>& after) override {
        co_await pg_.DeleteLedgerCheckpoints(tx, portfolio, symbol, after);
    }
    asio::awaitable<void> StoreLedgerStates(db::Transaction& tx,
                                            PortfolioId portfolio,
                                            UserId owner,
                                            const std::vector<StoredLedgerState>& checkpoints,
                                            const std::vector<StoredLedgerState>& positions) override {
        co_await pg_.StoreLedgerStates(tx, portfolio, owner, checkpoints, positions);
    }
    asio::awaitable<std::vector<StoredLotPage>> LotPages(db::Transaction& tx,
                                                         PortfolioId portfolio,
                                                         const std::string& symbol,
                                                         std::int64_t from,
                                                         std::int64_t to) override {
        co_return co_await pg_.LotPages(tx, portfolio, symbol, from, to);
    }
    asio::awaitable<void> WriteLotPages(db::Transaction& tx,
                                        PortfolioId portfolio,
                                        UserId owner,
                                        const std::vector<LotPagesWrite>& writes) override {
        co_await pg_.WriteLotPages(tx, portfolio, owner, writes);
    }
    asio::awaitable<void> DeleteLedgerPositions(db::Transaction& tx,
                                                PortfolioId portfolio,
                                                const std::vector<std::string>& symbols) override {
        co_await pg_.DeleteLedgerPositions(tx, portfolio, symbols);
    }
    asio::awaitable<void> ForgetLedger(db::Transaction& tx, PortfolioId portfolio) override {
        co_await pg_.ForgetLedger(tx, portfolio);
    }
    asio::awaitable<void> LedgerChangedFrom(db::Transaction& tx,
                                            PortfolioId portfolio,
                                            UserId owner,
                                            Date day) override {
        co_await pg_.LedgerChangedFrom(tx, portfolio, owner, day);
    }
    asio::awaitable<void> AddCash(db::Transaction& tx,
                                  PortfolioId portfolio,
                                  UserId owner,
                                  const std::map<std::string, Decimal>& deltas) override {
        co_await pg_.AddCash(tx, portfolio, owner, deltas);
    }
    asio::awaitable<void> DeleteUnusedCash(db::Transaction& tx,
                                           PortfolioId portfolio,
                                           const std::vector<std::string>& currencies) override {
        unused_cash_checks += static_cast<int>(currencies.size());
        co_await pg_.DeleteUnusedCash(tx, portfolio, currencies);
    }
    asio::awaitable<void> WriteHoldings(db::Transaction& tx,
                                        const Portfolio& p,
                                        const std::vector<const Holding*>& holdings) override {
        if (fail_holdings) throw std::runtime_error("holdings unavailable (test)");
        co_await pg_.WriteHoldings(tx, p, holdings);
    }
    asio::awaitable<void> DeleteHoldings(db::Transaction& tx,
                                         PortfolioId portfolio,
                                         const std::vector<std::string>& symbols) override {
        co_await pg_.DeleteHoldings(tx, portfolio, symbols);
    }
    asio::awaitable<bool> MarkProcessed(db::Transaction& tx,
                                        const std::string& consumer,
                                        const std::string& event_id) override {
        co_return co_await pg_.MarkProcessed(tx, consumer, event_id);
    }
    asio::awaitable<std::vector<MovedHolding>> ApplyPrices(db::Transaction& tx,
                                                           const std::vector<PricePoint>& prices) override {
        co_return co_await pg_.ApplyPrices(tx, prices);
    }
    asio::awaitable<std::vector<MovedHolding>> ApplyRates(db::Transaction& tx,
                                                          const std::vector<RatePoint>& rates) override {
        co_return co_await pg_.ApplyRates(tx, rates);
    }
    asio::awaitable<std::vector<SnapshotValue>> SnapshotValues(db::Transaction& tx,
                                                               const std::vector<Uuid>& portfolios) override {
        co_return co_await pg_.SnapshotValues(tx, portfolios);
    }
    asio::awaitable<std::size_t> InsertValueSamples(db::Transaction& tx,
                                                    const std::vector<SnapshotValue>& values,
                                                    std::chrono::seconds interval) override {
        co_return co_await pg_.InsertValueSamples(tx, values, interval);
    }
    asio::awaitable<std::vector<FeedValue>> FeedValues(db::Transaction& tx,
                                                       const std::vector<PortfolioId>& portfolios) override {
        co_return co_await pg_.FeedValues(tx, portfolios);
    }
    asio::awaitable<std::int64_t> WriteDailySnapshots(db::Transaction& tx,
                                                      Date date,
                                                      const std::vector<SnapshotRate>& rates) override {
        co_return co_await pg_.WriteDailySnapshots(tx, date, rates);
    }
    asio::awaitable<bool> PortfolioVisible(db::Transaction& tx, PortfolioId id) override {
        co_return co_await pg_.PortfolioVisible(tx, id);
    }
    asio::awaitable<std::set<std::string>> InterestOf(db::Transaction& tx, UserId user) override {
        co_return co_await pg_.InterestOf(tx, user);
    }
    asio::awaitable<std::set<std::string>> SymbolsWithAlerts(
        db::Transaction& tx, const std::vector<std::string>& symbols) override {
        co_return co_await pg_.SymbolsWithAlerts(tx, symbols);
    }
    asio::awaitable<std::size_t> RearmAlerts(db::Transaction& tx, const AlertTick& tick) override {
        co_return co_await pg_.RearmAlerts(tx, tick);
    }
    asio::awaitable<FiredAlerts> FireAlerts(db::Transaction& tx, const AlertTick& tick) override {
        co_return co_await pg_.FireAlerts(tx, tick);
    }
    asio::awaitable<void> MarkAlertsEvaluated(db::Transaction& tx, const AlertTick& tick) override {
        co_await pg_.MarkAlertsEvaluated(tx, tick);
    }
    asio::awaitable<std::vector<SummaryRow>> Summary(db::Pool& pool,
                                                     const Actor& actor,
                                                     UserId user) override {
        ++summary_reads;
        std::vector<SummaryRow> rows = co_await pg_.Summary(pool, actor, user);
        if (after_summary_read) co_await after_summary_read();
        co_return rows;
    }
    asio::awaitable<void> InsertOutbox(db::Transaction& tx,
                                       const Actor& actor,
                                       UserId owner,
                                       std::string_view aggregate_type,
                                       std::string_view aggregate_id,
                                       std::string_view event_type,
                                       const std::string& payload_json,
                                       const std::string& request_id) override {
        if (fail_outbox) throw std::runtime_error("outbox unavailable (test)");
        co_await pg_.InsertOutbox(tx, actor, owner, aggregate_type, aggregate_id, event_type, payload_json,
                                  request_id);
    }
    asio::awaitable<bool> ClaimKey(db::Transaction& tx,
                                   UserId user,
                                   const std::string& key,
                                   std::string_view method,
                                   std::string_view path,
                                   const std::string& hash) override {
        co_return co_await pg_.ClaimKey(tx, user, key, method, path, hash);
    }
    asio::awaitable<std::optional<IdempotencyRow>> GetKey(db::Transaction& tx,
                                                          UserId user,
                                                          const std::string& key) override {
        co_return co_await pg_.GetKey(tx, user, key);
    }
    asio::awaitable<bool> TakeOverKey(db::Transaction& tx, UserId user, const std::string& key) override {
        co_return co_await pg_.TakeOverKey(tx, user, key);
    }
    asio::awaitable<std::string> FinishKey(db::Transaction& tx,
                                           UserId user,
                                           const std::string& key,
                                           int status,
                                           const std::string& body,
                                           std::optional<Uuid> resource_id) override {
        co_return co_await pg_.FinishKey(tx, user, key, status, body, resource_id);
    }
    asio::awaitable<void> ReleaseKey(db::Transaction& tx, UserId user, const std::string& key) override {
        co_await pg_.ReleaseKey(tx, user, key);
    }

private:
    PgRepository pg_;
};

struct SeamSuite {
    static constexpr const char* kPrefix = "t_pseam_";
};

// The routes (ApiFixture's service) set up and read; the writes under test go through a second
// service on the probe, over the same databases.
class RepositorySeam : public ApiFixture<SeamSuite> {
protected:
    void SetUp() override {
        ApiFixture::SetUp();
        probe_ = std::make_shared<ProbeRepository>();
        probed_ = std::make_shared<Service>(*app_, probe_, directory_, service_->Rates());
    }
    void TearDown() override {
        probed_.reset();
        ApiFixture::TearDown();
    }

    // Records a transaction through the probed service as the portfolio's owner.
    void Record(const std::string& user, const std::string& portfolio, Transaction t) {
        const Actor actor(*UserId::Parse(IdOf(user)), Role::kUser);
        const PortfolioId id = *PortfolioId::Parse(portfolio);
        auto service = probed_;
        Run([service, actor, id, t]() mutable -> asio::awaitable<int> {
            std::function<std::string(const Transaction&)> render = [](const Transaction& stored) {
                return stored.id.ToString();
            };
            std::optional<Idempotency> no_key;
            co_await service->CreateTransaction(actor, id, std::move(t), no_key, render, "seam", 0);
            co_return 0;
        }());
    }

    // What the portfolio shows and stores: the API's transaction list and holdings, then the rows
    // behind them (transactions, stored states, ledger version, cash, the owner's outbox rows).
    std::vector<std::string> Stored(const std::string& user, const std::string& portfolio) {
        const std::string base = "/api/v1/portfolios/" + portfolio;
        const std::string where = " WHERE portfolio_id = '" + portfolio + "'";
        std::vector<std::string> out{Call(user, "GET", base + "/transactions").body,
                                     Call(user, "GET", base + "/holdings").body};
        for (const std::string& sql :
             {"SELECT count(*) FROM portfolio.transactions" + where,
              "SELECT count(*) FROM portfolio.ledger_positions" + where,
              "SELECT coalesce(max(version), 0) FROM portfolio.ledger_versions" + where,
              "SELECT coalesce(string_agg(currency || '=' || balance::text, ',' ORDER BY currency), '') "
              "FROM portfolio.cash_balances" +
                  where,
              "SELECT count(*) FROM portfolio.outbox WHERE user_id = '" + IdOf(user) + "'"}) {
            out.push_back(test::QueryValue(PortfolioDb(), sql));
        }
        return out;
    }

    static Transaction Buy(const std::string& symbol, const char* quantity, const char* at) {
        Transaction t;
        t.type = TransactionType::kBuy;
        t.symbol = symbol;
        t.quantity = *Decimal::Parse(quantity);
        t.price = Decimal::FromInt(100);
        t.executed_at = TimestampFromString(at);
        return t;
    }

    std::shared_ptr<ProbeRepository> probe_;
    std::shared_ptr<Service> probed_;
};

// The transaction row is inserted and the ledger derived before the outbox row fails: the whole
// write rolls back, so the list, the holdings, the cash, the stored states and the outbox are as
// before.
TEST_F(RepositorySeam, AFailedOutboxRowLeavesNothingHalfWritten) {
    const auto user = NewUser();
    const auto portfolio = CreatePortfolio(user);
    ASSERT_EQ(
        Call(user, "POST", "/api/v1/portfolios/" + portfolio + "/transactions",
             R"({"type":"DEPOSIT","amount":"1000","currency":"USD","executed_at":"2024-03-01T09:00:00Z"})")
            .status,
        201);
    Record(user, portfolio, Buy("AAPL", "2", "2024-03-02T10:00:00Z"));
    const auto before = Stored(user, portfolio);
    ASSERT_NE(before[0].find("AAPL"), std::string::npos) << before[0];

    probe_->fail_outbox = true;
    const int inserted = probe_->inserted;
    EXPECT_THROW(Record(user, portfolio, Buy("MSFT", "3", "2024-03-03T10:00:00Z")), std::runtime_error);
    EXPECT_EQ(probe_->inserted, inserted + 1) << "the row was inserted before the outbox failed";
    EXPECT_EQ(Stored(user, portfolio), before);

    // The same write succeeds once the outbox does, from the state left behind.
    probe_->fail_outbox = false;
    Record(user, portfolio, Buy("MSFT", "3", "2024-03-03T10:00:00Z"));
    auto holdings = Call(user, "GET", "/api/v1/portfolios/" + portfolio + "/holdings").Json();
    EXPECT_EQ(holdings.at("holdings").as_array().size(), 2u) << holdings;
}

// The incremental ledger (issue 16): appends continue from the stored state, a back-dated
// insert re-derives its one symbol; neither reads the whole ledger, which only a change of the
// cost-basis method does.
TEST_F(RepositorySeam, AnAppendDoesNotReplayTheLedger) {
    const auto user = NewUser();
    const auto portfolio = CreatePortfolio(user);
    Record(user, portfolio, Buy("AAPL", "1", "2024-03-01T10:00:00Z"));
    const int first_reads = probe_->symbol_reads;
    Record(user, portfolio, Buy("AAPL", "2", "2024-03-02T10:00:00Z"));
    Record(user, portfolio, Buy("AAPL", "3", "2024-03-03T10:00:00Z"));
    EXPECT_EQ(probe_->symbol_reads, first_reads) << "an append reads none of the symbol's transactions";
    Record(user, portfolio, Buy("AAPL", "4", "2024-02-01T10:00:00Z"));
    EXPECT_EQ(probe_->symbol_reads, first_reads + 1) << "a back-dated insert re-derives its symbol";
    EXPECT_EQ(probe_->full_replays, 0);

    const Actor actor(*UserId::Parse(IdOf(user)), Role::kUser);
    const PortfolioId id = *PortfolioId::Parse(portfolio);
    auto service = probed_;
    Run([service, actor, id]() -> asio::awaitable<int> {
        std::function<void(Portfolio&)> to_fifo = [](Portfolio& p) {
            p.cost_basis_method = CostBasisMethod::kFifo;
        };
        co_await service->UpdatePortfolio(actor, id, to_fifo, 0);
        co_return 0;
    }());
    EXPECT_EQ(probe_->full_replays, 1) << "a method change re-derives from every transaction";
}

// A currency's cash row goes when its last transaction does. Looking for any other transaction in
// that currency reads the ledger, so it is done only for a currency the change removes and does
// not add again: not for an edit that keeps the currency, which used to cost 5 ms of the 12 of a
// back-dated edit on a 100 000-transaction ledger (nn_bench_ledger).
TEST_F(RepositorySeam, ACashRowGoesWithItsLastTransactionAndAnEditKeepingItsCurrencyLooksForNone) {
    const auto user = NewUser();
    const auto portfolio = CreatePortfolio(user);
    Record(user, portfolio, Buy("AAPL", "1", "2024-03-01T10:00:00Z"));
    Transaction eur = Buy("SAP", "2", "2024-03-02T10:00:00Z");
    eur.currency = Currency::FromCode("EUR");
    eur.fx_rate = *Decimal::Parse("1.1");
    Record(user, portfolio, eur);
    const std::string cash =
        "SELECT coalesce(string_agg(currency, ',' ORDER BY currency), '') FROM "
        "portfolio.cash_balances WHERE portfolio_id = '" +
        portfolio + "'";
    ASSERT_EQ(test::QueryValue(PortfolioDb(), cash), "EUR,USD");
    const std::string eur_id = test::QueryValue(
        PortfolioDb(),
        "SELECT id FROM portfolio.transactions WHERE symbol = 'SAP' AND portfolio_id = '" + portfolio + "'");

    const Actor actor(*UserId::Parse(IdOf(user)), Role::kUser);
    const PortfolioId id = *PortfolioId::Parse(portfolio);
    auto service = probed_;
    const int checks = probe_->unused_cash_checks;
    Transaction edited = eur;
    edited.id = *TransactionId::Parse(eur_id);
    edited.quantity = *Decimal::Parse("3");
    Run([service, actor, id, edited]() -> asio::awaitable<int> {
        co_await service->UpdateTransaction(actor, id, edited, "seam", 0);
        co_return 0;
    }());
    EXPECT_EQ(probe_->unused_cash_checks, checks) << "the edit keeps EUR in use";
    EXPECT_EQ(test::QueryValue(PortfolioDb(), cash), "EUR,USD");

    Run([service, actor, id, edited]() -> asio::awaitable<int> {
        co_await service->DeleteTransaction(actor, id, edited.id, "seam", 0);
        co_return 0;
    }());
    EXPECT_EQ(probe_->unused_cash_checks, checks + 1);
    EXPECT_EQ(test::QueryValue(PortfolioDb(), cash), "USD") << "EUR's last transaction is gone";
}

// The incremental ledger's statements are the repository's (issue 18): its stored states are
// read through it, and a holdings write that fails there rolls the whole write back.
TEST_F(RepositorySeam, TheIncrementalLedgerWritesThroughTheRepository) {
    const auto user = NewUser();
    const auto portfolio = CreatePortfolio(user);
    const int reads = probe_->position_reads;
    Record(user, portfolio, Buy("AAPL", "1", "2024-03-01T10:00:00Z"));
    EXPECT_EQ(probe_->position_reads, reads + 1) << "the stored positions are read through the repository";
    const auto before = Stored(user, portfolio);

    probe_->fail_holdings = true;
    EXPECT_THROW(Record(user, portfolio, Buy("AAPL", "2", "2024-03-02T10:00:00Z")), std::runtime_error);
    EXPECT_EQ(Stored(user, portfolio), before);

    probe_->fail_holdings = false;
    Record(user, portfolio, Buy("AAPL", "2", "2024-03-02T10:00:00Z"));
    auto holdings = Call(user, "GET", "/api/v1/portfolios/" + portfolio + "/holdings").Json();
    ASSERT_EQ(holdings.at("holdings").as_array().size(), 1u) << holdings;
    EXPECT_EQ(holdings.at("holdings").as_array()[0].at("quantity").as_string(), "3") << holdings;
}

// The summary cache (issue 16): a write that commits and invalidates while a summary is being
// built from the rows before it must not leave that summary in the cache. Here the write runs
// between the summary's read and its cache write; the next summary must show it.
TEST_F(RepositorySeam, AWriteDuringASummaryIsNotHiddenByItsCacheEntry) {
    const auto user = NewUser();
    const auto portfolio = CreatePortfolio(user);
    const Actor actor(*UserId::Parse(IdOf(user)), Role::kUser);
    const PortfolioId id = *PortfolioId::Parse(portfolio);
    auto service = probed_;
    auto summary = [&] {
        const std::string body = Run([service, actor]() -> asio::awaitable<std::string> {
            co_return co_await service->SummaryJson(actor, 0);
        }());
        return json::parse(body).at("items").as_array().at(0).at("holdings_count").as_int64();
    };
    Transaction buy = Buy("AAPL", "2", "2024-03-02T10:00:00Z");
    probe_->after_summary_read = [service, actor, id, buy]() -> asio::awaitable<void> {
        std::function<std::string(const Transaction&)> render = [](const Transaction& stored) {
            return stored.id.ToString();
        };
        std::optional<Idempotency> no_key;
        co_await service->CreateTransaction(actor, id, buy, no_key, render, "seam", 0);
    };
    // The write invalidates the cached summary and commits; this summary read the rows before it.
    EXPECT_EQ(summary(), 0) << "the summary read its rows before the write";
    probe_->after_summary_read = nullptr;
    EXPECT_EQ(summary(), 1) << "the summary built before the write was served after it";

    // And the fresh summary is cached (its SET is not awaited: it lands within moments).
    bool served_from_cache = false;
    for (int i = 0; i < 100 && !served_from_cache; ++i) {
        const int reads = probe_->summary_reads;
        EXPECT_EQ(summary(), 1);
        served_from_cache = probe_->summary_reads == reads;
        if (!served_from_cache) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(served_from_cache);
}

}  // namespace
}  // namespace nn::portfolio::testing
