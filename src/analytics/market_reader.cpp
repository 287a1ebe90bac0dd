#include "analytics/market_reader.hpp"

#include "infra/db/query.hpp"
#include "infra/db/result.hpp"

namespace nn::analytics {
namespace {

inline constexpr db::Query kSelectCloses{
    "SELECT symbol, trading_date, close FROM market_data.ohlcv_1d "
    "WHERE symbol = ANY($1::text[]) AND trading_date BETWEEN $2 AND $3 ORDER BY symbol, trading_date",
    "analytics.select_closes"};

// The last rate of each UTC day for pairs in either direction.
inline constexpr db::Query kSelectRates{
    "SELECT DISTINCT ON (base, quote, (time AT TIME ZONE 'UTC')::date) base::text, quote::text, "
    "(time AT TIME ZONE 'UTC')::date, rate FROM market_data.exchange_rates "
    "WHERE ((base = ANY($1::text[]) AND quote = $2) OR (base = $2 AND quote = ANY($1::text[]))) "
    "AND time >= $3::date AND time < $4::date + 1 "
    "ORDER BY base, quote, (time AT TIME ZONE 'UTC')::date, time DESC",
    "analytics.select_rates"};

inline constexpr db::Query kSelectInstrumentCurrencies{
    "SELECT symbol, currency::text FROM market_data.instruments WHERE symbol = ANY($1::text[])",
    "analytics.select_instrument_currencies"};

inline constexpr db::Query kSelectLastCloses{
    "SELECT DISTINCT ON (symbol) symbol, trading_date, close FROM market_data.ohlcv_1d "
    "WHERE symbol = ANY($1::text[]) AND trading_date <= $2 ORDER BY symbol, trading_date DESC",
    "analytics.select_last_closes"};

inline constexpr db::Query kSelectLatestPriceDates{
    "SELECT symbol, (time AT TIME ZONE 'UTC')::date FROM market_data.latest_prices WHERE symbol = "
    "ANY($1::text[])",
    "analytics.select_latest_price_dates"};

// Units of $2 per unit of each currency: the stored pair, or the inverse of the opposite pair,
// the stored direction last so it wins.
inline constexpr db::Query kSelectLatestRates{
    "SELECT base::text, rate, 0 AS pref FROM market_data.latest_exchange_rates "
    "WHERE base = ANY ($1::text[]) AND quote = $2 "
    "UNION ALL SELECT quote::text, round(1 / rate, 12), 1 FROM market_data.latest_exchange_rates "
    "WHERE quote = ANY ($1::text[]) AND base = $2 ORDER BY 3 DESC",
    "analytics.latest_rates"};

}  // namespace

boost::asio::awaitable<std::map<std::string, std::vector<DatedValue>>> LoadCloses(
    db::QueryRunner& pool, const std::vector<std::string>& symbols, Date from, Date to) {
    std::map<std::string, std::vector<DatedValue>> out;
    if (symbols.empty()) {
        co_return out;
    }
    const db::TextArray symbol_array(symbols);
    const db::Result rows = co_await pool.Execute(kSelectCloses, symbol_array, from, to);
    for (db::Row row : rows) {
        out[row.Get<std::string>(0)].push_back({row.Get<Date>(1), row.Get<Decimal>(2)});
    }
    co_return out;
}

boost::asio::awaitable<std::map<std::string, std::vector<DatedValue>>> LoadRates(
    db::QueryRunner& pool,
    const std::vector<std::string>& currencies,
    const std::string& base,
    Date from,
    Date to) {
    std::map<std::string, std::vector<DatedValue>> direct;
    std::map<std::string, std::vector<DatedValue>> inverted;
    if (currencies.empty()) {
        co_return direct;
    }
    const db::TextArray currency_array(currencies);
    const db::Result rows = co_await pool.Execute(kSelectRates, currency_array, base, from, to);
    for (db::Row row : rows) {
        const std::string from_currency = row.Get<std::string>(0);
        const std::string to_currency = row.Get<std::string>(1);
        const Date day = row.Get<Date>(2);
        const Decimal rate = row.Get<Decimal>(3);
        if (to_currency == base) {
            direct[from_currency].push_back({day, rate});
        } else {
            inverted[to_currency].push_back({day, Decimal::Div(Decimal::FromInt(1), rate, 12)});
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
    db::QueryRunner& pool, const std::vector<std::string>& symbols) {
    std::map<std::string, std::string> out;
    if (symbols.empty()) {
        co_return out;
    }
    const db::TextArray symbol_array(symbols);
    const db::Result rows = co_await pool.Execute(kSelectInstrumentCurrencies, symbol_array);
    for (db::Row row : rows) {
        out[row.Get<std::string>(0)] = row.Get<std::string>(1);
    }
    co_return out;
}

boost::asio::awaitable<std::map<std::string, DatedValue>> LoadLastCloses(
    db::QueryRunner& pool, const std::vector<std::string>& symbols, Date on_or_before) {
    std::map<std::string, DatedValue> out;
    if (symbols.empty()) {
        co_return out;
    }
    const db::TextArray symbol_array(symbols);
    const db::Result rows = co_await pool.Execute(kSelectLastCloses, symbol_array, on_or_before);
    for (db::Row row : rows) {
        out[row.Get<std::string>(0)] = {row.Get<Date>(1), row.Get<Decimal>(2)};
    }
    co_return out;
}

boost::asio::awaitable<std::map<std::string, Date>> LoadLatestPriceDates(
    db::QueryRunner& pool, const std::vector<std::string>& symbols) {
    std::map<std::string, Date> out;
    if (symbols.empty()) {
        co_return out;
    }
    const db::TextArray symbol_array(symbols);
    const db::Result rows = co_await pool.Execute(kSelectLatestPriceDates, symbol_array);
    for (db::Row row : rows) {
        out[row.Get<std::string>(0)] = row.Get<Date>(1);
    }
    co_return out;
}

boost::asio::awaitable<std::map<std::string, Decimal>> LoadLatestRatesTo(
    db::QueryRunner& pool, const std::vector<std::string>& currencies, const std::string& base) {
    std::map<std::string, Decimal> out;
    if (currencies.empty()) {
        co_return out;
    }
    const db::TextArray currency_array(currencies);
    const db::Result rows = co_await pool.Execute(kSelectLatestRates, currency_array, base);
    // Ordered inverse first, so the stored direction overwrites it.
    for (db::Row row : rows) {
        out[row.Get<std::string>(0)] = row.Get<Decimal>(1);
    }
    co_return out;
}

}  // namespace nn::analytics
