// Reads at scale (issue 16, docs/analytics.md §17): on a 20 000-transaction, 10-year portfolio a
// one-month performance range and a one-month statement read a bounded number of transaction
// rows (the read checkpoint before the period and the transactions since), give exactly what
// the computation from the first transaction gives, and stay exact after a back-dated change
// (which drops the checkpoints from its day on).
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "analytics/analytics_api_fixture.hpp"
#include "analytics/transaction_reader.hpp"

namespace nn::analytics {
namespace {
namespace json = boost::json;
using testing::Reply;

struct ReadScaleSuite {
    static constexpr const char* kPrefix = "t_an_rscale_";
};

constexpr int kTransactions = 20'000;
constexpr int kSymbols = 13;
// Rows one month may read: the transactions from the checkpoint before its opening (month ends
// >= 512 transactions apart, ~167 a month here) to its end, plus pages' slack.
constexpr std::uint64_t kBound = 1500;

class ReadScale : public testing::AnalyticsApi<ReadScaleSuite> {
protected:
    // Ten years (2016-2025), one transaction every ~4.4 hours: BUYs, a DEPOSIT and a DIVIDEND
    // every tenth, a SELL every tenth after the first hundred; daily closes for every symbol.
    std::string Setup(const std::string& user) {
        prefix_ = "RS" + test::UniqueName("").substr(0, 5);
        Sql(TimescaleDb(),
            "INSERT INTO market_data.ohlcv_1d (symbol, trading_date, open, high, low, close, tick_count, "
            "open_time, close_time) SELECT '" +
                prefix_ +
                "' || s, d::date, 10 + s, 10 + s, 10 + s, 50 + s + (d::date - date '2016-01-01') % 37, 1, d, "
                "d "
                "FROM generate_series(0, " +
                std::to_string(kSymbols - 1) +
                ") s, generate_series(timestamptz '2015-12-01', timestamptz '2026-01-31', interval '1 day') "
                "d "
                "RETURNING 1");
        const std::string pid = CreatePortfolio(user);
        Sql(PortfolioDb(),
            "INSERT INTO portfolio.transactions (portfolio_id, user_id, type, symbol, quantity, price, "
            "amount, "
            "currency, executed_at, created_at) SELECT '" +
                pid + "', '" + IdOf(user) + "', t.type, CASE WHEN t.type = 'DEPOSIT' THEN NULL ELSE '" +
                prefix_ + "' || (k % " + std::to_string(kSymbols) +
                ") END, CASE WHEN t.type IN ('BUY', 'SELL') THEN 1 + k % 7 END, "
                "CASE WHEN t.type IN ('BUY', 'SELL') THEN 10 + k % 90 END, "
                "CASE WHEN t.type = 'DIVIDEND' THEN 3 WHEN t.type = 'DEPOSIT' THEN 500 END, 'USD', "
                "timestamptz '2016-01-01' + k * interval '15768 seconds', timestamptz '2016-01-01' "
                "FROM generate_series(0, " +
                std::to_string(kTransactions - 1) +
                ") k, LATERAL (SELECT CASE WHEN k % 10 = 9 THEN 'DIVIDEND' WHEN k % 10 = 4 THEN 'DEPOSIT' "
                "WHEN k % 10 = 7 AND k > 100 THEN 'SELL' ELSE 'BUY' END AS type) t; "
                "ANALYZE portfolio.transactions; SELECT 1");
        return pid;
    }

    // The performance of [from, to], and the transaction rows it read.
    std::pair<std::string, std::uint64_t> Performance(const std::string& user,
                                                      const std::string& pid,
                                                      const std::string& from,
                                                      const std::string& to) {
        const std::uint64_t before = TransactionRowsRead();
        const Reply r =
            Call(user, "GET", "/api/v1/portfolios/" + pid + "/performance?from=" + from + "&to=" + to);
        EXPECT_EQ(r.status, 200) << r.body;
        return {r.body, TransactionRowsRead() - before};
    }

    // The statement of a month (its stored JSON), and the transaction rows it read.
    std::pair<std::string, std::uint64_t> Statement(const std::string& user,
                                                    const std::string& pid,
                                                    int year,
                                                    int month) {
        const std::string base = "/api/v1/portfolios/" + pid + "/reports";
        const std::uint64_t before = TransactionRowsRead();
        const Reply r = Call(user, "POST", base,
                             R"({"period":"monthly","year":)" + std::to_string(year) + R"(,"month":)" +
                                 std::to_string(month) + "}");
        const std::uint64_t read = TransactionRowsRead() - before;
        EXPECT_TRUE(r.status == 201 || r.status == 200) << r.body;
        const Reply doc = Call(user, "GET", base + "/" + std::string(r.Json().at("id").as_string()));
        EXPECT_EQ(doc.status, 200) << doc.body;
        return {doc.body, read};
    }

