#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "core/ids.hpp"

namespace nn::redis {
class Client;
}

// The user portfolio summary's Redis cache (docs/portfolio.md "The summary cache").
//
// Each user has a value key and a generation key, in one hash slot ("{<user>}"). A write to the
// user's portfolios, once committed, gives the generation a new random value (Invalidate). A
// reader fetches both keys in one MGET (Find); a value is served only when the generation it was
// stored under is the current one. On a miss the reader remembers the generation it saw *before*
// reading PostgreSQL and stores its body under that one (Store). A write that commits while the
// reader is working changes the generation after its commit, so the reader's body, whenever it
// lands, is stored under a generation that is no longer current and never served: no stale
// summary outlives the write that made it stale (a plain DEL could be overtaken by the reader's
// SET and leave a stale body for the whole TTL).
//
// Because a stored body carries its own validity, Store need not be awaited: the response does
// not wait for Redis, and a late or reordered SET can at worst cost one more miss.
namespace nn::portfolio {

class SummaryCache {
public:
    // Generations live this long after the last write: longer than any value (ttl is capped at an
    // hour), so an expired generation never meets a value stored under an older one.
    static constexpr std::chrono::hours kGenerationTtl{24};

    // `ttl` 0: nothing is cached or read (Find misses without asking Redis, Store does nothing);
    // Invalidate still runs, for other instances that cache.
    SummaryCache(std::string prefix, std::chrono::milliseconds ttl);

    bool Enabled() const noexcept { return ttl_.count() > 0; }
    std::string ValueKey(UserId user) const;
    std::string GenerationKey(UserId user) const;

    struct Lookup {
        std::optional<std::string> body;  // a current body: serve it
        std::string generation;           // on a miss: what Store must be given
    };
    // Redis errors are the caller's (it then reads PostgreSQL and stores nothing).
    boost::asio::awaitable<Lookup> Find(redis::Client& redis, UserId user) const;
    // Stores `body` under `generation` (from Find) in the background on `executor` (the caller's
    // shard, which `redis` serves); errors are logged at debug.
    void Store(const boost::asio::any_io_executor& executor,
               redis::Client& redis,
               UserId user,
               std::string generation,
               std::string body) const;
    // New generations for `users` in one pipeline; throws what Redis throws.
    boost::asio::awaitable<void> Invalidate(redis::Client& redis, const std::vector<UserId>& users) const;

private:
    std::string prefix_;
    std::chrono::milliseconds ttl_;
};

}  // namespace nn::portfolio
