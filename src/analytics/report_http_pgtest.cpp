// Statements end to end (docs/analytics.md §13): POST generates and stores them in
// analytics.reports (again: replaced), GET lists them and returns one as JSON or CSV.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "analytics/analytics_api_fixture.hpp"

namespace nn::analytics {
namespace {
namespace json = boost::json;
using testing::Reply;

struct ReportSuite {
    static constexpr const char* kPrefix = "t_an_rep_";
};
using ReportApi = testing::AnalyticsApi<ReportSuite>;

double ReportNum(const json::value& v) {
    return v.is_double() ? v.as_double() : static_cast<double>(v.as_int64());
}

// March 2024 of a USD portfolio (average cost), by hand:
//   02-20 deposit 5,000; 02-21 buy 10 at 100 + fee 1 (cash 3,999; cost 1,001)
//   03-05 dividend 12, fee 2 (income 10; cash 4,009)
//   03-15 sell 4 at 120, fee 1: proceeds 479, cost 4 x 100.1 = 400.4, realized 78.6 (cash 4,488)
//   03-28 deposit 500 (cash 4,988)
// Closes 105 on 02-29 and 125 on 03-29. Opening 3,999 + 1,050 = 5,049; closing 6 x 125 + 4,988
// = 5,738; gain 5,738 - 5,049 - 500 = 189; fees of the period 2 + 1 = 3.
// Daily values 5,049 / 5,059 (03-05) / 5,118 (03-15) / 5,618 (03-28, the deposit: r = 0) /
// 5,738 (03-29): TWR = 5,118 / 5,049 x 5,738 / 5,618 - 1.
class ReportApiMarch : public ReportApi {
protected:
    std::string Setup(const std::string& user) {
        sym_ = "RP" + test::UniqueName("").substr(0, 6);
        Sql(TimescaleDb(),
            "INSERT INTO market_data.ohlcv_1d (symbol, trading_date, open, high, low, close, tick_count, "
            "open_time, "
            "close_time) VALUES ('" +
                sym_ + "', '2024-02-29', 105, 105, 105, 105, 1, '2024-02-29', '2024-02-29'), ('" + sym_ +
                "', '2024-03-29', 125, 125, 125, 125, 1, '2024-03-29', '2024-03-29')");
        const std::string pid = CreatePortfolio(user);
        Tx(user, pid,
           R"({"type":"DEPOSIT","amount":"5000","currency":"USD","executed_at":"2024-02-20T10:00:00Z"})");
        Tx(user, pid,
           R"({"type":"BUY","symbol":")" + sym_ +
               R"(","quantity":"10","price":"100","fee":"1","currency":"USD","executed_at":"2024-02-21T10:00:00Z"})");
        Tx(user, pid,
           R"({"type":"DIVIDEND","symbol":")" + sym_ +
               R"(","amount":"12","fee":"2","currency":"USD","executed_at":"2024-03-05T10:00:00Z"})");
        Tx(user, pid,
           R"({"type":"SELL","symbol":")" + sym_ +
               R"(","quantity":"4","price":"120","fee":"1","currency":"USD","executed_at":"2024-03-15T10:00:00Z"})");
        Tx(user, pid,
           R"({"type":"DEPOSIT","amount":"500","currency":"USD","executed_at":"2024-03-28T10:00:00Z"})");
        return pid;
    }
    std::string sym_;
};

