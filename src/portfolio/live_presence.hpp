#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/ids.hpp"

namespace nn::redis {
class Client;
}

// Who is watching live values, across instances (docs/notify.md "Live push"): every open live
// stream keeps `<prefix><user>` in Redis (set before the stream's first byte, refreshed while it
// is open, left to expire after), and the live value feed (value_feed.hpp) computes and publishes
// values only for owners that have one. A portfolio value is state that only an open stream
// shows: written through the API, a CLI or an import, or moved by a price batch while its owner
// is away, it would be read from the database and sent to nobody. A stream opened later reads
// current values when it needs them; a stream whose key lapsed (Redis restarted) has it back at
// its next refresh.
namespace nn::portfolio {

struct LivePresenceOptions {
    std::string prefix = "nn:live:watching:";
    std::chrono::milliseconds ttl{std::chrono::seconds(90)};
};

class LivePresence {
public:
    explicit LivePresence(LivePresenceOptions options = {}) : options_(std::move(options)) {}

    std::string Key(UserId user) const { return options_.prefix + user.ToString(); }
    // How often an open stream refreshes its key: three times per lifetime.
    std::chrono::milliseconds RefreshEvery() const { return options_.ttl / 3; }

    // The user has a stream open here: SET <key> PX ttl. Throws what Redis throws.
    boost::asio::awaitable<void> Mark(redis::Client& redis, UserId user) const;
    // For each user, whether some stream marked it within the last ttl (one MGET).
    boost::asio::awaitable<std::vector<bool>> Watched(redis::Client& redis,
                                                      const std::vector<UserId>& users) const;

private:
    LivePresenceOptions options_;
};

}  // namespace nn::portfolio
