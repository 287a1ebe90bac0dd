#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "core/result.hpp"

namespace nn {

// How a value that falls between two representable results is resolved.
enum class Rounding {
    kHalfEven,  // to nearest, ties to the even neighbour (banker's rounding; the default)
    kHalfUp,    // to nearest, ties away from zero (commercial rounding: 2.5 -> 3, -2.5 -> -3)
    kHalfDown,  // to nearest, ties toward zero (2.5 -> 2, -2.5 -> -2)
    kDown,      // toward zero (truncate)
    kUp,        // away from zero
    kCeiling,   // toward +infinity
    kFloor,     // toward -infinity
};

// Why a string is not a decimal.
enum class DecimalParseError {
    kEmpty,                  // ""
    kSyntax,                 // anything but [+-]digits[.digits]
    kTooManyDigits,          // more than Decimal::kMaxDigits significant digits
    kTooManyFractionDigits,  // more than Decimal::kMaxScale digits after the point
};

// A sentence for the client ("more than 18 digits after the decimal point").
const char* Describe(DecimalParseError error) noexcept;

// An exact decimal number: value = mantissa * 10^-scale.
//
// The mantissa is a signed __int128 limited to 38 decimal digits (|mantissa| <= 10^38 - 1) and
// the scale (digits after the point) is 0..18; both travel together, so "1.50" keeps its two
// places while comparing equal to "1.5". That covers NUMERIC(38,18) and every money, price and
// quantity column of the schema. Arithmetic is exact: + and - align to the larger scale, *
// adds the scales; intermediates are 256-bit, so nothing wraps. A result that does not fit
// throws nn::Error(kUnprocessable, "decimal.overflow") (or "decimal.precision" when an exact
// product would need more than 18 fractional digits; use Mul with an explicit scale then).
// Rounding happens only where the caller asks for it (Rescale, Round, Div, Mul with a scale).
class Decimal {
public:
    static constexpr int kMaxScale = 18;
    static constexpr int kMaxDigits = 38;

    // Zero with scale 0.
    constexpr Decimal() noexcept = default;

    static Decimal FromInt(std::int64_t value) noexcept { return Decimal(value, 0); }
    // mantissa * 10^-scale; throws "decimal.overflow" when |mantissa| has more than 38 digits and
    // "decimal.scale" when scale is outside 0..18.
    static Decimal FromUnscaled(__int128 mantissa, int scale);
    // The same without throwing: nullopt when the mantissa or the scale is out of range (for
    // decoders such as PostgreSQL's binary numeric).
    static std::optional<Decimal> TryFromUnscaled(__int128 mantissa, int scale) noexcept;

    // Strict syntax: an optional '+' or '-', one or more digits, optionally a '.' followed by one
    // or more digits. No exponent, no spaces, no "NaN"/"Infinity"; ".5" and "1." are rejected
    // (as in JSON). Leading zeros are accepted and not significant; trailing fractional zeros
    // set the scale. "-0" parses as zero.
    static std::optional<Decimal> Parse(std::string_view text) noexcept;
    static Result<Decimal, DecimalParseError> ParseWithError(std::string_view text) noexcept;
    // Parse or throw nn::Error(kUnprocessable, "decimal.invalid", <reason>).
    static Decimal FromString(std::string_view text);

    // Keeps the scale: "1.50", "-0.001", "12". Never an exponent.
    std::string ToString() const;
    // Without trailing fractional zeros: "1.5", "12", "0".
    std::string ToNormalizedString() const;
    // ToString() appended to `out`, without a string of its own (encoders writing many).
    void AppendTo(std::string& out) const;

    __int128 Mantissa() const noexcept { return mantissa_; }
    int Scale() const noexcept { return scale_; }
    // Digits of the mantissa (1 for zero): the precision of NUMERIC(p, s) needed at this scale.
    int Digits() const noexcept;
    // Digits before the point (0 when |value| < 1): what NUMERIC(p, s) limits to p - s.
    int IntegerDigits() const noexcept;

