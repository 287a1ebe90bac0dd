// Decimal parsing (core/decimal.hpp) and the arithmetic on what parses. The input is one or
// two decimals separated by a newline; invariants: Parse and ParseWithError agree, ToString
// round-trips exactly, ToDouble is the correctly rounded double (strtod of the same text),
// Rescale lands between floor and ceiling, a + b - b == a. Failures other than the documented
// nn::Error codes are findings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "core/decimal.hpp"
#include "core/error.hpp"
#include "fuzz_check.hpp"

namespace {
using nn::Decimal;
using nn::Rounding;

constexpr Rounding kRoundings[] = {Rounding::kHalfEven, Rounding::kHalfUp, Rounding::kHalfDown,
                                   Rounding::kDown,     Rounding::kUp,     Rounding::kCeiling,
                                   Rounding::kFloor};

void CheckCode(const nn::Error& e) {
    const std::string& c = e.Code();
    NN_FUZZ_CHECK(c == "decimal.overflow" || c == "decimal.precision" || c == "decimal.scale" ||
                  c == "decimal.division_by_zero");
}

std::optional<Decimal> ParseChecked(std::string_view text) {
    const auto parsed = Decimal::Parse(text);
    const auto with_error = Decimal::ParseWithError(text);
    NN_FUZZ_CHECK(parsed.has_value() == with_error.HasValue());
    if (!parsed) {
        NN_FUZZ_CHECK(nn::Describe(with_error.Error()) != nullptr);
        return std::nullopt;
    }
    const Decimal& d = *parsed;
    NN_FUZZ_CHECK(d.Scale() >= 0 && d.Scale() <= Decimal::kMaxScale);
    NN_FUZZ_CHECK(d.Digits() >= 1 && d.Digits() <= Decimal::kMaxDigits);
    NN_FUZZ_CHECK(d.IntegerDigits() <= d.Digits());

    const auto again = Decimal::Parse(d.ToString());
    NN_FUZZ_CHECK(again && again->IdenticalTo(d));
    const auto normal = Decimal::Parse(d.ToNormalizedString());
    NN_FUZZ_CHECK(normal && *normal == d && normal->IdenticalTo(d.Normalized()));
    NN_FUZZ_CHECK(d.Hash() == d.Normalized().Hash());
    NN_FUZZ_CHECK((-d).Sign() == -d.Sign());

    // strtod is correctly rounded for the same digits (the syntax is a subset of strtod's).
    const double expect = std::strtod(std::string(text).c_str(), nullptr);
    NN_FUZZ_CHECK(d.ToDouble() == expect);
    return parsed;
}

void CheckRounding(const Decimal& d) {
    for (int scale = 0; scale <= Decimal::kMaxScale; ++scale) {
        try {
            const Decimal floor = d.Rescale(scale, Rounding::kFloor);
            const Decimal ceiling = d.Rescale(scale, Rounding::kCeiling);
            NN_FUZZ_CHECK(floor <= d && d <= ceiling);
            NN_FUZZ_CHECK(floor.Scale() == scale && ceiling.Scale() == scale);
            for (Rounding r : kRoundings) {
                const Decimal x = d.Rescale(scale, r);
                NN_FUZZ_CHECK(x == floor || x == ceiling);
                const Decimal y = d.Round(scale, r);
                NN_FUZZ_CHECK(y == x);
            }
        } catch (const nn::Error& e) {
            CheckCode(e);
        }
    }
}

void CheckPair(const Decimal& a, const Decimal& b) {
    NN_FUZZ_CHECK((a == b) == (b == a));
    NN_FUZZ_CHECK((a < b) == (b > a));
    if (a < b) NN_FUZZ_CHECK(a.ToDouble() <= b.ToDouble());
    if (a == b) NN_FUZZ_CHECK(a.Hash() == b.Hash());
    try {
        const Decimal sum = a + b;
        NN_FUZZ_CHECK(sum - b == a);
        NN_FUZZ_CHECK(sum == b + a);
    } catch (const nn::Error& e) {
        CheckCode(e);
    }
    try {
        NN_FUZZ_CHECK(a * b == b * a);
    } catch (const nn::Error& e) {
        CheckCode(e);
    }
    for (Rounding r : kRoundings) {
        try {
            const Decimal q = Decimal::Div(a, b, 6, r);
            NN_FUZZ_CHECK(q.Scale() == 6);
            NN_FUZZ_CHECK(!b.IsZero());
        } catch (const nn::Error& e) {
            CheckCode(e);
        }
        try {
            (void)Decimal::Mul(a, b, 4, r);
        } catch (const nn::Error& e) {
            CheckCode(e);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto newline = text.find('\n');
    const std::string_view first = text.substr(0, newline);
    const auto a = ParseChecked(first);
    if (a) CheckRounding(*a);
    if (newline == std::string_view::npos) return 0;
    const auto b = ParseChecked(text.substr(newline + 1));
    if (a && b) CheckPair(*a, *b);
    return 0;
}
