#pragma once

#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "market/model.hpp"

namespace nn::http {
class Router;
}
namespace nn::runtime {
class CpuPool;
}

namespace nn::market {

class MarketService;

// The shard's service (handlers run on the request's shard).
using ServiceForShard = std::function<MarketService&(std::size_t shard)>;

// Registers every /api/v1/market route (docs/market.md lists them). Ingest batches are parsed
// on `cpu` (off the I/O threads: a 16 MiB batch takes tens of milliseconds).
void AddRoutes(http::Router& router, ServiceForShard services, runtime::CpuPool& cpu);

// JSON batch → rows; collects every problem ("prices[2].close": not_decimal, ...) and throws
// nn::Error kUnprocessable naming them all in its field errors when any (kBadRequest when the
// body is not an object or has unknown fields). Exposed for the CLI and tests.
std::vector<PriceRow> ParsePriceBatch(const boost::json::value& body, std::string_view list = "prices");
std::vector<FxRow> ParseFxBatch(const boost::json::value& body);

}  // namespace nn::market
