#pragma once

#include <map>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "analytics/history.hpp"
#include "core/time.hpp"
#include "infra/db/pool.hpp"

// Daily closes and exchange rates from the timescale database (market_data.ohlcv_1d and
// market_data.exchange_rates), read with the analytics role, which may SELECT market_data.
namespace nn::analytics {

// Closes per symbol for trading dates in [from, to], ascending.
boost::asio::awaitable<std::map<std::string, std::vector<DatedValue>>> LoadCloses(
    db::QueryRunner& pool, const std::vector<std::string>& symbols, Date from, Date to);

// The last rate of each UTC day in [from, to] for each currency, as units of `base` per unit of
// the currency: stored pairs currency->base as they are, base->currency inverted (12 places).
boost::asio::awaitable<std::map<std::string, std::vector<DatedValue>>> LoadRates(
    db::QueryRunner& pool,
    const std::vector<std::string>& currencies,
    const std::string& base,
    Date from,
    Date to);

// The currency each listed symbol is quoted in (market_data.instruments.currency); symbols
// without an instruments row are absent.
boost::asio::awaitable<std::map<std::string, std::string>> LoadInstrumentCurrencies(
    db::QueryRunner& pool, const std::vector<std::string>& symbols);

// The last close of each symbol on or before `on_or_before` (any age).
boost::asio::awaitable<std::map<std::string, DatedValue>> LoadLastCloses(
    db::QueryRunner& pool, const std::vector<std::string>& symbols, Date on_or_before);

// The UTC date of each symbol's latest price (market_data.latest_prices.time).
boost::asio::awaitable<std::map<std::string, Date>> LoadLatestPriceDates(
    db::QueryRunner& pool, const std::vector<std::string>& symbols);

// The latest rate of each currency in units of `base` (market_data.latest_exchange_rates): the
// stored pair, else the inverse of the opposite pair rounded to 12 places (as the portfolio
// service converts). Currencies without either are absent.
boost::asio::awaitable<std::map<std::string, Decimal>> LoadLatestRatesTo(
    db::QueryRunner& pool, const std::vector<std::string>& currencies, const std::string& base);

}  // namespace nn::analytics
