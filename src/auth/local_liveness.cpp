#include "auth/local_liveness.hpp"

namespace nn::auth {

std::shared_ptr<const Liveness> LocalLiveness::Find(UserId user, Clock::time_point now) const {
    return cache_.Find(user, now, [](const auto&) { return true; }).value_or(nullptr);
}

void LocalLiveness::Store(UserId user,
                          std::shared_ptr<const Liveness> live,
                          std::uint64_t generation,
                          Clock::time_point now) {
    // Checked under the stripe lock: a Drop of this user bumps the generation before taking
    // the same lock, so either it sees this entry and erases it, or this sees its bump.
    cache_.Store(
        user, std::move(live), now,
        [&](std::uint64_t) { return generation_.load(std::memory_order_acquire) == generation; },
        [](const auto&) { return false; });
}

void LocalLiveness::Drop(UserId user) {
    generation_.fetch_add(1, std::memory_order_acq_rel);
    cache_.Drop(user);
}

}  // namespace nn::auth
