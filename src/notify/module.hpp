#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "notify/audit_producer.hpp"
#include "notify/live_feed.hpp"
#include "notify/live_hub.hpp"
#include "notify/notifier.hpp"
#include "notify/price_alerts.hpp"
#include "notify/relay.hpp"
#include "portfolio/live_presence.hpp"

namespace nn {
class App;
}
namespace nn::auth {
class UserDirectory;
}
namespace nn::mail {
class Mailer;
}

namespace nn::notify {

struct ModuleOptions {
    // Advisor grants for GET /api/v1/portfolios/{id}/events (without it advisors see only
    // their own portfolios) and the addresses of the EMAIL channel (without it no email).
    std::shared_ptr<auth::UserDirectory> directory;
    // The portfolio domain's interface for notify (portfolio::MakeNotifyDirectory): held and
    // watched symbols of live streams, watchlist price alerts. Without it neither runs.
    std::shared_ptr<portfolio::NotifyDirectory> portfolios;
    // The market domain's interface (market::MakePriceDirectory): the previous close of the
    // daily-change price alerts. Without it that condition is not evaluated.
    std::shared_ptr<market::PriceDirectory> prices;
    std::shared_ptr<mail::Mailer> mailer;  // null: mail::MakeMailer(config)
    NotifierOptions notifier;
    RelayOptions relay;
    std::vector<OutboxSource> sources = DefaultSources();
    AuditProducerOptions audit;  // stream and consumer default to the relay's and the instance's
    PriceAlertOptions alerts;    // consumer defaults to the instance id
    LiveFeedOptions live_feed;
    bool start_jobs = true;       // the relay and email jobs and the producers (tests drive them by hand)
    bool start_live_feed = true;  // price and portfolio-value updates for SSE connections
    std::chrono::milliseconds relay_interval{1000};
    std::chrono::milliseconds email_interval{5000};
    // An SSE connection re-reads its stream this often even without a wake-up.
    std::chrono::milliseconds live_poll{5000};
    // Per connection: at most one price per symbol and one value per portfolio this often.
    std::chrono::milliseconds live_min_interval{250};
    std::chrono::milliseconds interest_refresh{15000};
    // A stream re-checks its principal this often (HandlerContext::liveness_check).
    std::chrono::milliseconds liveness_check{2000};
    std::size_t max_streams_per_user = 5;
    // Must equal the portfolio value feed's (portfolio::ValueFeedOptions::presence).
    portfolio::LivePresenceOptions presence;
};

// What Register built; lives as long as the App.
struct Module {
    std::shared_ptr<Notifier> notifier;
    std::vector<std::shared_ptr<OutboxRelay>> relays;  // one per source, on shard 0's pools
    std::vector<std::shared_ptr<LiveHub>> hubs;        // one per shard
    std::shared_ptr<mail::Mailer> mailer;
    std::shared_ptr<AuditProducer> audit;        // security, drift and goal notifications
    std::shared_ptr<PriceAlertProducer> alerts;  // watchlist price alerts (price_alerts.hpp)
    std::shared_ptr<LiveFeed> live;              // price and value updates for the hubs
    // Closes the pub/sub connections (call before App::Stop).
    void Stop();
};

// Registers the notify service: inbox, preferences, SSE stream, audit and portfolio-events
// routes (docs/notify.md), the relay jobs "notify.relay.<source>" and the email job
// "notify.email", the audit and price-alert producers, the live feed and the metric
// nn_notify_dead_letters_total.
std::shared_ptr<Module> Register(App& app, ModuleOptions options);
std::shared_ptr<Module> Register(App& app);
std::shared_ptr<Module> Register(App& app,
                                 std::shared_ptr<auth::UserDirectory> directory,
                                 std::shared_ptr<portfolio::NotifyDirectory> portfolios,
                                 std::shared_ptr<market::PriceDirectory> prices);

}  // namespace nn::notify
