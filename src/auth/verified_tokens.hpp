#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/principal.hpp"
#include "infra/crypto/hash.hpp"

namespace nn::auth {

// Bearer tokens this process has verified in full (crypto::VerifyJwt: structure, header, HMAC,
// claims), each with the principal it carries, until it expires (docs/auth.md "Bearer tokens").
// A request with the very same token skips the decoding, the two JSON reads and the HMAC; its
// expiry is checked again on every use, exactly as VerifyJwt checks it, and the liveness check
// after it (revocation, role, deactivation) is not affected. Only tokens that passed are stored,
// so a forged or altered token (a different string) is always verified in full.
// Entries are found by a keyed hash of the token (SipHash, a random key per process: no one can
// aim tokens at one slot) and the stored token is compared in constant time. Bounded: a full
// stripe forgets an entry to take a new one.
class VerifiedTokens {
public:
    using Seconds = std::chrono::sys_seconds;

    explicit VerifiedTokens(std::size_t max_entries = 20'000);
    VerifiedTokens(const VerifiedTokens&) = delete;
    VerifiedTokens& operator=(const VerifiedTokens&) = delete;

    // The principal of `token` (its `live` unset) while `now - leeway` is before its expiry, the
    // rule of VerifyJwt; nullopt when it is not stored or has expired (then it is forgotten).
    std::optional<Principal> Find(std::string_view token, Seconds now, std::chrono::seconds leeway);

    // Keeps `principal` (which must have expires_at) for `token`, which VerifyJwt accepted.
    void Store(std::string_view token, const Principal& principal);

    std::size_t Size() const;
    std::uint64_t Hits() const;

private:
    struct Entry {
        std::string token;
        Principal principal;
    };
    struct Stripe {
        mutable std::mutex mutex;
        std::unordered_map<std::uint64_t, Entry> entries;
        std::uint64_t hits = 0;
    };
    static constexpr std::size_t kStripes = 16;

    Stripe& StripeOf(std::uint64_t hash) { return stripes_[hash % kStripes]; }

    crypto::KeyedShortHash hash_;
    std::size_t per_stripe_;
    std::array<Stripe, kStripes> stripes_;
};

}  // namespace nn::auth
