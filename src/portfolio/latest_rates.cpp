// LatestRates (value_totals.hpp) reads the market database; it lives apart from the pure value
// arithmetic so that value_totals.cpp links without the App (the fuzz targets use it).
#include <set>

#include <spdlog/spdlog.h>

#include "infra/app/app.hpp"
#include "infra/db/pool.hpp"
#include "portfolio/pg_repository.hpp"
#include "portfolio/value_totals.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;

namespace {

constexpr db::Query kLatestRates{
    "SELECT base, rate FROM market_data.latest_exchange_rates WHERE base = ANY ($1::text[]) AND quote = $2 "
    "UNION ALL SELECT quote, round(1 / rate, 12) FROM market_data.latest_exchange_rates WHERE quote = ANY "
    "($1::text[]) AND base = $2",
    "portfolio.current_rates"};

}  // namespace

asio::awaitable<RateList> LatestRates(App& app,
                                      const std::vector<std::string>& currencies,
                                      Currency base,
                                      std::size_t shard) {
    RateList out;
    std::vector<std::optional<std::string>> foreign;
    std::set<std::string> wanted;
    for (const auto& c : currencies) {
        if (c != base.Code() && wanted.insert(c).second) foreign.push_back(c);
    }
    if (foreign.empty()) co_return out;
    try {
        auto& ts = app.Db(ServiceRole::kPortfolio, Database::kTimescale, shard);
        auto res = co_await ts.Execute(kLatestRates, db::TextArray(foreign), std::string(base.Code()));
        std::set<std::string> seen;
        for (auto row : res) {
            auto currency = row.Get<std::string>(0);
            if (!seen.insert(currency).second) continue;
            out.emplace_back(currency,
                             Decimal::Div(row.Get<Decimal>(1), Decimal::FromInt(1), 12).Normalized());
        }
    } catch (const db::DbError& e) {
        spdlog::warn("portfolio: current rates unavailable: {}", e.what());
    }
    co_return out;
}

asio::awaitable<RatesByBase> LatestRatesByBase(App& app,
                                               const std::map<std::string, std::vector<std::string>>& wanted,
                                               std::size_t shard) {
    RatesByBase out;
    for (const auto& [base, currencies] : wanted)
        out[base] = co_await LatestRates(app, currencies, Currency::FromCode(base), shard);
    co_return out;
}

}  // namespace nn::portfolio