    std::string Checkpoints(const std::string& pid, const std::string& where = "true") {
        return Sql(PortfolioDb(), "SELECT count(*) FROM portfolio.read_checkpoints WHERE portfolio_id = '" +
                                      pid + "' AND " + where);
    }
    void ForgetCheckpoints(const std::string& pid) {
        Sql(PortfolioDb(),
            "DELETE FROM portfolio.read_checkpoints WHERE portfolio_id = '" + pid + "'; SELECT 1");
    }

    std::string prefix_;
};

TEST_F(ReadScale, OneMonthReadsItsNeighbourhoodAndGivesTheFullResult) {
    const std::string user = NewUser();
    const std::string pid = Setup(user);

    // The first read after an import has no checkpoint yet: it reads from the first transaction
    // once, and stores the checkpoints it passes.
    const auto warm = Performance(user, pid, "2025-12-01", "2025-12-31");
    EXPECT_GT(warm.second, 19'000u);
    EXPECT_GT(std::stoi(Checkpoints(pid)), 20);

    // Then a month anywhere in the history reads its neighbourhood only.
    const auto may_2019 = Performance(user, pid, "2019-05-01", "2019-05-31");
    EXPECT_LE(may_2019.second, kBound) << "rows read for a one-month performance range";
    const auto march_2024 = Performance(user, pid, "2024-03-01", "2024-03-31");
    EXPECT_LE(march_2024.second, kBound) << "rows read for a one-month performance range";
    const auto july_2021 = Statement(user, pid, 2021, 7);
    EXPECT_LE(july_2021.second, kBound) << "rows read for a one-month statement";
    EXPECT_NE(july_2021.first.find("\"realized_gains\""), std::string::npos);
    // Insights read the 12 months to today and each held symbol's last trade.
    const std::uint64_t before_insights = TransactionRowsRead();
    EXPECT_EQ(Call(user, "GET", "/api/v1/portfolios/" + pid + "/insights").status, 200);
    EXPECT_LE(TransactionRowsRead() - before_insights, kBound) << "rows read for insights";

    // Exactly what the computation from the first transaction gives.
    ForgetCheckpoints(pid);
    const auto full_march = Performance(user, pid, "2024-03-01", "2024-03-31");
    EXPECT_GT(full_march.second, 15'000u);
    EXPECT_EQ(march_2024.first, full_march.first);
    ForgetCheckpoints(pid);
    const auto full_july = Statement(user, pid, 2021, 7);
    EXPECT_GT(full_july.second, 10'000u);
    EXPECT_EQ(july_2021.first, full_july.first);
    ForgetCheckpoints(pid);
    EXPECT_EQ(Performance(user, pid, "2019-05-01", "2019-05-31").first, may_2019.first);

    // A back-dated purchase drops the checkpoints from its day on; the next reads start from the
    // one before it and are again exact.
    Performance(user, pid, "2025-12-01", "2025-12-31");
    ASSERT_GT(std::stoi(Checkpoints(pid, "day >= '2020-06-15'")), 0);
    Tx(user, pid,
       R"({"type":"BUY","symbol":")" + prefix_ +
           R"(0","quantity":"1000","price":"1.5","currency":"USD","executed_at":"2020-06-15T09:00:00Z"})");
    EXPECT_EQ(Checkpoints(pid, "day >= '2020-06-15'"), "0");
    EXPECT_GT(std::stoi(Checkpoints(pid)), 0);
    const auto after_edit = Performance(user, pid, "2024-03-01", "2024-03-31");
    EXPECT_NE(after_edit.first, march_2024.first);
    const auto after_edit_statement = Statement(user, pid, 2021, 7);
    EXPECT_NE(after_edit_statement.first, july_2021.first);
    ForgetCheckpoints(pid);
    EXPECT_EQ(Performance(user, pid, "2024-03-01", "2024-03-31").first, after_edit.first);
    ForgetCheckpoints(pid);
    EXPECT_EQ(Statement(user, pid, 2021, 7).first, after_edit_statement.first);
}

}  // namespace
}  // namespace nn::analytics
