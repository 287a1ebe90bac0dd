// ParseCleanPriceBatch (the HTTP ingest's fast path) against the strict parse it stands in for.
#include <gtest/gtest.h>

#include <variant>

#include "core/error.hpp"
#include "infra/http/json.hpp"
#include "market/handlers.hpp"
#include "market/model.hpp"

namespace nn::market {
namespace {

constexpr std::size_t kMaxString = 1024;

// What the strict path gives: rows, or the error code it throws.
std::variant<std::vector<PriceRow>, std::string> Strict(std::string_view text) {
    try {
        http::JsonLimits limits;
        limits.max_string_bytes = kMaxString;
        return ParsePriceBatch(http::ParseJson(text, limits));
    } catch (const Error& e) {
        const auto& errors = e.FieldErrors();
        return e.Code() + (errors.empty() ? "" : " " + errors[0].field + " " + errors[0].code);
    }
}

TEST(ParseCleanPriceBatch, GivesTheStrictParsersRowsForCleanBatches) {
    const std::string long_symbol(32, 'Q');
    const std::vector<std::string> clean{
        R"({"prices":[]})",
        R"({"prices":[{"time":"2024-05-01T14:30:00Z","symbol":"AAPL","close":"189.12"}]})",
        R"( { "prices" : [ {"symbol":"MSFT","close":"1.5","time":"2024-05-01T14:30:00.123456+02:00",
                 "volume":12,"open":"1.4","high":"1.6","low":"1.3"},
                {"time":"2024-05-01T14:30:01Z","symbol":"BRK.B","open":null,"high":null,"low":null,
                 "close":"0.0000000001","volume":null} ] } )",
        R"({"prices":[{"time":"2024-05-01T14:30:00Z","symbol":"A\u0042C","close":"10"}]})",
        R"({"prices":[{"time":"2024-05-01T14:30:00Z","symbol":")" + long_symbol +
            R"(","close":"999999999999999999.9999999999","volume":0}]})",
    };
    for (const std::string& text : clean) {
        auto fast = ParseCleanPriceBatch(text, "prices", kMaxString);
        auto strict = Strict(text);
        ASSERT_TRUE(fast.has_value()) << text;
        ASSERT_TRUE(std::holds_alternative<std::vector<PriceRow>>(strict)) << std::get<std::string>(strict);
        EXPECT_EQ(*fast, std::get<std::vector<PriceRow>>(strict)) << text;
    }
    auto rows = ParseCleanPriceBatch(
        R"({"prices":[{"time":"2024-05-01T14:30:00Z","symbol":"A\u0042C","close":"10.50","volume":7}]})",
        "prices", kMaxString);
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].symbol, "ABC");
    EXPECT_EQ((*rows)[0].close, Decimal::FromString("10.5"));
    EXPECT_EQ((*rows)[0].volume, 7);
    EXPECT_EQ((*rows)[0].time, TimestampFromString("2024-05-01T14:30:00Z"));
}

TEST(ParseCleanPriceBatch, GivesUpOnAnythingElseSoTheStrictParserNamesIt) {
    const std::string t = R"("time":"2024-05-01T14:30:00Z")";
    const std::vector<std::string> unclean{
        std::string(""),
        std::string("[]"),
        R"({"prices":[]} x)",
        R"({"prices":[],"extra":1})",
        R"({"rates":[]})",
        R"({"prices":{}})",
        R"({"prices":[1]})",
        R"({"prices":[{)" + t + R"(,"symbol":"A"}]})",                            // no close
        R"({"prices":[{)" + t + R"(,"close":"1"}]})",                             // no symbol
        R"({"prices":[{"symbol":"A","close":"1"}]})",                             // no time
        R"({"prices":[{)" + t + R"(,"symbol":"A","close":"1","close":"1"}]})",    // repeated key
        R"({"prices":[{)" + t + R"(,"symbol":"A","close":"1","note":"x"}]})",     // unknown key
        R"({"prices":[{)" + t + R"(,"symbol":"A","close":1}]})",                  // number price
        R"({"prices":[{)" + t + R"(,"symbol":"A","close":"NaN"}]})",              //
        R"({"prices":[{)" + t + R"(,"symbol":"A","close":"-1"}]})",               //
        R"({"prices":[{)" + t + R"(,"symbol":"A","close":"1","volume":"12"}]})",  // volume string
        R"({"prices":[{)" + t + R"(,"symbol":"A","close":"1","volume":1.5}]})",   //
        R"({"prices":[{)" + t + R"(,"symbol":"A","close":"1","volume":18446744073709551615}]})",
        R"({"prices":[{)" + t + R"(,"symbol":null,"close":"1"}]})",              //
        R"({"prices":[{)" + t + R"(,"symbol":"A\u0000","close":"1"}]})",         // NUL
        R"({"prices":[{)" + t + R"(,"symbol":"\u00e9","close":"1"}]})",          // non-ASCII
        R"({"prices":[{"time":"2024-05-01 14:30","symbol":"A","close":"1"}]})",  // not RFC 3339
        R"({"prices":[{)" + t + R"(,"symbol":"A","close":"1",}]})",              // trailing comma
        R"({"prices":[{)" + t + R"(,"symbol":")" + std::string(2000, 'A') + R"(","close":"1"}]})",
    };
    for (const std::string& text : unclean) {
        EXPECT_FALSE(ParseCleanPriceBatch(text, "prices", kMaxString).has_value()) << text;
    }
}

}  // namespace
}  // namespace nn::market
