// Statements (docs/analytics.md §13) on a hand-computed month, the CSV rendering, and the edge
// cases: everything sold, a leap year, February of a leap year.
#include "analytics/statement.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/testing.hpp"

namespace nn::analytics {
namespace {

using portfolio::Transaction;
using portfolio::TransactionType;

using nn::testing::D;

Transaction Tx(const char* at, TransactionType type) {
    Transaction t;
    t.id = TransactionId::Generate();
    t.type = type;
    t.executed_at = TimestampFromString(std::string(at) + "T12:00:00Z");
    t.created_at = t.executed_at;
    return t;
}

Transaction StatementCash(const char* at, TransactionType type, const char* amount, const char* fee = "0") {
    Transaction t = Tx(at, type);
    t.amount = D(amount);
    t.fee = D(fee);
    return t;
}

Transaction StatementTrade(
    const char* at, TransactionType type, const char* qty, const char* price, const char* fee) {
    Transaction t = Tx(at, type);
    t.symbol = "AAA";
    t.quantity = D(qty);
    t.price = D(price);
    t.fee = D(fee);
    return t;
}

// October 2026 of a USD portfolio (average cost):
//   09-15 deposit 10,000; 09-16 buy 10 AAA at 100 + fee 5        -> cash 8,995
//   10-05 buy 10 at 120 + fee 5 (cash 7,790; cost 2,210 for 20 = 110.5 each)
//   10-10 dividend 20, fee 3 (income 17; cash 7,807)
//   10-20 sell 5 at 130, fee 5: proceeds 645, cost 5 x 110.5 = 552.5, realized 92.5 (cash 8,452)
//   10-25 fee 10 (cash 8,442); 10-30 withdraw 442 (cash 8,000)
// AAA closes at 110 on 09-30 and 140 on 10-31 (no close between).
// Opening (09-30): 8,995 + 10 x 110 = 10,095. Closing: 15 x 140 + 8,000 = 10,100.
// Gain = 10,100 - 10,095 + 442 = 447; simple = 447 / 10,095.
// Daily values: 10,095 to 10-04; 9,990 (10-05); 10,007 (10-10); 10,102 (10-20); 10,092
// (10-25); 9,650 after the 442 withdrawal (10-30, r = 0); 10,100 (10-31), so
// TWR = 10,092 / 10,095 x 10,100 / 9,650 - 1.
StatementInputs October() {
    StatementInputs in;
    in.portfolio.id = PortfolioId::Generate();
    in.portfolio.currency = Currency::FromCode("USD");
    in.transactions = {
        StatementCash("2026-09-15", TransactionType::kDeposit, "10000"),
        StatementTrade("2026-09-16", TransactionType::kBuy, "10", "100", "5"),
        StatementTrade("2026-10-05", TransactionType::kBuy, "10", "120", "5"),
        StatementCash("2026-10-10", TransactionType::kDividend, "20", "3"),
        StatementTrade("2026-10-20", TransactionType::kSell, "5", "130", "5"),
        StatementCash("2026-10-25", TransactionType::kFee, "10"),
        StatementCash("2026-10-30", TransactionType::kWithdrawal, "442"),
    };
    in.transactions[3].symbol = "AAA";
    in.transactions[5].notes = "custody, \"Q4\"";
    in.closes["AAA"] = {{DateFromString("2026-09-30"), D("110")}, {DateFromString("2026-10-31"), D("140")}};
    in.period = MonthlyPeriod(2026, 10);
    in.as_of = in.period.end;
    return in;
}

TEST(Statement, WorkedMonth) {
    const Statement s = BuildStatement(October());
    EXPECT_EQ(FormatDate(s.period.start), "2026-10-01");
    EXPECT_EQ(FormatDate(s.period.end), "2026-10-31");
    ASSERT_EQ(s.holdings.size(), 1u);
    EXPECT_EQ(s.holdings[0].quantity.ToString(), "15");
    EXPECT_EQ(s.holdings[0].cost_basis.ToString(), "1657.5");
    EXPECT_EQ(s.holdings[0].price_source, "close");
    EXPECT_EQ(s.holdings[0].market_value_base->ToString(), "2100");
    ASSERT_EQ(s.cash.size(), 1u);
    EXPECT_EQ(s.cash[0].balance.ToString(), "8000");
    EXPECT_EQ(s.total_value->ToString(), "10100");
    EXPECT_EQ(s.transactions.size(), 5u);  // September's two are not in the period

    struct Line {
        const char* type;
        const char* amount;
    };
    const Line fees[] = {{"BUY", "5"}, {"DIVIDEND", "3"}, {"SELL", "5"}, {"FEE", "10"}};
    ASSERT_EQ(s.fees.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(s.fees[i].type, fees[i].type);
        EXPECT_EQ(s.fees[i].amount.ToString(), fees[i].amount);
    }
    EXPECT_EQ(s.fees_total->ToString(), "23");
    ASSERT_EQ(s.income.size(), 1u);
    EXPECT_EQ(s.income[0].amount.ToString(), "17");
    EXPECT_EQ(s.dividends->ToString(), "17");
    EXPECT_EQ(s.interest->ToString(), "0");
    ASSERT_EQ(s.realized.size(), 1u);
    EXPECT_EQ(s.realized[0].amount.ToString(), "92.5");
    EXPECT_EQ(s.realized[0].proceeds->ToString(), "645");
    EXPECT_EQ(s.realized_total->ToString(), "92.5");

    const PeriodPerformance& perf = s.performance.performance;
    EXPECT_EQ(perf.days, 31);
    EXPECT_EQ(perf.gain.opening_value.ToNormalizedString(), "10095");
    EXPECT_EQ(perf.gain.closing_value.ToNormalizedString(), "10100");
    EXPECT_EQ(perf.gain.outflows.ToNormalizedString(), "442");
    EXPECT_EQ(perf.gain.total.ToNormalizedString(), "447");
    EXPECT_EQ(perf.gain.income.ToNormalizedString(), "17");
    EXPECT_NEAR(perf.time_weighted, 10092.0 / 10095.0 * 10100.0 / 9650.0 - 1.0, 1e-12);
    ASSERT_TRUE(perf.simple);
    EXPECT_NEAR(*perf.simple, 447.0 / 10095.0, 1e-12);
    EXPECT_FALSE(perf.time_weighted_annualised);  // a month is never annualised
}

// Issue 14.8: the instrument's currency decides how its closes are converted, not whichever
// transaction happened to be read last. A SPLIT (ratio 1) of AAA recorded in EUR on 10-28 made
// the rebuilt history value AAA's USD closes as EUR without an EUR rate (at 0): closing value
// 8,000 instead of 10,100. Without a listed currency the holding's currency decides (its first
// trade; a SPLIT may carry another currency, docs/portfolio.md).
TEST(Statement, InstrumentCurrencyIsNotTakenFromASplit) {
    StatementInputs in = October();
    Transaction split = Tx("2026-10-28", TransactionType::kSplit);
    split.symbol = "AAA";
    split.split_ratio = D("1");
    split.currency = Currency::FromCode("EUR");
    in.transactions.push_back(split);
    const Statement s = BuildStatement(in);
    const PeriodPerformance& perf = s.performance.performance;
    EXPECT_EQ(perf.gain.closing_value.ToNormalizedString(), "10100");
    EXPECT_NEAR(perf.time_weighted, 10092.0 / 10095.0 * 10100.0 / 9650.0 - 1.0, 1e-12);
    EXPECT_TRUE(s.gaps.empty());
}

TEST(Statement, CsvSectionsAreRfc4180) {
    const std::string csv = StatementCsv(BuildStatement(October()));
    EXPECT_EQ(csv.rfind("summary\r\nfield,value\r\nreport_type,MONTHLY\r\n", 0), 0u) << csv.substr(0, 80);
    for (const char* section :
         {"\r\n\r\nperformance\r\nmeasure,value\r\n",
          "\r\n\r\nholdings\r\nsymbol,currency,quantity,cost_basis,price,price_source,rate,"
          "market_value,market_value_base\r\nAAA,USD,15,1657.5,140,close,1,2100,2100\r\n",
          "\r\n\r\ncash\r\ncurrency,balance,rate,value_base\r\nUSD,8000,1,8000\r\n",
          "\r\n\r\nincome\r\ndate,type,symbol,currency,amount,amount_base\r\n"
          "2026-10-10,DIVIDEND,AAA,USD,17,17\r\n",
          "\r\n\r\nrealized_gains\r\ndate,type,symbol,currency,quantity,proceeds,realized,"
          "realized_base\r\n2026-10-20,SELL,AAA,USD,5,645,92.5,92.5\r\n",
          "gain,447\r\n", "total_value,10100\r\n"}) {
        EXPECT_NE(csv.find(section), std::string::npos) << section << "\n---\n" << csv;
    }
    // A note with a comma and quotes is quoted, its quotes doubled.
    EXPECT_NE(csv.find(",\"custody, \"\"Q4\"\"\"\r\n"), std::string::npos) << csv;
    // No bare line feed: every record ends with CRLF.
    for (std::size_t i = csv.find('\n'); i != std::string::npos; i = csv.find('\n', i + 1)) {
        ASSERT_GT(i, 0u);
        EXPECT_EQ(csv[i - 1], '\r');
    }
}

// 2024 is a leap year: 366 days. Everything was sold in March: no holdings at the end, the
// realized gain is in the statement, and the cash is the whole value.
TEST(Statement, LeapYearEverythingSold) {
    StatementInputs in;
    in.portfolio.id = PortfolioId::Generate();
    in.portfolio.currency = Currency::FromCode("USD");
    in.transactions = {
        StatementCash("2024-01-01", TransactionType::kDeposit, "1000"),
        StatementTrade("2024-01-01", TransactionType::kBuy, "10", "100", "0"),
        StatementTrade("2024-02-29", TransactionType::kSell, "10", "110", "0"),
    };
    in.period = AnnualPeriod(2024);
    in.as_of = in.period.end;
    const Statement s = BuildStatement(in);
    EXPECT_EQ(s.performance.performance.days, 366);
    EXPECT_TRUE(s.holdings.empty());
    EXPECT_EQ(s.total_value->ToString(), "1100");
    ASSERT_EQ(s.realized.size(), 1u);
    EXPECT_EQ(s.realized[0].amount.ToString(), "100");
    EXPECT_EQ(FormatDate(s.realized[0].date), "2024-02-29");
    // Flows on the first day, no close ever: valued at the trade price, then cash only.
    EXPECT_NEAR(s.performance.performance.time_weighted, 0.1, 1e-12);
    ASSERT_TRUE(s.performance.performance.time_weighted_annualised);  // exactly one year
    EXPECT_NEAR(*s.performance.performance.time_weighted_annualised, 0.1, 1e-12);

    EXPECT_EQ(FormatDate(MonthlyPeriod(2024, 2).end), "2024-02-29");
    EXPECT_EQ(FormatDate(MonthlyPeriod(2023, 2).end), "2023-02-28");
    EXPECT_EQ(FormatDate(MonthlyPeriod(2026, 12).end), "2026-12-31");
}

// A foreign holding without any rate and no trade rate: its base value is unknown, and so are
// the totals that need it (never a rate of 1).
TEST(Statement, UnknownRateLeavesTotalsUnknown) {
    StatementInputs in;
    in.portfolio.id = PortfolioId::Generate();
    in.portfolio.currency = Currency::FromCode("USD");
    Transaction buy = StatementTrade("2024-05-02", TransactionType::kBuy, "2", "50", "0");
    buy.currency = Currency::FromCode("EUR");
    in.transactions = {buy};
    in.period = MonthlyPeriod(2024, 5);
    in.as_of = in.period.end;
    const Statement s = BuildStatement(in);
    ASSERT_EQ(s.holdings.size(), 1u);
    EXPECT_EQ(s.holdings[0].market_value->ToString(), "100");
    EXPECT_FALSE(s.holdings[0].rate);
    EXPECT_FALSE(s.holdings[0].market_value_base);
    EXPECT_FALSE(s.total_value);
}

// February 2024 (29 days): 1,000 deposited and 10 AAA bought at 100 on the first day; AAA closes
// at 110 on the 15th; everything sold at 110 and 1,100 withdrawn on the last day, so the period
// ends with nothing (a zero value). TWR = MD = 1,100 / 1,000 - 1 = 10% (the withdrawal leaves at
// the end of its day); gain 0 - 0 - 1,000 + 1,100 = 100, all of it realized.
TEST(Statement, FlowsOnTheFirstAndLastDayEndingEmpty) {
    StatementInputs in;
    in.portfolio.id = PortfolioId::Generate();
    in.portfolio.currency = Currency::FromCode("USD");
    in.transactions = {
        StatementCash("2024-02-01", TransactionType::kDeposit, "1000"),
        StatementTrade("2024-02-01", TransactionType::kBuy, "10", "100", "0"),
        StatementTrade("2024-02-29", TransactionType::kSell, "10", "110", "0"),
        StatementCash("2024-02-29", TransactionType::kWithdrawal, "1100"),
    };
    in.closes["AAA"] = {{DateFromString("2024-02-15"), D("110")}};
    in.period = MonthlyPeriod(2024, 2);
    in.as_of = in.period.end;
    const Statement s = BuildStatement(in);
    const PeriodPerformance& perf = s.performance.performance;
    EXPECT_EQ(perf.days, 29);
    EXPECT_EQ(perf.gain.opening_value.ToNormalizedString(), "0");
    EXPECT_EQ(perf.gain.closing_value.ToNormalizedString(), "0");
    EXPECT_EQ(perf.gain.total.ToNormalizedString(), "100");
    EXPECT_NEAR(perf.time_weighted, 0.1, 1e-12);
    ASSERT_TRUE(perf.modified_dietz);
    EXPECT_NEAR(*perf.modified_dietz, 0.1, 1e-12);
    EXPECT_TRUE(s.holdings.empty());
    EXPECT_TRUE(s.cash.empty());
    EXPECT_EQ(s.total_value->ToString(), "0");
    EXPECT_EQ(s.realized_total->ToString(), "100");
    EXPECT_EQ(s.transactions.size(), 4u);
}

}  // namespace
}  // namespace nn::analytics
