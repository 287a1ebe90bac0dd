#include "portfolio/allocation/service.hpp"

#include <spdlog/spdlog.h>

#include <fmt/format.h>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/error.hpp"
#include "infra/app/app.hpp"
#include "infra/db/errors.hpp"
#include "infra/db/transaction.hpp"
#include "market/instrument_directory.hpp"
#include "portfolio/service.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string RulePayload(PortfolioId portfolio, const StoredRule& s) {
    json::object o{{"portfolio_id", portfolio.ToString()},
                   {"dimension", s.rule.dimension},
                   {"key", s.rule.key},
                   {"target_weight", s.rule.target_weight.ToString()},
                   {"tolerance", s.rule.tolerance.ToString()}};
    return json::serialize(o);
}

}  // namespace

AllocationService::AllocationService(App& app,
                                     std::shared_ptr<Service> portfolios,
                                     std::shared_ptr<AllocationRepository> repository,
                                     std::shared_ptr<market::InstrumentDirectory> instruments)
    : portfolios_(std::move(portfolios)),
      subdomain_(app, portfolios_->Repo(), "allocation_rule"),
      repository_(std::move(repository)),
      instruments_(std::move(instruments)) {}

asio::awaitable<void> AllocationService::CheckDimensionSum(db::Transaction& tx,
                                                           PortfolioId portfolio,
                                                           const AllocationRule& rule,
                                                           std::optional<Uuid> except) {
    Decimal sum = co_await repository_->DimensionSum(tx, portfolio, rule.dimension, except);
    sum = sum + rule.target_weight;
    if (sum > Decimal::FromInt(1)) {
        throw Error(
            ErrorKind::kUnprocessable, "allocation.weights_exceed_one",
            fmt::format("the {} targets would add up to {}", rule.dimension, sum.Normalized().ToString()));
    }
}

asio::awaitable<std::vector<StoredRule>> AllocationService::List(const Actor& actor,
                                                                 PortfolioId portfolio,
                                                                 std::size_t shard) {
    co_return co_await subdomain_.Read(actor, shard,
                                       [&](db::Transaction& tx) -> asio::awaitable<std::vector<StoredRule>> {
                                           co_await subdomain_.VisiblePortfolio(tx, portfolio);
                                           co_return co_await repository_->ListRules(tx, portfolio);
                                       });
}

asio::awaitable<StoredRule> AllocationService::Create(const ActingRequest& request,
                                                      PortfolioId portfolio,
                                                      AllocationRule rule) {
    co_return co_await subdomain_.Write(request, [&](db::Transaction& tx) -> asio::awaitable<StoredRule> {
        Portfolio p = co_await subdomain_.WritablePortfolio(tx, portfolio);  // locked: one writer
        if ((co_await repository_->ListRules(tx, portfolio)).size() >= kMaxAllocationRules) {
            throw Error(ErrorKind::kConflict, "allocation.limit_reached",
                        fmt::format("at most {} allocation rules per portfolio: delete one first",
                                    kMaxAllocationRules));
        }
        co_await CheckDimensionSum(tx, portfolio, rule, std::nullopt);
        auto stored = co_await repository_->InsertRule(tx, portfolio, p.user_id, rule);
        if (!stored) {
            throw Error(ErrorKind::kConflict, "allocation.duplicate",
                        fmt::format("a {} rule for {} exists", rule.dimension, rule.key));
        }
        co_await subdomain_.AddEvent(tx, request, p.user_id, stored->id, "allocation_rule.created",
                                     RulePayload(portfolio, *stored));
        co_return *stored;
    });
}

asio::awaitable<StoredRule> AllocationService::Update(const ActingRequest& request,
                                                      PortfolioId portfolio,
                                                      Uuid id,
                                                      std::optional<Decimal> target_weight,
                                                      std::optional<Decimal> tolerance) {
    co_return co_await subdomain_.Write(request, [&](db::Transaction& tx) -> asio::awaitable<StoredRule> {
        Portfolio p = co_await subdomain_.WritablePortfolio(tx, portfolio);
        auto found = co_await repository_->FindRule(tx, portfolio, id);
        StoredRule s = FoundOr(std::move(found), kRuleNotFound);
        if (target_weight) s.rule.target_weight = *target_weight;
        if (tolerance) s.rule.tolerance = *tolerance;
        co_await CheckDimensionSum(tx, portfolio, s.rule, id);
        StoredRule stored = co_await repository_->UpdateRule(tx, portfolio, id, s.rule);
        co_await subdomain_.AddEvent(tx, request, p.user_id, id, "allocation_rule.updated",
                                     RulePayload(portfolio, stored));
        co_return stored;
    });
}

