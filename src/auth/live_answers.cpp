#include "auth/live_answers.hpp"

#include <algorithm>

namespace nn::auth {

std::shared_ptr<const std::string> LiveAnswers::Find(UserId user,
                                                     const std::shared_ptr<const void>& live,
                                                     Clock::time_point now) const {
    if (!live) return nullptr;
    Stripe& s = StripeOf(user);
    std::lock_guard lock(s.mutex);
    auto it = s.entries.find(user);
    if (it == s.entries.end() || it->second.live != live || it->second.until <= now) return nullptr;
    return it->second.answer;
}

std::uint64_t LiveAnswers::Generation(UserId user) const {
    Stripe& s = StripeOf(user);
    std::lock_guard lock(s.mutex);
    return s.generation;
}

void LiveAnswers::Store(UserId user,
                        std::shared_ptr<const void> live,
                        std::shared_ptr<const std::string> answer,
                        std::uint64_t generation,
                        Clock::time_point now) {
    if (!live || !answer) return;
    Stripe& s = StripeOf(user);
    std::lock_guard lock(s.mutex);
    // A Drop of a user of this stripe ran since the read began: the answer may predate it.
    if (s.generation != generation) return;
    if (s.entries.size() >= s.prune_at && !s.entries.contains(user)) {
        // An answer past its TTL (or whose liveness copy only this cache still holds) can never
        // be found again. Pruning when the stripe has doubled since the last prune keeps the
        // cost per Store constant and the memory near twice the answers of the last TTL.
        std::erase_if(s.entries, [now](const auto& kv) {
            return kv.second.until <= now || kv.second.live.use_count() == 1;
        });
        if (s.entries.size() >= max_per_stripe_) s.entries.clear();
        s.prune_at = std::clamp(2 * s.entries.size(), std::min(kPruneAt, max_per_stripe_), max_per_stripe_);
    }
    s.entries.insert_or_assign(user, Entry{std::move(live), std::move(answer), now + ttl_});
}

void LiveAnswers::Drop(UserId user) {
    Stripe& s = StripeOf(user);
    std::lock_guard lock(s.mutex);
    ++s.generation;
    s.entries.erase(user);
}

std::size_t LiveAnswers::Size() const {
    std::size_t n = 0;
    for (auto& s : stripes_) {
        std::lock_guard lock(s.mutex);
        n += s.entries.size();
    }
    return n;
}

}  // namespace nn::auth
