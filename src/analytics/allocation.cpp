#include "analytics/allocation.hpp"

#include <algorithm>
#include <map>

namespace nn::analytics {
namespace {

// As portfolio::ProposeRebalance rounds weights (numeric(9, 6) like the rules' targets).
constexpr int kWeightScale = 6;

// Positions and cash as the rebalancing logic sees them, one unit at its value, so its group
// sums are exact and its weights are the ones the groups show.
std::vector<portfolio::RebalancePosition> AsRebalancePositions(
    const std::vector<AllocationPosition>& positions, const std::vector<CashValue>& cash) {
    std::vector<portfolio::RebalancePosition> out;
    for (const AllocationPosition& p : positions) {
        portfolio::RebalancePosition r;
        r.symbol = p.symbol;
        r.quantity = Decimal::FromInt(1);
        r.price = p.value;
        r.currency = p.currency;
        r.asset_class = p.asset_class;
        r.sector = p.sector;
        r.country = p.country;
        out.push_back(std::move(r));
    }
    const std::string cash_key(kCashKey);
    for (const CashValue& c : cash) {
        portfolio::RebalancePosition r;
        r.symbol = cash_key;
        r.quantity = Decimal::FromInt(1);
        r.price = c.value;
        r.currency = c.currency;
        r.asset_class = cash_key;
        r.sector = cash_key;
        r.country = cash_key;
        out.push_back(std::move(r));
    }
    return out;
}

std::optional<std::string> KeyOf(const portfolio::RebalancePosition& p, const std::string& dimension) {
    if (dimension == "symbol") return p.symbol;
    if (dimension == "asset_class") return p.asset_class;
    if (dimension == "sector") return p.sector;
    if (dimension == "country") return p.country;
    return p.currency;
}

}  // namespace

Allocation ComputeAllocation(const std::vector<AllocationPosition>& positions,
                             const std::vector<CashValue>& cash,
                             const std::vector<portfolio::AllocationRule>& rules,
                             const std::vector<std::string>& dimensions) {
    portfolio::RebalanceInput in;
    in.positions = AsRebalancePositions(positions, cash);
    in.rules = rules;
    Allocation out;
    for (const auto& p : in.positions) {
        out.total += p.price;
    }
    const bool weighable = out.total.IsPositive();
    for (const std::string& dimension : dimensions) {
        std::map<std::optional<std::string>, Decimal> sums;
        for (const auto& p : in.positions) {
            sums[KeyOf(p, dimension)] += p.price;
        }
        std::vector<AllocationGroup> groups;
        for (const auto& [key, value] : sums) {
            AllocationGroup g;
            g.key = key;
            g.value = value.Normalized();
            if (weighable) g.weight = Decimal::Div(value, out.total, kWeightScale);
            groups.push_back(std::move(g));
        }
        std::stable_sort(
            groups.begin(), groups.end(),
            [](const AllocationGroup& a, const AllocationGroup& b) { return a.value > b.value; });
        out.groupings.emplace_back(dimension, std::move(groups));
    }
    for (const portfolio::RuleOutcome& o : portfolio::MeasureRules(in)) {
        RuleDrift d;
        d.rule = o.rule;
        if (weighable) {
            d.weight = o.weight_before;
            d.drift = o.weight_before - o.rule.target_weight;
            d.breached = !o.within_before;
        }
        out.rules.push_back(std::move(d));
    }
    out.total = out.total.Normalized();
    return out;
}

}  // namespace nn::analytics
