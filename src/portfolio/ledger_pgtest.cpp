// The incremental ledger equals the full replay (issue 16): random ledgers (every type, splits,
// shorts where allowed, FIFO and average cost, three currencies) are built and changed through
// LedgerDeriver, as the service does, against the real database under RLS: appends, imports,
// back-dated inserts, edits (date, symbol, type, amounts) and deletes. After every change the
// stored holdings, cash balances and per-symbol states must be exactly what Replay of every
// stored transaction gives; a change the replay refuses must be refused alike.
#include "portfolio/ledger_deriver.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/this_coro.hpp>

#include "infra/db/pool.hpp"
#include "portfolio/pg_repository.hpp"
#include "portfolio/testing/random_ledger.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/suite_databases.hpp"

namespace nn::portfolio {
namespace {

namespace asio = boost::asio;
using nn::test::RunAwaitable;

std::string Norm(const Decimal& d) {
    return d.Rescale(std::min(d.Scale(), kAmountScale)).Normalized().ToString();
}
std::string NormOpt(const std::optional<Decimal>& d) {
    return d ? Norm(*d) : "null";
}

struct Config {
    std::uint64_t seed;
    CostBasisMethod method;
    bool allow_short;
    std::size_t symbols;
    int operations;
};

class Ledger : public ::testing::TestWithParam<Config> {
protected:
    static void SetUpTestSuite() {
        dbs_ = new test::SuiteDatabases("t_ledger_", {migrate::Database::kPortfolio});
    }
    static void TearDownTestSuite() {
        delete dbs_;
        dbs_ = nullptr;
    }
    static test::SuiteDatabases* dbs_;
};
test::SuiteDatabases* Ledger::dbs_ = nullptr;

// The stored rows against Replay of the stored transactions.
asio::awaitable<void> ExpectEqualToReplay(db::Transaction& tx, const Portfolio& p, const std::string& where) {
    PgRepository repo;
    auto all = co_await repo.AllTransactions(tx, p.id);
    const LedgerSettings s{p.currency, p.cost_basis_method, p.allow_short};
    auto replayed = Replay(all, s);
    if (!replayed) {
        ADD_FAILURE() << where << ": the stored ledger does not replay: " << replayed.Error().message;
        co_return;
    }
    const auto& ledger = replayed.Value();

    auto rows = co_await repo.Holdings(tx, p.id);
    std::map<std::string, HoldingRow> stored;
    for (auto& r : rows) stored.emplace(r.symbol, r);
    EXPECT_EQ(stored.size(), ledger.holdings.size()) << where;
    for (const auto& [symbol, h] : ledger.holdings) {
        auto it = stored.find(symbol);
        if (it == stored.end()) {
            ADD_FAILURE() << where << ": no holding " << symbol;
            continue;
        }
        const HoldingRow& r = it->second;
        const auto m = p.cost_basis_method;
        EXPECT_EQ(r.currency, h.currency.Code()) << where << " " << symbol;
        EXPECT_EQ(Norm(r.quantity), Norm(h.quantity)) << where << " " << symbol;
        EXPECT_EQ(Norm(r.average_cost), Norm(h.AverageCost(m))) << where << " " << symbol;
        EXPECT_EQ(Norm(r.cost_basis), Norm(h.CostBasis(m))) << where << " " << symbol;
        EXPECT_EQ(NormOpt(r.cost_basis_base), NormOpt(h.CostBasisBase(m))) << where << " " << symbol;
        EXPECT_EQ(Norm(r.realized_pnl), Norm(h.Realized(m))) << where << " " << symbol;
        EXPECT_EQ(Norm(r.income), Norm(h.income)) << where << " " << symbol;
        EXPECT_EQ(Norm(r.fees), Norm(h.fees)) << where << " " << symbol;
        EXPECT_EQ(r.first_trade_at, h.first_trade_at) << where << " " << symbol;
    }

    auto cash = co_await repo.Cash(tx, p.id);
    std::map<std::string, std::string> stored_cash, expected_cash;
    for (const auto& [c, b] : cash) stored_cash[c] = Norm(b);
    for (const auto& [c, b] : ledger.cash) expected_cash[std::string(c.Code())] = Norm(b);
    EXPECT_EQ(stored_cash, expected_cash) << where;

    // The stored states, with their pages of lots, are the replay's holdings (both books, every
    // open lot with its number, the lots' totals), exactly.
    auto states = co_await tx.Execute(
        db::Query{
            "SELECT symbol, transaction_count, state FROM portfolio.ledger_positions WHERE portfolio_id = $1",
            "test.ledger_positions"},
        p.id);
    std::map<std::string, std::int64_t> counts;
    for (const auto& t : all) {
        if (t.symbol) ++counts[*t.symbol];
    }
    EXPECT_EQ(static_cast<std::size_t>(states.Size()), ledger.holdings.size()) << where;
    for (auto row : states) {
        const auto symbol = row.Get<std::string>(0);
        auto it = ledger.holdings.find(symbol);
        if (it == ledger.holdings.end()) {
            ADD_FAILURE() << where << ": a state for " << symbol << ", which has no transaction";
            continue;
        }
        EXPECT_EQ(row.Get<std::int64_t>(1), counts[symbol]) << where << " " << symbol;
        auto pages = co_await tx.Execute(
            db::Query{"SELECT lots FROM portfolio.ledger_lot_pages WHERE portfolio_id = $1 AND symbol = $2 "
                      "ORDER BY page",
                      "test.ledger_lot_pages"},
            p.id, symbol);
        std::vector<std::string> texts;
        for (auto page : pages) texts.push_back(page.Get<std::string>(0));
        auto assembled = AssemblePosition(row.Get<std::string>(2), symbol, texts);
        if (!assembled) {
            ADD_FAILURE() << where << ": the stored state and " << texts.size() << " pages of " << symbol
                          << " do not fit together: " << row.Get<std::string>(2);
            continue;
        }
        EXPECT_EQ(EncodeHolding(*assembled), EncodeHolding(it->second)) << where << " " << symbol;
    }
    // No page of a symbol without a position.
    auto orphans = co_await tx.Execute(
        db::Query{
            "SELECT count(*) FROM portfolio.ledger_lot_pages g WHERE g.portfolio_id = $1 AND NOT EXISTS "
            "(SELECT 1 FROM portfolio.ledger_positions l WHERE l.portfolio_id = g.portfolio_id AND "
            "l.symbol = g.symbol)",
            "test.orphan_lot_pages"},
        p.id);
    EXPECT_EQ(orphans[0].Get<std::int64_t>(0), 0) << where;
}

TEST_P(Ledger, IncrementalEqualsFullReplay) {
    const Config cfg = GetParam();
    const std::string owner_url = migrate::AdminUrlFor(*dbs_, migrate::Database::kPortfolio).Reveal();
    Portfolio p;
    p.id = PortfolioId::Generate();
    p.user_id = UserId::Generate();
    p.name = "prop";
    p.currency = Currency::FromCode("USD");
    p.cost_basis_method = cfg.method;
    p.allow_short = cfg.allow_short;
    test::ExecSql(owner_url,
                  "INSERT INTO portfolio.portfolios (id, user_id, name, currency, cost_basis_method, "
                  "allow_short) VALUES ('" +
                      p.id.ToString() + "', '" + p.user_id.ToString() + "', 'prop', 'USD', '" +
                      std::string(MethodName(cfg.method)) + "', " + (cfg.allow_short ? "true" : "false") +
                      ")");
    Actor actor;
    actor.user_id = p.user_id;

    testing::RandomLedgerOptions o;
    o.symbols = cfg.symbols;
    o.allow_short = cfg.allow_short;
    o.split_rarity = 4;
    testing::RandomLedger gen(cfg.seed, o);
    const Timestamp start = o.start;
    constexpr std::int64_t kEvery = 8;  // many checkpoints, so edits land before, on and after them
    // Pages of two lots: appends meet positions whose middle is still in storage, sales that
    // close past the loaded front, splits and checkpoints that need every lot.
    constexpr std::int64_t kPerPage = 2;

    db::PoolOptions po;
    po.connection.url =
        migrate::ServiceUrlFor(*dbs_, migrate::ServiceRole::kPortfolio, migrate::Database::kPortfolio)
            .Reveal();
    po.max_size = 2;
    PgRepository repo;
    int refused = 0, applied = 0;
    RunAwaitable([&]() -> asio::awaitable<void> {
        db::Pool pool(co_await asio::this_coro::executor, po);
        Timestamp latest = start;
        for (int op = 0; op < cfg.operations; ++op) {
            const std::uint64_t kind = op < 20 ? 0 : gen.Pick(100);
            std::string what;
            bool ok = true;
            std::string refusal;
            try {
                co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<void> {
                    LedgerChange change;
                    auto existing = co_await repo.AllTransactions(tx, p.id);
                    if (kind < 45 || existing.empty()) {
                        what = "append";
                        Transaction t = gen.Next();
                        latest = t.executed_at;
                        co_await repo.InsertTransaction(tx, p.id, p.user_id, t, std::nullopt);
                        change.added.push_back(*co_await repo.GetTransaction(tx, p.id, t.id));
                    } else if (kind < 55) {
                        what = "import";
                        std::vector<Transaction> batch;
                        const std::size_t n = 1 + gen.Pick(12);
                        for (std::size_t i = 0; i < n; ++i) {
                            // Mostly new, some back-dated.
                            Transaction t = gen.Pick(4) == 0
                                                ? gen.At(start + (latest - start) * gen.Pick(1000) / 1000)
                                                : gen.Next();
                            if (t.executed_at > latest) latest = t.executed_at;
                            batch.push_back(t);
                        }
                        co_await repo.CopyTransactions(tx, p.id, p.user_id, batch);
                        change.added = std::move(batch);
                    } else if (kind < 70) {
                        what = "back-dated insert";
                        Transaction t = gen.At(start + (latest - start) * gen.Pick(1000) / 1000);
                        co_await repo.InsertTransaction(tx, p.id, p.user_id, t, std::nullopt);
                        change.added.push_back(*co_await repo.GetTransaction(tx, p.id, t.id));
                    } else if (kind < 85) {
                        what = "edit";
                        const Transaction before = existing[gen.Pick(existing.size())];
                        // New content for the same id: another date (or the same), symbol,
                        // type, amounts.
                        Transaction t = gen.Pick(3) == 0
                                            ? gen.At(before.executed_at)
                                            : gen.At(start + (latest - start) * gen.Pick(1000) / 1000);
                        t.id = before.id;
                        co_await repo.UpdateTransaction(tx, p.id, t);
                        change.removed.push_back(before);
                        change.added.push_back(*co_await repo.GetTransaction(tx, p.id, t.id));
                    } else {
                        what = "delete";
                        const Transaction before = existing[gen.Pick(existing.size())];
                        co_await repo.DeleteTransaction(tx, p.id, before.id);
                        change.removed.push_back(before);
                    }
                    // The reference on the changed ledger: refused exactly when it refuses.
                    auto after = co_await repo.AllTransactions(tx, p.id);
                    auto reference =
                        Replay(after, LedgerSettings{p.currency, p.cost_basis_method, p.allow_short});
                    std::string expected_refusal;
                    if (!reference) expected_refusal = LedgerRefusal(reference.Error()).what();
                    std::string got_refusal;
                    try {
                        co_await LedgerDeriver::Apply(tx, repo, p, change, nullptr, kEvery, kPerPage);
                    } catch (const Error& e) {
                        got_refusal = e.what();
                    }
                    EXPECT_EQ(got_refusal, expected_refusal) << "operation " << op << " (" << what << ")";
                    if (!got_refusal.empty()) {
                        refusal = got_refusal;
                        throw Error(ErrorKind::kUnprocessable, "test.refused", refusal);
                    }
                });
            } catch (const Error& e) {
                if (refusal.empty()) throw;
                ok = false;
            }
            if (ok) {
                ++applied;
            } else {
                ++refused;
            }
            co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                               [&](db::Transaction& tx) -> asio::awaitable<void> {
                                   co_await ExpectEqualToReplay(
                                       tx, p, "after operation " + std::to_string(op) + " (" + what + ")");
                               });
            if (::testing::Test::HasFailure()) co_return;
        }
    });
    EXPECT_GT(applied, cfg.operations / 2);
    RecordProperty("refused", refused);
}

