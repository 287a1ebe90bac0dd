#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "market/read_from.hpp"

namespace nn {
class App;
}

namespace nn::market {

// What other domains may read of an instrument (market_data.instruments).
struct InstrumentFacts {
    std::string symbol;
    std::string asset_class;
    std::optional<std::string> sector;
    std::optional<std::string> country;
    bool fractional = false;
    std::string currency;  // the currency it is quoted in
};

// The instrument reference data other domains may read: an abstract class as PriceDirectory,
// implemented here with the market role (MakeInstrumentDirectory), passed in by
// apps/nexanest/modules.cpp. A database failure throws db::DbError. By value: a coroutine must
// own its arguments.
class InstrumentDirectory {
public:
    virtual ~InstrumentDirectory() = default;

    // The listed instruments among `symbols`, in one round trip; a symbol without a row is
    // absent. `shard` is the caller's shard.
    virtual boost::asio::awaitable<std::vector<InstrumentFacts>> Instruments(std::vector<std::string> symbols,
                                                                             std::size_t shard) = 0;
    // The symbols of the active INDEX instruments, in order (the benchmarks).
    virtual boost::asio::awaitable<std::vector<std::string>> ActiveIndexSymbols(std::size_t shard) = 0;
};

// The PostgreSQL implementation (market role, timescale database, reading from `from`). Makes
// its pools at once: call it during registration, before the shards serve.
std::shared_ptr<InstrumentDirectory> MakeInstrumentDirectory(App& app, ReadFrom from = ReadFrom::kPrimary);

}  // namespace nn::market
