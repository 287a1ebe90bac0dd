#include "analytics/allocation_service.hpp"

#include <boost/json/array.hpp>

#include "analytics/allocation.hpp"
#include "analytics/market_reader.hpp"
#include "core/money.hpp"
#include "infra/app/app.hpp"
#include "infra/db/query.hpp"
#include "infra/db/result.hpp"

namespace nn::analytics {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

json::value OptDecimal(const std::optional<Decimal>& d) {
    if (!d) return nullptr;
    return json::value(d->Normalized().ToString());
}

json::array Strings(const std::vector<std::string>& items) {
    json::array out;
    for (const auto& s : items) out.push_back(json::value(s));
    return out;
}

}  // namespace

asio::awaitable<json::object> AllocationService::Allocation(const Actor& actor,
                                                            PortfolioId id,
                                                            std::vector<std::string> dimensions,
                                                            std::size_t shard) {
    portfolio::AllocationInputs inputs = co_await rules_->Inputs(actor, id, shard);
    const std::string& base = inputs.view.currency;

    std::vector<std::string> foreign;
    for (const auto& [currency, balance] : inputs.cash) {
        if (currency != base && !balance.IsZero()) foreign.push_back(currency);
    }
    const std::map<std::string, Decimal> rates = co_await LoadLatestRatesTo(market_, foreign, base, shard);
    std::vector<CashValue> cash;
    std::vector<std::string> unvalued_cash;
    for (const auto& [currency, balance] : inputs.cash) {
        if (balance.IsZero()) continue;
        if (currency == base) {
            cash.push_back({currency, balance});
        } else if (auto rate = rates.find(currency); rate != rates.end()) {
            cash.push_back({currency, Decimal::Mul(balance, rate->second, kMoneyScale).Normalized()});
        } else {
            unvalued_cash.push_back(currency);
        }
    }
    std::vector<AllocationPosition> positions;
    for (std::size_t i = 0; i < inputs.input.positions.size(); ++i) {
        const portfolio::RebalancePosition& p = inputs.input.positions[i];
        if (p.quantity.IsZero()) continue;  // closed positions are kept for their history only
        positions.push_back(
            {p.symbol, inputs.values[i], p.currency.value_or(""), p.asset_class, p.sector, p.country});
    }
    const analytics::Allocation a = ComputeAllocation(positions, cash, inputs.input.rules, dimensions);

    json::object out;
    out["portfolio_id"] = id.ToString();
    out["currency"] = base;
    out["total_value"] = a.total.ToString();
    json::object groupings;
    for (const auto& [dimension, groups] : a.groupings) {
        json::array items;
        for (const AllocationGroup& g : groups) {
            json::object o;
            o["key"] = g.key ? json::value(*g.key) : json::value(nullptr);
            o["value"] = g.value.ToString();
            o["weight"] = OptDecimal(g.weight);
            items.push_back(std::move(o));
        }
        groupings[dimension] = std::move(items);
    }
    out["groupings"] = std::move(groupings);
    json::array rules;
    for (std::size_t i = 0; i < a.rules.size(); ++i) {
        const RuleDrift& d = a.rules[i];
        json::object o;
        o["id"] = inputs.view.rule_ids[i].ToString();
        o["dimension"] = d.rule.dimension;
        o["key"] = d.rule.key;
        o["target_weight"] = d.rule.target_weight.Normalized().ToString();
        o["tolerance"] = d.rule.tolerance.Normalized().ToString();
        o["weight"] = OptDecimal(d.weight);
        o["drift"] = OptDecimal(d.drift);
        o["breached"] = d.breached;
        rules.push_back(std::move(o));
    }
    out["rules"] = std::move(rules);
    json::array unvalued;
    for (const auto& s : inputs.missing_price)
        unvalued.push_back(json::object{{"symbol", s}, {"reason", "missing_price"}});
    for (const auto& s : inputs.missing_rate)
        unvalued.push_back(json::object{{"symbol", s}, {"reason", "missing_rate"}});
    out["unvalued"] = std::move(unvalued);
    out["unvalued_cash"] = Strings(unvalued_cash);
    out["unknown_instruments"] = Strings(inputs.view.unknown_instruments);
    out["instruments_status"] = inputs.view.instruments_status;
    out["complete"] = inputs.missing_price.empty() && inputs.missing_rate.empty() && unvalued_cash.empty();
    co_return out;
}

}  // namespace nn::analytics
