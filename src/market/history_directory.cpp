#include "market/history_directory.hpp"

#include "infra/db/query.hpp"
#include "infra/db/result.hpp"

namespace nn::market {
namespace asio = boost::asio;

namespace {

constexpr db::Query kHistoryCloses{
    "SELECT symbol, trading_date, close FROM market_data.ohlcv_1d "
    "WHERE symbol = ANY($1::text[]) AND trading_date BETWEEN $2 AND $3 ORDER BY symbol, trading_date",
    "market.directory.closes"};

constexpr db::Query kHistoryLastCloses{
    "SELECT DISTINCT ON (symbol) symbol, trading_date, close FROM market_data.ohlcv_1d "
    "WHERE symbol = ANY($1::text[]) AND trading_date <= $2 ORDER BY symbol, trading_date DESC",
    "market.directory.last_closes"};

// The last rate of each UTC day for pairs in either direction.
constexpr db::Query kHistoryDailyRates{
    "SELECT DISTINCT ON (base, quote, (time AT TIME ZONE 'UTC')::date) base::text, quote::text, "
    "(time AT TIME ZONE 'UTC')::date, rate FROM market_data.exchange_rates "
    "WHERE ((base = ANY($1::text[]) AND quote = $2) OR (base = $2 AND quote = ANY($1::text[]))) "
    "AND time >= $3::date AND time < $4::date + 1 "
    "ORDER BY base, quote, (time AT TIME ZONE 'UTC')::date, time DESC",
    "market.directory.daily_rates"};

constexpr db::Query kHistoryLatestPriceDates{
    "SELECT symbol, (time AT TIME ZONE 'UTC')::date FROM market_data.latest_prices WHERE symbol = "
    "ANY($1::text[])",
    "market.directory.latest_price_dates"};

std::vector<DailyClose> ClosesOf(const db::Result& rows) {
    std::vector<DailyClose> out;
    for (db::Row row : rows) out.push_back({row.Get<std::string>(0), row.Get<Date>(1), row.Get<Decimal>(2)});
    return out;
}

class PgHistoryDirectory final : public HistoryDirectory {
public:
    PgHistoryDirectory(App& app, ReadFrom from) : runners_(RunnersFor(app, from)) {}

    asio::awaitable<std::vector<DailyClose>> Closes(std::vector<std::string> symbols,
                                                    Date from,
                                                    Date to,
                                                    std::size_t shard) override {
        if (symbols.empty()) co_return std::vector<DailyClose>();
        const db::Result rows =
            co_await runners_.at(shard)->Execute(kHistoryCloses, db::TextArray(symbols), from, to);
        co_return ClosesOf(rows);
    }

    asio::awaitable<std::vector<DailyClose>> LastCloses(std::vector<std::string> symbols,
                                                        Date on_or_before,
                                                        std::size_t shard) override {
        if (symbols.empty()) co_return std::vector<DailyClose>();
        const db::Result rows =
            co_await runners_.at(shard)->Execute(kHistoryLastCloses, db::TextArray(symbols), on_or_before);
        co_return ClosesOf(rows);
    }

    asio::awaitable<std::vector<DailyRate>> DailyRates(std::vector<std::string> currencies,
                                                       std::string base,
                                                       Date from,
                                                       Date to,
                                                       std::size_t shard) override {
        std::vector<DailyRate> out;
        if (currencies.empty()) co_return out;
        const db::Result rows = co_await runners_.at(shard)->Execute(
            kHistoryDailyRates, db::TextArray(currencies), base, from, to);
        for (db::Row row : rows) {
            out.push_back(
                {row.Get<std::string>(0), row.Get<std::string>(1), row.Get<Date>(2), row.Get<Decimal>(3)});
        }
        co_return out;
    }

    asio::awaitable<std::vector<std::pair<std::string, Date>>> LatestPriceDates(
        std::vector<std::string> symbols, std::size_t shard) override {
        std::vector<std::pair<std::string, Date>> out;
        if (symbols.empty()) co_return out;
        const db::Result rows =
            co_await runners_.at(shard)->Execute(kHistoryLatestPriceDates, db::TextArray(symbols));
        for (db::Row row : rows) out.emplace_back(row.Get<std::string>(0), row.Get<Date>(1));
        co_return out;
    }

private:
    std::vector<db::QueryRunner*> runners_;
};

}  // namespace

std::shared_ptr<HistoryDirectory> MakeHistoryDirectory(App& app, ReadFrom from) {
    return std::make_shared<PgHistoryDirectory>(app, from);
}

}  // namespace nn::market
