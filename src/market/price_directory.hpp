#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace nn {
class App;
}

namespace nn::market {

// What other domains may read of the market data (its tables stay the market domain's): an
// abstract class as auth::UserDirectory, implemented here (MakePriceDirectory), returned by
// market::Register and passed in by apps/nexanest/modules.cpp. `shard` is the caller's shard
// (the implementation uses that shard's pool).
class PriceDirectory {
public:
    virtual ~PriceDirectory() = default;

    // The previous close of `symbol` (decimal text as stored) when its latest price is of the UTC
    // trading date of `time` (RFC 3339); nullopt when there is none or the latest price is of
    // another date. By value: a coroutine must own its arguments.
    virtual boost::asio::awaitable<std::optional<std::string>> PreviousClose(std::string symbol,
                                                                             std::string time,
                                                                             std::size_t shard) = 0;
};

// The PostgreSQL implementation (market role, timescale database). Makes its pools at once: call
// it during registration.
std::shared_ptr<PriceDirectory> MakePriceDirectory(App& app);

}  // namespace nn::market
