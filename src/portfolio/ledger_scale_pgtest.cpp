// Reads and writes at scale (issue 16): on a 100 000-transaction, 10-year portfolio (40
// symbols), under RLS as the service role and with generic plans forced (what a prepared
// statement ends up with), the number of transaction rows each operation reads
// (sequentially scanned or fetched through an index, before filters) is bounded by
// what it needs: a page of the history its page, an append a constant, a back-dated edit its
// symbol's tail after a checkpoint. No operation reads every transaction.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio/this_coro.hpp>

#include "infra/db/pool.hpp"
#include "portfolio/ledger_deriver.hpp"
#include "portfolio/pg_repository.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/suite_databases.hpp"

namespace nn::portfolio {
namespace {

namespace asio = boost::asio;
using nn::test::RunAwaitable;

constexpr int kTransactions = 100'000;
constexpr int kSymbols = 40;

constexpr db::Query kGeneric{"SET LOCAL plan_cache_mode = force_generic_plan", "test.generic"};
// Rows of portfolio.transactions read so far in this transaction: sequentially scanned, plus
// the entries its indexes returned (before any filter drops a row).
constexpr db::Query kRowsRead{
    "SELECT pg_stat_get_xact_tuples_returned('portfolio.transactions'::regclass) + "
    "coalesce(sum(pg_stat_get_xact_tuples_returned(indexrelid)), 0)::bigint FROM pg_index "
    "WHERE indrelid = 'portfolio.transactions'::regclass",
    "test.rows_read"};

class LedgerScale : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dbs_ = new test::SuiteDatabases("t_ledger_scale_", {migrate::Database::kPortfolio});
        portfolio_ = PortfolioId::Generate();
        user_ = UserId::Generate();
        const std::string owner = migrate::AdminUrlFor(*dbs_, migrate::Database::kPortfolio).Reveal();
        // Ten years, one transaction every ~53 minutes, round-robin over the symbols: BUYs and a
        // DIVIDEND every tenth.
        test::ExecSql(
            owner, "INSERT INTO portfolio.portfolios (id, user_id, name, currency) VALUES ('" +
                       portfolio_.ToString() + "', '" + user_.ToString() +
                       "', 'big', 'USD');"
                       "INSERT INTO portfolio.transactions (portfolio_id, user_id, type, symbol, quantity, "
                       "price, amount, currency, executed_at, created_at) "
                       "SELECT '" +
                       portfolio_.ToString() + "', '" + user_.ToString() +
                       "', CASE WHEN k % 10 = 9 THEN 'DIVIDEND' ELSE 'BUY' END, 'S' || (k % " +
                       std::to_string(kSymbols) +
                       "), CASE WHEN k % 10 = 9 THEN NULL ELSE 1 + k % 7 END, "
                       "CASE WHEN k % 10 = 9 THEN NULL ELSE 10 + k % 90 END, "
                       "CASE WHEN k % 10 = 9 THEN 3 ELSE NULL END, 'USD', "
                       "timestamptz '2016-01-01' + k * interval '3155 seconds', timestamptz '2016-01-01' "
                       "FROM generate_series(0, " +
                       std::to_string(kTransactions - 1) + ") k; ANALYZE portfolio.transactions");
    }
    static void TearDownTestSuite() {
        delete dbs_;
        dbs_ = nullptr;
    }

    // Runs `body` in a transaction as the owner with generic plans; returns the transaction
    // rows it read.
    static std::int64_t RowsRead(const std::function<asio::awaitable<void>(db::Transaction&)>& body) {
        db::PoolOptions po;
        po.connection.url =
            migrate::ServiceUrlFor(*dbs_, migrate::ServiceRole::kPortfolio, migrate::Database::kPortfolio)
                .Reveal();
        po.max_size = 1;
        std::int64_t read = -1;
        Actor actor;
        actor.user_id = user_;
        RunAwaitable([&]() -> asio::awaitable<void> {
            db::Pool pool(co_await asio::this_coro::executor, po);
            co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<void> {
                co_await tx.Execute(kGeneric);
                auto before = co_await tx.Execute(kRowsRead);
                const std::int64_t start = before[0].Get<std::int64_t>(0);
                co_await body(tx);
                auto after = co_await tx.Execute(kRowsRead);
                read = after[0].Get<std::int64_t>(0) - start;
            });
        });
        return read;
    }

    static Portfolio ThePortfolio() {
        Portfolio p;
        p.id = portfolio_;
        p.user_id = user_;
        p.currency = Currency::FromCode("USD");
        return p;
    }

    static test::SuiteDatabases* dbs_;
    static PortfolioId portfolio_;
    static UserId user_;
};
test::SuiteDatabases* LedgerScale::dbs_ = nullptr;
PortfolioId LedgerScale::portfolio_;
UserId LedgerScale::user_;

