#pragma once

#include <memory>

#include "portfolio/allocation/service.hpp"
#include "portfolio/notify_directory.hpp"
#include "portfolio/service.hpp"
#include "portfolio/value_feed.hpp"

namespace nn {
class App;
}
namespace nn::auth {
class UserDirectory;
}
namespace nn::market {
class RateDirectory;
class InstrumentDirectory;
}  // namespace nn::market

namespace nn::portfolio {

struct ModuleOptions {
    ServiceOptions service;
    // Without a directory (auth runs in another process and no remote directory is wired)
    // portfolio creation trusts the verified token instead of checking the account.
    std::shared_ptr<auth::UserDirectory> directory;
    // The market's read interfaces (market/rate_directory.hpp, market/instrument_directory.hpp):
    // exchange rates for values, trade-date rates, goals and snapshots; instrument facts for
    // rebalancing. portfolio runs no SQL on the market's tables. apps/nexanest/modules.cpp passes
    // them; left empty (tests, benchmarks, tools wiring portfolio alone) MakeServices builds the
    // PostgreSQL ones (market role, timescale database).
    std::shared_ptr<market::RateDirectory> rates;
    std::shared_ptr<market::InstrumentDirectory> instruments;
    bool start_price_consumer = true;
    ValueFeedOptions values;  // where portfolio values go for live push (value_feed.hpp)
};

// The portfolio domain's services other domains are handed (apps/nexanest/modules.cpp): analytics
// reads portfolios, transactions and allocation rules through them, notify holdings and
// watchlist alerts through `notify`. They live as long as the App.
struct Services {
    std::shared_ptr<Service> portfolios;  // Rates(): the market's rates it was given
    std::shared_ptr<AllocationService> allocation;
    std::shared_ptr<NotifyDirectory> notify;
};

// The services alone, without routes, watches or jobs: for a process that runs a domain needing
// them (analytics, notify) but not the portfolio routes. Register builds them the same way.
Services MakeServices(App& app, const ModuleOptions& options);

// Registers the portfolio service: routes, the price-update consumer (price_consumer.hpp) and
// the daily snapshot job. Returns the services it built (one set per process).
Services Register(App& app, ModuleOptions options);
Services Register(App& app, std::shared_ptr<auth::UserDirectory> directory);

}  // namespace nn::portfolio