// A FIFO portfolio in USD of a new user, stored as its owner.
Portfolio NewFifoPortfolio(const test::SuiteDatabases& dbs) {
    Portfolio p;
    p.id = PortfolioId::Generate();
    p.user_id = UserId::Generate();
    p.name = "fifo";
    p.currency = Currency::FromCode("USD");
    p.cost_basis_method = CostBasisMethod::kFifo;
    test::ExecSql(migrate::AdminUrlFor(dbs, migrate::Database::kPortfolio).Reveal(),
                  "INSERT INTO portfolio.portfolios (id, user_id, name, currency) VALUES ('" +
                      p.id.ToString() + "', '" + p.user_id.ToString() + "', 'fifo', 'USD')");
    return p;
}

// A savings plan: one symbol bought again and again and never sold, so every purchase stays an
// open lot and the state grows with the history. Its checkpoints must not store every open lot
// every few transactions (O(n^2) lots: a 100 000-purchase import never finished), and a
// back-dated edit, delete or append over the sparser checkpoints must still equal the replay.
TEST(LedgerCheckpoints, ASavingsPlanStoresLinearlyManyLotsAndStillEqualsTheReplay) {
    test::SuiteDatabases dbs("t_ledger_plan_", {migrate::Database::kPortfolio});
    const Portfolio p = NewFifoPortfolio(dbs);
    Actor actor;
    actor.user_id = p.user_id;
    constexpr std::int64_t kEvery = 8;
    constexpr int kBuys = 600;
    const Timestamp start = TimestampFromString("2016-01-04T10:00:00Z");
    auto buy = [&](int i) {
        Transaction t;
        t.id = TransactionId::Generate();
        t.type = TransactionType::kBuy;
        t.symbol = "PLAN";
        t.quantity = Decimal::FromInt(1 + i % 3);
        t.price = Decimal::FromString("10.25");
        t.fee = Decimal::FromString("0.5");
        t.executed_at = start + std::chrono::hours(24) * i;
        return t;
    };
    const db::Query lots_in_checkpoints{
        "SELECT count(*), coalesce(sum(split_part(state, ' ', 18)::bigint), 0)::bigint FROM "
        "portfolio.ledger_checkpoints WHERE portfolio_id = $1",
        "test.checkpoint_lots"};

    db::PoolOptions po;
    po.connection.url =
        migrate::ServiceUrlFor(dbs, migrate::ServiceRole::kPortfolio, migrate::Database::kPortfolio).Reveal();
    po.max_size = 1;
    PgRepository repo;
    RunAwaitable([&]() -> asio::awaitable<void> {
        db::Pool pool(co_await asio::this_coro::executor, po);
        auto change_and_check = [&](const std::string& what,
                                    std::function<asio::awaitable<LedgerChange>(db::Transaction&)> change_fn)
            -> asio::awaitable<void> {
            co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<void> {
                LedgerChange change = co_await change_fn(tx);
                co_await LedgerDeriver::Apply(tx, repo, p, change, nullptr, kEvery);
            });
            co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                               [&](db::Transaction& tx) -> asio::awaitable<void> {
                                   co_await ExpectEqualToReplay(tx, p, what);
                                   auto r = co_await tx.Execute(lots_in_checkpoints, p.id);
                                   const auto checkpoints = r[0].Get<std::int64_t>(0);
                                   const auto lots = r[0].Get<std::int64_t>(1);
                                   EXPECT_GE(checkpoints, 4) << what;
                                   EXPECT_LE(lots, 9 * kBuys)
                                       << what << ": lots stored in " << checkpoints << " checkpoints";
                               });
        };
        co_await change_and_check("import", [&](db::Transaction& tx) -> asio::awaitable<LedgerChange> {
            std::vector<Transaction> batch;
            for (int i = 0; i < kBuys; ++i) batch.push_back(buy(i));
            co_await repo.CopyTransactions(tx, p.id, p.user_id, batch);
            LedgerChange change;
            change.added = std::move(batch);
            co_return change;
        });
        auto nth = [&](db::Transaction& tx, int n) -> asio::awaitable<Transaction> {
            auto all = co_await repo.AllTransactions(tx, p.id);
            co_return all.at(static_cast<std::size_t>(n));
        };
        co_await change_and_check("back-dated edit",
                                  [&](db::Transaction& tx) -> asio::awaitable<LedgerChange> {
                                      const Transaction before = co_await nth(tx, 100);
                                      Transaction t = before;
                                      t.quantity = *t.quantity + Decimal::FromInt(5);
                                      co_await repo.UpdateTransaction(tx, p.id, t);
                                      LedgerChange change;
                                      change.removed.push_back(before);
                                      change.added.push_back(*co_await repo.GetTransaction(tx, p.id, t.id));
                                      co_return change;
                                  });
        co_await change_and_check("back-dated delete",
                                  [&](db::Transaction& tx) -> asio::awaitable<LedgerChange> {
                                      const Transaction before = co_await nth(tx, kBuys - 40);
                                      co_await repo.DeleteTransaction(tx, p.id, before.id);
                                      LedgerChange change;
                                      change.removed.push_back(before);
                                      co_return change;
                                  });
        co_await change_and_check("append", [&](db::Transaction& tx) -> asio::awaitable<LedgerChange> {
            Transaction t = buy(kBuys + 1);
            co_await repo.InsertTransaction(tx, p.id, p.user_id, t, std::nullopt);
            LedgerChange change;
            change.added.push_back(*co_await repo.GetTransaction(tx, p.id, t.id));
            co_return change;
        });

        // What an append writes does not grow with the open lots: the position's state holds none
        // of them, and a purchase or a sale rewrites at most two pages of them.
        const db::Query written{
            "SELECT (SELECT length(state) FROM portfolio.ledger_positions WHERE portfolio_id = $1), "
            "pg_stat_get_xact_tuples_inserted('portfolio.ledger_lot_pages'::regclass) + "
            "pg_stat_get_xact_tuples_updated('portfolio.ledger_lot_pages'::regclass), "
            "pg_stat_get_xact_tuples_deleted('portfolio.ledger_lot_pages'::regclass)",
            "test.lot_pages_written"};
        int later = 0;
        for (const TransactionType type :
             {TransactionType::kBuy, TransactionType::kSell, TransactionType::kBuy}) {
            ++later;
            co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<void> {
                // The counts include what earlier transactions of the connection did and did not
                // report yet: the difference is this one's.
                auto before = co_await tx.Execute(written, p.id);
                Transaction t = buy(kBuys + 10);
                t.type = type;
                t.executed_at = Now() - std::chrono::hours(1) + std::chrono::seconds(later);
                co_await repo.InsertTransaction(tx, p.id, p.user_id, t, std::nullopt);
                LedgerChange change;
                change.added.push_back(*co_await repo.GetTransaction(tx, p.id, t.id));
                co_await LedgerDeriver::Apply(tx, repo, p, change, nullptr, kEvery);
                // The deferred writes go before this read.
                auto r = co_await tx.Execute(written, p.id);
                EXPECT_LT(r[0].Get<std::int64_t>(0), 400) << "the stored position of " << kBuys << " lots";
                EXPECT_LE(r[0].Get<std::int64_t>(1) - before[0].Get<std::int64_t>(1), 2)
                    << "pages written by a " << TypeName(type);
                EXPECT_LE(r[0].Get<std::int64_t>(2) - before[0].Get<std::int64_t>(2), 1)
                    << "pages deleted by a " << TypeName(type);
            });
            co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                               [&](db::Transaction& tx) -> asio::awaitable<void> {
                                   co_await ExpectEqualToReplay(
                                       tx, p, std::string("append of a ") + std::string(TypeName(type)));
                               });
        }
    });
}

