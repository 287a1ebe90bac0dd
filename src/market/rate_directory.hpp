#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/decimal.hpp"
#include "core/time.hpp"
#include "market/read_from.hpp"

namespace nn {
class App;
}

namespace nn::market {

// One row of market_data.latest_exchange_rates as stored: units of `quote` per unit of `base`
// (decimal text as stored).
struct StoredRate {
    std::string base;
    std::string quote;
    std::string rate;
};

// A rate wanted at a time: the latest of `currency` into the caller's base at or before `time`.
struct RateAt {
    std::string currency;
    Timestamp time;
};

// The exchange rates other domains may read (the tables stay the market domain's): an abstract
// class as PriceDirectory, implemented here with the market role (MakeRateDirectory), passed in
// by apps/nexanest/modules.cpp. Each call is one round trip, whatever the number of currencies.
// `shard` is the caller's shard (the implementation uses that shard's pool). A database failure
// throws db::DbError (infra/db/errors.hpp): callers decide what an unknown rate means. By value:
// a coroutine must own its arguments.
class RateDirectory {
public:
    virtual ~RateDirectory() = default;

    // The latest rate of each of `currencies` in units of `base` per unit: the stored pair
    // currency→base as stored, else the inverse of base→currency rounded to 12 places. A currency
    // without either is absent; each currency at most once, in the order the rows came.
    virtual boost::asio::awaitable<std::vector<std::pair<std::string, Decimal>>> LatestRates(
        std::vector<std::string> currencies, std::string base, std::size_t shard) = 0;

    // Every latest rate, one per stored pair, as stored.
    virtual boost::asio::awaitable<std::vector<StoredRate>> AllLatestRates(std::size_t shard) = 0;

    // For each wanted (currency, time), in the same order: units of `base` per unit of the
    // currency at the latest rate at or before the time (market_data.exchange_rates) — the
    // stored pair currency→base, else the inverse of base→currency rounded to 12 places
    // (each pair the latest at or before the time); nullopt when neither exists.
    virtual boost::asio::awaitable<std::vector<std::optional<Decimal>>> RatesAt(std::vector<RateAt> wanted,
                                                                                std::string base,
                                                                                std::size_t shard) = 0;
};

// The PostgreSQL implementation (market role, timescale database, reading from `from`). Makes
// its pools at once: call it during registration, before the shards serve.
std::shared_ptr<RateDirectory> MakeRateDirectory(App& app, ReadFrom from = ReadFrom::kPrimary);

}  // namespace nn::market
