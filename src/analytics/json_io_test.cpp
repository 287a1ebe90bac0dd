#include "analytics/json_io.hpp"

#include <gtest/gtest.h>

namespace nn::analytics {
namespace {

DayPoint JsonDay(const char* date, const char* value) {
    DayPoint p;
    p.date = DateFromString(date);
    p.value = Decimal::FromString(value);
    return p;
}

// Nothing invested: no money-weighted return (with the reason), no simple return, no risk
// ratios; money stays a decimal string, undefined ratios are null, never 0.
TEST(JsonIo, UndefinedFiguresAreNullWithReasons) {
    Period p;
    p.days = {JsonDay("2024-01-01", "0"), JsonDay("2024-01-02", "0")};
    ReportContext context;
    context.portfolio_id = "p1";
    context.currency = "EUR";
    context.range = "1W";
    context.gaps = {{DateFromString("2024-01-02"), "price:AAA"}};
    const boost::json::object out = ToJson(Analyse(p, std::nullopt), context);
    const auto& returns = out.at("returns").as_object();
    EXPECT_TRUE(returns.at("money_weighted").is_null());
    EXPECT_FALSE(returns.at("money_weighted_unavailable_reason").as_string().empty());
    EXPECT_TRUE(returns.at("simple").is_null());
    EXPECT_TRUE(returns.at("modified_dietz").is_null());
    EXPECT_TRUE(out.at("risk").at("volatility").is_null());
    EXPECT_TRUE(out.at("benchmark").is_null());
    EXPECT_EQ(out.at("gain").at("total").as_string(), "0");
    EXPECT_EQ(out.at("range").as_string(), "1W");
    EXPECT_EQ(out.at("data_gaps").at(0).at("what").as_string(), "price:AAA");
    EXPECT_EQ(out.at("series").as_array().size(), 2u);
}

// 1000 -> 1010.50 with a deposit of 0.25 on day two: money as exact strings.
TEST(JsonIo, MoneyIsExact) {
    Period p;
    p.opening_value = Decimal::FromString("1000");
    p.days = {JsonDay("2024-01-01", "1005.10"), JsonDay("2024-01-02", "1010.50")};
    p.days[1].inflow = Decimal::FromString("0.25");
    ReportContext context;
    const boost::json::object out = ToJson(Analyse(p, std::nullopt), context);
    EXPECT_EQ(out.at("gain").at("closing_value").as_string(), "1010.5");
    EXPECT_EQ(out.at("gain").at("total").as_string(), "10.25");  // 1010.50 - 1000 - 0.25
    EXPECT_EQ(out.at("series").at(1).at("value").as_string(), "1010.5");
    EXPECT_TRUE(out.at("range").is_null());
    EXPECT_EQ(out.at("from").as_string(), "2024-01-01");
}

}  // namespace
}  // namespace nn::analytics
