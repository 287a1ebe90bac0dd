#pragma once

#include "infra/runtime/config.hpp"
#include "market/service.hpp"

namespace nn {
class App;
}

namespace nn::market {

// Market options from the environment (defaults in MarketOptions):
//   NEXANEST_MARKET_MAX_BATCH                rows per ingest batch (HTTP)
//   NEXANEST_MARKET_RAW_RETENTION_DAYS       ticks kept (0: forever)
//   NEXANEST_MARKET_1M_RETENTION_DAYS        1-minute bars kept (0: forever)
//   NEXANEST_MARKET_1H_RETENTION_DAYS        hourly bars kept (0 or unset: forever)
//   NEXANEST_MARKET_1D_RETENTION_DAYS        daily bars kept (0 or unset: forever)
//   NEXANEST_MARKET_RECONCILE_WINDOW_HOURS   reconcile job window
// Throws nn::Error(kUnprocessable, "config.invalid") naming the variable on a bad value.
MarketOptions OptionsFromEnv(const runtime::EnvLookup& env);

// Routes under /api/v1/market, and the jobs: outbox relay, partition maintenance + retention,
// reconcile of recent rollups.
void Register(App& app);

}  // namespace nn::market
