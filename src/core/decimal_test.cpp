#include "core/decimal.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/error.hpp"
#include "core/testing.hpp"

namespace nn {
namespace {

using nn::testing::D;

// 38 nines: the largest mantissa.
const std::string kMaxDigits(38, '9');

// Runs `f` and returns the nn::Error code it throws, or "" when it does not throw.
template <class F>
std::string ErrorCode(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        EXPECT_EQ(e.Kind(), ErrorKind::kUnprocessable);
        return e.Code();
    }
    return "";
}

struct DecimalParseCase {
    std::string input;
    std::string canonical;   // ToString()
    std::string normalized;  // ToNormalizedString()
    int scale;
};

TEST(DecimalParse, AcceptsStrictSyntaxAndKeepsScale) {
    const std::vector<DecimalParseCase> cases = {
        {"0", "0", "0", 0},
        {"1", "1", "1", 0},
        {"-1", "-1", "-1", 0},
        {"+1", "1", "1", 0},
        {"1.50", "1.50", "1.5", 2},
        {"-1.50", "-1.50", "-1.5", 2},
        {"0.5", "0.5", "0.5", 1},
        {"-0.001", "-0.001", "-0.001", 3},
        {"-0", "0", "0", 0},
        {"-0.00", "0.00", "0", 2},
        {"007.10", "7.10", "7.1", 2},
        {"100", "100", "100", 0},
        {"100.000", "100.000", "100", 3},
        {"0.000000000000000001", "0.000000000000000001", "0.000000000000000001", 18},
        {"123456789012345678901234567890.12345678", "123456789012345678901234567890.12345678",
         "123456789012345678901234567890.12345678", 8},
        {kMaxDigits, kMaxDigits, kMaxDigits, 0},
        {"-" + kMaxDigits, "-" + kMaxDigits, "-" + kMaxDigits, 0},
        {"99999999999999999999.999999999999999999", "99999999999999999999.999999999999999999",
         "99999999999999999999.999999999999999999", 18},
        // Leading zeros are not significant, so they do not count against the 38 digits.
        {"0000000000" + kMaxDigits, kMaxDigits, kMaxDigits, 0},
        {"0.100000000000000000", "0.100000000000000000", "0.1", 18},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.input);
        const auto parsed = Decimal::Parse(c.input);
        ASSERT_TRUE(parsed.has_value());
        EXPECT_EQ(parsed->ToString(), c.canonical);
        EXPECT_EQ(parsed->ToNormalizedString(), c.normalized);
        EXPECT_EQ(parsed->Scale(), c.scale);
        // The canonical form parses back to the identical value.
        EXPECT_TRUE(Decimal::FromString(parsed->ToString()).IdenticalTo(*parsed));
    }
}

// Up to 19 digits are read with a 64-bit accumulator, more with 128 bits: both give the same
// mantissa and scale at and around the boundary, signs and leading zeros included.
TEST(DecimalParse, NineteenAndTwentyDigitsReadAlike) {
    struct Case {
        const char* text;
        __int128 mantissa;
        int scale;
    };
    const __int128 nineteen_nines = static_cast<__int128>(9'999'999'999'999'999'999ULL);
    const Case cases[] = {
        {"9999999999999999999", nineteen_nines, 0},
        {"-9999999999.999999999", -nineteen_nines, 9},
        {"99999999999999999999", nineteen_nines * 10 + 9, 0},
        {"0.000000000000000001", 1, 18},
        {"-0", 0, 0},
        {"+0000000000000000012.5", 125, 1},
        {"00000000000000000012.5", 125, 1},
        {"1844674407370955161.5", static_cast<__int128>(18'446'744'073'709'551'615ULL), 1},
        {"18446744073709551616", static_cast<__int128>(18'446'744'073'709'551'615ULL) + 1, 0},
    };
    for (const Case& c : cases) {
        const auto parsed = Decimal::Parse(c.text);
        ASSERT_TRUE(parsed.has_value()) << c.text;
        EXPECT_TRUE(parsed->Mantissa() == c.mantissa) << c.text;
        EXPECT_EQ(parsed->Scale(), c.scale) << c.text;
        std::string appended = "x";
        parsed->AppendTo(appended);
        EXPECT_EQ(appended, "x" + parsed->ToString()) << c.text;
    }
}

