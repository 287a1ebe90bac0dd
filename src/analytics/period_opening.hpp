#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "analytics/market_reader.hpp"
#include "analytics/read_checkpoint.hpp"
#include "portfolio/service.hpp"

namespace nn {
class App;
}

// How performance and statements open a period (docs/analytics.md §17, issue 16): from the
// latest stored read checkpoint before it, plus the transactions since, never from every
// transaction; the checkpoints passed on the way are stored for the next reads.
namespace nn::analytics {

struct PeriodOpening {
    ReadCheckpoint checkpoint;                  // at LatestOpening(first)
    std::vector<portfolio::Transaction> after;  // dated after it up to `last`, replay order
    std::set<std::string> symbols;              // of every transaction up to `last`
    std::set<std::string> currencies;           // foreign ones, of those and of their instruments
    std::map<std::string, std::string> listed;  // market_data.instruments' currencies
    std::map<std::string, std::string> instrument_currency;  // InstrumentCurrencies of them
};

// `version`: the ledger's (portfolio::LedgerHead), read before this call.
boost::asio::awaitable<PeriodOpening> OpenPeriod(App& app,
                                                 const MarketReads& market,
                                                 portfolio::Service& portfolios,
                                                 const Actor& actor,
                                                 const portfolio::Portfolio& p,
                                                 std::int64_t version,
                                                 Date first,
                                                 Date last,
                                                 std::size_t page_size,
                                                 std::size_t shard);

}  // namespace nn::analytics
