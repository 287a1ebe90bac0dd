#include "auth/model.hpp"

#include <algorithm>

namespace nn::auth {

std::chrono::seconds LockoutDelay(const AuthSettings& s, int lockout_count) noexcept {
    const int n = std::clamp(lockout_count, 0, 30);
    const auto base = s.lockout_base.count();
    const auto max = s.lockout_max.count();
    // base * 2^n without overflow: stop doubling once past the cap.
    std::int64_t delay = base;
    for (int i = 0; i < n && delay < max; ++i) delay *= 2;
    return std::chrono::seconds(std::min<std::int64_t>(delay, max));
}

}  // namespace nn::auth
