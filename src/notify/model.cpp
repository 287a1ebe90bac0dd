#include "notify/model.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace nn::notify {
namespace {

// PostgreSQL's numeric constants (numeric.c): base-10000 digits, 16 significant digits at least.
constexpr int kPgDecDigits = 4;
constexpr int kPgMinSigDigits = 16;

// Weight and first digit of |d| in PostgreSQL's base-10000 representation: |d| =
// first_digit * 10000^weight + (the rest); zero is weight 0, first digit 0.
struct PgLeadingDigit {
    int weight = 0;
    int first_digit = 0;
};

PgLeadingDigit PgLeading(const Decimal& d) {
    if (d.IsZero()) return {};
    // The exponent of the most significant decimal digit: |d| is in [10^e, 10^(e+1)).
    const int e = d.Digits() - 1 - d.Scale();
    const int weight = e >= 0 ? e / kPgDecDigits : -((-e + kPgDecDigits - 1) / kPgDecDigits);
    // The decimal digits of positions e down to 4 * weight form the first base-10000 digit.
    const int leading = e - kPgDecDigits * weight + 1;
    __int128 m = d.Mantissa() < 0 ? -d.Mantissa() : d.Mantissa();
    for (int i = d.Digits(); i > leading; --i) m /= 10;
    for (int i = d.Digits(); i < leading; ++i) m *= 10;
    return {weight, static_cast<int>(m)};
}

// The scale of a / b on numerics (select_div_scale in numeric.c).
int PgDivScale(const Decimal& a, const Decimal& b) {
    const PgLeadingDigit x = PgLeading(a);
    const PgLeadingDigit y = PgLeading(b);
    int qweight = x.weight - y.weight;
    if (x.first_digit <= y.first_digit) --qweight;
    return std::max({kPgMinSigDigits - qweight * kPgDecDigits, a.Scale(), b.Scale(), 0});
}

// 10^exponent for exponent in -18..37.
Decimal PowerOfTen(int exponent) {
    if (exponent < 0) return Decimal::FromUnscaled(1, -exponent);
    __int128 m = 1;
    for (int i = 0; i < exponent; ++i) m *= 10;
    return Decimal::FromUnscaled(m, 0);
}

}  // namespace

std::string ChangePercent(const Decimal& price, const Decimal& prev_close) {
    // q = price / prev_close at PostgreSQL's scale r, which may exceed Decimal's 18 places (a
    // fall gives r = 20): then q is carried as q * 10^s at scale r - s, s = r - 18.
    const int r = PgDivScale(price, prev_close);
    const int s = std::max(r - Decimal::kMaxScale, 0);
    const Decimal q_shifted = Decimal::Div(price * PowerOfTen(s), prev_close, r - s, Rounding::kHalfUp);
    // (q - 1) * 100 at 2 places = round((q * 10^s - 10^s) * 10^(4 - s)) hundredths.
    const Decimal hundredths =
        Decimal::Div(q_shifted - PowerOfTen(s), PowerOfTen(s - 4), 0, Rounding::kHalfUp);
    return Decimal::FromUnscaled(hundredths.Mantissa(), 2).ToNormalizedString();
}

std::string UtcTradingDate(std::string_view time) {
    return FormatDate(ToDate(TimestampFromString(time)));
}

}  // namespace nn::notify