TEST(DecimalParse, RejectsWithReason) {
    const std::vector<std::pair<std::string, DecimalParseError>> cases = {
        {"", DecimalParseError::kEmpty},
        {"-", DecimalParseError::kSyntax},
        {"+", DecimalParseError::kSyntax},
        {".", DecimalParseError::kSyntax},
        {"1.", DecimalParseError::kSyntax},
        {".5", DecimalParseError::kSyntax},
        {"-.5", DecimalParseError::kSyntax},
        {"1e5", DecimalParseError::kSyntax},
        {"1E5", DecimalParseError::kSyntax},
        {" 1", DecimalParseError::kSyntax},
        {"1 ", DecimalParseError::kSyntax},
        {"1 000", DecimalParseError::kSyntax},
        {"1,5", DecimalParseError::kSyntax},
        {"NaN", DecimalParseError::kSyntax},
        {"nan", DecimalParseError::kSyntax},
        {"Infinity", DecimalParseError::kSyntax},
        {"-inf", DecimalParseError::kSyntax},
        {"--1", DecimalParseError::kSyntax},
        {"+-1", DecimalParseError::kSyntax},
        {"1.2.3", DecimalParseError::kSyntax},
        {"0x10", DecimalParseError::kSyntax},
        {"1_000", DecimalParseError::kSyntax},
        {std::string("1\0", 2), DecimalParseError::kSyntax},
        {"١", DecimalParseError::kSyntax},                      // Arabic-Indic digit one
        {"1" + kMaxDigits, DecimalParseError::kTooManyDigits},  // 39 digits
        {"-1" + kMaxDigits, DecimalParseError::kTooManyDigits},
        {"1" + std::string(20, '0') + "." + std::string(18, '0'), DecimalParseError::kTooManyDigits},
        {"0." + std::string(19, '1'), DecimalParseError::kTooManyFractionDigits},  // 19 places
        {"1.0000000000000000000", DecimalParseError::kTooManyFractionDigits},
    };
    for (const auto& [input, error] : cases) {
        SCOPED_TRACE(input);
        EXPECT_FALSE(Decimal::Parse(input).has_value());
        const auto result = Decimal::ParseWithError(input);
        ASSERT_FALSE(result.HasValue());
        EXPECT_EQ(result.Error(), error);
        EXPECT_EQ(ErrorCode([&] { Decimal::FromString(input); }), "decimal.invalid");
    }
}

TEST(DecimalParse, ReasonsAreReadable) {
    EXPECT_STREQ(Describe(DecimalParseError::kTooManyFractionDigits),
                 "more than 18 digits after the decimal point");
    EXPECT_STREQ(Describe(DecimalParseError::kTooManyDigits), "more than 38 significant digits");
    try {
        Decimal::FromString("0.1234567890123456789");
        FAIL() << "no throw";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "more than 18 digits after the decimal point");
    }
}

struct RoundCase {
    std::string input;
    int places;
    Rounding rounding;
    std::string expected;
};

