#include "portfolio/allocation/pg_repository.hpp"

#include "infra/db/query.hpp"
#include "infra/db/result.hpp"
#include "infra/db/text_array.hpp"
#include "infra/db/transaction.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;

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

// --- the drift watch ---

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

StoredRule ReadRuleRow(const db::Row& r) {
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

}  // namespace

asio::awaitable<std::vector<StoredRule>> PgAllocationRepository::ListRules(db::Transaction& tx,
                                                                           PortfolioId portfolio) {
    auto res = co_await tx.Execute(kListRules, portfolio);
    std::vector<StoredRule> out;
    for (auto row : res) out.push_back(ReadRuleRow(row));
    co_return out;
}

asio::awaitable<std::optional<StoredRule>> PgAllocationRepository::FindRule(db::Transaction& tx,
                                                                            PortfolioId portfolio,
                                                                            Uuid id) {
    auto res = co_await tx.Execute(kSelectRule, portfolio, id);
    if (res.Empty()) co_return std::nullopt;
    co_return ReadRuleRow(res[0]);
}

asio::awaitable<std::optional<StoredRule>> PgAllocationRepository::InsertRule(db::Transaction& tx,
                                                                              PortfolioId portfolio,
                                                                              UserId owner,
                                                                              const AllocationRule& rule) {
    // A duplicate: a rule on that dimension and key exists.
    auto inserted =
        co_await InsertUnlessDuplicate(tx, kInsertRule,
                                       db::MakeParams(Uuid::GenerateV7(), portfolio, owner, rule.dimension,
                                                      rule.key, rule.target_weight, rule.tolerance));
    if (!inserted) co_return std::nullopt;
    co_return ReadRuleRow((*inserted)[0]);
}

asio::awaitable<StoredRule> PgAllocationRepository::UpdateRule(db::Transaction& tx,
                                                               PortfolioId portfolio,
                                                               Uuid id,
                                                               const AllocationRule& rule) {
    auto res = co_await tx.Execute(kUpdateRule, portfolio, id, rule.target_weight, rule.tolerance);
    co_return ReadRuleRow(res[0]);
}

asio::awaitable<void> PgAllocationRepository::DeleteRule(db::Transaction& tx,
                                                         PortfolioId portfolio,
                                                         Uuid id) {
    co_await tx.Execute(kDeleteRule, portfolio, id);
}

asio::awaitable<Decimal> PgAllocationRepository::DimensionSum(db::Transaction& tx,
                                                              PortfolioId portfolio,
                                                              const std::string& dimension,
                                                              std::optional<Uuid> except) {
    auto res = co_await tx.Execute(kDimensionSum, portfolio, dimension, except);
    co_return res[0].Get<Decimal>(0);
}

asio::awaitable<std::vector<PortfolioId>> PgAllocationRepository::PortfoliosWithRules(
    db::Transaction& tx, const std::vector<PortfolioId>& portfolios) {
    auto res = co_await tx.Execute(kWithRules, db::IdArray(portfolios));
    std::vector<PortfolioId> out;
    for (auto row : res) out.push_back(row.Get<PortfolioId>(0));
    co_return out;
}

asio::awaitable<std::optional<DriftClaim>> PgAllocationRepository::ClaimDrift(db::Transaction& tx,
                                                                              Uuid rule,
                                                                              PortfolioId portfolio,
                                                                              Timestamp started) {
    auto claimed = co_await tx.Execute(kClaim, rule, portfolio, started);
    if (claimed.Empty()) co_return std::nullopt;
    DriftClaim c;
    c.armed = claimed[0].Get<bool>(0);
    c.target_weight = claimed[0].Get<Decimal>(1);
    c.tolerance = claimed[0].Get<Decimal>(2);
    c.owner = claimed[0].Get<UserId>(3);
    co_return c;
}

asio::awaitable<void> PgAllocationRepository::SetDriftArmed(db::Transaction& tx, Uuid rule, bool armed) {
    co_await tx.Execute(kSetArmed, rule, armed);
}

asio::awaitable<void> PgAllocationRepository::AddDriftEvent(
    db::Transaction& tx, UserId owner, Uuid rule, const std::string& event, const std::string& payload) {
    co_await tx.Execute(kDriftOutbox, owner, rule.ToString(), event, payload);
}

}  // namespace nn::portfolio