TEST_F(LedgerScale, AHistoryPageReadsItsPage) {
    PgRepository repo;
    TransactionFilter deep;
    deep.after = std::pair(TimestampFromString("2021-01-01T00:00:00Z"), TransactionId());
    deep.limit = 50;
    std::size_t got = 0;
    const auto read = RowsRead([&](db::Transaction& tx) -> asio::awaitable<void> {
        got = (co_await repo.ListTransactions(tx, portfolio_, deep)).size();
    });
    EXPECT_EQ(got, 50u);
    EXPECT_LE(read, 60) << "rows read for a page of 50 in the middle of the history";

    TransactionFilter symbol = deep;
    symbol.symbol = "S7";
    symbol.from = TimestampFromString("2019-01-01T00:00:00Z");
    const auto read_symbol = RowsRead([&](db::Transaction& tx) -> asio::awaitable<void> {
        got = (co_await repo.ListTransactions(tx, portfolio_, symbol)).size();
    });
    EXPECT_EQ(got, 50u);
    EXPECT_LE(read_symbol, 60) << "rows read for a page of one symbol";

    TransactionFilter window;
    window.from = TimestampFromString("2020-03-01T00:00:00Z");
    window.to = TimestampFromString("2020-03-02T00:00:00Z");
    window.limit = 200;
    const auto read_window = RowsRead([&](db::Transaction& tx) -> asio::awaitable<void> {
        got = (co_await repo.ListTransactions(tx, portfolio_, window)).size();
    });
    EXPECT_GT(got, 20u);
    EXPECT_LE(read_window, static_cast<std::int64_t>(got) + 5) << "rows read for one day";
}

TEST_F(LedgerScale, WritesReadTheirSymbolOnly) {
    const Portfolio p = ThePortfolio();
    PgRepository repo;
    const std::int64_t per_symbol = kTransactions / kSymbols;
    auto append = [&](const char* symbol) {
        return RowsRead([&](db::Transaction& tx) -> asio::awaitable<void> {
            Transaction t;
            t.id = TransactionId::Generate();
            t.type = TransactionType::kBuy;
            t.symbol = symbol;
            t.quantity = Decimal::FromInt(1);
            t.price = Decimal::FromInt(50);
            t.executed_at = TimestampFromString("2026-06-01T00:00:00Z");
            co_await repo.InsertTransaction(tx, p.id, p.user_id, t, std::nullopt);
            LedgerChange change;
            change.added.push_back(*co_await repo.GetTransaction(tx, p.id, t.id));
            co_await LedgerDeriver::Apply(tx, repo, p, change);
        });
    };
    // No stored state yet (as after the migration): the symbol derives from its first transaction.
    const auto first = append("S3");
    EXPECT_LE(first, per_symbol + 10);
    // Then an append reads no transaction of the history.
    const auto second = append("S3");
    EXPECT_LE(second, 5);

    // A back-dated edit in the middle re-derives its symbol from the checkpoint before it.
    const auto edit = RowsRead([&](db::Transaction& tx) -> asio::awaitable<void> {
        TransactionFilter f;
        f.symbol = "S3";
        f.after = std::pair(TimestampFromString("2021-01-01T00:00:00Z"), TransactionId());
        f.limit = 1;
        auto page = co_await repo.ListTransactions(tx, p.id, f);
        Transaction before = page.at(0);
        Transaction t = before;
        t.quantity = *t.quantity + Decimal::FromInt(1);
        co_await repo.UpdateTransaction(tx, p.id, t);
        LedgerChange change;
        change.removed.push_back(before);
        change.added.push_back(*co_await repo.GetTransaction(tx, p.id, t.id));
        co_await LedgerDeriver::Apply(tx, repo, p, change);
    });
    // Checkpoints are at most a stride apart, and a symbol has no more open lots than transactions.
    EXPECT_LE(edit, per_symbol / 2 + CheckpointStride(per_symbol, kCheckpointEvery) + 20)
        << "the symbol's tail after the checkpoint";
}

}  // namespace
}  // namespace nn::portfolio
