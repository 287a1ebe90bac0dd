#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

#include "core/ids.hpp"

namespace nn::auth {

// A cache of one value per key with a lifetime, shared by every shard of a process: the one
// shape under LocalLiveness (the liveness facts, per user), LiveAnswers (answers kept under them)
// and VerifiedTokens (per keyed hash of a token). Lookups take one of 16 striped locks for a
// hash-map probe; nothing waits on I/O under a lock.
//
// Writers race with invalidations: a value read from a store while the user's value was dropped
// may predate the change that dropped it. Store therefore takes an `admit` check that runs under
// the stripe lock with the stripe's generation (bumped by every Drop of a user of the stripe, under
// the same lock), so a Drop either sees the stored entry and erases it or the Store sees its bump.
//
// Memory follows the users of the last TTL: when a stripe has doubled since its last prune, a Store
// of a new user first erases the expired entries and those `dead` says can never be found again;
// a stripe still full of live entries starts over rather than grow past max_entries / 16.
template <class Key, class Value>
class StripedCache {
public:
    using Clock = std::chrono::steady_clock;

    StripedCache(std::chrono::milliseconds ttl, std::size_t max_entries)
        : ttl_(ttl), max_per_stripe_(std::max<std::size_t>(1, max_entries / kStripes)) {
        for (auto& s : stripes_) s.prune_at = std::min(kPruneAt, max_per_stripe_);
    }

    // The value of `key` stored less than the TTL ago, if `match` accepts it.
    template <class Match>
    std::optional<Value> Find(const Key& key, Clock::time_point now, Match&& match) const {
        Stripe& s = StripeOf(key);
        std::lock_guard lock(s.mutex);
        auto it = s.entries.find(key);
        if (it == s.entries.end() || it->second.until <= now || !match(it->second.value)) return std::nullopt;
        return it->second.value;
    }

    // The generation of the stripe of `key`, to compare in Store's `admit`.
    std::uint64_t Generation(const Key& key) const {
        Stripe& s = StripeOf(key);
        std::lock_guard lock(s.mutex);
        return s.generation;
    }

    // Keeps `value` for the TTL if admit(stripe generation) holds under the stripe lock.
    template <class Admit, class Dead>
    void Store(const Key& key, Value value, Clock::time_point now, Admit&& admit, Dead&& dead) {
        Stripe& s = StripeOf(key);
        std::lock_guard lock(s.mutex);
        if (!admit(s.generation)) return;
        if (s.entries.size() >= s.prune_at && !s.entries.contains(key)) {
            std::erase_if(s.entries,
                          [&](const auto& kv) { return kv.second.until <= now || dead(kv.second.value); });
            if (s.entries.size() >= max_per_stripe_) s.entries.clear();
            s.prune_at =
                std::clamp(2 * s.entries.size(), std::min(kPruneAt, max_per_stripe_), max_per_stripe_);
        }
        s.entries.insert_or_assign(key, Entry{std::move(value), now + ttl_});
    }

    // Forgets the value of `key` and bumps its stripe's generation.
    void Drop(const Key& key) {
        Stripe& s = StripeOf(key);
        std::lock_guard lock(s.mutex);
        ++s.generation;
        s.entries.erase(key);
    }

    std::size_t Size() const {
        std::size_t n = 0;
        for (auto& s : stripes_) {
            std::lock_guard lock(s.mutex);
            n += s.entries.size();
        }
        return n;
    }

private:
    static constexpr std::size_t kStripes = 16;
    static constexpr std::size_t kPruneAt = 64;
    struct Entry {
        Value value;
        Clock::time_point until;
    };
    struct alignas(64) Stripe {
        mutable std::mutex mutex;
        std::uint64_t generation = 0;
        std::size_t prune_at = 0;  // the size at which the next Store of a new user prunes
        std::unordered_map<Key, Entry> entries;
    };
    Stripe& StripeOf(const Key& key) const { return stripes_[std::hash<Key>{}(key) % kStripes]; }

    std::chrono::milliseconds ttl_;
    std::size_t max_per_stripe_;
    mutable std::array<Stripe, kStripes> stripes_;
};

// The per-user form (LocalLiveness, LiveAnswers).
template <class Value>
using StripedUserCache = StripedCache<UserId, Value>;

}  // namespace nn::auth
