#include "core/money.hpp"

#include "core/error.hpp"

namespace nn {
namespace {

void RequireSameCurrency(const Money& a, const Money& b) {
    if (a.Currency() != b.Currency()) {
        throw Error(ErrorKind::kUnprocessable, "money.currency_mismatch",
                    fmt::format("cannot combine {} with {}", a.Currency().Code(), b.Currency().Code()));
    }
}

}  // namespace

Money Money::RoundToMinor(Rounding rounding) const {
    return Money(amount_.Rescale(currency_.MinorUnits(), rounding), currency_);
}

std::string Money::ToString() const {
    return fmt::format("{} {}", amount_.ToString(), currency_.Code());
}

Money operator+(const Money& a, const Money& b) {
    RequireSameCurrency(a, b);
    return Money(a.amount_ + b.amount_, a.currency_);
}

Money operator-(const Money& a, const Money& b) {
    RequireSameCurrency(a, b);
    return Money(a.amount_ - b.amount_, a.currency_);
}

std::strong_ordering Money::Compare(const Money& other) const {
    RequireSameCurrency(*this, other);
    return amount_ <=> other.amount_;
}

Money Convert(const Money& money, const Decimal& rate, Currency to, Rounding rounding) {
    if (!rate.IsPositive()) {
        throw Error(
            ErrorKind::kUnprocessable, "money.invalid_rate",
            fmt::format("exchange rate {} to {} must be positive", money.Currency().Code(), to.Code()));
    }
    return Money(Decimal::Mul(money.Amount(), rate, to.MinorUnits(), rounding), to);
}

}  // namespace nn
