#include "core/money.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/currency.hpp"
#include "core/error.hpp"
#include "core/testing.hpp"

namespace nn {
namespace {

using nn::testing::D;
Currency C(std::string_view code) {
    return Currency::FromCode(code);
}
Money M(std::string_view amount, std::string_view code) {
    return Money(D(amount), C(code));
}

TEST(Currency, MajorCodesAndMinorUnits) {
    const std::vector<std::pair<std::string, int>> cases = {
        {"USD", 2}, {"EUR", 2}, {"GBP", 2}, {"JPY", 0}, {"CHF", 2}, {"CAD", 2}, {"AUD", 2}, {"NZD", 2},
        {"SEK", 2}, {"NOK", 2}, {"DKK", 2}, {"PLN", 2}, {"CZK", 2}, {"HUF", 2}, {"CNY", 2}, {"HKD", 2},
        {"SGD", 2}, {"INR", 2}, {"KRW", 0}, {"BRL", 2}, {"MXN", 2}, {"ZAR", 2}, {"TRY", 2}, {"ILS", 2},
        {"AED", 2}, {"SAR", 2}, {"THB", 2}, {"TWD", 2}, {"IDR", 2}, {"MYR", 2}, {"PHP", 2}, {"RUB", 2},
        {"KWD", 3}, {"BHD", 3}, {"OMR", 3}, {"JOD", 3}, {"TND", 3}, {"IQD", 3}, {"LYD", 3}, {"CLP", 0},
        {"ISK", 0}, {"VND", 0}, {"XOF", 0}, {"XAF", 0}, {"XPF", 0}, {"CLF", 4}, {"UYW", 4}, {"UYI", 0},
    };
    for (const auto& [code, minor] : cases) {
        SCOPED_TRACE(code);
        const auto currency = Currency::Parse(code);
        ASSERT_TRUE(currency.has_value());
        EXPECT_EQ(currency->Code(), code);
        EXPECT_EQ(currency->MinorUnits(), minor);
        EXPECT_FALSE(currency->Name().empty());
    }
    EXPECT_EQ(C("EUR").Name(), "Euro");
}

TEST(Currency, RejectsAnythingButAKnownUpperCaseCode) {
    for (const std::string bad :
         {"", "usd", "Usd", "US", "USDD", " USD", "USD ", "XXX", "XAU", "XTS", "ABC", "U$D", "ZZZ", "AAA"}) {
        SCOPED_TRACE(bad);
        EXPECT_FALSE(Currency::Parse(bad).has_value());
    }
    try {
        C("usd");
        FAIL() << "no throw";
    } catch (const Error& e) {
        EXPECT_EQ(e.Code(), "currency.unknown");
        EXPECT_EQ(e.Kind(), ErrorKind::kUnprocessable);
    }
}

TEST(Currency, TableIsSortedUniqueAndComplete) {
    const auto all = Currency::All();
    EXPECT_GE(all.size(), 160U);
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < all.size(); ++i) {
        SCOPED_TRACE(std::string(all[i].code));
        if (i > 0) {
            EXPECT_LT(all[i - 1].code, all[i].code);
        }
        EXPECT_TRUE(seen.insert(all[i].code).second);
        EXPECT_GE(all[i].minor_units, 0);
        EXPECT_LE(all[i].minor_units, 4);
        // Every entry is reachable through Parse (the binary search agrees with the table).
        const auto parsed = Currency::Parse(all[i].code);
        ASSERT_TRUE(parsed.has_value());
        EXPECT_EQ(parsed->MinorUnits(), all[i].minor_units);
    }
}

TEST(Currency, ValueSemantics) {
    EXPECT_EQ(C("USD"), *Currency::Parse("USD"));
    EXPECT_NE(C("USD"), C("EUR"));
    EXPECT_LT(C("EUR"), C("USD"));
    EXPECT_EQ(std::hash<Currency>{}(C("USD")), std::hash<Currency>{}(*Currency::Parse("USD")));
    EXPECT_EQ(fmt::format("{}", C("CHF")), "CHF");
}

TEST(Money, AddAndSubtractSameCurrency) {
    EXPECT_EQ((M("1.50", "USD") + M("2.25", "USD")).ToString(), "3.75 USD");
    EXPECT_EQ((M("1.50", "USD") - M("2.255", "USD")).ToString(), "-0.755 USD");
    Money total = Money::Zero(C("EUR"));
    for (int i = 0; i < 10; ++i) total += M("0.10", "EUR");
    EXPECT_EQ(total, M("1", "EUR"));
    total -= M("0.5", "EUR");
    EXPECT_EQ(total.ToString(), "0.50 EUR");
    EXPECT_EQ((-M("2", "GBP")).ToString(), "-2 GBP");
    EXPECT_EQ(M("-2", "GBP").Abs().ToString(), "2 GBP");
}

TEST(Money, CurrencyMismatchThrows) {
    auto expect_mismatch = [](auto&& f) {
        try {
            f();
            ADD_FAILURE() << "no throw";
        } catch (const Error& e) {
            EXPECT_EQ(e.Code(), "money.currency_mismatch");
            EXPECT_EQ(e.Kind(), ErrorKind::kUnprocessable);
            EXPECT_NE(std::string(e.what()).find("USD"), std::string::npos);
        }
    };
    expect_mismatch([] { (void)(M("1", "USD") + M("1", "EUR")); });
    expect_mismatch([] { (void)(M("1", "USD") - M("1", "EUR")); });
    expect_mismatch([] { (void)M("1", "USD").Compare(M("1", "EUR")); });
    Money m = M("1", "USD");
    expect_mismatch([&] { m += M("1", "JPY"); });
    EXPECT_EQ(m, M("1", "USD"));  // unchanged after the failed +=
}

TEST(Money, EqualityAndOrdering) {
    EXPECT_EQ(M("1.5", "USD"), M("1.50", "USD"));
    EXPECT_NE(M("1", "USD"), M("1", "EUR"));
    EXPECT_EQ(M("1", "USD").Compare(M("2", "USD")), std::strong_ordering::less);
    EXPECT_EQ(M("2.00", "USD").Compare(M("2", "USD")), std::strong_ordering::equal);
}

struct MinorCase {
    std::string amount;
    std::string code;
    Rounding rounding;
    std::string expected;
};

TEST(Money, RoundToMinorUnits) {
    using R = Rounding;
    const std::vector<MinorCase> cases = {
        {"1.005", "USD", R::kHalfEven, "1.00 USD"},   {"1.015", "USD", R::kHalfEven, "1.02 USD"},
        {"1.005", "USD", R::kHalfUp, "1.01 USD"},     {"-1.005", "USD", R::kHalfUp, "-1.01 USD"},
        {"1.5", "USD", R::kHalfEven, "1.50 USD"},     {"1234.5", "JPY", R::kHalfEven, "1234 JPY"},
        {"1235.5", "JPY", R::kHalfEven, "1236 JPY"},  {"0.0005", "KWD", R::kHalfEven, "0.000 KWD"},
        {"0.0015", "KWD", R::kHalfEven, "0.002 KWD"}, {"10.12345", "CLF", R::kHalfEven, "10.1234 CLF"},
        {"10.129", "EUR", R::kDown, "10.12 EUR"},     {"-10.121", "EUR", R::kFloor, "-10.13 EUR"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.amount + " " + c.code);
        EXPECT_EQ(M(c.amount, c.code).RoundToMinor(c.rounding).ToString(), c.expected);
    }
}

TEST(Money, ScaleByDecimal) {
    EXPECT_EQ((M("10.25", "USD") * D("3")).ToString(), "30.75 USD");
    EXPECT_EQ((D("0.5") * M("10.25", "USD")).RoundToMinor().ToString(), "5.12 USD");  // 5.125 -> even
}

TEST(Money, ConvertRoundsToTargetMinorUnits) {
    EXPECT_EQ(Convert(M("100", "USD"), D("0.9234"), C("EUR")).ToString(), "92.34 EUR");
    EXPECT_EQ(Convert(M("100", "USD"), D("151.235"), C("JPY")).ToString(), "15124 JPY");  // 15123.5 -> even
    EXPECT_EQ(Convert(M("100", "USD"), D("151.245"), C("JPY"), Rounding::kDown).ToString(), "15124 JPY");
    EXPECT_EQ(Convert(M("1", "EUR"), D("0.3075123456789"), C("KWD")).ToString(), "0.308 KWD");
    // A rate with many places times an amount with many places exceeds 18 places before rounding.
    EXPECT_EQ(Convert(M("12.345678901", "USD"), D("1.0000000000001"), C("EUR")).ToString(), "12.35 EUR");
    for (const std::string rate : {"0", "-1.1", "0.000"}) {
        try {
            Convert(M("1", "USD"), D(rate), C("EUR"));
            ADD_FAILURE() << "no throw for rate " << rate;
        } catch (const Error& e) {
            EXPECT_EQ(e.Code(), "money.invalid_rate");
        }
    }
}

}  // namespace
}  // namespace nn
