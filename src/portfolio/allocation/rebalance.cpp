#include "portfolio/allocation/rebalance.hpp"

#include <algorithm>
#include <map>

#include "core/money.hpp"

namespace nn::portfolio {

namespace {

constexpr int kWeightScale = 6;
constexpr int kFractionalScale = 6;
constexpr int kGapScale = 4;

Decimal Weight(const Decimal& value, const Decimal& total) {
    if (!total.IsPositive()) return Decimal();
    return Decimal::Div(value, total, kWeightScale);
}

bool Within(const Decimal& weight, const AllocationRule& r) {
    return (weight - r.target_weight).Abs() <= r.tolerance;
}

// A position's value at `quantity`: its exact value as held when known (quantity x price x rate
// rounded once), plus or minus the units traded at the per-unit price.
Decimal ValueAt(const RebalancePosition& p, const Decimal& quantity) {
    if (!p.value) return Decimal::Mul(quantity, p.price, kMoneyScale);
    if (quantity == p.quantity) return *p.value;
    return *p.value + Decimal::Mul(quantity - p.quantity, p.price, kMoneyScale);
}

Decimal GroupValue(const std::vector<RebalancePosition>& positions,
                   const std::vector<Decimal>& quantities,
                   const AllocationRule& rule) {
    Decimal sum;
    for (std::size_t i = 0; i < positions.size(); ++i) {
        if (InGroup(positions[i], rule)) sum += ValueAt(positions[i], quantities[i]);
    }
    return sum;
}

}  // namespace

bool InGroup(const RebalancePosition& p, const AllocationRule& rule) {
    const std::optional<std::string>* attr = nullptr;
    if (rule.dimension == "SYMBOL") return p.symbol == rule.key;
    if (rule.dimension == "ASSET_CLASS") attr = &p.asset_class;
    if (rule.dimension == "SECTOR") attr = &p.sector;
    if (rule.dimension == "CURRENCY") attr = &p.currency;
    if (rule.dimension == "COUNTRY") attr = &p.country;
    return attr && *attr && **attr == rule.key;
}

std::vector<RuleOutcome> MeasureRules(const RebalanceInput& in) {
    Decimal total = in.cash + in.other_cash;
    std::vector<Decimal> quantities;
    for (const auto& p : in.positions) {
        quantities.push_back(p.quantity);
        total += ValueAt(p, p.quantity);
    }
    std::vector<RuleOutcome> out;
    for (const auto& rule : in.rules) {
        RuleOutcome o;
        o.rule = rule;
        o.weight_before = Weight(GroupValue(in.positions, quantities, rule), total);
        o.weight_after = o.weight_before;
        o.within_before = Within(o.weight_before, rule);
        o.within_after = o.within_before;
        out.push_back(std::move(o));
    }
    return out;
}

namespace {

// The value each position should reach. Rules that share positions (a symbol rule and its
// sector rule) are solved together: each rule outside its tolerance is an equation "group
// value = target x total"; the equations are satisfied in turn, each sharing its group's gap
// among the members in proportion to their value at the start (equally when the group is
// held at zero), and the rounds repeat until every equation holds to within 10^-8 of the
// total (cyclic projections onto the rules: they converge to a common solution when one
// exists). A rule within its tolerance that the solution pushes outside it joins the
// equations. Rules that cannot all hold (targets adding up to more than the members allow)
// end where the rounds stop and are reported as conflicting_rules.
struct Targets {
    std::vector<Decimal> value;                       // per position, as wanted
    std::vector<std::optional<std::string>> reasons;  // per rule: why it cannot be reached at all
};

Targets SolveTargets(const RebalanceInput& in, const std::vector<Decimal>& value, const Decimal& total) {
    std::vector<Decimal> quantities;
    for (const auto& p : in.positions) quantities.push_back(p.quantity);
    Targets t{value, std::vector<std::optional<std::string>>(in.rules.size())};
    std::vector<std::vector<std::size_t>> members(in.rules.size());
    std::vector<bool> active(in.rules.size(), false);
    for (std::size_t r = 0; r < in.rules.size(); ++r) {
        for (std::size_t i = 0; i < in.positions.size(); ++i) {
            if (InGroup(in.positions[i], in.rules[r]) && in.positions[i].price.IsPositive())
                members[r].push_back(i);
        }
        if (Within(Weight(GroupValue(in.positions, quantities, in.rules[r]), total), in.rules[r])) continue;
        if (members[r].empty()) {
            t.reasons[r] = "no_holding";
            continue;
        }
        active[r] = true;
    }
    auto sum_of = [&](std::size_t r, const std::vector<Decimal>& values) {
        Decimal sum;
        for (std::size_t i : members[r]) sum += values[i];
        return sum;
    };
    const Decimal precision = Decimal::Mul(total.Abs(), Decimal::FromString("0.00000001"), kMoneyScale);
    for (int pass = 0; pass <= static_cast<int>(in.rules.size()); ++pass) {
        for (int round = 0; round < 200; ++round) {
            bool settled = true;
            for (std::size_t r = 0; r < in.rules.size(); ++r) {
                if (!active[r]) continue;
                const Decimal gap =
                    Decimal::Mul(in.rules[r].target_weight, total, kMoneyScale) - sum_of(r, t.value);
                if (gap.Abs() <= precision) continue;
                settled = false;
                const Decimal held = sum_of(r, value);
                for (std::size_t i : members[r]) {
                    const Decimal share =
                        held.IsPositive()
                            ? Decimal::Div(value[i], held, kMoneyScale)
                            : Decimal::Div(Decimal::FromInt(1),
                                           Decimal::FromInt(static_cast<std::int64_t>(members[r].size())),
                                           kMoneyScale);
                    t.value[i] += Decimal::Mul(gap, share, kMoneyScale);
                }
            }
            if (settled) break;
        }
        // A rule that was within its tolerance and would no longer be joins the equations.
        bool joined = false;
        for (std::size_t r = 0; r < in.rules.size(); ++r) {
            if (active[r] || t.reasons[r] || members[r].empty()) continue;
            if (!Within(Weight(sum_of(r, t.value), total), in.rules[r])) {
                active[r] = true;
                joined = true;
            }
        }
        if (!joined) break;
    }
    return t;
}

// A trade before cash is counted: the position and its signed quantity.
struct Candidate {
    std::size_t index;
    Decimal quantity;
};

struct Candidates {
    std::vector<Candidate> sells, buys;
    std::vector<std::string> limits;  // per position: why it trades less than its gap (or not at all)
};

// Each position's gap as a quantity toward zero (whole units unless fractional, never a short),
// trades below the minimum amount dropped.
Candidates ToCandidates(const RebalanceInput& in, const std::vector<Decimal>& gap) {
    Candidates c;
    c.limits.resize(in.positions.size());
    for (std::size_t i = 0; i < in.positions.size(); ++i) {
        if (gap[i].IsZero()) continue;
        const auto& p = in.positions[i];
        Decimal q = Decimal::Div(gap[i], p.price, p.fractional ? kFractionalScale : 0, Rounding::kDown);
        if (q.IsNegative() && -q > p.quantity) q = -p.quantity;  // never propose a short
        if (!p.fractional && Decimal::Mul(q, p.price, kMoneyScale) != gap[i]) c.limits[i] = "whole_units";
        if (q.IsZero()) {
            c.limits[i] = "whole_units";
            continue;
        }
        if (Decimal::Mul(q.Abs(), p.price, kMoneyScale) < in.min_trade_amount) {
            c.limits[i] = "below_min_trade";
            continue;
        }
        (q.IsNegative() ? c.sells : c.buys).push_back({i, q});
    }
    return c;
}

// Sells first (they raise cash), then buys by largest gap while the cash lasts; returns the cash left.
Decimal Trade(const RebalanceInput& in,
              const std::vector<Decimal>& gap,
              Candidates& c,
              std::vector<Decimal>& quantities,
              std::vector<ProposedTrade>& trades) {
    Decimal cash = in.cash;
    for (const auto& s : c.sells) {
        const auto& p = in.positions[s.index];
        Decimal q = -s.quantity;
        Decimal amount = Decimal::Mul(q, p.price, kMoneyScale);
        cash += amount;
        quantities[s.index] -= q;
        trades.push_back({p.symbol, "SELL", q.Normalized(), p.price, amount.Normalized()});
    }
    std::stable_sort(c.buys.begin(), c.buys.end(),
                     [&](const Candidate& a, const Candidate& b) { return gap[a.index] > gap[b.index]; });
    for (const auto& b : c.buys) {
        const auto& p = in.positions[b.index];
        Decimal q = b.quantity;
        Decimal amount = Decimal::Mul(q, p.price, kMoneyScale);
        if (amount > cash) {
            c.limits[b.index] = "insufficient_cash";
            q = cash.IsPositive()
                    ? Decimal::Div(cash, p.price, p.fractional ? kFractionalScale : 0, Rounding::kDown)
                    : Decimal();
            amount = Decimal::Mul(q, p.price, kMoneyScale);
            if (q.IsZero() || amount < in.min_trade_amount) continue;
        }
        cash -= amount;
        quantities[b.index] += q;
        trades.push_back({p.symbol, "BUY", q.Normalized(), p.price, amount.Normalized()});
    }
    return cash;
}

}  // namespace

RebalanceProposal ProposeRebalance(const RebalanceInput& in) {
    RebalanceProposal out;
    out.cash_before = in.cash;
    Decimal total = in.cash + in.other_cash;
    std::vector<Decimal> quantities;
    for (const auto& p : in.positions) {
        quantities.push_back(p.quantity);
        total += ValueAt(p, p.quantity);
    }
    out.total_value = total;
    const std::vector<Decimal> original = quantities;

    std::vector<Decimal> value(in.positions.size());
    for (std::size_t i = 0; i < in.positions.size(); ++i) {
        value[i] = ValueAt(in.positions[i], in.positions[i].quantity);
    }
    const Targets targets = SolveTargets(in, value, total);
    std::vector<Decimal> gap(in.positions.size());
    // The rounds approach the solution without always landing on it: 29.9999999 must still
    // sell 3 units at 10, so the gaps are taken to 4 places before they become quantities.
    for (std::size_t i = 0; i < in.positions.size(); ++i)
        gap[i] = (targets.value[i] - value[i]).Round(kGapScale);

    Candidates candidates = ToCandidates(in, gap);
    out.cash_after = Trade(in, gap, candidates, quantities, out.trades).Normalized();

    for (std::size_t r = 0; r < in.rules.size(); ++r) {
        const auto& rule = in.rules[r];
        RuleOutcome o;
        o.rule = rule;
        o.weight_before = Weight(GroupValue(in.positions, original, rule), total);
        o.weight_after = Weight(GroupValue(in.positions, quantities, rule), total);
        o.within_before = Within(o.weight_before, rule);
        o.within_after = Within(o.weight_after, rule);
        if (!o.within_after) {
            o.reason = targets.reasons[r];
            for (std::size_t i = 0; !o.reason && i < in.positions.size(); ++i) {
                if (InGroup(in.positions[i], rule) && !candidates.limits[i].empty())
                    o.reason = candidates.limits[i];
            }
            if (!o.reason) o.reason = "conflicting_rules";
        }
        out.rules.push_back(std::move(o));
    }
    return out;
}

}  // namespace nn::portfolio