asio::awaitable<void> AllocationService::Delete(const ActingRequest& request,
                                                PortfolioId portfolio,
                                                Uuid id) {
    co_await subdomain_.Write(request, [&](db::Transaction& tx) -> asio::awaitable<void> {
        Portfolio p = co_await subdomain_.WritablePortfolio(tx, portfolio);
        auto found = co_await repository_->FindRule(tx, portfolio, id);
        const StoredRule rule = FoundOr(std::move(found), kRuleNotFound);
        co_await repository_->DeleteRule(tx, portfolio, id);
        co_await subdomain_.AddEvent(tx, request, p.user_id, id, "allocation_rule.deleted",
                                     RulePayload(portfolio, rule));
    });
}

asio::awaitable<AllocationInputs> AllocationService::Inputs(const Actor& actor,
                                                            PortfolioId portfolio,
                                                            std::size_t shard) {
    HoldingsView holdings = co_await portfolios_->Holdings(actor, portfolio, shard);
    auto rules = co_await List(actor, portfolio, shard);
    AllocationInputs out;
    RebalanceView& view = out.view;
    view.portfolio = portfolio;
    view.currency = std::string(holdings.portfolio.currency.Code());
    view.min_trade_amount = holdings.portfolio.min_trade_amount;

    RebalanceInput& in = out.input;
    in.min_trade_amount = holdings.portfolio.min_trade_amount;
    out.cash = holdings.cash;
    for (const auto& [currency, balance] : holdings.cash) {
        // Only base-currency cash pays for buys: spending foreign cash would be a conversion.
        if (currency == view.currency) in.cash = balance;
    }
    if (holdings.totals.cash) {
        in.other_cash = *holdings.totals.cash - in.cash;
    } else {
        for (const auto& pair : holdings.totals.missing_rates) out.missing_rate.push_back("cash " + pair);
    }
    for (const auto& h : holdings.holdings) {
        RebalancePosition p;
        p.symbol = h.row.symbol;
        p.quantity = h.row.quantity;
        p.currency = h.row.currency;
        if (h.row.quantity.IsNegative()) out.short_positions.push_back(h.row.symbol);
        Decimal value;
        if (!h.row.quantity.IsZero()) {
            if (!h.value.market_value) {
                out.missing_price.push_back(h.row.symbol);
                continue;
            }
            if (!h.value.market_value_base) {
                out.missing_rate.push_back(h.row.symbol);
                continue;
            }
            value = *h.value.market_value_base;
            // The exact value carries the weights; the per-unit price only prices the trades.
            p.value = value;
            p.price = Decimal::Div(*h.value.market_value_base, h.row.quantity, 10);
        } else if (h.row.current_price && h.row.currency == view.currency) {
            p.price = *h.row.current_price;
        } else if (h.row.current_price && h.row.fx_rate) {
            p.price = Decimal::Mul(*h.row.current_price, *h.row.fx_rate, 10);
        } else {
            view.unpriced.push_back(h.row.symbol);
            continue;
        }
        in.positions.push_back(std::move(p));
        out.values.push_back(value);
    }

    co_await AddInstruments(in, view, shard);
    for (const auto& r : rules) {
        in.rules.push_back(r.rule);
        view.rule_ids.push_back(r.id);
    }
    co_return out;
}

asio::awaitable<void> AllocationService::AddInstruments(RebalanceInput& in,
                                                        RebalanceView& view,
                                                        std::size_t shard) {
    if (in.positions.empty()) co_return;
    std::vector<std::string> symbols;
    for (const auto& p : in.positions) symbols.push_back(p.symbol);
    std::vector<market::InstrumentFacts> facts;
    try {
        facts = co_await instruments_->Instruments(std::move(symbols), shard);
    } catch (const db::DbError& e) {
        // Whole units is the safe rule when the instrument data cannot be read.
        spdlog::warn("portfolio: instruments unavailable for rebalancing: {}", e.what());
        view.instruments_status = "unavailable";
        co_return;
    }
    for (auto& p : in.positions) {
        bool found = false;
        for (const auto& f : facts) {
            if (f.symbol != p.symbol) continue;
            found = true;
            p.asset_class = f.asset_class;
            p.sector = f.sector;
            p.country = f.country;
            p.fractional = f.fractional;
        }
        if (!found) view.unknown_instruments.push_back(p.symbol);
    }
}

