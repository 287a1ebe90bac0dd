#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "infra/http/router.hpp"
#include "notify/events_service.hpp"
#include "notify/live_hub.hpp"
#include "notify/notifier.hpp"
#include "portfolio/live_presence.hpp"
#include "portfolio/notify_directory.hpp"

namespace nn {
class App;
}
namespace nn::auth {
class UserDirectory;
}

namespace nn::notify {

struct HandlerContext {
    App* app = nullptr;
    std::shared_ptr<Notifier> notifier;
    std::shared_ptr<EventsService> events;       // the audit trail and portfolio events
    std::vector<std::shared_ptr<LiveHub>> hubs;  // by shard
    std::shared_ptr<auth::UserDirectory> directory;
    // The held and watched symbols of a live stream (without it a stream gets no prices).
    std::shared_ptr<portfolio::NotifyDirectory> portfolios;
    std::chrono::milliseconds live_poll{5000};
    // At most one price update per symbol and one value per portfolio per connection this often.
    std::chrono::milliseconds live_min_interval{250};
    // A connection reloads its symbols (held or watched) and live preferences this often, and
    // after each value update of its user (a transaction may have changed the holdings).
    std::chrono::milliseconds interest_refresh{15000};
    // A stream re-checks its principal this often and ends (event `end`) once the access token
    // expired, the session was revoked or the account deactivated.
    std::chrono::milliseconds liveness_check{2000};
    // Live streams one user may hold open on this instance at once (429 beyond).
    std::size_t max_streams_per_user = 5;
    // Every open stream marks its user as watching (before its first byte, then every
    // RefreshEvery): the live value feed publishes only for watched owners.
    portfolio::LivePresence presence;
};

// The routes of docs/notify.md.
void AddRoutes(http::Router& routes, HandlerContext ctx);

}  // namespace nn::notify
