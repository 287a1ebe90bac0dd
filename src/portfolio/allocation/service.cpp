#include "portfolio/allocation/service.hpp"

#include <spdlog/spdlog.h>

#include <fmt/format.h>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/error.hpp"
#include "infra/app/app.hpp"
#include "infra/db/errors.hpp"
#include "infra/db/query.hpp"
#include "infra/db/result.hpp"
#include "infra/db/transaction.hpp"
#include "portfolio/service.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr db::Query kListRules{
    "SELECT id, dimension, key, target_weight, tolerance, created_at, updated_at FROM "
    "portfolio.allocation_rules "
    "WHERE portfolio_id = $1 ORDER BY dimension, key",
    "portfolio.list_allocation_rules"};

constexpr db::Query kInsertRule{
    "INSERT INTO portfolio.allocation_rules (id, portfolio_id, user_id, dimension, key, target_weight, "
    "tolerance) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7) "
    "RETURNING id, dimension, key, target_weight, tolerance, created_at, updated_at",
    "portfolio.insert_allocation_rule"};

// A changed target re-arms the drift alert (docs/schema.md re-arm state).
constexpr db::Query kUpdateRule{
    "UPDATE portfolio.allocation_rules SET target_weight = $3, tolerance = $4, updated_at = now(), "
    "drift_alert_armed = drift_alert_armed OR target_weight IS DISTINCT FROM $3 OR tolerance IS DISTINCT "
    "FROM $4 "
    "WHERE portfolio_id = $1 AND id = $2 "
    "RETURNING id, dimension, key, target_weight, tolerance, created_at, updated_at",
    "portfolio.update_allocation_rule"};

constexpr db::Query kSelectRule{
    "SELECT id, dimension, key, target_weight, tolerance, created_at, updated_at FROM "
    "portfolio.allocation_rules "
    "WHERE portfolio_id = $1 AND id = $2",
    "portfolio.select_allocation_rule"};

constexpr db::Query kDeleteRule{"DELETE FROM portfolio.allocation_rules WHERE portfolio_id = $1 AND id = $2",
                                "portfolio.delete_allocation_rule"};

// The targets of a dimension once this rule is written (the row locks of the portfolio
// serialise writers).
constexpr db::Query kDimensionSum{
    "SELECT coalesce(sum(target_weight), 0) FROM portfolio.allocation_rules "
    "WHERE portfolio_id = $1 AND dimension = $2 AND id IS DISTINCT FROM $3",
    "portfolio.allocation_dimension_sum"};

constexpr db::Query kInstruments{
    "SELECT symbol, asset_class, sector, country, fractional FROM market_data.instruments "
    "WHERE symbol = ANY ($1::text[])",
    "portfolio.rebalance_instruments"};

Error PortfolioNotFound() {
    return Error(ErrorKind::kNotFound, "portfolio.not_found", "no such portfolio");
}

Error RuleNotFound() {
    return Error(ErrorKind::kNotFound, "allocation.not_found", "no such allocation rule");
}

StoredRule ReadRule(const db::Row& r) {
    StoredRule s;
    s.id = r.Get<Uuid>(0);
    s.rule.dimension = r.Get<std::string>(1);
    s.rule.key = r.Get<std::string>(2);
    s.rule.target_weight = r.Get<Decimal>(3).Normalized();
    s.rule.tolerance = r.Get<Decimal>(4).Normalized();
    s.created_at = r.Get<Timestamp>(5);
    s.updated_at = r.Get<Timestamp>(6);
    return s;
}

asio::awaitable<Portfolio> LockWritablePortfolio(db::Transaction& tx, PortfolioId id) {
    std::optional<Portfolio> p;
    try {
        p = co_await PgRepository::GetPortfolio(tx, id, true);
    } catch (const db::InsufficientPrivilege&) {
        throw PortfolioNotFound();
    }
    if (!p) throw PortfolioNotFound();
    co_return *p;
}

asio::awaitable<void> CheckDimensionSum(db::Transaction& tx,
                                        PortfolioId portfolio,
                                        const AllocationRule& rule,
                                        std::optional<Uuid> except) {
    auto res = co_await tx.Execute(kDimensionSum, portfolio, rule.dimension, except);
    Decimal sum = res[0].Get<Decimal>(0) + rule.target_weight;
    if (sum > Decimal::FromInt(1)) {
        throw Error(
            ErrorKind::kUnprocessable, "allocation.weights_exceed_one",
            fmt::format("the {} targets would add up to {}", rule.dimension, sum.Normalized().ToString()));
    }
}

std::string RulePayload(PortfolioId portfolio, const StoredRule& s) {
    json::object o{{"portfolio_id", portfolio.ToString()},
                   {"dimension", s.rule.dimension},
                   {"key", s.rule.key},
                   {"target_weight", s.rule.target_weight.ToString()},
                   {"tolerance", s.rule.tolerance.ToString()}};
    return json::serialize(o);
}

}  // namespace

