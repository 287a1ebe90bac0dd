// The market's read interfaces for other domains (rate_directory.hpp, instrument_directory.hpp)
// against a freshly migrated timescale database: the rows are written as the test superuser, the
// directories read them through the market role as portfolio and analytics do.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infra/app/app.hpp"
#include "infra/migrate/migrator.hpp"
#include "market/history_directory.hpp"
#include "market/instrument_directory.hpp"
#include "market/rate_directory.hpp"
#include "tests/support/app_fixture.hpp"
#include "tests/support/test_env.hpp"

namespace nn::market {
namespace {
namespace asio = boost::asio;
using std::chrono::hours;

class MarketDirectories : public ::testing::Test, protected test::AppHost {
protected:
    static void SetUpTestSuite() {
        databases_ = new test::SuiteDatabases("t_mdir_", {migrate::Database::kTimescale});
    }
    static void TearDownTestSuite() { delete databases_; }

    void SetUp() override {
        MakeApp(test::AppConfig(*databases_, "portfolio"));
        rates_ = MakeRateDirectory(*app_);
        replica_rates_ = MakeRateDirectory(*app_, ReadFrom::kReplica);
        instruments_ = MakeInstrumentDirectory(*app_);
        history_ = MakeHistoryDirectory(*app_);
        StartApp();
    }
    void TearDown() override { StopApp(); }

    using AppHost::Run;  // not ::testing::Test's

    static void Sql(const std::string& sql) {
        test::ExecSql(
            test::PgUrlFor(migrate::DatabaseName(databases_->prefix, migrate::Database::kTimescale)), sql);
    }

    static void LatestRate(const char* base, const char* quote, const char* rate) {
        Sql(std::string("INSERT INTO market_data.latest_exchange_rates (base, quote, time, rate) VALUES ('") +
            base + "', '" + quote + "', now(), " + rate + ")");
    }
    static void RateAtTime(const char* base, const char* quote, Timestamp time, const char* rate) {
        Sql(std::string("INSERT INTO market_data.exchange_rates (time, base, quote, rate) VALUES ('") +
            FormatRfc3339(time) + "', '" + base + "', '" + quote + "', " + rate + ")");
    }

