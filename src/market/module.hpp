#pragma once

#include <memory>
#include <vector>

#include "infra/runtime/config.hpp"
#include "market/price_directory.hpp"
#include "market/service.hpp"

namespace nn {
class App;
}

namespace nn::market {

// The market settings (docs/configuration.md "Market data"), checked at start with the rest of
// the configuration (apps/nexanest passes them to runtime::LoadConfig):
//   market.max_batch               NEXANEST_MARKET_MAX_BATCH               rows per ingest batch (HTTP)
//   market.raw_retention_days      NEXANEST_MARKET_RAW_RETENTION_DAYS      ticks kept (0: forever)
//   market.1m_retention_days       NEXANEST_MARKET_1M_RETENTION_DAYS       1-minute bars kept
//   market.1h_retention_days       NEXANEST_MARKET_1H_RETENTION_DAYS       hourly bars kept
//   market.1d_retention_days       NEXANEST_MARKET_1D_RETENTION_DAYS       daily bars kept
//   market.reconcile_window_hours  NEXANEST_MARKET_RECONCILE_WINDOW_HOURS  reconcile job window
std::vector<runtime::DomainSetting> Settings();

// The options those settings give over the defaults of MarketOptions.
MarketOptions OptionsFrom(const runtime::Config& config);

// Routes under /api/v1/market, and the jobs: outbox relay, partition maintenance + retention,
// reconcile of recent rollups. Returns the market's interface for other domains (the previous
// close the notify price alerts need).
std::shared_ptr<PriceDirectory> Register(App& app);

}  // namespace nn::market
