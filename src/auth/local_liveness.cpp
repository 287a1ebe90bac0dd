#include "auth/local_liveness.hpp"

namespace nn::auth {

std::shared_ptr<const Liveness> LocalLiveness::Find(UserId user, Clock::time_point now) const {
    return cache_.Find(user, now, [](const auto&) { return true; }).value_or(nullptr);
}

void LocalLiveness::Store(UserId user,
                          std::shared_ptr<const Liveness> live,
                          std::uint64_t generation,
                          Clock::time_point now) {
    // Checked under the stripe lock: a Drop of this user bumps the stripe's generation under the
    // same lock, so either it sees this entry and erases it, or this sees its bump.
    cache_.Store(
        user, std::move(live), now, [generation](std::uint64_t stripe) { return stripe == generation; },
        [](const auto&) { return false; });
}

void LocalLiveness::Drop(UserId user) {
    cache_.Drop(user);
}

}  // namespace nn::auth
