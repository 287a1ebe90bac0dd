// LatestRates (value_totals.hpp) reads the market's rates; it lives apart from the pure value
// arithmetic so that value_totals.cpp links without the market domain (the fuzz targets use it).
#include <set>

#include <spdlog/spdlog.h>

#include "infra/db/errors.hpp"
#include "market/rate_directory.hpp"
#include "portfolio/value_totals.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;

asio::awaitable<RateList> LatestRates(market::RateDirectory& rates,
                                      const std::vector<std::string>& currencies,
                                      Currency base,
                                      std::size_t shard) {
    RateList out;
    std::vector<std::string> foreign;
    std::set<std::string> wanted;
    for (const auto& c : currencies) {
        if (c != base.Code() && wanted.insert(c).second) foreign.push_back(c);
    }
    if (foreign.empty()) co_return out;
    try {
        const auto latest = co_await rates.LatestRates(foreign, std::string(base.Code()), shard);
        for (const auto& [currency, rate] : latest)
            out.emplace_back(currency, Decimal::Div(rate, Decimal::FromInt(1), 12).Normalized());
    } catch (const db::DbError& e) {
        spdlog::warn("portfolio: current rates unavailable: {}", e.what());
    }
    co_return out;
}

asio::awaitable<RatesByBase> LatestRatesByBase(market::RateDirectory& rates,
                                               const std::map<std::string, std::vector<std::string>>& wanted,
                                               std::size_t shard) {
    RatesByBase out;
    for (const auto& [base, currencies] : wanted)
        out[base] = co_await LatestRates(rates, currencies, Currency::FromCode(base), shard);
    co_return out;
}

}  // namespace nn::portfolio