TEST(DecimalRound, EveryModeIncludingTiesAndNegatives) {
    using R = Rounding;
    const std::vector<RoundCase> cases = {
        // half-even: ties go to the even neighbour
        {"2.5", 0, R::kHalfEven, "2"},
        {"3.5", 0, R::kHalfEven, "4"},
        {"-2.5", 0, R::kHalfEven, "-2"},
        {"-3.5", 0, R::kHalfEven, "-4"},
        {"0.5", 0, R::kHalfEven, "0"},
        {"1.5", 0, R::kHalfEven, "2"},
        {"2.51", 0, R::kHalfEven, "3"},
        {"2.49", 0, R::kHalfEven, "2"},
        {"1.005", 2, R::kHalfEven, "1.00"},
        {"1.015", 2, R::kHalfEven, "1.02"},
        {"1.0051", 2, R::kHalfEven, "1.01"},
        {"-1.0051", 2, R::kHalfEven, "-1.01"},
        {"2.500000000000000001", 0, R::kHalfEven, "3"},
        // half-up: ties away from zero
        {"2.5", 0, R::kHalfUp, "3"},
        {"3.5", 0, R::kHalfUp, "4"},
        {"-2.5", 0, R::kHalfUp, "-3"},
        {"2.49", 0, R::kHalfUp, "2"},
        {"-2.49", 0, R::kHalfUp, "-2"},
        {"1.005", 2, R::kHalfUp, "1.01"},
        // half-down: ties toward zero
        {"2.5", 0, R::kHalfDown, "2"},
        {"-2.5", 0, R::kHalfDown, "-2"},
        {"2.51", 0, R::kHalfDown, "3"},
        {"-2.51", 0, R::kHalfDown, "-3"},
        // down: truncate toward zero
        {"2.9", 0, R::kDown, "2"},
        {"-2.9", 0, R::kDown, "-2"},
        {"1.239", 2, R::kDown, "1.23"},
        // up: away from zero
        {"2.1", 0, R::kUp, "3"},
        {"-2.1", 0, R::kUp, "-3"},
        {"2.0", 0, R::kUp, "2"},
        // ceiling and floor
        {"2.1", 0, R::kCeiling, "3"},
        {"-2.9", 0, R::kCeiling, "-2"},
        {"2.9", 0, R::kFloor, "2"},
        {"-2.1", 0, R::kFloor, "-3"},
        {"-0.001", 2, R::kFloor, "-0.01"},
        {"-0.001", 2, R::kCeiling, "0.00"},
        // exact values never move, whatever the mode
        {"2.000", 1, R::kUp, "2.0"},
        {"-2.000", 1, R::kFloor, "-2.0"},
        {"-2.000", 1, R::kCeiling, "-2.0"},
        // rounding can carry into a new digit
        {"9.995", 2, R::kHalfEven, "10.00"},
        {"-9.999", 0, R::kHalfUp, "-10"},
        {"0.000000000000000005", 17, R::kHalfEven, "0.00000000000000000"},
        {"0.000000000000000015", 17, R::kHalfEven, "0.00000000000000002"},
        // large mantissas (above 64 bits)
        {"12345678901234567890.5", 0, R::kHalfEven, "12345678901234567890"},
        {"12345678901234567891.5", 0, R::kHalfEven, "12345678901234567892"},
        {"99999999999999999999.999999999999999999", 0, R::kDown, "99999999999999999999"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.input + " to " + std::to_string(c.places) + " mode " +
                     std::to_string(static_cast<int>(c.rounding)));
        const Decimal rounded = D(c.input).Rescale(c.places, c.rounding);
        EXPECT_EQ(rounded.ToString(), c.expected);
        EXPECT_EQ(rounded.Scale(), c.places);
    }
}

TEST(DecimalRound, HalfEvenIsTheDefault) {
    EXPECT_EQ(D("2.5").Rescale(0).ToString(), "2");
    EXPECT_EQ(D("2.675").Round(2).ToString(), "2.68");
    EXPECT_EQ(D("2.665").Round(2).ToString(), "2.66");
}

TEST(DecimalRound, RoundOnlyReducesRescalePads) {
    EXPECT_EQ(D("1.5").Round(4).ToString(), "1.5");
    EXPECT_EQ(D("1.5").Rescale(4).ToString(), "1.5000");
    EXPECT_EQ(D("1.23456").Round(2).ToString(), "1.23");
    EXPECT_EQ(D("-7").Rescale(18).ToString(), "-7.000000000000000000");
    EXPECT_EQ(D("1.2300").Normalized().ToString(), "1.23");
    EXPECT_EQ(D("100").Normalized().ToString(), "100");
    EXPECT_EQ(D("0.000").Normalized().ToString(), "0");
}

TEST(DecimalRound, InvalidScaleIsRejected) {
    EXPECT_EQ(ErrorCode([] { D("1").Rescale(19); }), "decimal.scale");
    EXPECT_EQ(ErrorCode([] { D("1").Rescale(-1); }), "decimal.scale");
    EXPECT_EQ(ErrorCode([] { D("1").Round(-1); }), "decimal.scale");
    EXPECT_EQ(ErrorCode([] { Decimal::FromUnscaled(1, 19); }), "decimal.scale");
}

struct ArithmeticCase {
    std::string a;
    std::string b;
    std::string sum;
    std::string difference;
    std::string product;
};

