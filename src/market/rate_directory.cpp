#include "market/rate_directory.hpp"

#include <set>

#include "infra/db/query.hpp"
#include "infra/db/result.hpp"

namespace nn::market {
namespace asio = boost::asio;

namespace {

// The stored direction first (ordered so): of a currency listed twice the first row wins.
constexpr db::Query kLatestRatesInto{
    "SELECT base::text, rate, 0 AS pref FROM market_data.latest_exchange_rates WHERE base = ANY ($1::text[]) "
    "AND quote = $2 UNION ALL SELECT quote::text, round(1 / rate, 12), 1 FROM "
    "market_data.latest_exchange_rates "
    "WHERE quote = ANY ($1::text[]) AND base = $2 ORDER BY 3",
    "market.directory.latest_rates"};

constexpr db::Query kAllLatestRates{
    "SELECT base::text, quote::text, rate::text FROM market_data.latest_exchange_rates",
    "market.directory.all_latest_rates"};

// Each (currency, time): the direct rate, else the inverse, each the latest at or before the time.
constexpr db::Query kRatesAt{
    "SELECT t.i, coalesce((SELECT rate FROM market_data.exchange_rates WHERE base = t.cur AND quote = $3 AND "
    "time <= t.ts ORDER BY time DESC LIMIT 1), (SELECT round(1 / rate, 12) FROM market_data.exchange_rates "
    "WHERE base = $3 AND quote = t.cur AND time <= t.ts ORDER BY time DESC LIMIT 1)) "
    "FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS t(cur, ts, i)",
    "market.directory.rates_at"};

class PgRateDirectory final : public RateDirectory {
public:
    PgRateDirectory(App& app, ReadFrom from) : runners_(RunnersFor(app, from)) {}

    asio::awaitable<std::vector<std::pair<std::string, Decimal>>> LatestRates(
        std::vector<std::string> currencies, std::string base, std::size_t shard) override {
        std::vector<std::pair<std::string, Decimal>> out;
        if (currencies.empty()) co_return out;
        const db::Result res =
            co_await runners_.at(shard)->Execute(kLatestRatesInto, db::TextArray(currencies), base);
        std::set<std::string> seen;
        for (db::Row row : res) {
            auto currency = row.Get<std::string>(0);
            if (!seen.insert(currency).second) continue;
            out.emplace_back(std::move(currency), row.Get<Decimal>(1));
        }
        co_return out;
    }

    asio::awaitable<std::vector<StoredRate>> AllLatestRates(std::size_t shard) override {
        const db::Result res = co_await runners_.at(shard)->Execute(kAllLatestRates);
        std::vector<StoredRate> out;
        for (db::Row row : res)
            out.push_back({row.Get<std::string>(0), row.Get<std::string>(1), row.Get<std::string>(2)});
        co_return out;
    }

    asio::awaitable<std::vector<std::optional<Decimal>>> RatesAt(std::vector<RateAt> wanted,
                                                                 std::string base,
                                                                 std::size_t shard) override {
        std::vector<std::optional<Decimal>> out(wanted.size());
        if (wanted.empty()) co_return out;
        std::vector<std::optional<std::string>> currencies, times;
        for (const auto& w : wanted) {
            currencies.push_back(w.currency);
            times.push_back(FormatRfc3339(w.time));
        }
        const db::Result res = co_await runners_.at(shard)->Execute(kRatesAt, db::TextArray(currencies),
                                                                    db::TextArray(times), base);
        for (db::Row row : res) {
            const auto i = static_cast<std::size_t>(row.Get<std::int64_t>(0)) - 1;
            if (i < out.size()) out[i] = row.Get<std::optional<Decimal>>(1);
        }
        co_return out;
    }

private:
    std::vector<db::QueryRunner*> runners_;
};

}  // namespace

std::shared_ptr<RateDirectory> MakeRateDirectory(App& app, ReadFrom from) {
    return std::make_shared<PgRateDirectory>(app, from);
}

}  // namespace nn::market