// Pages of two lots: sales of one unit from a position of one-unit lots empty the loaded front
// page exactly (its successor still in storage), then reach into that one; a split and a flat
// position follow. Each step must equal the replay.
TEST(LedgerCheckpoints, SalesAcrossStoredPagesEqualTheReplay) {
    test::SuiteDatabases dbs("t_ledger_pages_", {migrate::Database::kPortfolio});
    const Portfolio p = NewFifoPortfolio(dbs);
    Actor actor;
    actor.user_id = p.user_id;
    db::PoolOptions po;
    po.connection.url =
        migrate::ServiceUrlFor(dbs, migrate::ServiceRole::kPortfolio, migrate::Database::kPortfolio).Reveal();
    po.max_size = 1;
    PgRepository repo;
    const Timestamp start = TimestampFromString("2020-01-06T10:00:00Z");
    int day = 0;
    auto record = [&](TransactionType type, const char* quantity) {
        Transaction t;
        t.id = TransactionId::Generate();
        t.type = type;
        t.symbol = "PG";
        if (type == TransactionType::kSplit) {
            t.split_ratio = Decimal::FromString(quantity);
        } else {
            t.quantity = Decimal::FromString(quantity);
            t.price = Decimal::FromString("10.5");
        }
        t.executed_at = start + std::chrono::hours(24) * day++;
        return t;
    };
    RunAwaitable([&]() -> asio::awaitable<void> {
        db::Pool pool(co_await asio::this_coro::executor, po);
        auto append = [&](Transaction t, const std::string& what) -> asio::awaitable<void> {
            co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<void> {
                co_await repo.InsertTransaction(tx, p.id, p.user_id, t, std::nullopt);
                LedgerChange change;
                change.added.push_back(*co_await repo.GetTransaction(tx, p.id, t.id));
                co_await LedgerDeriver::Apply(tx, repo, p, change, nullptr, 1 << 20, 2);
            });
            co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                               [&](db::Transaction& tx) -> asio::awaitable<void> {
                                   co_await ExpectEqualToReplay(tx, p, what);
                               });
        };
        for (int i = 0; i < 7; ++i)
            co_await append(record(TransactionType::kBuy, "1"), "buy " + std::to_string(i));
        for (int i = 0; i < 3; ++i)
            co_await append(record(TransactionType::kSell, "1"), "sell " + std::to_string(i));
        co_await append(record(TransactionType::kSell, "2.5"), "a sale across pages");
        co_await append(record(TransactionType::kBuy, "3"), "a buy after it");
        co_await append(record(TransactionType::kSplit, "2"), "a split");
        co_await append(record(TransactionType::kSell, "1"), "a sale after the split");
        co_await append(record(TransactionType::kSell, "8"), "flat");
        co_await append(record(TransactionType::kBuy, "1"), "a buy after flat");
    });
}

INSTANTIATE_TEST_SUITE_P(RandomLedgers,
                         Ledger,
                         ::testing::Values(Config{1, CostBasisMethod::kFifo, false, 3, 250},
                                           Config{2, CostBasisMethod::kAverage, false, 3, 250},
                                           Config{3, CostBasisMethod::kFifo, true, 2, 250},
                                           Config{4, CostBasisMethod::kAverage, true, 4, 250},
                                           Config{5, CostBasisMethod::kFifo, false, 1, 200}));

}  // namespace
}  // namespace nn::portfolio
