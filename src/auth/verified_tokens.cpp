#include "auth/verified_tokens.hpp"

namespace nn::auth {

VerifiedTokens::VerifiedTokens(std::size_t max_entries) : cache_(kVerifiedTokenTtl, max_entries) {}

std::optional<Principal> VerifiedTokens::Find(std::string_view token,
                                              Seconds now,
                                              std::chrono::seconds leeway) {
    const std::uint64_t h = hash_(token);
    const auto found = cache_.Find(h, Cache::Clock::now(), [&](const std::shared_ptr<const Entry>& e) {
        return crypto::ConstantTimeEqual(e->token, token);
    });
    if (!found) return std::nullopt;
    const auto& expires = (*found)->principal.expires_at;
    // VerifyJwt's rule (CheckClaims): refused once now - leeway >= exp.
    if (!expires || now - leeway >= *expires) {
        cache_.Drop(h);
        return std::nullopt;
    }
    hits_.fetch_add(1, std::memory_order_relaxed);
    return (*found)->principal;
}

void VerifiedTokens::Store(std::string_view token, const Principal& principal) {
    if (!principal.expires_at) return;
    auto entry = std::make_shared<Entry>(Entry{std::string(token), principal});
    entry->principal.live.reset();
    cache_.Store(
        hash_(token), std::move(entry), Cache::Clock::now(), [](std::uint64_t) { return true; },
        [](const std::shared_ptr<const Entry>&) { return false; });
}

}  // namespace nn::auth
