#pragma once

#include <compare>
#include <ostream>
#include <string>

#include <fmt/format.h>

#include "core/currency.hpp"
#include "core/decimal.hpp"

namespace nn {

// The scale of stored money (numeric(.., 10) columns of the portfolio and analytics schemas):
// a product of money and a rate (12 places) is rounded half-even to it once, where it is made
// (docs/portfolio.md "Goals", docs/analytics.md "Rounding").
inline constexpr int kMoneyScale = 10;

// An exact amount in one currency. Arithmetic between two amounts requires the same currency
// (otherwise nn::Error(kUnprocessable, "money.currency_mismatch")); amounts keep the scale they
// were computed with until RoundToMinor brings them to the currency's minor units.
class Money {
public:
    Money(Decimal amount, nn::Currency currency) noexcept : amount_(amount), currency_(currency) {}
    static Money Zero(nn::Currency currency) noexcept { return Money(Decimal(), currency); }

    const Decimal& Amount() const noexcept { return amount_; }
    nn::Currency Currency() const noexcept { return currency_; }

    bool IsZero() const noexcept { return amount_.IsZero(); }
    bool IsNegative() const noexcept { return amount_.IsNegative(); }
    int Sign() const noexcept { return amount_.Sign(); }
    Money Abs() const noexcept { return Money(amount_.Abs(), currency_); }

    // Exactly the currency's minor units: 1.005 USD -> 1.00 (half-even), 7 JPY stays 7, 1.5 USD -> 1.50.
    Money RoundToMinor(Rounding rounding = Rounding::kHalfEven) const;

    // "12.50 USD": the amount at its own scale, a space, the code.
    std::string ToString() const;

    Money operator-() const noexcept { return Money(-amount_, currency_); }
    friend Money operator+(const Money& a, const Money& b);
    friend Money operator-(const Money& a, const Money& b);
    // Scaling by a plain number (quantity, ratio) is exact; round afterwards.
    friend Money operator*(const Money& m, const Decimal& factor) {
        return Money(m.amount_ * factor, m.currency_);
    }
    friend Money operator*(const Decimal& factor, const Money& m) { return m * factor; }
    Money& operator+=(const Money& other) { return *this = *this + other; }
    Money& operator-=(const Money& other) { return *this = *this - other; }

    // Same currency and same value (1.5 USD == 1.50 USD; 1 USD != 1 EUR).
    friend bool operator==(const Money& a, const Money& b) noexcept {
        return a.currency_ == b.currency_ && a.amount_ == b.amount_;
    }
    // Orders amounts of one currency; throws "money.currency_mismatch" across currencies.
    std::strong_ordering Compare(const Money& other) const;

    friend std::ostream& operator<<(std::ostream& os, const Money& m) { return os << m.ToString(); }

private:
    Decimal amount_;
    nn::Currency currency_;
};

// Converts at `rate` units of `to` per one unit of the money's currency and rounds to the minor
// units of `to`. The rate must be positive ("money.invalid_rate").
Money Convert(const Money& money, const Decimal& rate, Currency to, Rounding rounding = Rounding::kHalfEven);

}  // namespace nn

template <>
struct fmt::formatter<nn::Money> : fmt::formatter<std::string_view> {
    template <class FormatContext>
    auto format(const nn::Money& m, FormatContext& ctx) const {
        return fmt::formatter<std::string_view>::format(m.ToString(), ctx);
    }
};
