#include "auth/local_liveness.hpp"

#include <algorithm>
#include <iterator>

namespace nn::auth {

std::shared_ptr<const Liveness> LocalLiveness::Find(UserId user, Clock::time_point now) const {
    Stripe& s = StripeOf(user);
    std::lock_guard lock(s.mutex);
    auto it = s.entries.find(user);
    if (it == s.entries.end() || it->second.until <= now) return nullptr;
    return it->second.live;
}

void LocalLiveness::Store(UserId user,
                          std::shared_ptr<const Liveness> live,
                          std::uint64_t generation,
                          Clock::time_point now) {
    Stripe& s = StripeOf(user);
    std::lock_guard lock(s.mutex);
    // Checked under the stripe lock: a Drop of this user bumps the generation before taking
    // the same lock, so either it sees this entry and erases it, or this sees its bump.
    if (generation_.load(std::memory_order_acquire) != generation) return;
    if (s.entries.size() >= max_per_stripe_ && !s.entries.contains(user)) {
        std::erase_if(s.entries, [now](const auto& kv) { return kv.second.until <= now; });
        // Still full of live entries: start over rather than grow without bound.
        if (s.entries.size() >= max_per_stripe_) s.entries.clear();
    }
    s.entries.insert_or_assign(user, Entry{std::move(live), now + ttl_});
}

void LocalLiveness::Drop(UserId user) {
    generation_.fetch_add(1, std::memory_order_acq_rel);
    Stripe& s = StripeOf(user);
    std::lock_guard lock(s.mutex);
    s.entries.erase(user);
}

std::size_t LocalLiveness::Size() const {
    std::size_t n = 0;
    for (auto& s : stripes_) {
        std::lock_guard lock(s.mutex);
        n += s.entries.size();
    }
    return n;
}

}  // namespace nn::auth
