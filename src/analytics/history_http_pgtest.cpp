// The stored daily history (docs/analytics.md §14): the performance endpoint stores a rebuild
// from inception and reads it back while the transactions are unchanged; POST
// .../history/rebuild stores any range.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "analytics/analytics_api_fixture.hpp"

namespace nn::analytics {
namespace {
namespace json = boost::json;
using testing::Reply;

struct HistorySuite {
    static constexpr const char* kPrefix = "t_an_hist_";
};

class HistoryApi : public testing::AnalyticsApi<HistorySuite> {
protected:
    static std::string Day(int days_ago) { return FormatDate(AddDays(ToDate(Now()), -days_ago)); }

    // Deposit 10,000 ten days ago, buy 10 of a fresh symbol at 100 nine days ago; it closes at
    // 110 - k (k days ago), so the value k days ago (k <= 9) is 9,000 + 10 x (110 - k).
    std::string Setup(const std::string& user) {
        const std::string sym = "HS" + test::UniqueName("").substr(0, 6);
        Sql(TimescaleDb(),
            "INSERT INTO market_data.ohlcv_1d (symbol, trading_date, open, high, low, close, tick_count, "
            "open_time, "
            "close_time) SELECT '" +
                sym +
                "', current_date - k, 110 - k, 110 - k, 110 - k, 110 - k, 1, (current_date - "
                "k)::timestamptz, "
                "(current_date - k)::timestamptz FROM generate_series(0, 12) AS k");
        const std::string pid = CreatePortfolio(user);
        Tx(user, pid,
           R"({"type":"DEPOSIT","amount":"10000","currency":"USD","executed_at":")" + Day(10) +
               R"(T12:00:00Z"})");
        Tx(user, pid,
           R"({"type":"BUY","symbol":")" + sym +
               R"(","quantity":"10","price":"100","currency":"USD","executed_at":")" + Day(9) +
               R"(T12:00:00Z"})");
        sym_ = sym;
        return pid;
    }
    std::string Rows(const std::string& pid) {
        return Sql(AnalyticsDb(),
                   "SELECT count(*) FROM analytics.portfolio_history WHERE portfolio_id = '" + pid + "'");
    }
    // The response without the field that says where the days came from.
    static std::string Figures(json::value v) {
        v.as_object().erase("history_source");
        return json::serialize(v);
    }
    std::string sym_;
};

TEST_F(HistoryApi, PerformanceStoresThenReadsTheSettledDays) {
    const std::string user = NewUser();
    const std::string pid = Setup(user);
    const std::string perf = "/api/v1/portfolios/" + pid + "/performance?range=MAX";

    Reply first = Call(user, "GET", perf);
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(first.Json().at("history_source").as_string(), "rebuilt");
    // Inception (10 days ago) to yesterday, plus the opening row.
    EXPECT_EQ(Rows(pid), "11");
    EXPECT_EQ(Sql(AnalyticsDb(),
                  "SELECT first_day::text || ' ' || last_day::text FROM "
                  "analytics.portfolio_history_builds WHERE portfolio_id = '" +
                      pid + "'"),
              Day(10) + " " + Day(1));
    EXPECT_EQ(
        Sql(AnalyticsDb(), "SELECT value::text FROM analytics.portfolio_history WHERE portfolio_id = '" +
                               pid + "' AND day = '" + Day(3) + "'"),
        "10070.0000000000");  // 9,000 + 10 x 107

    Reply second = Call(user, "GET", perf);
    ASSERT_EQ(second.status, 200) << second.body;
    EXPECT_EQ(second.Json().at("history_source").as_string(), "stored");
    EXPECT_EQ(Figures(second.Json()), Figures(first.Json()));

    // The stored rows are what is read: a changed row shows (and a rebuild repairs it).
    Sql(AnalyticsDb(), "UPDATE analytics.portfolio_history SET value = value + 1000 WHERE portfolio_id = '" +
                           pid + "' AND day = '" + Day(3) + "' RETURNING 1");
    Reply tampered = Call(user, "GET", perf);
    ASSERT_EQ(tampered.status, 200);
    EXPECT_NE(Figures(tampered.Json()), Figures(first.Json()));
    Reply rebuilt = Call(user, "POST", "/api/v1/portfolios/" + pid + "/history/rebuild");
    ASSERT_EQ(rebuilt.status, 200) << rebuilt.body;
    EXPECT_EQ(rebuilt.Json().at("from").as_string(), Day(10));
    EXPECT_EQ(rebuilt.Json().at("to").as_string(), Day(1));
    EXPECT_EQ(rebuilt.Json().at("days").as_int64(), 10);
    EXPECT_EQ(Figures(Call(user, "GET", perf).Json()), Figures(first.Json()));

    // A new transaction changes the fingerprint: the stored days are stale and not used.
    Tx(user, pid,
       R"({"type":"DIVIDEND","symbol":")" + sym_ + R"(","amount":"50","currency":"USD","executed_at":")" +
           Day(3) + R"(T12:00:00Z"})");
    Reply after = Call(user, "GET", perf);
    ASSERT_EQ(after.status, 200) << after.body;
    EXPECT_EQ(after.Json().at("history_source").as_string(), "rebuilt");
    EXPECT_EQ(after.Json().at("gain").at("income").as_string(), "50");
    EXPECT_EQ(
        Sql(AnalyticsDb(), "SELECT value::text FROM analytics.portfolio_history WHERE portfolio_id = '" +
                               pid + "' AND day = '" + Day(3) + "'"),
        "10120.0000000000");  // stored again with the dividend
    EXPECT_EQ(Call(user, "GET", perf).Json().at("history_source").as_string(), "stored");
}