TEST(DecimalArithmetic, ExactWithScalesOfTheInputs) {
    const std::vector<ArithmeticCase> cases = {
        {"1", "2", "3", "-1", "2"},
        {"0.1", "0.2", "0.3", "-0.1", "0.02"},
        {"1.50", "2.5", "4.00", "-1.00", "3.750"},
        {"-1.5", "1.5", "0.0", "-3.0", "-2.25"},
        {"-3", "-0.25", "-3.25", "-2.75", "0.75"},
        {"0", "-0.001", "-0.001", "0.001", "0.000"},
        {"123.456", "0.000001", "123.456001", "123.455999", "0.000123456"},
        // the product (40 digits) overflows: tested below
        {"99999999999999999999", "99999999999999999999", "199999999999999999998", "0", ""},
        {"12345678901234567890", "0.000000000000000001", "12345678901234567890.000000000000000001",
         "12345678901234567889.999999999999999999", "12.345678901234567890"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.a + " op " + c.b);
        EXPECT_EQ((D(c.a) + D(c.b)).ToString(), c.sum);
        EXPECT_EQ((D(c.a) - D(c.b)).ToString(), c.difference);
        if (!c.product.empty()) {
            EXPECT_EQ((D(c.a) * D(c.b)).ToString(), c.product);
        }
    }
}

TEST(DecimalArithmetic, ProductOfLargeValuesIsExactOrOverflows) {
    // 10^19 * 10^18 = 10^37 fits (38 digits); 10^19 * 10^19 = 10^38 does not.
    const Decimal e19 = D("10000000000000000000");
    const Decimal e18 = D("1000000000000000000");
    EXPECT_EQ((e19 * e18).ToString(), "1" + std::string(37, '0'));
    EXPECT_EQ(ErrorCode([&] { (void)(e19 * e19); }), "decimal.overflow");
    // Operands whose product exceeds 128 bits must not wrap into a plausible value.
    EXPECT_EQ(ErrorCode([&] { (void)(D(kMaxDigits) * D(kMaxDigits)); }), "decimal.overflow");
    EXPECT_EQ(ErrorCode([&] { (void)(D("-" + kMaxDigits) * D("2")); }), "decimal.overflow");
    EXPECT_EQ(ErrorCode([&] { (void)(D("99999999999999999999") * D("99999999999999999999")); }),
              "decimal.overflow");
    // 2^64 * 2^64 = 2^128 wraps to 0 in 128 bits.
    EXPECT_EQ(ErrorCode([&] { (void)(D("18446744073709551616") * D("18446744073709551616")); }),
              "decimal.overflow");
    // A product whose exact mantissa is too long at the summed scale, but that is exact at a
    // smaller one, drops trailing zeros instead of failing.
    const Decimal p = D("10000000000000000000.0000000000") * D("1000000000000000000.00000000");
    EXPECT_EQ(p, D("1" + std::string(37, '0')));
}

TEST(DecimalArithmetic, ScaleAboveEighteenNeedsExplicitRounding) {
    const Decimal rate = D("0.0000000001234");  // 13 places
    const Decimal amount = D("12.345678");      // 6 places
    EXPECT_EQ(ErrorCode([&] { (void)(rate * amount); }), "decimal.precision");
    EXPECT_EQ(Decimal::Mul(rate, amount, 18).ToString(), "0.000000001523456665");
    // Trailing zeros beyond 18 places are dropped: the value stays exact.
    EXPECT_EQ((D("0.0000000000") * D("1.000000000")).ToString(), "0.000000000000000000");
    EXPECT_EQ((D("0.5000000000") * D("0.2000000000")).ToString(), "0.100000000000000000");
}

TEST(DecimalArithmetic, AdditionOverflowIsDetected) {
    const Decimal max = D(kMaxDigits);
    EXPECT_EQ(ErrorCode([&] { (void)(max + D("1")); }), "decimal.overflow");
    EXPECT_EQ(ErrorCode([&] { (void)(-max - D("1")); }), "decimal.overflow");
    EXPECT_EQ(ErrorCode([&] { (void)(max + max); }), "decimal.overflow");
    EXPECT_EQ((max - D("1")).ToString(), std::string(37, '9') + "8");
    EXPECT_EQ((max + -max).ToString(), "0");
    // Aligning a 38-digit integer to one fractional place overflows 38 digits...
    EXPECT_EQ(ErrorCode([&] { (void)(max + D("0.1")); }), "decimal.overflow");
    // ...unless the exact result needs no fractional digit, or is small again.
    EXPECT_EQ((max + D("0.0")).ToString(), kMaxDigits);
    const Decimal almost = D(std::string(37, '9') + ".9");  // 38 digits, scale 1
    EXPECT_EQ((D("1" + std::string(37, '0')) - almost).ToString(), "0.1");
    EXPECT_EQ((almost - D("1" + std::string(37, '0'))).ToString(), "-0.1");
}

