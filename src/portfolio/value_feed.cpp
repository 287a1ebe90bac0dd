#include "portfolio/value_feed.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "infra/app/app.hpp"
#include "infra/db/transaction.hpp"
#include "infra/redis/client.hpp"
#include "market/rate_directory.hpp"
#include "portfolio/repository.hpp"
#include "portfolio/value_totals.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr db::Query kValues{
    "SELECT p.id, p.user_id, p.name, p.currency, "
    "trim_scale(coalesce(sum(h.market_value * CASE WHEN h.currency = p.currency THEN 1 ELSE h.fx_rate END) "
    "FILTER (WHERE h.quantity <> 0), 0))::text, "
    "(SELECT string_agg(c.currency || ':' || c.balance::text, ',' ORDER BY c.currency) "
    " FROM portfolio.cash_balances c WHERE c.portfolio_id = p.id AND c.balance <> 0), "
    "coalesce(bool_or(h.quantity <> 0 AND h.current_price IS NULL), false), "
    "coalesce(bool_or(h.quantity <> 0 AND h.currency <> p.currency AND h.fx_rate IS NULL), false) "
    "FROM portfolio.portfolios p LEFT JOIN portfolio.holdings h ON h.portfolio_id = p.id "
    "WHERE p.id = ANY ($1::uuid[]) AND p.is_active GROUP BY p.id",
    "portfolio.value_feed.values"};

}  // namespace

asio::awaitable<std::string> ValueFeed::Publish(std::vector<PortfolioId> portfolios, std::size_t shard) {
    if (portfolios.empty()) co_return std::string();
    std::vector<std::optional<std::string>> ids;
    for (const auto& p : portfolios) ids.push_back(p.ToString());
    const db::TextArray id_list(ids);
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    auto tx = co_await pool.Begin(db::TransactionOptions().ActingAs(Actor::System()).ReadOnly());
    auto rows = co_await tx.Execute(kValues, id_list);
    co_await tx.Commit();
    const std::string now = FormatRfc3339(Now());
    json::array values;
    std::map<std::string, std::vector<std::string>> wanted;
    for (auto row : rows) {
        auto& currencies = wanted[row.Get<std::string>(3)];
        for (const auto& [currency, balance] :
             ParseBalances(row.Get<std::optional<std::string>>(5).value_or("")))
            currencies.push_back(currency);
    }
    const RatesByBase rates = co_await LatestRatesByBase(*rates_, wanted, shard);
    for (auto row : rows) {
        const bool missing_price = row.Get<bool>(6);
        const bool missing_rate = row.Get<bool>(7);
        const auto base = Currency::FromCode(row.Get<std::string>(3));
        std::optional<Decimal> holdings;
        if (!missing_price && !missing_rate) holdings = Decimal::Parse(row.Get<std::string>(4));
        const auto cash = ParseBalances(row.Get<std::optional<std::string>>(5).value_or(""));
        json::object o{{"portfolio_id", row.Get<Uuid>(0).ToString()},
                       {"user_id", row.Get<Uuid>(1).ToString()},
                       {"name", row.Get<std::string>(2)},
                       {"currency", std::string(base.Code())},
                       {"time", now}};
        PutTotals(o, TotalsOf(holdings, missing_price ? "missing_price" : "missing_rate", cash,
                              rates.at(std::string(base.Code())), base));
        values.push_back(std::move(o));
    }
    if (values.empty()) co_return std::string();
    redis::XAddOptions xadd;
    xadd.max_len = options_.max_len;
    redis::FieldValues fields{{"values", json::serialize(values)}};
    co_return co_await app_.Redis(shard).XAdd(options_.stream, fields, xadd);
}

}  // namespace nn::portfolio