TEST_F(ReportApiMarch, GeneratesStoresListsAndDownloads) {
    const std::string user = NewUser();
    const std::string pid = Setup(user);
    const std::string base = "/api/v1/portfolios/" + pid + "/reports";
    const std::string march = R"({"period":"monthly","year":2024,"month":3})";

    Reply r = Call(user, "POST", base, march);
    ASSERT_EQ(r.status, 201) << r.body;
    const json::value created = r.Json();
    const std::string report_id(created.at("id").as_string());
    EXPECT_EQ(created.at("period").as_string(), "monthly");
    EXPECT_EQ(created.at("period_start").as_string(), "2024-03-01");
    EXPECT_EQ(created.at("period_end").as_string(), "2024-03-31");
    EXPECT_EQ(created.at("status").as_string(), "READY");
    const json::value& content = created.at("content");
    const json::value& summary = content.at("summary");
    struct Field {
        const char* name;
        const char* value;
    };
    for (const Field& f :
         {Field{"opening_value", "5049"}, Field{"closing_value", "5738"}, Field{"inflows", "500"},
          Field{"gain", "189"}, Field{"dividends", "10"}, Field{"interest", "0"}, Field{"fees", "3"},
          Field{"realized_gains", "78.6"}, Field{"holdings_value", "750"}, Field{"cash_value", "4988"},
          Field{"total_value", "5738"}}) {
        EXPECT_EQ(summary.at(f.name).as_string(), f.value) << f.name;
    }
    EXPECT_NEAR(ReportNum(content.at("performance").at("time_weighted")),
                5118.0 / 5049.0 * 5738.0 / 5618.0 - 1.0, 1e-12);
    EXPECT_EQ(content.at("performance").at("days").as_int64(), 31);
    EXPECT_EQ(content.at("transactions").as_array().size(), 3u);  // February's are not in March
    ASSERT_EQ(content.at("holdings").as_array().size(), 1u);
    EXPECT_EQ(content.at("holdings").at(0).at("quantity").as_string(), "6");
    EXPECT_EQ(content.at("holdings").at(0).at("cost_basis").as_string(), "600.6");
    EXPECT_EQ(content.at("realized_gains").at(0).at("realized").as_string(), "78.6");
    EXPECT_EQ(Sql(AnalyticsDb(),
                  "SELECT user_id::text || ' ' || requested_by::text FROM analytics.reports WHERE id = '" +
                      report_id + "'"),
              IdOf(user) + " " + IdOf(user));

    // Generating the same period again replaces the statement: same row, 200.
    r = Call(user, "POST", base, march);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json().at("id").as_string(), report_id);
    EXPECT_EQ(Sql(AnalyticsDb(), "SELECT count(*) FROM analytics.reports WHERE portfolio_id = '" + pid + "'"),
              "1");

    // 2024 so far (a leap year: 366 days).
    r = Call(user, "POST", base, R"({"period":"annual","year":2024})");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.Json().at("content").at("performance").at("days").as_int64(), 366);
    EXPECT_EQ(r.Json().at("period_end").as_string(), "2024-12-31");

    r = Call(user, "GET", base);
    ASSERT_EQ(r.status, 200) << r.body;
    const json::value list = r.Json();
    ASSERT_EQ(list.at("items").as_array().size(), 2u);
    EXPECT_EQ(list.at("items").at(0).at("period").as_string(), "monthly");  // 03-01 after 01-01
    EXPECT_EQ(list.at("items").at(1).at("period").as_string(), "annual");

    r = Call(user, "GET", base + "/" + report_id);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(content_type_, "application/json");
    EXPECT_EQ(r.Json().at("summary").at("total_value").as_string(), "5738");

    const std::string holdings_csv =
        "holdings\r\nsymbol,currency,quantity,cost_basis,price,price_source,rate,"
        "market_value,market_value_base\r\n" +
        sym_ + ",USD,6,600.6,125,close,1,750,750\r\n";
    r = Call(user, "GET", base + "/" + report_id + "?format=csv");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(content_type_.rfind("text/csv", 0), 0u) << content_type_;
    EXPECT_NE(r.body.find(holdings_csv), std::string::npos) << r.body;
    EXPECT_NE(
        r.body.find("realized_gains\r\ndate,type,symbol,currency,quantity,proceeds,realized,realized_base\r\n"
                    "2024-03-15,SELL," +
                    sym_ + ",USD,4,479,78.6,78.6\r\n"),
        std::string::npos)
        << r.body;
    r = Call(user, "GET", base + "/" + report_id, "", {{"Accept", "text/csv"}});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body.rfind("summary\r\n", 0), 0u);
    EXPECT_EQ(Call(user, "GET", base + "/" + report_id + "?format=xml").status, 422);
}