TEST(DecimalArithmetic, RescaleOverflowIsDetected) {
    EXPECT_EQ(ErrorCode([] { D("1" + std::string(20, '0')).Rescale(18); }), "decimal.overflow");
    EXPECT_EQ(D("1" + std::string(19, '0')).Rescale(18).Digits(), 38);
    // Rounding away digits only shortens the mantissa, even when it carries.
    EXPECT_EQ(D(kMaxDigits.substr(1) + ".9").Rescale(0, Rounding::kUp).ToString(),
              "1" + std::string(37, '0'));
    EXPECT_EQ(ErrorCode([] { Decimal::FromUnscaled(D(kMaxDigits).Mantissa() + 1, 0); }), "decimal.overflow");
    EXPECT_EQ(ErrorCode([] { Decimal::FromUnscaled(-D(kMaxDigits).Mantissa() - 1, 0); }), "decimal.overflow");
    EXPECT_EQ(Decimal::FromUnscaled(-D(kMaxDigits).Mantissa(), 0).ToString(), "-" + kMaxDigits);
}

TEST(DecimalUnscaled, CheckedConstruction) {
    EXPECT_EQ(Decimal::TryFromUnscaled(-12345, 3)->ToString(), "-12.345");
    EXPECT_EQ(Decimal::TryFromUnscaled(D(kMaxDigits).Mantissa(), 18)->ToString(),
              "99999999999999999999.999999999999999999");
    EXPECT_FALSE(Decimal::TryFromUnscaled(D(kMaxDigits).Mantissa() + 1, 0).has_value());
    EXPECT_FALSE(Decimal::TryFromUnscaled(1, 19).has_value());
    EXPECT_FALSE(Decimal::TryFromUnscaled(1, -1).has_value());
    const auto ok = Decimal::ParseWithError("2.50");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->Scale(), 2);
}

TEST(DecimalArithmetic, NegationAbsSign) {
    EXPECT_EQ((-D("1.50")).ToString(), "-1.50");
    EXPECT_EQ((-D("-1.50")).ToString(), "1.50");
    EXPECT_EQ((-D("0.0")).ToString(), "0.0");
    EXPECT_EQ(D("-3.2").Abs().ToString(), "3.2");
    EXPECT_EQ(D("3.2").Abs().ToString(), "3.2");
    EXPECT_EQ(D("-3.2").Sign(), -1);
    EXPECT_EQ(D("0.000").Sign(), 0);
    EXPECT_EQ(D("0.001").Sign(), 1);
    EXPECT_TRUE(D("0.000").IsZero());
    EXPECT_FALSE(D("0.001").IsZero());
    EXPECT_TRUE(D("-0.001").IsNegative());
    EXPECT_TRUE(D("0.001").IsPositive());
    EXPECT_EQ(Decimal::FromInt(-42).ToString(), "-42");
    EXPECT_EQ(Decimal::FromInt(INT64_MIN).ToString(), "-9223372036854775808");
    EXPECT_EQ(Decimal::FromUnscaled(-12345, 3).ToString(), "-12.345");
    EXPECT_EQ(Decimal().ToString(), "0");
    Decimal acc = D("1.1");
    acc += D("2");
    acc -= D("0.05");
    acc *= D("2");
    EXPECT_EQ(acc.ToString(), "6.10");
}

struct DivCase {
    std::string a;
    std::string b;
    int scale;
    Rounding rounding;
    std::string expected;
};