asio::awaitable<RebalanceView> AllocationService::Rebalance(const Actor& actor,
                                                            PortfolioId portfolio,
                                                            std::size_t shard) {
    AllocationInputs inputs = co_await Inputs(actor, portfolio, shard);
    if (!inputs.short_positions.empty()) {
        throw Error(ErrorKind::kUnprocessable, "rebalance.short_position",
                    "rebalancing is not proposed for portfolios with short positions (" +
                        inputs.short_positions.front() + ")");
    }
    if (!inputs.missing_price.empty()) {
        throw Error(ErrorKind::kUnprocessable, "rebalance.missing_price",
                    fmt::format("no current price for {}", fmt::join(inputs.missing_price, ", ")));
    }
    if (!inputs.missing_rate.empty()) {
        throw Error(ErrorKind::kUnprocessable, "rebalance.missing_rate",
                    fmt::format("no current rate to {} for {}", inputs.view.currency,
                                fmt::join(inputs.missing_rate, ", ")));
    }
    RebalanceView view = std::move(inputs.view);
    view.proposal = ProposeRebalance(inputs.input);
    co_return view;
}

asio::awaitable<std::vector<PortfolioId>> AllocationService::PortfoliosWithRules(
    std::vector<PortfolioId> portfolios, std::size_t shard) {
    if (portfolios.empty()) co_return std::vector<PortfolioId>{};
    // allocation_rules is under row-level security: read it as SYSTEM.
    co_return co_await subdomain_.ReadAsSystem(
        shard, [&](db::Transaction& tx) { return repository_->PortfoliosWithRules(tx, portfolios); });
}

asio::awaitable<DriftCheck> AllocationService::RecordDrift(PortfolioId portfolio,
                                                           const RebalanceView& view,
                                                           Timestamp started,
                                                           std::size_t shard) {
    co_return co_await subdomain_.WriteAsSystem(
        shard, [&](db::Transaction& tx) -> asio::awaitable<DriftCheck> {
            DriftCheck round;
            for (std::size_t i = 0; i < view.rule_ids.size() && i < view.proposal.rules.size(); ++i) {
                co_await RecordRuleDrift(tx, portfolio, view, i, started, round);
            }
            co_return round;
        });
}

asio::awaitable<void> AllocationService::RecordRuleDrift(db::Transaction& tx,
                                                         PortfolioId portfolio,
                                                         const RebalanceView& view,
                                                         std::size_t i,
                                                         Timestamp started,
                                                         DriftCheck& round) {
    const auto& outcome = view.proposal.rules[i];
    const Uuid rule_id = view.rule_ids[i];
    auto claimed = co_await repository_->ClaimDrift(tx, rule_id, portfolio, started);
    if (!claimed) co_return;  // a newer evaluation got there first
    // A rule changed since it was read is judged by the next evaluation.
    if (claimed->target_weight != outcome.rule.target_weight || claimed->tolerance != outcome.rule.tolerance)
        co_return;
    ++round.evaluated;
    const bool within = outcome.within_before;
    if (within == claimed->armed) co_return;
    co_await repository_->SetDriftArmed(tx, rule_id, within);
    json::object payload{{"portfolio_id", portfolio.ToString()},
                         {"rule_id", rule_id.ToString()},
                         {"dimension", outcome.rule.dimension},
                         {"key", outcome.rule.key},
                         {"target_weight", outcome.rule.target_weight.Normalized().ToString()},
                         {"tolerance", outcome.rule.tolerance.Normalized().ToString()},
                         {"weight", outcome.weight_before.Normalized().ToString()},
                         {"total_value", view.proposal.total_value.Normalized().ToString()},
                         {"currency", view.currency},
                         {"evaluated_at", FormatRfc3339(started)}};
    const std::string event = within ? "allocation.drift_rearmed" : "allocation.drift_breached";
    co_await repository_->AddDriftEvent(tx, claimed->owner, rule_id, event, json::serialize(payload));
    if (within) {
        ++round.rearmed;
    } else {
        ++round.breached;
    }
}

}  // namespace nn::portfolio
