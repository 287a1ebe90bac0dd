#pragma once

#include <array>
#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace nn {

// A 128-bit UUID (RFC 9562) held as its 16 bytes in network order, so byte order, the order of
// ToString() and PostgreSQL's uuid ordering all agree.
class Uuid {
public:
    using Bytes = std::array<std::uint8_t, 16>;

    // The nil UUID (all zeros).
    constexpr Uuid() noexcept = default;
    explicit constexpr Uuid(const Bytes& bytes) noexcept : bytes_(bytes) {}
    static Uuid FromBytes(std::span<const std::uint8_t, 16> bytes) noexcept;

    // Only the canonical 36-character form 8-4-4-4-12, hex digits in either case; no braces,
    // no "urn:uuid:" prefix, no missing hyphens.
    static std::optional<Uuid> Parse(std::string_view text) noexcept;
    // Parse or throw nn::Error(kBadRequest, "uuid.invalid").
    static Uuid FromString(std::string_view text);

    // Version 4: 122 random bits from the kernel CSPRNG (getrandom(2)).
    static Uuid GenerateV4();
    // Version 7: 48-bit Unix milliseconds, then a 12-bit sequence (rand_a) that starts random
    // and counts up within a millisecond, then 62 random bits. Strictly increasing within the
    // process, even when the clock steps back or more than ~2000 ids are made in a millisecond
    // (the timestamp then runs ahead by a millisecond, as RFC 9562 §6.2 allows).
    static Uuid GenerateV7();

    // Lower-case canonical form.
    std::string ToString() const;
    const Bytes& AsBytes() const noexcept { return bytes_; }
    bool IsNil() const noexcept;
    // The version nibble (4, 7, ...); 0 for nil.
    int Version() const noexcept { return bytes_[6] >> 4; }
    // The Unix-millisecond timestamp of a version 7 UUID; nullopt for other versions.
    std::optional<std::chrono::sys_time<std::chrono::milliseconds>> V7Time() const noexcept;

    friend constexpr bool operator==(const Uuid&, const Uuid&) noexcept = default;
    friend constexpr std::strong_ordering operator<=>(const Uuid&, const Uuid&) noexcept = default;

    std::size_t Hash() const noexcept;

    friend std::ostream& operator<<(std::ostream& os, const Uuid& id) { return os << id.ToString(); }

private:
    Bytes bytes_{};
};

// A UUID that names one kind of entity, so a PortfolioId cannot be passed where a UserId is
// expected. Tag is an empty struct that only serves as the type's name.
template <class Tag>
class StrongId {
public:
    constexpr StrongId() noexcept = default;
    explicit constexpr StrongId(const Uuid& value) noexcept : value_(value) {}

    // A new time-ordered (v7) id: rows inserted in creation order keep B-tree indexes compact.
    static StrongId Generate() { return StrongId(Uuid::GenerateV7()); }
    static std::optional<StrongId> Parse(std::string_view text) noexcept {
        if (auto uuid = Uuid::Parse(text)) return StrongId(*uuid);
        return std::nullopt;
    }

    const Uuid& Value() const noexcept { return value_; }
    std::string ToString() const { return value_.ToString(); }
    bool IsNil() const noexcept { return value_.IsNil(); }

    friend constexpr bool operator==(const StrongId&, const StrongId&) noexcept = default;
    friend constexpr std::strong_ordering operator<=>(const StrongId&, const StrongId&) noexcept = default;

    friend std::ostream& operator<<(std::ostream& os, const StrongId& id) { return os << id.value_; }

private:
    Uuid value_;
};

using UserId = StrongId<struct UserIdTag>;
using PortfolioId = StrongId<struct PortfolioIdTag>;
using TransactionId = StrongId<struct TransactionIdTag>;
using HoldingId = StrongId<struct HoldingIdTag>;
using WatchlistId = StrongId<struct WatchlistIdTag>;
using ApiKeyId = StrongId<struct ApiKeyIdTag>;
using NotificationId = StrongId<struct NotificationIdTag>;

}  // namespace nn

template <>
struct std::hash<nn::Uuid> {
    std::size_t operator()(const nn::Uuid& id) const noexcept { return id.Hash(); }
};

template <class Tag>
struct std::hash<nn::StrongId<Tag>> {
    std::size_t operator()(const nn::StrongId<Tag>& id) const noexcept { return id.Value().Hash(); }
};

template <>
struct fmt::formatter<nn::Uuid> : fmt::formatter<std::string_view> {
    template <class FormatContext>
    auto format(const nn::Uuid& id, FormatContext& ctx) const {
        return fmt::formatter<std::string_view>::format(id.ToString(), ctx);
    }
};

template <class Tag>
struct fmt::formatter<nn::StrongId<Tag>> : fmt::formatter<nn::Uuid> {
    template <class FormatContext>
    auto format(const nn::StrongId<Tag>& id, FormatContext& ctx) const {
        return fmt::formatter<nn::Uuid>::format(id.Value(), ctx);
    }
};
