#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <memory>
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

// A symbol's daily close (market_data.ohlcv_1d).
struct DailyClose {
    std::string symbol;
    Date date;
    Decimal close;
};

// The last stored rate of a UTC day: units of `quote` per unit of `base`, as stored.
struct DailyRate {
    std::string base;
    std::string quote;
    Date date;
    Decimal rate;
};

// The price history other domains may read (analytics): daily closes, daily rates and the dates
// of the latest prices. An abstract class as PriceDirectory, implemented here with the market
// role (MakeHistoryDirectory), passed in by apps/nexanest/modules.cpp. Each call is one round
// trip; a database failure throws db::DbError. By value: a coroutine must own its arguments.
class HistoryDirectory {
public:
    virtual ~HistoryDirectory() = default;

    // The daily closes of `symbols` for trading dates in [from, to], by symbol then date.
    virtual boost::asio::awaitable<std::vector<DailyClose>> Closes(std::vector<std::string> symbols,
                                                                   Date from,
                                                                   Date to,
                                                                   std::size_t shard) = 0;
    // The last daily close of each symbol on or before `on_or_before` (any age); a symbol
    // without one is absent.
    virtual boost::asio::awaitable<std::vector<DailyClose>> LastCloses(std::vector<std::string> symbols,
                                                                       Date on_or_before,
                                                                       std::size_t shard) = 0;
    // The last rate of each UTC day in [from, to] of every stored pair between one of
    // `currencies` and `base`, in either direction, as stored (market_data.exchange_rates).
    virtual boost::asio::awaitable<std::vector<DailyRate>> DailyRates(
        std::vector<std::string> currencies, std::string base, Date from, Date to, std::size_t shard) = 0;
    // The UTC date of each symbol's latest price (market_data.latest_prices); a symbol without
    // one is absent.
    virtual boost::asio::awaitable<std::vector<std::pair<std::string, Date>>> LatestPriceDates(
        std::vector<std::string> symbols, std::size_t shard) = 0;
};

// The PostgreSQL implementation (market role, timescale database, reading from `from`). Makes
// its pools at once: call it during registration, before the shards serve.
std::shared_ptr<HistoryDirectory> MakeHistoryDirectory(App& app, ReadFrom from = ReadFrom::kReplica);

}  // namespace nn::market
