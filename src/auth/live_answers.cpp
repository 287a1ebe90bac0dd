#include "auth/live_answers.hpp"

namespace nn::auth {

std::shared_ptr<const std::string> LiveAnswers::Find(UserId user,
                                                     const std::shared_ptr<const void>& live,
                                                     Clock::time_point now) const {
    if (!live) return nullptr;
    auto found = cache_.Find(user, now, [&](const Answer& a) { return a.live == live; });
    return found ? found->body : nullptr;
}

void LiveAnswers::Store(UserId user,
                        std::shared_ptr<const void> live,
                        std::shared_ptr<const std::string> answer,
                        std::uint64_t generation,
                        Clock::time_point now) {
    if (!live || !answer) return;
    // A Drop of a user of this stripe ran since the read began: the answer may predate it. An
    // answer whose liveness copy only this cache still holds can never be found again.
    cache_.Store(
        user, Answer{std::move(live), std::move(answer)}, now,
        [generation](std::uint64_t stripe_generation) { return stripe_generation == generation; },
        [](const Answer& a) { return a.live.use_count() == 1; });
}

}  // namespace nn::auth