TEST_F(HistoryApi, RebuildRangesMergeAndRefusals) {
    const std::string user = NewUser();
    const std::string pid = Setup(user);
    const std::string rebuild = "/api/v1/portfolios/" + pid + "/history/rebuild";

    Reply r = Call(user, "POST", rebuild + "?from=" + Day(5) + "&to=" + Day(4));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json().at("days").as_int64(), 2);
    EXPECT_EQ(Rows(pid), "3");
    // A range starting where the stored one ends joins it (same transactions).
    r = Call(user, "POST", rebuild + "?from=" + Day(3) + "&to=" + Day(2));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json().at("stored_from").as_string(), Day(5));
    EXPECT_EQ(r.Json().at("stored_to").as_string(), Day(2));
    EXPECT_EQ(Rows(pid), "5");
    // A 1W request (first day 6 days ago) is not covered; 3 days ago to 2 days ago is.
    EXPECT_EQ(
        Call(user, "GET", "/api/v1/portfolios/" + pid + "/performance?range=1W").Json().at("history_source"),
        "rebuilt");
    const Reply covered =
        Call(user, "GET", "/api/v1/portfolios/" + pid + "/performance?from=" + Day(3) + "&to=" + Day(2));
    ASSERT_EQ(covered.status, 200) << covered.body;
    EXPECT_EQ(covered.Json().at("history_source").as_string(), "stored");
    // Opening: the value 4 days ago, 9,000 + 10 x 106 = 10,060; closing 2 days ago, 9,000 +
    // 10 x 108 = 10,080; no flows in between.
    EXPECT_NEAR(covered.Json().at("returns").at("time_weighted").as_double(), 10080.0 / 10060.0 - 1.0, 1e-12);

    const std::string stranger = NewUser();
    EXPECT_EQ(Call(stranger, "POST", rebuild).status, 404);
    const std::string reader = NewUser("ADVISOR");
    directory_->grants[IdOf(reader)].read.push_back(*UserId::Parse(IdOf(user)));
    EXPECT_EQ(Call(reader, "POST", rebuild).status, 404);
    EXPECT_EQ(Call("", "POST", rebuild).status, 401);
    const std::vector<std::string> bad_queries{"?from=2024-02-30", "?from=" + Day(2) + "&to=" + Day(4),
                                               "?to=1990-01-01"};
    for (const std::string& bad : bad_queries) {
        const Reply refused = Call(user, "POST", rebuild + bad);
        EXPECT_EQ(refused.status, 422) << bad << " -> " << refused.body;
        EXPECT_EQ(content_type_, "application/problem+json");
    }
    EXPECT_EQ(Rows(pid), "5");
}

}  // namespace
}  // namespace nn::analytics
