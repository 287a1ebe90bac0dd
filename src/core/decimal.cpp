#include "core/decimal.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <system_error>

#include "core/error.hpp"

namespace nn {
namespace {

using U128 = unsigned __int128;
using I128 = __int128;

constexpr std::array<U128, 39> MakePow10() {
    std::array<U128, 39> table{};
    U128 value = 1;
    for (auto& entry : table) {
        entry = value;
        value *= 10;
    }
    return table;
}

constexpr std::array<U128, 39> kPow10 = MakePow10();
constexpr U128 kMaxMantissa = kPow10[Decimal::kMaxDigits] - 1;

U128 Magnitude(I128 value) {
    return value < 0 ? -static_cast<U128>(value) : static_cast<U128>(value);
}

// An unsigned 256-bit integer, only as wide as the intermediates need: the product of two
// 38-digit mantissas, or a mantissa scaled by up to 10^36 (both below 10^77 < 2^256).
struct U256 {
    U128 hi = 0;
    U128 lo = 0;

    bool FitsMantissa() const { return hi == 0 && lo <= kMaxMantissa; }
    bool IsZero() const { return hi == 0 && lo == 0; }
};

bool operator<(const U256& a, const U256& b) {
    return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
}
bool operator==(const U256& a, const U256& b) {
    return a.hi == b.hi && a.lo == b.lo;
}

U256 operator+(const U256& a, const U256& b) {
    U256 r;
    r.lo = a.lo + b.lo;
    r.hi = a.hi + b.hi + (r.lo < a.lo ? 1 : 0);
    return r;
}

U256 operator-(const U256& a, const U256& b) {
    U256 r;
    r.lo = a.lo - b.lo;
    r.hi = a.hi - b.hi - (a.lo < b.lo ? 1 : 0);
    return r;
}

U256 Multiply(U128 a, U128 b) {
    constexpr U128 kMask = ~std::uint64_t{0};
    const U128 a0 = a & kMask, a1 = a >> 64, b0 = b & kMask, b1 = b >> 64;
    const U128 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    const U128 mid = (p00 >> 64) + (p01 & kMask) + (p10 & kMask);
    U256 r;
    r.lo = (p00 & kMask) | (mid << 64);
    r.hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    return r;
}

// v * f into `out` when it fits 256 bits.
bool MultiplyFits(const U256& v, U128 f, U256& out) {
    const U256 low = Multiply(v.lo, f);
    const U256 high = Multiply(v.hi, f);
    if (high.hi != 0) return false;
    const U128 top = low.hi + high.lo;
    if (top < low.hi) return false;
    out = U256{top, low.lo};
    return true;
}

// n / d for a small d, returning the remainder.
std::uint64_t DivideSmall(const U256& n, std::uint64_t d, U256& quotient) {
    const std::uint64_t limbs[4] = {static_cast<std::uint64_t>(n.hi >> 64), static_cast<std::uint64_t>(n.hi),
                                    static_cast<std::uint64_t>(n.lo >> 64), static_cast<std::uint64_t>(n.lo)};
    std::uint64_t q[4];
    U128 rem = 0;
    for (int i = 0; i < 4; ++i) {
        const U128 cur = (rem << 64) | limbs[i];
        q[i] = static_cast<std::uint64_t>(cur / d);
        rem = cur % d;
    }
    quotient.hi = (static_cast<U128>(q[0]) << 64) | q[1];
    quotient.lo = (static_cast<U128>(q[2]) << 64) | q[3];
    return static_cast<std::uint64_t>(rem);
}

int BitLength(const U256& v) {
    auto bits128 = [](U128 x) {
        const auto high = static_cast<std::uint64_t>(x >> 64);
        if (high != 0) return 128 - __builtin_clzll(high);
        const auto low = static_cast<std::uint64_t>(x);
        return low == 0 ? 0 : 64 - __builtin_clzll(low);
    };
    return v.hi != 0 ? 128 + bits128(v.hi) : bits128(v.lo);
}

// Schoolbook binary division; only reached when an operand exceeds 128 bits, which takes
// values near the 38-digit limit.
void DivideWide(const U256& n, const U256& d, U256& quotient, U256& remainder) {
    quotient = U256{};
    remainder = U256{};
    for (int i = BitLength(n) - 1; i >= 0; --i) {
        remainder.hi = (remainder.hi << 1) | (remainder.lo >> 127);
        remainder.lo <<= 1;
        const U128 bit = i >= 128 ? (n.hi >> (i - 128)) & 1 : (n.lo >> i) & 1;
        remainder.lo |= bit;
        if (!(remainder < d)) {
            remainder = remainder - d;
            if (i >= 128) {
                quotient.hi |= static_cast<U128>(1) << (i - 128);
            } else {
                quotient.lo |= static_cast<U128>(1) << i;
            }
        }
    }
}

// Whether a truncated quotient moves one unit away from zero. `half` compares the remainder with
// half the divisor (-1 below, 0 exactly half, 1 above).
bool RoundsAway(Rounding rounding, bool negative, bool inexact, int half, bool quotient_odd) {
    if (!inexact) return false;
    switch (rounding) {
        case Rounding::kHalfEven:
            return half > 0 || (half == 0 && quotient_odd);
        case Rounding::kHalfUp:
            return half >= 0;
        case Rounding::kHalfDown:
            return half > 0;
        case Rounding::kDown:
            return false;
        case Rounding::kUp:
            return true;
        case Rounding::kCeiling:
            return !negative;
        case Rounding::kFloor:
            return negative;
    }
    return false;
}

// |n / d| rounded; `negative` is the sign of the exact quotient (for ceiling and floor).
U256 DivideRounded(const U256& n, const U256& d, bool negative, Rounding rounding) {
    U256 q;
    U256 r;
    constexpr U128 kU64Max = ~std::uint64_t{0};
    if (n.hi == 0 && n.lo <= kU64Max && d.hi == 0 && d.lo <= kU64Max) {
        const auto n64 = static_cast<std::uint64_t>(n.lo);
        const auto d64 = static_cast<std::uint64_t>(d.lo);
        q.lo = n64 / d64;
        r.lo = n64 - static_cast<std::uint64_t>(q.lo) * d64;
    } else if (n.hi == 0 && d.hi == 0) {
        q.lo = n.lo / d.lo;
        r.lo = n.lo - q.lo * d.lo;
    } else {
        DivideWide(n, d, q, r);
    }
    const U256 rest = d - r;  // compares r with d / 2 without doubling r
    const int half = r < rest ? -1 : (r == rest ? 0 : 1);
    if (RoundsAway(rounding, negative, !r.IsZero(), half, (q.lo & 1) != 0)) q = q + U256{0, 1};
    return q;
}

[[noreturn]] void ThrowOverflow(const char* what) {
    throw Error(ErrorKind::kUnprocessable, "decimal.overflow",
                fmt::format("decimal {} overflows {} significant digits", what, Decimal::kMaxDigits));
}

void CheckScale(int scale) {
    if (scale < 0 || scale > Decimal::kMaxScale) {
        throw Error(ErrorKind::kUnprocessable, "decimal.scale",
                    fmt::format("decimal scale {} is outside 0..{}", scale, Decimal::kMaxScale));
    }
}

I128 Signed(bool negative, U128 magnitude) {
    const auto value = static_cast<I128>(magnitude);
    return negative ? -value : value;
}

// The exact value sign * magnitude * 10^-scale at the smallest scale >= the requested one that
// fits, dropping only trailing zeros; used by +, - and *, whose exact results keep their scale
// unless it cannot be held.
std::pair<I128, int> FitExact(bool negative, U256 magnitude, int scale, const char* what) {
    while ((!magnitude.FitsMantissa() || scale > Decimal::kMaxScale) && scale > 0) {
        U256 q;
        if (DivideSmall(magnitude, 10, q) != 0) break;
        magnitude = q;
        --scale;
    }
    if (!magnitude.FitsMantissa()) ThrowOverflow(what);
    if (scale > Decimal::kMaxScale) {
        throw Error(
            ErrorKind::kUnprocessable, "decimal.precision",
            fmt::format("exact decimal {} needs more than {} fractional digits", what, Decimal::kMaxScale));
    }
    return {Signed(negative, magnitude.lo), scale};
}

std::size_t DigitCount(U128 magnitude) {
    std::size_t digits = 1;
    while (digits < kPow10.size() && magnitude >= kPow10[digits]) ++digits;
    return digits;
}

// Digits of a magnitude written backwards from `end`; returns the new start.
char* WriteDigits(U128 magnitude, char* end) {
    constexpr std::uint64_t kChunk = 10'000'000'000'000'000'000ULL;  // 10^19
    // 128-bit division is a libgcc call: peel 19-digit chunks only while the value needs it.
    while (magnitude > ~std::uint64_t{0}) {
        const U128 quotient = magnitude / kChunk;
        auto chunk = static_cast<std::uint64_t>(magnitude - quotient * kChunk);
        magnitude = quotient;
        for (int i = 0; i < 19; ++i) {
            *--end = static_cast<char>('0' + chunk % 10);
            chunk /= 10;
        }
    }
    auto rest = static_cast<std::uint64_t>(magnitude);
    do {
        *--end = static_cast<char>('0' + rest % 10);
        rest /= 10;
    } while (rest != 0);
    return end;
}

void AppendFormatted(std::string& out, I128 mantissa, int scale) {
    // sign + 38 digits + point + leading "0." padding up to 18 places
    char buffer[64];
    char* const end = buffer + sizeof(buffer);
    char* begin = WriteDigits(Magnitude(mantissa), end);
    while (end - begin < scale + 1) *--begin = '0';
    if (mantissa < 0) out.push_back('-');
    const std::ptrdiff_t integer_digits = (end - begin) - scale;
    out.append(begin, begin + integer_digits);
    if (scale > 0) {
        out.push_back('.');
        out.append(begin + integer_digits, end);
    }
}

std::string Format(I128 mantissa, int scale) {
    std::string out;
    out.reserve(static_cast<std::size_t>(scale) + 24);
    AppendFormatted(out, mantissa, scale);
    return out;
}

bool IsDigit(char c) {
    return c >= '0' && c <= '9';
}

}  // namespace

const char* Describe(DecimalParseError error) noexcept {
    switch (error) {
        case DecimalParseError::kEmpty:
            return "empty decimal";
        case DecimalParseError::kSyntax:
            return "not a decimal number (expected an optional sign, digits, and optionally '.' and digits)";
        case DecimalParseError::kTooManyDigits:
            return "more than 38 significant digits";
        case DecimalParseError::kTooManyFractionDigits:
            return "more than 18 digits after the decimal point";
    }
    return "invalid decimal";
}

Decimal Decimal::FromUnscaled(__int128 mantissa, int scale) {
    CheckScale(scale);
    if (Magnitude(mantissa) > kMaxMantissa) ThrowOverflow("mantissa");
    return Decimal(mantissa, scale);
}

std::optional<Decimal> Decimal::TryFromUnscaled(__int128 mantissa, int scale) noexcept {
    if (scale < 0 || scale > kMaxScale || Magnitude(mantissa) > kMaxMantissa) return std::nullopt;
    return Decimal(mantissa, scale);
}

Result<Decimal, DecimalParseError> Decimal::ParseWithError(std::string_view text) noexcept {
    if (text.empty()) return Fail(DecimalParseError::kEmpty);
    std::size_t i = 0;
    const bool negative = text[0] == '-';
    if (text[0] == '-' || text[0] == '+') ++i;

    const std::size_t integer_begin = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    const std::size_t integer_end = i;
    if (integer_end == integer_begin) return Fail(DecimalParseError::kSyntax);

    std::size_t fraction_begin = i;
    if (i < text.size() && text[i] == '.') {
        fraction_begin = ++i;
        while (i < text.size() && IsDigit(text[i])) ++i;
        if (i == fraction_begin) return Fail(DecimalParseError::kSyntax);
    }
    const std::size_t fraction_end = i;
    if (i != text.size()) return Fail(DecimalParseError::kSyntax);

    const auto scale = static_cast<int>(fraction_end - fraction_begin);
    if (scale > kMaxScale) return Fail(DecimalParseError::kTooManyFractionDigits);

    // Up to 19 digits fit a 64-bit accumulator (stored states and API amounts almost always):
    // no 128-bit multiplication per digit.
    if ((integer_end - integer_begin) + (fraction_end - fraction_begin) <= 19) {
        std::uint64_t small = 0;
        for (std::size_t k = integer_begin; k < integer_end; ++k)
            small = small * 10 + static_cast<unsigned>(text[k] - '0');
        for (std::size_t k = fraction_begin; k < fraction_end; ++k)
            small = small * 10 + static_cast<unsigned>(text[k] - '0');
        return Decimal(Signed(negative, U128(small)), scale);
    }
    // Leading zeros are not significant; every digit after the first non-zero one is.
    U128 magnitude = 0;
    int significant = 0;
    auto take = [&](char c) {
        if (significant == 0 && c == '0') return;
        ++significant;
        if (significant <= kMaxDigits) magnitude = magnitude * 10 + static_cast<unsigned>(c - '0');
    };
    for (std::size_t k = integer_begin; k < integer_end; ++k) take(text[k]);
    for (std::size_t k = fraction_begin; k < fraction_end; ++k) take(text[k]);
    if (significant > kMaxDigits) return Fail(DecimalParseError::kTooManyDigits);
    return Decimal(Signed(negative, magnitude), scale);
}

std::optional<Decimal> Decimal::Parse(std::string_view text) noexcept {
    auto parsed = ParseWithError(text);
    if (!parsed) return std::nullopt;
    return *parsed;
}

Decimal Decimal::FromString(std::string_view text) {
    auto parsed = ParseWithError(text);
    if (!parsed) throw Error(ErrorKind::kUnprocessable, "decimal.invalid", Describe(parsed.Error()));
    return *parsed;
}

void Decimal::AppendTo(std::string& out) const {
    AppendFormatted(out, mantissa_, scale_);
}

std::string Decimal::ToString() const {
    return Format(mantissa_, scale_);
}

std::string Decimal::ToNormalizedString() const {
    const Decimal normalized = Normalized();
    return Format(normalized.mantissa_, normalized.scale_);
}

int Decimal::Digits() const noexcept {
    return static_cast<int>(DigitCount(Magnitude(mantissa_)));
}

int Decimal::IntegerDigits() const noexcept {
    if (mantissa_ == 0) return 0;
    return std::max(0, Digits() - scale_);
}

Decimal Decimal::Normalized() const noexcept {
    I128 mantissa = mantissa_;
    int scale = scale_;
    while (scale > 0 && mantissa % 10 == 0) {
        mantissa /= 10;
        --scale;
    }
    return Decimal(mantissa, scale);
}

Decimal Decimal::Rescale(int scale, Rounding rounding) const {
    CheckScale(scale);
    if (scale == scale_) return *this;
    const bool negative = mantissa_ < 0;
    U256 magnitude;
    if (scale > scale_) {
        magnitude = Multiply(Magnitude(mantissa_), kPow10[scale - scale_]);
    } else {
        magnitude =
            DivideRounded(U256{0, Magnitude(mantissa_)}, U256{0, kPow10[scale_ - scale]}, negative, rounding);
    }
    if (!magnitude.FitsMantissa()) ThrowOverflow("rescale");
    return Decimal(Signed(negative, magnitude.lo), scale);
}

Decimal Decimal::Round(int places, Rounding rounding) const {
    CheckScale(places);
    return places >= scale_ ? *this : Rescale(places, rounding);
}

Decimal Decimal::Div(const Decimal& a, const Decimal& b, int scale, Rounding rounding) {
    CheckScale(scale);
    if (b.mantissa_ == 0) {
        throw Error(ErrorKind::kUnprocessable, "decimal.division_by_zero", "decimal division by zero");
    }
    // a/b at `scale` = (ma * 10^-sa) / (mb * 10^-sb) * 10^scale = ma * 10^e / mb, e = scale+sb-sa
    const int e = scale + b.scale_ - a.scale_;
    const U256 numerator = Multiply(Magnitude(a.mantissa_), kPow10[std::max(e, 0)]);
    const U256 denominator = Multiply(Magnitude(b.mantissa_), kPow10[std::max(-e, 0)]);
    const bool negative = (a.mantissa_ < 0) != (b.mantissa_ < 0);
    const U256 quotient = DivideRounded(numerator, denominator, negative, rounding);
    if (!quotient.FitsMantissa()) ThrowOverflow("division");
    return Decimal(Signed(negative, quotient.lo), scale);
}

Decimal Decimal::Mul(const Decimal& a, const Decimal& b, int scale, Rounding rounding) {
    CheckScale(scale);
    const bool negative = (a.mantissa_ < 0) != (b.mantissa_ < 0);
    const U256 product = Multiply(Magnitude(a.mantissa_), Magnitude(b.mantissa_));
    const int exact_scale = a.scale_ + b.scale_;
    U256 magnitude;
    if (scale >= exact_scale) {
        if (!product.FitsMantissa()) ThrowOverflow("multiplication");
        magnitude = Multiply(product.lo, kPow10[scale - exact_scale]);
    } else {
        magnitude = DivideRounded(product, U256{0, kPow10[exact_scale - scale]}, negative, rounding);
    }
    if (!magnitude.FitsMantissa()) ThrowOverflow("multiplication");
    return Decimal(Signed(negative, magnitude.lo), scale);
}

Decimal Decimal::MulDiv(const Decimal& a, const Decimal& b, const Decimal& c, int scale, Rounding rounding) {
    CheckScale(scale);
    if (c.mantissa_ == 0) {
        throw Error(ErrorKind::kUnprocessable, "decimal.division_by_zero", "decimal division by zero");
    }
    // a*b/c at `scale` = ma * mb * 10^e / mc, e = scale + sc - sa - sb (in -36..36).
    const int e = scale + c.scale_ - a.scale_ - b.scale_;
    U256 numerator = Multiply(Magnitude(a.mantissa_), Magnitude(b.mantissa_));
    if (e > 0 && !MultiplyFits(numerator, kPow10[e], numerator)) {
        // The dividend passed 2^256 while the divisor is at most 38 digits: the quotient has
        // more than 38.
        ThrowOverflow("multiplication and division");
    }
    U256 denominator{0, Magnitude(c.mantissa_)};
    if (e < 0) denominator = Multiply(denominator.lo, kPow10[-e]);
    const bool negative = ((a.mantissa_ < 0) != (b.mantissa_ < 0)) != (c.mantissa_ < 0);
    const U256 quotient = DivideRounded(numerator, denominator, negative, rounding);
    if (!quotient.FitsMantissa()) ThrowOverflow("multiplication and division");
    return Decimal(Signed(negative, quotient.lo), scale);
}

double Decimal::ToDouble() const noexcept {
    const std::string text = ToString();
    double value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

namespace {

// a + b where b's mantissa is given separately so subtraction reuses it.
std::pair<I128, int> Add(I128 am, int as, I128 bm, int bs) {
    const int scale = std::max(as, bs);
    I128 x = am;
    I128 y = bm;
    I128 sum = 0;
    const bool fast = !__builtin_mul_overflow(x, static_cast<I128>(kPow10[scale - as]), &x) &&
                      !__builtin_mul_overflow(y, static_cast<I128>(kPow10[scale - bs]), &y) &&
                      !__builtin_add_overflow(x, y, &sum);
    if (fast && Magnitude(sum) <= kMaxMantissa) return {sum, scale};

    const U256 a = Multiply(Magnitude(am), kPow10[scale - as]);
    const U256 b = Multiply(Magnitude(bm), kPow10[scale - bs]);
    const bool a_negative = am < 0;
    const bool b_negative = bm < 0;
    if (a_negative == b_negative) return FitExact(a_negative, a + b, scale, "addition");
    if (b < a) return FitExact(a_negative, a - b, scale, "addition");
    return FitExact(b_negative && !(a == b), b - a, scale, "addition");
}

}  // namespace

Decimal operator+(const Decimal& a, const Decimal& b) {
    const auto [mantissa, scale] = Add(a.mantissa_, a.scale_, b.mantissa_, b.scale_);
    return Decimal(mantissa, scale);
}

Decimal operator-(const Decimal& a, const Decimal& b) {
    const auto [mantissa, scale] = Add(a.mantissa_, a.scale_, -b.mantissa_, b.scale_);
    return Decimal(mantissa, scale);
}

Decimal operator*(const Decimal& a, const Decimal& b) {
    const int scale = a.scale_ + b.scale_;
    I128 product = 0;
    if (scale <= Decimal::kMaxScale && !__builtin_mul_overflow(a.mantissa_, b.mantissa_, &product) &&
        Magnitude(product) <= kMaxMantissa) {
        return Decimal(product, scale);
    }
    const bool negative = (a.mantissa_ < 0) != (b.mantissa_ < 0);
    const auto [mantissa, fitted_scale] =
        FitExact(negative, Multiply(Magnitude(a.mantissa_), Magnitude(b.mantissa_)), scale, "multiplication");
    return Decimal(mantissa, fitted_scale);
}

std::strong_ordering operator<=>(const Decimal& a, const Decimal& b) noexcept {
    if (a.scale_ == b.scale_) return a.mantissa_ <=> b.mantissa_;
    const int scale = std::max(a.scale_, b.scale_);
    I128 x = a.mantissa_;
    I128 y = b.mantissa_;
    if (!__builtin_mul_overflow(x, static_cast<I128>(kPow10[scale - a.scale_]), &x) &&
        !__builtin_mul_overflow(y, static_cast<I128>(kPow10[scale - b.scale_]), &y)) {
        return x <=> y;
    }
    if (a.Sign() != b.Sign()) return a.Sign() <=> b.Sign();
    const U256 ma = Multiply(Magnitude(a.mantissa_), kPow10[scale - a.scale_]);
    const U256 mb = Multiply(Magnitude(b.mantissa_), kPow10[scale - b.scale_]);
    // Both negative: the larger magnitude is the smaller value.
    const U256& left = a.mantissa_ < 0 ? mb : ma;
    const U256& right = a.mantissa_ < 0 ? ma : mb;
    if (left == right) return std::strong_ordering::equal;
    return left < right ? std::strong_ordering::less : std::strong_ordering::greater;
}

bool operator==(const Decimal& a, const Decimal& b) noexcept {
    return std::is_eq(a <=> b);
}

std::size_t Decimal::Hash() const noexcept {
    const Decimal normalized = Normalized();
    const U128 bits = static_cast<U128>(normalized.mantissa_);
    std::size_t h = std::hash<std::uint64_t>{}(static_cast<std::uint64_t>(bits));
    h ^= std::hash<std::uint64_t>{}(static_cast<std::uint64_t>(bits >> 64)) + 0x9e3779b97f4a7c15ULL +
         (h << 6) + (h >> 2);
    h ^= static_cast<std::size_t>(normalized.scale_) * 0x100000001b3ULL;
    return h;
}

}  // namespace nn
