#include "portfolio/value_feed.hpp"

#include <map>

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

asio::awaitable<std::string> ValueFeed::Publish(std::vector<ChangedPortfolio> changed, std::size_t shard) {
    std::map<UserId, bool> watched;  // each owner once: is a live stream open for them?
    for (const ChangedPortfolio& c : changed) watched.emplace(c.owner, false);
    std::vector<UserId> owners;
    for (const auto& entry : watched) owners.push_back(entry.first);
    const std::vector<bool> open = co_await presence_.Watched(app_.Redis(shard), owners);
    for (std::size_t i = 0; i < owners.size(); ++i) watched[owners[i]] = open.at(i);
    std::vector<PortfolioId> portfolios;
    for (const ChangedPortfolio& c : changed)
        if (watched.at(c.owner)) portfolios.push_back(c.id);
    if (portfolios.empty()) co_return std::string();
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    auto tx = co_await pool.Begin(db::TransactionOptions().ActingAs(Actor::System()).ReadOnly());
    const std::vector<FeedValue> rows = co_await repo_->FeedValues(tx, portfolios);
    co_await tx.Commit();
    const std::string now = FormatRfc3339(Now());
    json::array values;
    std::map<std::string, std::vector<std::string>> wanted;
    for (const FeedValue& row : rows) {
        auto& currencies = wanted[row.currency];
        for (const auto& [currency, balance] : ParseBalances(row.cash.value_or("")))
            currencies.push_back(currency);
    }
    const RatesByBase rates = co_await LatestRatesByBase(*rates_, wanted, shard);
    for (const FeedValue& row : rows) {
        const auto base = Currency::FromCode(row.currency);
        std::optional<Decimal> holdings;
        if (!row.missing_price && !row.missing_rate) holdings = Decimal::Parse(row.holdings_value);
        const auto cash = ParseBalances(row.cash.value_or(""));
        json::object o{{"portfolio_id", row.portfolio.ToString()},
                       {"user_id", row.user.ToString()},
                       {"name", row.name},
                       {"currency", std::string(base.Code())},
                       {"time", now}};
        PutTotals(o, TotalsOf(holdings, row.missing_price ? "missing_price" : "missing_rate", cash,
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
