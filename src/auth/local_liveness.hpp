#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "auth/repository.hpp"
#include "core/ids.hpp"

namespace nn::auth {

// How long this process trusts the liveness facts it read (from Redis or PostgreSQL) without
// asking again. A change made through this process drops its copy at once; a change made by
// another instance, or while Redis is down, reaches this process within this time. It is the
// bound of docs/auth.md "Liveness": a revoked session is refused within a second everywhere.
inline constexpr std::chrono::milliseconds kLocalLivenessTtl{500};

// The per-user liveness facts of one process, shared by every shard (docs/auth.md "Liveness").
// Lookups take one of 16 striped locks for a hash-map probe; nothing waits on I/O under a lock.
class LocalLiveness {
public:
    using Clock = std::chrono::steady_clock;

    explicit LocalLiveness(std::chrono::milliseconds ttl = kLocalLivenessTtl,
                           std::size_t max_entries = 100'000)
        : ttl_(ttl), max_per_stripe_(std::max<std::size_t>(1, max_entries / kStripes)) {}

    // The facts read less than the TTL ago; null when there are none.
    std::shared_ptr<const Liveness> Find(UserId user, Clock::time_point now = Clock::now()) const;

    // A token to take before reading the facts from a store, and to give to Store: facts read
    // while a Drop ran may predate the change that caused it, and are then not kept.
    std::uint64_t Generation() const noexcept { return generation_.load(std::memory_order_acquire); }
    void Store(UserId user,
               std::shared_ptr<const Liveness> live,
               std::uint64_t generation,
               Clock::time_point now = Clock::now());

    // Forgets the user's facts (they changed); the next request reads them again.
    void Drop(UserId user);

    std::size_t Size() const;

private:
    static constexpr std::size_t kStripes = 16;
    struct Entry {
        std::shared_ptr<const Liveness> live;
        Clock::time_point until;
    };
    struct alignas(64) Stripe {
        mutable std::mutex mutex;
        std::unordered_map<UserId, Entry> entries;
    };
    Stripe& StripeOf(UserId user) const { return stripes_[std::hash<UserId>{}(user) % kStripes]; }

    std::chrono::milliseconds ttl_;
    std::size_t max_per_stripe_;
    std::atomic<std::uint64_t> generation_{0};
    mutable std::array<Stripe, kStripes> stripes_;
};

}  // namespace nn::auth