    bool IsZero() const noexcept { return mantissa_ == 0; }
    bool IsNegative() const noexcept { return mantissa_ < 0; }
    bool IsPositive() const noexcept { return mantissa_ > 0; }
    int Sign() const noexcept { return mantissa_ < 0 ? -1 : (mantissa_ > 0 ? 1 : 0); }
    Decimal Abs() const noexcept { return mantissa_ < 0 ? -*this : *this; }

    // Exactly `scale` fractional digits: pads with zeros or rounds. Throws "decimal.overflow"
    // when padding makes the mantissa too long, "decimal.scale" when scale is outside 0..18.
    Decimal Rescale(int scale, Rounding rounding = Rounding::kHalfEven) const;
    // At most `places` fractional digits: rounds when there are more, otherwise unchanged.
    Decimal Round(int places, Rounding rounding = Rounding::kHalfEven) const;
    // The same value with the smallest scale (trailing fractional zeros removed).
    Decimal Normalized() const noexcept;

    // a / b rounded to `scale` fractional digits. Throws "decimal.division_by_zero".
    static Decimal Div(const Decimal& a,
                       const Decimal& b,
                       int scale,
                       Rounding rounding = Rounding::kHalfEven);
    // a * b rounded to `scale` fractional digits (for products whose exact scale exceeds 18,
    // e.g. rate * amount).
    static Decimal Mul(const Decimal& a,
                       const Decimal& b,
                       int scale,
                       Rounding rounding = Rounding::kHalfEven);

    // a * b / c rounded once to `scale` fractional digits, from the exact quotient (a share of an
    // amount: cost * part / whole; never the fraction rounded first). Throws
    // "decimal.division_by_zero" and "decimal.overflow".
    static Decimal MulDiv(const Decimal& a,
                          const Decimal& b,
                          const Decimal& c,
                          int scale,
                          Rounding rounding = Rounding::kHalfEven);

    // For statistics and charts only (nearest double, correctly rounded); never feed it back into
    // money arithmetic.
    double ToDouble() const noexcept;

    Decimal operator-() const noexcept { return Decimal(-mantissa_, scale_); }
    friend Decimal operator+(const Decimal& a, const Decimal& b);
    friend Decimal operator-(const Decimal& a, const Decimal& b);
    friend Decimal operator*(const Decimal& a, const Decimal& b);
    Decimal& operator+=(const Decimal& other) { return *this = *this + other; }
    Decimal& operator-=(const Decimal& other) { return *this = *this - other; }
    Decimal& operator*=(const Decimal& other) { return *this = *this * other; }

    // Compares values, not representations: 1.5 == 1.50.
    friend bool operator==(const Decimal& a, const Decimal& b) noexcept;
    friend std::strong_ordering operator<=>(const Decimal& a, const Decimal& b) noexcept;
    // Same value and same scale (1.5 is not identical to 1.50).
    bool IdenticalTo(const Decimal& other) const noexcept {
        return mantissa_ == other.mantissa_ && scale_ == other.scale_;
    }

    // Consistent with ==: equal values hash alike whatever their scale.
    std::size_t Hash() const noexcept;

    friend std::ostream& operator<<(std::ostream& os, const Decimal& d) { return os << d.ToString(); }

private:
    constexpr Decimal(__int128 mantissa, int scale) noexcept : mantissa_(mantissa), scale_(scale) {}

    __int128 mantissa_ = 0;
    int scale_ = 0;
};

}  // namespace nn

template <>
struct std::hash<nn::Decimal> {
    std::size_t operator()(const nn::Decimal& d) const noexcept { return d.Hash(); }
};

template <>
struct fmt::formatter<nn::Decimal> : fmt::formatter<std::string_view> {
    template <class FormatContext>
    auto format(const nn::Decimal& d, FormatContext& ctx) const {
        return fmt::formatter<std::string_view>::format(d.ToString(), ctx);
    }
};