TEST(DecimalDivision, ExplicitScaleAndRounding) {
    using R = Rounding;
    const std::vector<DivCase> cases = {
        {"1", "3", 4, R::kHalfEven, "0.3333"},
        {"2", "3", 4, R::kHalfEven, "0.6667"},
        {"2", "3", 4, R::kDown, "0.6666"},
        {"-2", "3", 4, R::kHalfEven, "-0.6667"},
        {"-2", "3", 4, R::kFloor, "-0.6667"},
        {"-2", "3", 4, R::kCeiling, "-0.6666"},
        {"1", "-8", 2, R::kHalfEven, "-0.12"},  // -0.125 tie -> even
        {"1", "-8", 2, R::kHalfUp, "-0.13"},
        {"10", "4", 0, R::kHalfEven, "2"},  // 2.5 -> 2
        {"14", "4", 0, R::kHalfEven, "4"},  // 3.5 -> 4
        {"1.00", "0.25", 0, R::kHalfEven, "4"},
        {"0.000001", "1000000", 12, R::kHalfEven, "0.000000000001"},
        {"123.45", "0.5", 3, R::kHalfEven, "246.900"},
        {"1", "7", 18, R::kHalfEven, "0.142857142857142857"},
        {kMaxDigits, "1", 0, R::kHalfEven, kMaxDigits},
        {kMaxDigits, kMaxDigits, 18, R::kHalfEven, "1.000000000000000000"},
        // a large dividend scaled by 10^36 needs the 256-bit path
        {"99999999999999999999.999999999999999999", "3", 18, R::kHalfEven,
         "33333333333333333333.333333333333333333"},
        {"1", "0.000000000000000003", 0, R::kHalfEven, "333333333333333333"},
        {"0.000000000000000001", kMaxDigits, 18, R::kHalfEven, "0.000000000000000000"},
        {"0.000000000000000001", kMaxDigits, 18, R::kUp, "0.000000000000000001"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.a + " / " + c.b);
        EXPECT_EQ(Decimal::Div(D(c.a), D(c.b), c.scale, c.rounding).ToString(), c.expected);
    }
}

TEST(DecimalDivision, ZeroAndOverflow) {
    EXPECT_EQ(ErrorCode([] { Decimal::Div(D("1"), D("0.00"), 2); }), "decimal.division_by_zero");
    EXPECT_EQ(ErrorCode([] { Decimal::Div(D(kMaxDigits), D("0.1"), 0); }), "decimal.overflow");
    EXPECT_EQ(ErrorCode([] { Decimal::Div(D("1" + std::string(20, '0')), D("1"), 18); }), "decimal.overflow");
}

TEST(DecimalMul, RoundedProduct) {
    EXPECT_EQ(Decimal::Mul(D("1.005"), D("1"), 2).ToString(), "1.00");
    EXPECT_EQ(Decimal::Mul(D("1.005"), D("1"), 2, Rounding::kHalfUp).ToString(), "1.01");
    EXPECT_EQ(Decimal::Mul(D("2"), D("3"), 4).ToString(), "6.0000");
    EXPECT_EQ(Decimal::Mul(D("-0.333"), D("0.5"), 3).ToString(), "-0.166");  // -0.1665 tie -> even
    // Products wider than 128 bits that round back into range.
    EXPECT_EQ(
        Decimal::Mul(D("99999999999999999999.999999999999999999"), D("0.000000000000000001"), 18).ToString(),
        "100.000000000000000000");
    EXPECT_EQ(
        Decimal::Mul(D("12345678901234567890.123456789012345678"), D("1.000000000000000000"), 18).ToString(),
        "12345678901234567890.123456789012345678");
    EXPECT_EQ(ErrorCode([] { Decimal::Mul(D(kMaxDigits), D("10"), 0); }), "decimal.overflow");
}

