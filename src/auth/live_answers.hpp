#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "auth/local_liveness.hpp"
#include "auth/striped_user_cache.hpp"
#include "core/ids.hpp"

namespace nn::auth {

// Answers (response bodies) of one read route, kept per user in this process and valid only
// under the copy of the user's liveness facts the request was checked against
// (Principal::live, docs/architecture.md "The hot path of an authenticated read"). That copy is
// replaced at least every kLocalLivenessTtl and dropped by every change to the user's sessions,
// role, activity or account made through this process, so an answer lives no longer: it is
// found only after the liveness check has passed, and never outlives a change that goes through
// Service::Forget. A domain whose own writes change an answer calls Drop after committing; an
// answer read while a Drop of its user ran is not kept (the generation of its stripe), and an answer whose
// copy only this cache still holds is pruned early.
class LiveAnswers {
public:
    using Clock = std::chrono::steady_clock;

    // `ttl`: the lifetime of a liveness copy; an answer older than that is never found again and
    // is pruned as the cache grows, so memory follows the users of the last `ttl`.
    explicit LiveAnswers(std::chrono::milliseconds ttl = kLocalLivenessTtl, std::size_t max_entries = 100'000)
        : cache_(ttl, max_entries) {}

    // The answer stored for `user` under this very copy of its liveness; null otherwise (and
    // always when `live` is null: API keys are not cached).
    std::shared_ptr<const std::string> Find(UserId user,
                                            const std::shared_ptr<const void>& live,
                                            Clock::time_point now = Clock::now()) const;

    // Taken before reading the answer from the database, given back to Store.
    std::uint64_t Generation(UserId user) const { return cache_.Generation(user); }
    void Store(UserId user,
               std::shared_ptr<const void> live,
               std::shared_ptr<const std::string> answer,
               std::uint64_t generation,
               Clock::time_point now = Clock::now());

    // Forgets the user's answer (it changed); the next request reads it again.
    void Drop(UserId user) { cache_.Drop(user); }

    std::size_t Size() const { return cache_.Size(); }

private:
    struct Answer {
        std::shared_ptr<const void> live;
        std::shared_ptr<const std::string> body;
    };
    StripedUserCache<Answer> cache_;
};

}  // namespace nn::auth
