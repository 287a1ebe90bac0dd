// Randomised cross-checks: the 256-bit and fast paths of Decimal against plain __int128
// arithmetic on values small enough for it, and against each other near the limits.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/decimal.hpp"
#include "core/error.hpp"

namespace nn {
namespace {

using I128 = __int128;

I128 Pow10(int n) {
    I128 value = 1;
    while (n-- > 0) value *= 10;
    return value;
}

// Rounds m / 10^k to an integer the textbook way: floor division, then a decision on the
// remainder, written independently of decimal.cpp.
I128 ReferenceRound(I128 m, int k, Rounding rounding) {
    const I128 d = Pow10(k);
    I128 floor = m / d;
    if (m % d != 0 && m < 0) --floor;
    const I128 remainder = m - floor * d;  // 0 <= remainder < d
    if (remainder == 0) return floor;
    const I128 twice = 2 * remainder;
    switch (rounding) {
        case Rounding::kFloor:
            return floor;
        case Rounding::kCeiling:
            return floor + 1;
        case Rounding::kDown:
            return m < 0 ? floor + 1 : floor;
        case Rounding::kUp:
            return m < 0 ? floor : floor + 1;
        case Rounding::kHalfUp:
            if (twice != d) return twice < d ? floor : floor + 1;
            return m < 0 ? floor : floor + 1;
        case Rounding::kHalfDown:
            if (twice != d) return twice < d ? floor : floor + 1;
            return m < 0 ? floor + 1 : floor;
        case Rounding::kHalfEven:
            if (twice != d) return twice < d ? floor : floor + 1;
            return floor % 2 == 0 ? floor : floor + 1;
    }
    return floor;
}

class Random {
public:
    // A mantissa of up to `digits` digits, either sign.
    I128 Mantissa(int digits) {
        const int n = std::uniform_int_distribution<int>(1, digits)(rng_);
        I128 m = 0;
        for (int i = 0; i < n; ++i) m = m * 10 + std::uniform_int_distribution<int>(0, 9)(rng_);
        return coin() ? -m : m;
    }
    int Scale(int max) { return std::uniform_int_distribution<int>(0, max)(rng_); }
    Rounding Mode() { return static_cast<Rounding>(std::uniform_int_distribution<int>(0, 6)(rng_)); }
    bool coin() { return (rng_() & 1) != 0; }

private:
    std::mt19937_64 rng_{20240229};
};

constexpr int kRounds = 20000;

TEST(DecimalProperty, RescaleMatchesReferenceRounding) {
    Random random;
    for (int i = 0; i < kRounds; ++i) {
        const I128 m = random.Mantissa(30);
        const int scale = random.Scale(18);
        const int target = random.Scale(scale);
        const Rounding mode = random.Mode();
        const Decimal d = Decimal::FromUnscaled(m, scale);
        const Decimal rounded = d.Rescale(target, mode);
        SCOPED_TRACE(d.ToString() + " to " + std::to_string(target) + " mode " +
                     std::to_string(static_cast<int>(mode)));
        ASSERT_EQ(rounded.Scale(), target);
        ASSERT_TRUE(rounded.Mantissa() == ReferenceRound(m, scale - target, mode));
    }
}

TEST(DecimalProperty, ArithmeticMatchesInt128) {
    Random random;
    for (int i = 0; i < kRounds; ++i) {
        const I128 am = random.Mantissa(18);
        const I128 bm = random.Mantissa(18);
        const int as = random.Scale(9);
        const int bs = random.Scale(9);
        const Decimal a = Decimal::FromUnscaled(am, as);
        const Decimal b = Decimal::FromUnscaled(bm, bs);
        SCOPED_TRACE(a.ToString() + " , " + b.ToString());
        const int s = std::max(as, bs);
        const I128 x = am * Pow10(s - as);
        const I128 y = bm * Pow10(s - bs);
        ASSERT_TRUE((a + b).IdenticalTo(Decimal::FromUnscaled(x + y, s)));
        ASSERT_TRUE((a - b).IdenticalTo(Decimal::FromUnscaled(x - y, s)));
        ASSERT_TRUE((a * b).IdenticalTo(Decimal::FromUnscaled(am * bm, as + bs)));
        ASSERT_EQ(a <=> b, x <=> y);
        ASSERT_EQ(a == b, x == y);
        if (bm != 0) {
            // Div against the reference: a / b at scale t = round(am * 10^(t + bs - as) / bm).
            const int t = random.Scale(10);
            const Rounding mode = random.Mode();
            const int e = t + bs - as;
            I128 numerator = am * Pow10(std::max(e, 0));
            I128 denominator = bm * Pow10(std::max(-e, 0));
            if (denominator < 0) {
                numerator = -numerator;
                denominator = -denominator;
            }
            // Reference quotient via floor division and the same remainder rules.
            I128 floor = numerator / denominator;
            if (numerator % denominator != 0 && numerator < 0) --floor;
            const I128 remainder = numerator - floor * denominator;
            I128 expected = floor;
            if (remainder != 0) {
                const bool negative = numerator < 0;
                const I128 twice = 2 * remainder;
                switch (mode) {
                    case Rounding::kFloor:
                        break;
                    case Rounding::kCeiling:
                        ++expected;
                        break;
                    case Rounding::kDown:
                        expected += negative ? 1 : 0;
                        break;
                    case Rounding::kUp:
                        expected += negative ? 0 : 1;
                        break;
                    case Rounding::kHalfUp:
                        expected += twice != denominator ? (twice > denominator) : !negative;
                        break;
                    case Rounding::kHalfDown:
                        expected += twice != denominator ? (twice > denominator) : negative;
                        break;
                    case Rounding::kHalfEven:
                        expected += twice != denominator ? (twice > denominator) : (floor % 2 != 0);
                        break;
                }
            }
            const Decimal q = Decimal::Div(a, b, t, mode);
            ASSERT_EQ(q.Scale(), t);
            ASSERT_TRUE(q.Mantissa() == expected) << "t=" << t << " mode " << static_cast<int>(mode);
        }
    }
}

TEST(DecimalProperty, WidePathsAgreeNearTheLimits) {
    Random random;
    for (int i = 0; i < kRounds; ++i) {
        const Decimal a = Decimal::FromUnscaled(random.Mantissa(38), random.Scale(18));
        const Decimal b = Decimal::FromUnscaled(random.Mantissa(38), random.Scale(18));
        SCOPED_TRACE(a.ToString() + " , " + b.ToString());
        // Ordering agrees with the sign of the difference (when the difference fits).
        try {
            const Decimal difference = a - b;
            ASSERT_EQ(a <=> b, difference.Sign() <=> 0);
            // Addition undoes subtraction exactly in value.
            ASSERT_EQ(difference + b, a);
        } catch (const Error& e) {
            ASSERT_EQ(e.Code(), "decimal.overflow");
        }
        // A rounded product equals the exact product rounded, whenever the exact one exists.
        const int scale = random.Scale(18);
        const Rounding mode = random.Mode();
        try {
            const Decimal exact = a * b;
            ASSERT_TRUE(Decimal::Mul(a, b, scale, mode).IdenticalTo(exact.Rescale(scale, mode)));
        } catch (const Error& e) {
            ASSERT_TRUE(e.Code() == "decimal.overflow" || e.Code() == "decimal.precision") << e.Code();
        }
        // Division by a power of ten is exact rescaling.
        const Decimal thousandth = Decimal::FromUnscaled(1, 3);
        try {
            ASSERT_TRUE(Decimal::Div(a, thousandth, scale, mode)
                            .IdenticalTo((a * Decimal::FromInt(1000)).Rescale(scale, mode)));
        } catch (const Error& e) {
            ASSERT_EQ(e.Code(), "decimal.overflow");
        }
        // Text round trip.
        ASSERT_TRUE(Decimal::FromString(a.ToString()).IdenticalTo(a));
        ASSERT_EQ(Decimal::FromString(a.ToNormalizedString()), a);
    }
}

}  // namespace
}  // namespace nn
