#include "portfolio/allocation/drift_watch.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "core/error.hpp"
#include "infra/app/app.hpp"
#include "infra/db/transaction.hpp"
#include "portfolio/allocation/service.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr db::Query kWithRules{
    "SELECT DISTINCT r.portfolio_id FROM portfolio.allocation_rules r JOIN portfolio.portfolios p ON p.id = "
    "r.portfolio_id WHERE r.portfolio_id = ANY ($1::uuid[]) AND p.is_active",
    "portfolio.drift.with_rules"};

// Claims the rule for an evaluation that started at $3: an evaluation not newer than the last
// one changes nothing. Its row lock serialises concurrent evaluations of one rule.
constexpr db::Query kClaim{
    "UPDATE portfolio.allocation_rules SET drift_evaluated_at = $3 "
    "WHERE id = $1 AND portfolio_id = $2 AND (drift_evaluated_at IS NULL OR drift_evaluated_at < $3) "
    "RETURNING drift_alert_armed, target_weight, tolerance, user_id",
    "portfolio.drift.claim"};

constexpr db::Query kSetArmed{
    "UPDATE portfolio.allocation_rules SET drift_alert_armed = $2, "
    "last_drift_alert_at = CASE WHEN $2 THEN last_drift_alert_at ELSE now() END WHERE id = $1",
    "portfolio.drift.set_armed"};

// SYSTEM writes: no actor.
constexpr db::Query kDriftOutbox{
    "INSERT INTO portfolio.outbox (user_id, aggregate_type, aggregate_id, event_type, payload) "
    "VALUES ($1, 'allocation_rule', $2, $3, $4::jsonb)",
    "portfolio.drift.outbox"};

}  // namespace

asio::awaitable<DriftCheck> DriftWatch::Check(std::vector<PortfolioId> portfolios, std::size_t shard) {
    DriftCheck out;
    auto allocation = allocation_.lock();
    if (portfolios.empty() || !allocation) co_return out;
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    std::vector<std::optional<std::string>> ids;
    for (const auto& p : portfolios) ids.push_back(p.ToString());
    const db::TextArray id_list(ids);
    std::vector<PortfolioId> with_rules;
    {
        // allocation_rules is under row-level security: read it as SYSTEM.
        auto tx = co_await pool.Begin(db::TransactionOptions().ActingAs(Actor::System()).ReadOnly());
        auto res = co_await tx.Execute(kWithRules, id_list);
        co_await tx.Commit();
        for (auto row : res) with_rules.push_back(row.Get<PortfolioId>(0));
    }
    const Actor system = Actor::System();
    for (const auto& portfolio : with_rules) {
        const Timestamp started = Now();
        std::optional<RebalanceView> view;
        std::string skipped;
        try {
            view = co_await allocation->Rebalance(system, portfolio, shard);
        } catch (const Error& e) {
            skipped = e.what();  // not valued (missing price or rate, short position): no verdict
        }
        if (!view) {
            spdlog::debug("portfolio: drift of {} not evaluated: {}", portfolio.ToString(), skipped);
            continue;
        }
        if (!view->proposal.total_value.IsPositive()) continue;
        const std::string total = view->proposal.total_value.Normalized().ToString();
        co_await db::RunInTransaction(
            pool, db::TransactionOptions().ActingAs(Actor::System()),
            [&](db::Transaction& tx) -> asio::awaitable<void> {
                DriftCheck round;
                for (std::size_t i = 0; i < view->rule_ids.size() && i < view->proposal.rules.size(); ++i) {
                    const auto& outcome = view->proposal.rules[i];
                    const Uuid rule_id = view->rule_ids[i];
                    auto claimed = co_await tx.Execute(kClaim, rule_id, portfolio, started);
                    if (claimed.Empty()) continue;  // a newer evaluation got there first
                    const bool armed = claimed[0].Get<bool>(0);
                    // A rule changed since it was read is judged by the next evaluation.
                    if (claimed[0].Get<Decimal>(1) != outcome.rule.target_weight ||
                        claimed[0].Get<Decimal>(2) != outcome.rule.tolerance)
                        continue;
                    const UserId owner = claimed[0].Get<UserId>(3);
                    ++round.evaluated;
                    const bool within = outcome.within_before;
                    if (within == armed) continue;
                    co_await tx.Execute(kSetArmed, rule_id, within);
                    json::object payload{
                        {"portfolio_id", portfolio.ToString()},
                        {"rule_id", rule_id.ToString()},
                        {"dimension", outcome.rule.dimension},
                        {"key", outcome.rule.key},
                        {"target_weight", outcome.rule.target_weight.Normalized().ToString()},
                        {"tolerance", outcome.rule.tolerance.Normalized().ToString()},
                        {"weight", outcome.weight_before.Normalized().ToString()},
                        {"total_value", total},
                        {"currency", view->currency},
                        {"evaluated_at", FormatRfc3339(started)}};
                    const std::string event =
                        within ? "allocation.drift_rearmed" : "allocation.drift_breached";
                    co_await tx.Execute(kDriftOutbox, owner, rule_id.ToString(), event,
                                        json::serialize(payload));
                    if (within) {
                        ++round.rearmed;
                    } else {
                        ++round.breached;
                    }
                }
                out.evaluated += round.evaluated;
                out.breached += round.breached;
                out.rearmed += round.rearmed;
            });
    }
    co_return out;
}

}  // namespace nn::portfolio
