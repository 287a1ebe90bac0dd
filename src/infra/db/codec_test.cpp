#include "infra/db/codec.hpp"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "infra/db/query.hpp"
#include "infra/db/url.hpp"

namespace nn::db {
namespace {

std::string Hex(const std::string& bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
    return out;
}

std::string Encode(std::string_view text) {
    std::string out;
    AppendNumericBinary(text, out);
    return out;
}

// Expected bytes from PostgreSQL 15's numeric_send (timeseries.md §3.3 hexdump, and
// `SELECT numeric_send(x)` for the others).
struct NumericCase {
    const char* text;
    const char* hex;
    const char* decoded;  // the canonical text PostgreSQL prints
};

const std::vector<NumericCase> kNumericCases = {
    {"123.45",
     "000200000000000200"
     "7b1194",
     "123.45"},
    {"-0.5", "0001ffff400000011388", "-0.5"},
    {"12345678.9", "000300010000000104d2162e2328", "12345678.9"},
    {"0", "0000000000000000", "0"},
    {"0.00", "0000000000000002", "0.00"},
    {"-0", "0000000000000000", "0"},
    {"1",
     "0001000000000000"
     "0001",
     "1"},
    {"10000",
     "0001000100000000"
     "0001",
     "10000"},
    {"123.4500", "0002000000000004007b1194", "123.4500"},
    {"0.0001", "0001ffff000000040001", "0.0001"},
    {"0.00001", "0001fffe0000000503e8", "0.00001"},
    {"-99999999.99999999",
     "0004000140000008"
     "270f270f270f270f",
     "-99999999.99999999"},
    {"007.10",
     "0002000000000002"
     "000703e8",
     "7.10"},
    {"+5",
     "0001000000000000"
     "0005",
     "5"},
    {"NaN", "00000000c0000000", "NaN"},
    {"Infinity", "00000000d0000000", "Infinity"},
    {"-Infinity", "00000000f0000000", "-Infinity"},
};

TEST(Numeric, EncodesLikeNumericSend) {
    for (const auto& c : kNumericCases) {
        EXPECT_EQ(Hex(Encode(c.text)), c.hex) << c.text;
    }
}

TEST(Numeric, DecodesToExactText) {
    for (const auto& c : kNumericCases) {
        EXPECT_EQ(NumericBinaryToString(Encode(c.text)), c.decoded) << c.text;
    }
}

TEST(Numeric, RoundTripsManyScales) {
    // Every digit position around the base-10000 group boundaries, both signs.
    for (int int_digits = 0; int_digits <= 9; ++int_digits) {
        for (int frac_digits = 0; frac_digits <= 9; ++frac_digits) {
            for (const char* sign : {"", "-"}) {
                std::string text = sign;
                text += int_digits == 0 ? "0" : std::string("123456789").substr(0, int_digits);
                if (frac_digits > 0) text += "." + std::string("908070605").substr(0, frac_digits);
                if (text == "-0") continue;
                EXPECT_EQ(NumericBinaryToString(Encode(text)), text);
            }
        }
    }
}

TEST(Numeric, ScaledIntegersEncodeLikeTheirText) {
    std::mt19937_64 rng(7);
    const __int128 kMax = (static_cast<__int128>(1) << 126);
    for (int i = 0; i < 20000; ++i) {
        // Mantissas of every length up to 38 digits, every scale, both signs, and zeros.
        const int digits = 1 + static_cast<int>(rng() % 38);
        __int128 m = 0;
        for (int d = 0; d < digits; ++d) m = m * 10 + static_cast<int>(rng() % 10);
        if (m >= kMax) m /= 10;
        if (rng() % 2) m = -m;
        if (i % 100 == 0) m = 0;
        const int scale = static_cast<int>(rng() % 19);
        const nn::Decimal d = nn::Decimal::FromUnscaled(m, scale);
        std::string direct;
        AppendNumericBinary(d.Mantissa(), d.Scale(), direct);
        ASSERT_EQ(Hex(direct), Hex(Encode(d.ToString()))) << d.ToString();
        ASSERT_EQ(NumericBinaryToString(direct), d.ToString());
    }
    std::string big;
    AppendNumericBinary(nn::Decimal::FromString("-99999999999999999999.999999999999999999").Mantissa(), 18,
                        big);
    EXPECT_EQ(NumericBinaryToString(big), "-99999999999999999999.999999999999999999");
    EXPECT_THROW(AppendNumericBinary(1, 19, big), std::invalid_argument);
}

TEST(Numeric, RejectsWhatIsNotADecimal) {
    for (const char* bad : {"", "-", "1.", ".5", "1e5", " 1", "1 ", "1,5", "abc", "--1", "nan"}) {
        EXPECT_THROW(Encode(bad), std::invalid_argument) << bad;
    }
}

TEST(Numeric, RejectsMalformedBinary) {
    EXPECT_THROW(NumericBinaryToString("\x00\x01"), std::invalid_argument);
    std::string bad_digit = Encode("1");
    bad_digit[8] = '\x27';  // 0x2710 = 10000, out of 0..9999
    bad_digit[9] = '\x10';
    EXPECT_THROW(NumericBinaryToString(bad_digit), std::invalid_argument);
    std::string short_digits = Encode("123.45");
    short_digits.pop_back();
    EXPECT_THROW(NumericBinaryToString(short_digits), std::invalid_argument);
}

TEST(Params, EncodeBinaryAndText) {
    Params p =
        MakeParams(std::int32_t{-2}, std::int64_t{1} << 40, true, std::string("x"), std::string_view("yz"),
                   "lit", std::optional<std::int64_t>(), std::nullopt, nn::Decimal::FromString("1.50"),
                   nn::Uuid::FromString("00112233-4455-6677-8899-aabbccddeeff"));
    const auto& v = p.Values();
    ASSERT_EQ(v.size(), 10u);
    EXPECT_EQ(v[0].oid, oid::kInt4);
    EXPECT_TRUE(v[0].binary);
    EXPECT_EQ(Hex(v[0].bytes), "fffffffe");
    EXPECT_EQ(v[1].oid, oid::kInt8);
    EXPECT_EQ(Hex(v[1].bytes), "0000010000000000");
    EXPECT_EQ(Hex(v[2].bytes), "01");
    EXPECT_EQ(v[3].oid, oid::kUnknown);
    EXPECT_FALSE(v[3].binary);
    EXPECT_EQ(v[3].bytes, "x");
    EXPECT_EQ(v[4].bytes, "yz");
    EXPECT_EQ(v[5].bytes, "lit");
    EXPECT_TRUE(v[6].null);
    EXPECT_EQ(v[6].oid, oid::kInt8);
    EXPECT_TRUE(v[7].null);
    EXPECT_EQ(v[8].oid, oid::kNumeric);
    EXPECT_EQ(v[8].bytes, "1.50");
    EXPECT_EQ(v[9].oid, oid::kUuid);
    EXPECT_EQ(Hex(v[9].bytes), "00112233445566778899aabbccddeeff");
}

TEST(Url, WithDatabaseKeepsEverythingElse) {
    EXPECT_EQ(WithDatabase("postgresql://u:p@127.0.0.1:5432/postgres", "nexanest_auth"),
              "postgresql://u:p@127.0.0.1:5432/nexanest_auth");
    EXPECT_EQ(WithDatabase("postgresql://u:p@h:1/postgres?sslmode=require&x=1", "db"),
              "postgresql://u:p@h:1/db?sslmode=require&x=1");
    EXPECT_EQ(WithDatabase("postgres://h", "db"), "postgres://h/db");
    EXPECT_EQ(WithDatabase("postgresql://h:5/", "my db"), "postgresql://h:5/my%20db");
    EXPECT_EQ(WithDatabase("host=h port=5", "d'b"), "host=h port=5 dbname='d\\'b'");
}

TEST(Url, WithCredentialsPercentEncodes) {
    EXPECT_EQ(WithCredentials("postgresql://admin:secret@h:5432/app?sslmode=disable", "nexanest_auth",
                              "p@ss:w/rd%"),
              "postgresql://nexanest_auth:p%40ss%3Aw%2Frd%25@h:5432/app?sslmode=disable");
    EXPECT_EQ(WithCredentials("postgresql://h/app", "u", "p"), "postgresql://u:p@h/app");
    EXPECT_EQ(WithCredentials("postgresql://u@h", "v", "w"), "postgresql://v:w@h/");
}

TEST(Url, RedactHidesPasswords) {
    EXPECT_EQ(RedactUrl("postgresql://u:topsecret@h:1/db?x=1"), "postgresql://u:***@h:1/db?x=1");
    EXPECT_EQ(RedactUrl("postgresql://u@h/db"), "postgresql://u@h/db");
    EXPECT_EQ(RedactUrl("host=h password=topsecret user=u"), "host=h password=*** user=u");
    EXPECT_EQ(RedactUrl("host=h password='top secret' user=u"), "host=h password=*** user=u");
}

TEST(Quote, IdentifiersAndLiterals) {
    EXPECT_EQ(QuoteIdentifier("a\"b"), "\"a\"\"b\"");
    EXPECT_EQ(QuoteQualifiedName("market_data.stock_prices"), "\"market_data\".\"stock_prices\"");
    EXPECT_EQ(QuoteLiteral("it's"), "'it''s'");
}

}  // namespace
}  // namespace nn::db