TEST_F(ReportApiMarch, AccessFollowsThePortfolioAndItsGrants) {
    const std::string user = NewUser();
    const std::string pid = Setup(user);
    const std::string base = "/api/v1/portfolios/" + pid + "/reports";
    const std::string march = R"({"period":"monthly","year":2024,"month":3})";
    Reply r = Call(user, "POST", base, march);
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string one = base + "/" + std::string(r.Json().at("id").as_string());

    const std::string stranger = NewUser();
    EXPECT_EQ(Call(stranger, "GET", base).status, 404);
    EXPECT_EQ(Call(stranger, "GET", one).status, 404);
    EXPECT_EQ(Call(stranger, "POST", base, march).status, 404);
    EXPECT_EQ(Call("", "GET", base).status, 401);

    const std::string reader = NewUser("ADVISOR");
    const std::string manager = NewUser("ADVISOR");
    directory_->grants[IdOf(reader)].read.push_back(*UserId::Parse(IdOf(user)));
    directory_->grants[IdOf(manager)].manage.push_back(*UserId::Parse(IdOf(user)));
    EXPECT_EQ(Call(reader, "GET", one).status, 200);
    EXPECT_EQ(Call(reader, "GET", base).status, 200);
    EXPECT_EQ(Call(reader, "POST", base, march).status, 404);  // READ: no writes
    r = Call(manager, "POST", base, march);
    ASSERT_EQ(r.status, 200) << r.body;  // MANAGE: regenerates the client's statement
    EXPECT_EQ(Sql(AnalyticsDb(),
                  "SELECT user_id::text || ' ' || requested_by::text FROM analytics.reports WHERE "
                  "portfolio_id = '" +
                      pid + "'"),
              IdOf(user) + " " + IdOf(manager));
}

TEST_F(ReportApi, BadRequestsAreProblemsAndWriteNothing) {
    const std::string user = NewUser();
    const std::string pid = CreatePortfolio(user);
    const std::string base = "/api/v1/portfolios/" + pid + "/reports";
    struct Case {
        const char* body;
        int status;
        const char* names;  // in the problem body
    };
    const Case cases[] = {
        {R"({"period":"weekly","year":2024})", 422, "period"},
        {R"({"period":"monthly","year":2024,"month":13})", 422, "month"},
        {R"({"period":"monthly","year":2024})", 422, "month"},
        {R"({"period":"annual","year":2024,"month":3})", 422, "month"},
        {R"({"period":"annual","year":"2024"})", 422, "year"},
        {R"({"period":"annual","year":1969})", 422, "year"},
        {R"({"period":"monthly","year":2999,"month":1})", 422, "analytics.period_in_future"},
        {R"({"period":"annual","year":2024,"extra":1})", 400, "extra"},
        {R"([1])", 400, "json.not_object"},
    };
    for (const Case& c : cases) {
        const Reply r = Call(user, "POST", base, c.body);
        EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
        EXPECT_EQ(content_type_, "application/problem+json") << c.body;
        EXPECT_NE(r.body.find(c.names), std::string::npos) << c.body << " -> " << r.body;
    }
    EXPECT_EQ(Sql(AnalyticsDb(), "SELECT count(*) FROM analytics.reports WHERE portfolio_id = '" + pid + "'"),
              "0");
    EXPECT_EQ(Call(user, "GET", base + "/not-a-uuid").status, 404);
    EXPECT_EQ(Call(user, "GET", base + "/" + Uuid::GenerateV4().ToString()).status, 404);
    EXPECT_EQ(Call(user, "GET", "/api/v1/portfolios/" + Uuid::GenerateV4().ToString() + "/reports").status,
              404);
    const Reply empty = Call(user, "GET", base);
    ASSERT_EQ(empty.status, 200);
    EXPECT_TRUE(empty.Json().at("items").as_array().empty());
}

}  // namespace
}  // namespace nn::analytics
