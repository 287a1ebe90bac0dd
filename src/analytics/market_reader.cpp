#include "analytics/market_reader.hpp"

#include "market/history_directory.hpp"
#include "market/instrument_directory.hpp"
#include "market/rate_directory.hpp"

namespace nn::analytics {

MarketReads MakeMarketReads(App& app) {
    MarketReads out;
    out.rates = market::MakeRateDirectory(app, market::ReadFrom::kReplica);
    out.instruments = market::MakeInstrumentDirectory(app, market::ReadFrom::kReplica);
    out.history = market::MakeHistoryDirectory(app, market::ReadFrom::kReplica);
    return out;
}

boost::asio::awaitable<std::map<std::string, std::vector<DatedValue>>> LoadCloses(
    const MarketReads& market,
    const std::vector<std::string>& symbols,
    Date from,
    Date to,
    std::size_t shard) {
    std::map<std::string, std::vector<DatedValue>> out;
    if (symbols.empty()) {
        co_return out;
    }
    const std::vector<market::DailyClose> rows = co_await market.history->Closes(symbols, from, to, shard);
    for (const market::DailyClose& row : rows) {
        out[row.symbol].push_back({row.date, row.close});
    }
    co_return out;
}

boost::asio::awaitable<std::map<std::string, std::vector<DatedValue>>> LoadRates(
    const MarketReads& market,
    const std::vector<std::string>& currencies,
    const std::string& base,
    Date from,
    Date to,
    std::size_t shard) {
    std::map<std::string, std::vector<DatedValue>> direct;
    std::map<std::string, std::vector<DatedValue>> inverted;
    if (currencies.empty()) {
        co_return direct;
    }
    const std::vector<market::DailyRate> rows =
        co_await market.history->DailyRates(currencies, base, from, to, shard);
    for (const market::DailyRate& row : rows) {
        if (row.quote == base) {
            direct[row.base].push_back({row.date, row.rate});
        } else {
            inverted[row.quote].push_back({row.date, Decimal::Div(Decimal::FromInt(1), row.rate, 12)});
        }
    }
    // Prefer the stored direction; fill from the inverse only where a currency has none.
    for (auto& [currency, series] : inverted) {
        if (!direct.contains(currency)) {
            direct[currency] = std::move(series);
        }
    }
    co_return direct;
}

boost::asio::awaitable<std::map<std::string, std::string>> LoadInstrumentCurrencies(
    const MarketReads& market, const std::vector<std::string>& symbols, std::size_t shard) {
    std::map<std::string, std::string> out;
    if (symbols.empty()) {
        co_return out;
    }
    const std::vector<market::InstrumentFacts> rows =
        co_await market.instruments->Instruments(symbols, shard);
    for (const market::InstrumentFacts& row : rows) {
        out[row.symbol] = row.currency;
    }
    co_return out;
}

boost::asio::awaitable<std::map<std::string, DatedValue>> LoadLastCloses(
    const MarketReads& market,
    const std::vector<std::string>& symbols,
    Date on_or_before,
    std::size_t shard) {
    std::map<std::string, DatedValue> out;
    if (symbols.empty()) {
        co_return out;
    }
    const std::vector<market::DailyClose> rows =
        co_await market.history->LastCloses(symbols, on_or_before, shard);
    for (const market::DailyClose& row : rows) {
        out[row.symbol] = {row.date, row.close};
    }
    co_return out;
}

boost::asio::awaitable<std::map<std::string, Date>> LoadLatestPriceDates(
    const MarketReads& market, const std::vector<std::string>& symbols, std::size_t shard) {
    std::map<std::string, Date> out;
    if (symbols.empty()) {
        co_return out;
    }
    const std::vector<std::pair<std::string, Date>> rows =
        co_await market.history->LatestPriceDates(symbols, shard);
    for (const auto& [symbol, date] : rows) {
        out[symbol] = date;
    }
    co_return out;
}

boost::asio::awaitable<std::map<std::string, Decimal>> LoadLatestRatesTo(
    const MarketReads& market,
    const std::vector<std::string>& currencies,
    const std::string& base,
    std::size_t shard) {
    std::map<std::string, Decimal> out;
    if (currencies.empty()) {
        co_return out;
    }
    // The stored direction comes first and is kept (RateDirectory::LatestRates).
    const std::vector<std::pair<std::string, Decimal>> rows =
        co_await market.rates->LatestRates(currencies, base, shard);
    for (const auto& [currency, rate] : rows) {
        out[currency] = rate;
    }
    co_return out;
}

}  // namespace nn::analytics