    static inline test::SuiteDatabases* databases_ = nullptr;
    std::shared_ptr<RateDirectory> rates_;
    std::shared_ptr<RateDirectory> replica_rates_;  // ReadFrom::kReplica: the primary when none is set
    std::shared_ptr<InstrumentDirectory> instruments_;
    std::shared_ptr<HistoryDirectory> history_;
};

std::map<std::string, std::string> AsText(const std::vector<std::pair<std::string, Decimal>>& rates) {
    std::map<std::string, std::string> out;
    for (const auto& [currency, rate] : rates) {
        EXPECT_FALSE(out.contains(currency)) << currency << " twice";
        out[currency] = rate.Normalized().ToString();
    }
    return out;
}

// Either direction of a pair, the stored one first; the inverse rounded to 12 places; a currency
// without a rate is absent; every shard's pool answers.
TEST_F(MarketDirectories, LatestRatesTakeTheStoredPairElseTheRoundedInverse) {
    LatestRate("USD", "EUR", "0.9");
    LatestRate("EUR", "USD", "1.2");   // the opposite pair too: the stored USD->EUR wins
    LatestRate("EUR", "GBP", "0.85");  // only EUR->GBP: GBP is its inverse
    const std::map<std::string, std::string> want{{"GBP", "1.176470588235"}, {"USD", "0.9"}};
    for (std::size_t shard : {0u, 1u}) {
        std::vector<std::string> currencies{"USD", "GBP", "CHF"};
        EXPECT_EQ(AsText(Run(rates_->LatestRates(currencies, "EUR", shard), shard)), want) << shard;
        EXPECT_EQ(AsText(Run(replica_rates_->LatestRates(currencies, "EUR", shard), shard)), want) << shard;
    }
    std::vector<std::string> none;
    EXPECT_TRUE(Run(rates_->LatestRates(none, "EUR", 0)).empty());

    std::map<std::string, std::string> all;
    for (const auto& r : Run(rates_->AllLatestRates(0))) all[r.base + "/" + r.quote] = r.rate;
    const std::map<std::string, std::string> stored{
        {"EUR/GBP", "0.850000000000"}, {"EUR/USD", "1.200000000000"}, {"USD/EUR", "0.900000000000"}};
    EXPECT_EQ(all, stored);
}

// The latest rate at or before each time, the stored pair else the rounded inverse, in the
// order asked, in one call.
TEST_F(MarketDirectories, RatesAtAreTheLatestAtOrBeforeEachTime) {
    const Timestamp now = Now();
    RateAtTime("SEK", "NOK", now - hours(72), "0.8");
    RateAtTime("SEK", "NOK", now - hours(24), "0.9");
    RateAtTime("NOK", "DKK", now - hours(48), "0.6");
    std::vector<RateAt> wanted;
    for (auto [currency, at] : std::vector<std::pair<const char*, Timestamp>>{{"SEK", now - hours(48)},
                                                                              {"SEK", now},
                                                                              {"SEK", now - hours(24)},
                                                                              {"SEK", now - hours(96)},
                                                                              {"DKK", now},
                                                                              {"DKK", now - hours(72)},
                                                                              {"ISK", now}}) {
        RateAt w;
        w.currency = currency;
        w.time = at;
        wanted.push_back(std::move(w));
    }
    const auto got = Run(rates_->RatesAt(wanted, "NOK", 1), 1);
    std::vector<std::string> text;
    for (const auto& r : got) text.push_back(r ? r->Normalized().ToString() : "none");
    const std::vector<std::string> want{"0.8", "0.9", "0.9", "none", "1.666666666667", "none", "none"};
    EXPECT_EQ(text, want);
    std::vector<RateAt> nothing;
    EXPECT_TRUE(Run(rates_->RatesAt(nothing, "NOK", 0)).empty());
}

TEST_F(MarketDirectories, InstrumentsAreTheListedOnesAmongTheSymbols) {
    Sql("INSERT INTO market_data.instruments (symbol, name, asset_class, sector, country, currency, "
        "fractional) "
        "VALUES ('DIRA', 'A', 'EQUITY', 'Tech', 'US', 'USD', true), ('DIRB', 'B', 'ETF', NULL, NULL, 'EUR', "
        "false)");
    std::vector<std::string> symbols{"DIRA", "DIRB", "DIRX"};
    std::map<std::string, InstrumentFacts> by_symbol;
    for (auto& f : Run(instruments_->Instruments(symbols, 1), 1)) by_symbol[f.symbol] = f;
    ASSERT_EQ(by_symbol.size(), 2u);
    const InstrumentFacts& a = by_symbol.at("DIRA");
    EXPECT_EQ(a.asset_class, "EQUITY");
    EXPECT_EQ(a.sector, std::optional<std::string>("Tech"));
    EXPECT_EQ(a.country, std::optional<std::string>("US"));
    EXPECT_TRUE(a.fractional);
    EXPECT_EQ(a.currency, "USD");
    const InstrumentFacts& b = by_symbol.at("DIRB");
    EXPECT_EQ(b.asset_class, "ETF");
    EXPECT_FALSE(b.sector);
    EXPECT_FALSE(b.country);
    EXPECT_FALSE(b.fractional);
    EXPECT_EQ(b.currency, "EUR");
    std::vector<std::string> none;
    EXPECT_TRUE(Run(instruments_->Instruments(none, 0)).empty());
}

TEST_F(MarketDirectories, ActiveIndexSymbolsInOrder) {
    Sql("INSERT INTO market_data.instruments (symbol, name, asset_class, currency, is_active) VALUES "
        "('IXDB', 'B', 'INDEX', 'USD', true), ('IXDA', 'A', 'INDEX', 'EUR', true), "
        "('IXDC', 'C', 'INDEX', 'USD', false), ('EQDA', 'E', 'EQUITY', 'USD', true)");
    const std::vector<std::string> want{"IXDA", "IXDB"};
    EXPECT_EQ(Run(instruments_->ActiveIndexSymbols(1), 1), want);
}

std::vector<std::string> ClosesText(const std::vector<DailyClose>& closes) {
    std::vector<std::string> out;
    for (const auto& c : closes)
        out.push_back(c.symbol + "@" + FormatDate(c.date) + "=" + c.close.Normalized().ToString());
    return out;
}

// Daily closes of a range (by symbol then date), the last close on or before a day, and the
// dates of the latest prices; a symbol without data is absent.
TEST_F(MarketDirectories, ClosesLastClosesAndLatestPriceDates) {
    Sql("INSERT INTO market_data.ohlcv_1d (symbol, trading_date, open, high, low, close, tick_count, "
        "open_time, "
        "close_time) SELECT s, d::date, c, c, c, c, 1, d, d FROM (VALUES "
        "('HDA', '2024-03-01'::timestamptz, 10), ('HDA', '2024-03-02', 11), ('HDA', '2024-03-04', 12.5), "
        "('HDA', '2024-03-05', 13), ('HDB', '2024-03-03', 20)) AS v(s, d, c)");
    Sql("INSERT INTO market_data.latest_prices (symbol, time, close) VALUES ('HDA', '2024-03-05T23:30:00Z', "
        "13)");
    std::vector<std::string> symbols{"HDB", "HDA", "HDX"};
    const std::vector<std::string> range{"HDA@2024-03-02=11", "HDA@2024-03-04=12.5", "HDB@2024-03-03=20"};
    EXPECT_EQ(
        ClosesText(
            Run(history_->Closes(symbols, DateFromString("2024-03-02"), DateFromString("2024-03-04"), 1), 1)),
        range);
    std::map<std::string, std::string> last;
    for (const auto& c : Run(history_->LastCloses(symbols, DateFromString("2024-03-02"), 0)))
        last[c.symbol] = FormatDate(c.date) + "=" + c.close.Normalized().ToString();
    const std::map<std::string, std::string> want_last{{"HDA", "2024-03-02=11"}};
    EXPECT_EQ(last, want_last);
    std::map<std::string, std::string> dates;
    for (const auto& [symbol, date] : Run(history_->LatestPriceDates(symbols, 0)))
        dates[symbol] = FormatDate(date);
    const std::map<std::string, std::string> want_dates{{"HDA", "2024-03-05"}};
    EXPECT_EQ(dates, want_dates);
    std::vector<std::string> none;
    EXPECT_TRUE(
        Run(history_->Closes(none, DateFromString("2024-03-02"), DateFromString("2024-03-04"), 0)).empty());
    EXPECT_TRUE(Run(history_->LastCloses(none, DateFromString("2024-03-02"), 0)).empty());
    EXPECT_TRUE(Run(history_->LatestPriceDates(none, 0)).empty());
}

// The last rate of each UTC day of the pairs between the currencies and the base, either
// direction, as stored; other pairs and days outside the range are left out.
TEST_F(MarketDirectories, DailyRatesAreEachDaysLastRateOfEitherDirection) {
    const Date day1 = AddDays(ToDate(Now()), -3);
    const Date day2 = AddDays(day1, 1);
    RateAtTime("CHF", "JPY", StartOfDay(day1) + hours(10), "150");
    RateAtTime("CHF", "JPY", StartOfDay(day1) + hours(18), "151");
    RateAtTime("CHF", "JPY", StartOfDay(day2) + hours(9), "152");
    RateAtTime("CHF", "JPY", StartOfDay(AddDays(day2, 1)) + hours(9), "153");  // after the range
    RateAtTime("JPY", "AUD", StartOfDay(day1) + hours(12), "0.01");
    RateAtTime("CHF", "USD", StartOfDay(day1) + hours(12), "1.1");  // not a pair with JPY
    std::vector<std::string> currencies{"CHF", "AUD", "CAD"};
    std::vector<std::string> text;
    for (const auto& r : Run(history_->DailyRates(currencies, "JPY", day1, day2, 1), 1))
        text.push_back(r.base + "/" + r.quote + "@" + FormatDate(r.date) + "=" +
                       r.rate.Normalized().ToString());
    const std::vector<std::string> want{"CHF/JPY@" + FormatDate(day1) + "=151",
                                        "CHF/JPY@" + FormatDate(day2) + "=152",
                                        "JPY/AUD@" + FormatDate(day1) + "=0.01"};
    EXPECT_EQ(text, want);
    std::vector<std::string> none;
    EXPECT_TRUE(Run(history_->DailyRates(none, "JPY", day1, day2, 0)).empty());
}

}  // namespace
}  // namespace nn::market
