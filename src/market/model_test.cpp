#include "market/model.hpp"

#include <gtest/gtest.h>

namespace nn::market {
namespace {

PriceRow OhlcRow(std::string_view o, std::string_view h, std::string_view l, std::string_view c) {
    return PriceRow{TimestampFromString("2024-05-01T14:30:00Z"),
                    "AAPL",
                    Decimal::FromString(o),
                    Decimal::FromString(h),
                    Decimal::FromString(l),
                    Decimal::FromString(c),
                    100};
}

const Timestamp kNow = TimestampFromString("2024-05-01T15:00:00Z");

TEST(MarketModel, ParsePriceRejectsNonPrices) {
    struct Case {
        const char* text;
        const char* code;
    };
    for (auto c : {Case{"NaN", "not_decimal"}, Case{"Infinity", "not_decimal"}, Case{"-1", "not_positive"},
                   Case{"0", "not_positive"}, Case{"1e5", "not_decimal"},
                   Case{"1.00000000001", "too_precise"}, Case{"1234567890123456789", "too_large"}}) {
        auto p = ParsePrice(c.text);
        EXPECT_FALSE(p.value) << c.text;
        EXPECT_EQ(p.code, c.code) << c.text;
    }
    EXPECT_EQ(*ParsePrice("189.1200").value, Decimal::FromString("189.12"));
}

TEST(MarketModel, ValidBarPasses) {
    EXPECT_TRUE(ValidatePrices({OhlcRow("10", "12", "9", "11")}, kNow, {}).empty());
}

TEST(MarketModel, BadBarsNameTheElement) {
    auto errors = ValidatePrices({OhlcRow("10", "12", "9", "11"), OhlcRow("10", "8", "9", "9")}, kNow, {});
    ASSERT_FALSE(errors.empty());
    EXPECT_EQ(errors[0].field, "prices[1].high");
    EXPECT_EQ(errors[0].code, "below_low");

    errors = ValidatePrices({OhlcRow("13", "12", "9", "11")}, kNow, {});
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].field, "prices[0].open");
    EXPECT_EQ(errors[0].code, "outside_range");
}

TEST(MarketModel, FutureAndDuplicateRows) {
    auto future = OhlcRow("10", "12", "9", "11");
    future.time = kNow + std::chrono::hours(1);
    auto errors = ValidatePrices({future}, kNow, {});
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].code, "in_future");

    auto a = OhlcRow("10", "12", "9", "11");
    auto b = a;
    EXPECT_TRUE(ValidatePrices({a, b}, kNow, {}).empty()) << "identical duplicates are harmless";
    b.close = Decimal::FromString("10.5");
    errors = ValidatePrices({a, b}, kNow, {});
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].field, "prices[1].time");
    EXPECT_EQ(errors[0].code, "duplicate_in_batch");
}

TEST(MarketModel, CachedPriceRoundTrip) {
    auto t = TimestampFromString("2024-05-01T14:30:00.123456Z");
    auto v = EncodeCachedPrice(t, Decimal::FromString("189.1200"));
    EXPECT_EQ(v, "1714573800123456|189.12");
    auto p = DecodeCachedPrice("AAPL", v);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->time, t);
    EXPECT_EQ(p->price, Decimal::FromString("189.12"));
    EXPECT_FALSE(DecodeCachedPrice("AAPL", "garbage"));
}

TEST(MarketModel, Intervals) {
    for (auto name : {"raw", "1m", "5m", "15m", "1h", "1d", "1w", "1mo"}) {
        auto iv = ParseInterval(name);
        ASSERT_TRUE(iv) << name;
        EXPECT_EQ(IntervalName(*iv), name);
    }
    EXPECT_FALSE(ParseInterval("2m"));
}

}  // namespace
}  // namespace nn::market
