#include "auth/verified_tokens.hpp"

#include <algorithm>

#include "infra/crypto/hash.hpp"

namespace nn::auth {

VerifiedTokens::VerifiedTokens(std::size_t max_entries)
    : per_stripe_(std::max<std::size_t>(1, max_entries / kStripes)) {}

std::optional<Principal> VerifiedTokens::Find(std::string_view token,
                                              Seconds now,
                                              std::chrono::seconds leeway) {
    const std::uint64_t h = hash_(token);
    Stripe& stripe = StripeOf(h);
    std::lock_guard lock(stripe.mutex);
    auto it = stripe.entries.find(h);
    if (it == stripe.entries.end() || !crypto::ConstantTimeEqual(it->second.token, token))
        return std::nullopt;
    const auto& expires = it->second.principal.expires_at;
    // VerifyJwt's rule (CheckClaims): refused once now - leeway >= exp.
    if (!expires || now - leeway >= *expires) {
        stripe.entries.erase(it);
        return std::nullopt;
    }
    ++stripe.hits;
    return it->second.principal;
}

void VerifiedTokens::Store(std::string_view token, const Principal& principal) {
    if (!principal.expires_at) return;
    const std::uint64_t h = hash_(token);
    Stripe& stripe = StripeOf(h);
    Entry entry{std::string(token), principal};
    entry.principal.live.reset();
    std::lock_guard lock(stripe.mutex);
    if (stripe.entries.size() >= per_stripe_ && !stripe.entries.contains(h)) {
        stripe.entries.erase(stripe.entries.begin());
    }
    stripe.entries.insert_or_assign(h, std::move(entry));
}

std::size_t VerifiedTokens::Size() const {
    std::size_t n = 0;
    for (const Stripe& s : stripes_) {
        std::lock_guard lock(s.mutex);
        n += s.entries.size();
    }
    return n;
}

std::uint64_t VerifiedTokens::Hits() const {
    std::uint64_t n = 0;
    for (const Stripe& s : stripes_) {
        std::lock_guard lock(s.mutex);
        n += s.hits;
    }
    return n;
}

}  // namespace nn::auth
