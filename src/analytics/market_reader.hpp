#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "analytics/history.hpp"
#include "core/time.hpp"

namespace nn {
class App;
}
namespace nn::market {
class HistoryDirectory;
class InstrumentDirectory;
class RateDirectory;
}  // namespace nn::market

// Daily closes, exchange rates and instrument facts of the market domain, read through the
// market's interfaces (market/history_directory.hpp, rate_directory.hpp,
// instrument_directory.hpp; the market role, the read replica when one is configured): analytics
// runs no SQL on market_data. `shard` is the caller's shard.
namespace nn::analytics {

// The market's read interfaces analytics is handed (apps/nexanest/modules.cpp).
struct MarketReads {
    std::shared_ptr<market::RateDirectory> rates;
    std::shared_ptr<market::InstrumentDirectory> instruments;
    std::shared_ptr<market::HistoryDirectory> history;
};

// The PostgreSQL ones, reading from the replica when one is configured (analytics::Register builds
// them when handed none: tests, benchmarks, tools).
MarketReads MakeMarketReads(App& app);

// Closes per symbol for trading dates in [from, to], ascending.
boost::asio::awaitable<std::map<std::string, std::vector<DatedValue>>> LoadCloses(
    const MarketReads& market,
    const std::vector<std::string>& symbols,
    Date from,
    Date to,
    std::size_t shard);

// The last rate of each UTC day in [from, to] for each currency, as units of `base` per unit of
// the currency: stored pairs currency->base as they are, base->currency inverted (12 places).
boost::asio::awaitable<std::map<std::string, std::vector<DatedValue>>> LoadRates(
    const MarketReads& market,
    const std::vector<std::string>& currencies,
    const std::string& base,
    Date from,
    Date to,
    std::size_t shard);

// The currency each listed symbol is quoted in (market_data.instruments.currency); symbols
// without an instruments row are absent.
boost::asio::awaitable<std::map<std::string, std::string>> LoadInstrumentCurrencies(
    const MarketReads& market, const std::vector<std::string>& symbols, std::size_t shard);

// The last close of each symbol on or before `on_or_before` (any age).
boost::asio::awaitable<std::map<std::string, DatedValue>> LoadLastCloses(
    const MarketReads& market, const std::vector<std::string>& symbols, Date on_or_before, std::size_t shard);

// The UTC date of each symbol's latest price (market_data.latest_prices.time).
boost::asio::awaitable<std::map<std::string, Date>> LoadLatestPriceDates(
    const MarketReads& market, const std::vector<std::string>& symbols, std::size_t shard);

// The latest rate of each currency in units of `base` (market_data.latest_exchange_rates): the
// stored pair, else the inverse of the opposite pair rounded to 12 places (as the portfolio
// service converts). Currencies without either are absent.
boost::asio::awaitable<std::map<std::string, Decimal>> LoadLatestRatesTo(
    const MarketReads& market,
    const std::vector<std::string>& currencies,
    const std::string& base,
    std::size_t shard);

}  // namespace nn::analytics
