#include "apps/nexanest/modules.hpp"

#include "analytics/market_reader.hpp"
#include "analytics/module.hpp"
#include "auth/module.hpp"
#include "infra/app/app.hpp"
#include "market/instrument_directory.hpp"
#include "market/module.hpp"
#include "market/rate_directory.hpp"
#include "notify/module.hpp"
#include "portfolio/module.hpp"

namespace nn::app {
namespace {

using migrate::Database;
using migrate::ServiceRole;

// The databases each service uses, with the role through which the app checks their schema
// version and readiness. Portfolio writes its value snapshots into the timescale database,
// whose schema the market role (its owner service) reads; portfolio and analytics (through the
// portfolio services it is handed) read the market's rates and instruments through market's
// directories, which use the market role.
struct DatabaseUse {
    const char* service;
    Database database;
    ServiceRole role;
};
constexpr DatabaseUse kDatabaseUses[] = {
    {"auth", Database::kAuth, ServiceRole::kAuth},
    {"portfolio", Database::kPortfolio, ServiceRole::kPortfolio},
    {"portfolio", Database::kTimescale, ServiceRole::kMarket},
    {"analytics", Database::kTimescale, ServiceRole::kMarket},
    {"market", Database::kTimescale, ServiceRole::kMarket},
    {"analytics", Database::kAnalytics, ServiceRole::kAnalytics},
    {"notify", Database::kNotifications, ServiceRole::kNotify},
};

// Each service's outbox (the relay's backlog in /metrics), read while the process has a pool
// of that role on that database.
struct OutboxTable {
    const char* source;
    ServiceRole role;
    Database database;
    const char* table;
};
constexpr OutboxTable kOutboxTables[] = {
    {"auth", ServiceRole::kAuth, Database::kAuth, "auth.outbox"},
    {"portfolio", ServiceRole::kPortfolio, Database::kPortfolio, "portfolio.outbox"},
    {"analytics", ServiceRole::kAnalytics, Database::kAnalytics, "analytics.outbox"},
    {"notifications", ServiceRole::kNotify, Database::kNotifications, "notifications.outbox"},
    {"market", ServiceRole::kMarket, Database::kTimescale, "market_data.outbox"},
};

// The event streams whose consumer groups (the notify and portfolio consumers) /metrics shows.
constexpr const char* kWatchedStreams[] = {"nn:events:audit", "nn:events:prices",
                                           "nn:events:portfolio_values"};

}  // namespace

void DeclareServices(App& app) {
    for (const auto& use : kDatabaseUses) {
        if (app.Runs(use.service)) app.UseDatabase(use.database, use.role);
    }
    for (const auto& outbox : kOutboxTables)
        app.WatchOutbox(outbox.source, outbox.role, outbox.database, outbox.table);
    for (const char* stream : kWatchedStreams) app.WatchStream(stream);
    // Market's time-series tables: rows outside every premade partition.
    app.WatchDefaultPartitions(ServiceRole::kMarket, Database::kTimescale);
}

void RegisterModules(App& app) {
    // The directory is the auth service's public interface (accounts, advisor grants); without
    // auth in this process portfolio and analytics trust the verified token alone.
    std::shared_ptr<auth::UserDirectory> directory;
    if (app.Runs("auth")) directory = auth::Register(app);
    // The market's interface for notify (the previous close of the price alerts), or one built
    // without routes when market is served by another process.
    std::shared_ptr<market::PriceDirectory> prices;
    if (app.Runs("market")) prices = market::Register(app);
    if (!prices && app.Runs("notify")) prices = market::MakePriceDirectory(app);
    // One set of portfolio services per process: analytics and notify receive the registered
    // ones, or (portfolio served by another process) ones built without routes. They read the
    // market's rates and instruments through the market's directories, whether or not this
    // process serves the market routes (the directories need only the market role's pool on
    // the timescale database).
    portfolio::Services portfolios;
    const bool needs_portfolios = app.Runs("portfolio") || app.Runs("analytics") || app.Runs("notify");
    if (needs_portfolios) {
        portfolio::ModuleOptions options;
        options.directory = directory;
        options.rates = market::MakeRateDirectory(app);
        options.instruments = market::MakeInstrumentDirectory(app);
        portfolios = app.Runs("portfolio") ? portfolio::Register(app, std::move(options))
                                           : portfolio::MakeServices(app, options);
    }
    if (app.Runs("analytics"))
        analytics::Register(app, portfolios, directory, analytics::MakeMarketReads(app));
    if (app.Runs("notify")) notify::Register(app, directory, portfolios.notify, prices);
}

std::vector<runtime::DomainSetting> DomainSettings() {
    auto settings = auth::Settings();
    for (auto& setting : market::Settings()) settings.push_back(std::move(setting));
    return settings;
}

}  // namespace nn::app