asio::awaitable<std::vector<StoredRule>> AllocationService::List(const Actor& actor,
                                                                 PortfolioId portfolio,
                                                                 std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                                 [&](db::Transaction& tx) -> asio::awaitable<std::vector<StoredRule>> {
                                     if (!co_await PgRepository::GetPortfolio(tx, portfolio, false))
                                         throw PortfolioNotFound();
                                     auto res = co_await tx.Execute(kListRules, portfolio);
                                     std::vector<StoredRule> out;
                                     for (auto row : res) out.push_back(ReadRule(row));
                                     co_return out;
                                 });
}

asio::awaitable<StoredRule> AllocationService::Create(const Actor& actor,
                                                      PortfolioId portfolio,
                                                      AllocationRule rule,
                                                      const std::string& request_id,
                                                      std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<StoredRule> {
        Portfolio p = co_await LockWritablePortfolio(tx, portfolio);
        co_await CheckDimensionSum(tx, portfolio, rule, std::nullopt);
        std::optional<StoredRule> stored;
        try {
            auto res = co_await tx.Execute(kInsertRule, Uuid::GenerateV7(), portfolio, p.user_id,
                                           rule.dimension, rule.key, rule.target_weight, rule.tolerance);
            stored = ReadRule(res[0]);
        } catch (const db::UniqueViolation&) {
            throw Error(ErrorKind::kConflict, "allocation.duplicate",
                        fmt::format("a {} rule for {} exists", rule.dimension, rule.key));
        }
        co_await PgRepository::InsertOutbox(tx, actor, p.user_id, "allocation_rule", stored->id.ToString(),
                                            "allocation_rule.created", RulePayload(portfolio, *stored),
                                            request_id);
        co_return *stored;
    });
}

asio::awaitable<StoredRule> AllocationService::Update(const Actor& actor,
                                                      PortfolioId portfolio,
                                                      Uuid id,
                                                      std::optional<Decimal> target_weight,
                                                      std::optional<Decimal> tolerance,
                                                      const std::string& request_id,
                                                      std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<StoredRule> {
        Portfolio p = co_await LockWritablePortfolio(tx, portfolio);
        auto res = co_await tx.Execute(kSelectRule, portfolio, id);
        if (res.Empty()) throw RuleNotFound();
        StoredRule s = ReadRule(res[0]);
        if (target_weight) s.rule.target_weight = *target_weight;
        if (tolerance) s.rule.tolerance = *tolerance;
        co_await CheckDimensionSum(tx, portfolio, s.rule, id);
        auto updated =
            co_await tx.Execute(kUpdateRule, portfolio, id, s.rule.target_weight, s.rule.tolerance);
        StoredRule stored = ReadRule(updated[0]);
        co_await PgRepository::InsertOutbox(tx, actor, p.user_id, "allocation_rule", id.ToString(),
                                            "allocation_rule.updated", RulePayload(portfolio, stored),
                                            request_id);
        co_return stored;
    });
}

asio::awaitable<void> AllocationService::Delete(
    const Actor& actor, PortfolioId portfolio, Uuid id, const std::string& request_id, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<void> {
        Portfolio p = co_await LockWritablePortfolio(tx, portfolio);
        auto res = co_await tx.Execute(kSelectRule, portfolio, id);
        if (res.Empty()) throw RuleNotFound();
        StoredRule s = ReadRule(res[0]);
        co_await tx.Execute(kDeleteRule, portfolio, id);
        co_await PgRepository::InsertOutbox(tx, actor, p.user_id, "allocation_rule", id.ToString(),
                                            "allocation_rule.deleted", RulePayload(portfolio, s), request_id);
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
    std::vector<std::optional<std::string>> symbols;
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
        symbols.push_back(p.symbol);
        in.positions.push_back(std::move(p));
        out.values.push_back(value);
    }

    if (!symbols.empty()) {
        try {
            auto& ts = app_.Db(ServiceRole::kPortfolio, Database::kTimescale, shard);
            auto res = co_await ts.Execute(kInstruments, db::TextArray(symbols));
            for (auto& p : in.positions) {
                bool found = false;
                for (auto row : res) {
                    if (row.Get<std::string>(0) != p.symbol) continue;
                    found = true;
                    p.asset_class = row.Get<std::string>(1);
                    p.sector = row.Get<std::optional<std::string>>(2);
                    p.country = row.Get<std::optional<std::string>>(3);
                    p.fractional = row.Get<bool>(4);
                }
                if (!found) view.unknown_instruments.push_back(p.symbol);
            }
        } catch (const db::DbError& e) {
            // Whole units is the safe rule when the instrument data cannot be read.
            spdlog::warn("portfolio: instruments unavailable for rebalancing: {}", e.what());
            view.instruments_status = "unavailable";
        }
    }
    for (const auto& r : rules) {
        in.rules.push_back(r.rule);
        view.rule_ids.push_back(r.id);
    }
    co_return out;
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

}  // namespace nn::portfolio
