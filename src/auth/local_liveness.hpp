#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "auth/repository.hpp"
#include "auth/striped_user_cache.hpp"
#include "core/ids.hpp"

namespace nn::auth {

// How long this process trusts the liveness facts it read (from Redis or PostgreSQL) without
// asking again. A change made through this process drops its copy at once; a change made by
// another instance, or while Redis is down, reaches this process within this time. It is the
// bound of docs/auth.md "Liveness": a revoked session is refused within a second everywhere.
inline constexpr std::chrono::milliseconds kLocalLivenessTtl{500};

// The per-user liveness facts of one process, shared by every shard (docs/auth.md "Liveness"):
// a StripedUserCache of the facts; its stripes' generations tell a read that raced a Drop.
class LocalLiveness {
public:
    using Clock = std::chrono::steady_clock;

    explicit LocalLiveness(std::chrono::milliseconds ttl = kLocalLivenessTtl,
                           std::size_t max_entries = 100'000)
        : cache_(ttl, max_entries) {}

    // The facts read less than the TTL ago; null when there are none.
    std::shared_ptr<const Liveness> Find(UserId user, Clock::time_point now = Clock::now()) const;

    // A token to take before reading the user's facts from a store, and to give to Store: facts
    // read while a Drop of the user (or of another user of its stripe) ran may predate the change
    // that caused it, and are then not kept. A Drop of a user of another stripe does not matter.
    std::uint64_t Generation(UserId user) const { return cache_.Generation(user); }
    void Store(UserId user,
               std::shared_ptr<const Liveness> live,
               std::uint64_t generation,
               Clock::time_point now = Clock::now());

    // Forgets the user's facts (they changed); the next request reads them again.
    void Drop(UserId user);

    std::size_t Size() const { return cache_.Size(); }

private:
    StripedUserCache<std::shared_ptr<const Liveness>> cache_;
};

}  // namespace nn::auth
