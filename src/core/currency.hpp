#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <span>
#include <string_view>

#include <fmt/format.h>

namespace nn {

// An ISO 4217 currency that money can be kept in: the alphabetic code and its minor units
// (decimal places of the smallest unit: USD 2, JPY 0, KWD 3, CLF 4). Only known codes can be
// constructed, so a Currency is always valid. Codes without minor units (precious metals, XDR,
// the test code XTS, XXX) are excluded on purpose: money in them cannot be rounded.
class Currency {
public:
    struct Info {
        std::string_view code;
        int minor_units;
        std::string_view name;
    };

    // Exactly three upper-case ASCII letters naming a known code ("usd" is rejected).
    static std::optional<Currency> Parse(std::string_view code) noexcept;
    // Parse or throw nn::Error(kUnprocessable, "currency.unknown").
    static Currency FromCode(std::string_view code);
    // Every known currency, sorted by code.
    static std::span<const Info> All() noexcept;

    std::string_view Code() const noexcept { return Entry().code; }
    int MinorUnits() const noexcept { return Entry().minor_units; }
    std::string_view Name() const noexcept { return Entry().name; }

    friend bool operator==(Currency a, Currency b) noexcept { return a.index_ == b.index_; }
    // Alphabetical by code (the table is sorted).
    friend std::strong_ordering operator<=>(Currency a, Currency b) noexcept { return a.index_ <=> b.index_; }

    friend std::ostream& operator<<(std::ostream& os, Currency c) { return os << c.Code(); }

private:
    explicit Currency(std::uint16_t index) noexcept : index_(index) {}
    const Info& Entry() const noexcept;

    std::uint16_t index_;
};

}  // namespace nn

template <>
struct std::hash<nn::Currency> {
    std::size_t operator()(nn::Currency c) const noexcept { return std::hash<std::string_view>{}(c.Code()); }
};

template <>
struct fmt::formatter<nn::Currency> : fmt::formatter<std::string_view> {
    template <class FormatContext>
    auto format(nn::Currency c, FormatContext& ctx) const {
        return fmt::formatter<std::string_view>::format(c.Code(), ctx);
    }
};