TEST(DecimalMulDiv, TheExactQuotientRoundedOnce) {
    // 3e12 x 1 / 3: exactly 1e12, where 1/3 rounded to 18 places first gives 1e12 + 1e-6.
    EXPECT_EQ(Decimal::MulDiv(D("3000000000000"), D("1"), D("3"), 10).ToString(), "1000000000000.0000000000");
    EXPECT_NE(Decimal::Mul(D("3000000000000"), Decimal::Div(D("1"), D("3"), 18), 10),
              Decimal::MulDiv(D("3000000000000"), D("1"), D("3"), 10));
    // 300.0000000003 x 0.5 / 3 = 50.00000000005: a tie at the 11th place, half-even keeps 0.
    EXPECT_EQ(Decimal::MulDiv(D("300.0000000003"), D("0.5"), D("3"), 10).ToString(), "50.0000000000");
    EXPECT_EQ(Decimal::MulDiv(D("300.0000000003"), D("0.5"), D("3"), 10, Rounding::kHalfUp).ToString(),
              "50.0000000001");
    EXPECT_EQ(Decimal::MulDiv(D("-10"), D("1"), D("3"), 4).ToString(), "-3.3333");
    EXPECT_EQ(Decimal::MulDiv(D("-10"), D("1"), D("3"), 4, Rounding::kFloor).ToString(), "-3.3334");
    EXPECT_EQ(Decimal::MulDiv(D("10"), D("-2"), D("-4"), 0).ToString(), "5");
    // Products and scales past 128 bits: 38-digit operands, a dividend scaled up by 10^36.
    EXPECT_EQ(Decimal::MulDiv(D(kMaxDigits), D(kMaxDigits), D(kMaxDigits), 0).ToString(), kMaxDigits);
    EXPECT_EQ(
        Decimal::MulDiv(D("0.000000000000000001"), D("0.000000000000000001"), D("0.000000000000000001"), 18)
            .ToString(),
        "0.000000000000000001");
    EXPECT_EQ(Decimal::MulDiv(D("1"), D("1"), D("0.000000000000000003"), 18).ToString(),
              "333333333333333333.333333333333333333");
    EXPECT_EQ(ErrorCode([] { Decimal::MulDiv(D("1"), D("1"), D("0"), 2); }), "decimal.division_by_zero");
    EXPECT_EQ(ErrorCode([] { Decimal::MulDiv(D(kMaxDigits), D(kMaxDigits), D("1"), 0); }),
              "decimal.overflow");
    EXPECT_EQ(ErrorCode([] { Decimal::MulDiv(D(kMaxDigits), D(kMaxDigits), D("0.1"), 18); }),
              "decimal.overflow");
}

TEST(DecimalCompare, ValueBasedAcrossScales) {
    EXPECT_EQ(D("1.5"), D("1.50"));
    EXPECT_FALSE(D("1.5").IdenticalTo(D("1.50")));
    EXPECT_EQ(D("0"), D("-0.000"));
    EXPECT_LT(D("1.49"), D("1.5"));
    EXPECT_GT(D("-1.49"), D("-1.5"));
    EXPECT_LT(D("-0.001"), D("0"));
    EXPECT_NE(D("1.500000000000000001"), D("1.5"));
    // Aligning these scales overflows 128 bits; the comparison must still be right.
    EXPECT_GT(D(kMaxDigits), D("0.000000000000000001"));
    EXPECT_LT(D("-" + kMaxDigits), D("-0.000000000000000001"));
    EXPECT_LT(D("-" + kMaxDigits), D("0.000000000000000001"));
    EXPECT_EQ(D(kMaxDigits), Decimal::FromUnscaled(D(kMaxDigits).Mantissa(), 0));
    EXPECT_GT(D(kMaxDigits), D("99999999999999999999.999999999999999999"));
}

TEST(DecimalHash, EqualValuesHashAlike) {
    std::unordered_set<Decimal> set;
    set.insert(D("1.5"));
    set.insert(D("1.50"));
    set.insert(D("1.500000"));
    set.insert(D("0"));
    set.insert(D("-0.00"));
    EXPECT_EQ(set.size(), 2U);
    EXPECT_TRUE(set.contains(D("1.5000")));
}

TEST(DecimalDigits, PrecisionFigures) {
    EXPECT_EQ(D("0").Digits(), 1);
    EXPECT_EQ(D("0").IntegerDigits(), 0);
    EXPECT_EQ(D("12.345").Digits(), 5);
    EXPECT_EQ(D("12.345").IntegerDigits(), 2);
    EXPECT_EQ(D("-0.05").IntegerDigits(), 0);
    EXPECT_EQ(D("10.00").IntegerDigits(), 2);
    EXPECT_EQ(D(kMaxDigits).Digits(), 38);
}

TEST(DecimalToDouble, NearestDouble) {
    EXPECT_EQ(D("1.5").ToDouble(), 1.5);
    EXPECT_EQ(D("-0.1").ToDouble(), -0.1);
    EXPECT_EQ(D("123456.789").ToDouble(), 123456.789);
    EXPECT_EQ(D("0").ToDouble(), 0.0);
    EXPECT_DOUBLE_EQ(D(kMaxDigits).ToDouble(), 1e38);
}

TEST(DecimalFormat, FmtAndStream) {
    EXPECT_EQ(fmt::format("{}", D("-1.50")), "-1.50");
    std::ostringstream os;
    os << D("0.010");
    EXPECT_EQ(os.str(), "0.010");
}

}  // namespace
}  // namespace nn
