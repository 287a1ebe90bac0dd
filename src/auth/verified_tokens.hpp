#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/principal.hpp"
#include "auth/striped_user_cache.hpp"
#include "infra/crypto/hash.hpp"

namespace nn::auth {

inline constexpr std::chrono::minutes kVerifiedTokenTtl{15};

// Bearer tokens this process has verified in full (crypto::VerifyJwt: structure, header, HMAC,
// claims), each with the principal it carries (docs/auth.md "Bearer tokens"). A request with the
// very same token skips the decoding, the two JSON reads and the HMAC; its expiry is checked
// again on every use, exactly as VerifyJwt checks it, and the liveness check after it
// (revocation, role, deactivation) is not affected. Only tokens that passed are stored, so a
// forged or altered token (a different string) is always verified in full.
// A StripedCache keyed by a keyed hash of the token (SipHash, a random key per process: no one
// can aim tokens at one slot); the stored token is compared in constant time. An entry is kept
// for kVerifiedTokenTtl (the default access-token lifetime; a longer-lived token is verified in
// full again after it) and at most max_entries of them.
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

    std::size_t Size() const { return cache_.Size(); }
    std::uint64_t Hits() const { return hits_.load(std::memory_order_relaxed); }

private:
    struct Entry {
        std::string token;
        Principal principal;
    };

    crypto::KeyedShortHash hash_;
    using Cache = StripedCache<std::uint64_t, std::shared_ptr<const Entry>>;
    Cache cache_;
    std::atomic<std::uint64_t> hits_{0};
};

}  // namespace nn::auth
