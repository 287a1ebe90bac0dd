#include "portfolio/goals/pg_repository.hpp"

#include <spdlog/spdlog.h>

#include "infra/db/errors.hpp"
#include "infra/db/pool.hpp"
#include "infra/db/query.hpp"
#include "infra/db/result.hpp"
#include "infra/db/text_array.hpp"
#include "infra/db/transaction.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;

namespace {

constexpr db::Query kCountGoalsOf{"SELECT count(*) FROM portfolio.goals WHERE user_id = $1",
                                  "portfolio.count_goals_of"};

constexpr db::Query kListGoals{
    "SELECT id, user_id, name, target_amount, currency, target_date, monthly_contribution, notes, "
    "achieved_at, created_at, updated_at, "
    "ARRAY(SELECT gp.portfolio_id FROM portfolio.goal_portfolios gp WHERE gp.goal_id = g.id ORDER BY "
    "gp.portfolio_id)::text FROM portfolio.goals g ORDER BY target_date, id LIMIT 500",
    "portfolio.list_goals"};

constexpr db::Query kSelectGoal{
    "SELECT id, user_id, name, target_amount, currency, target_date, monthly_contribution, notes, "
    "achieved_at, created_at, updated_at, "
    "ARRAY(SELECT gp.portfolio_id FROM portfolio.goal_portfolios gp WHERE gp.goal_id = g.id ORDER BY "
    "gp.portfolio_id)::text FROM portfolio.goals g WHERE id = $1",
    "portfolio.select_goal"};

constexpr db::Query kSelectGoalForUpdate{
    "SELECT id, user_id, name, target_amount, currency, target_date, monthly_contribution, notes, "
    "achieved_at, created_at, updated_at, "
    "ARRAY(SELECT gp.portfolio_id FROM portfolio.goal_portfolios gp WHERE gp.goal_id = g.id ORDER BY "
    "gp.portfolio_id)::text FROM portfolio.goals g WHERE id = $1 FOR UPDATE",
    "portfolio.select_goal_for_update"};

constexpr db::Query kInsertGoal{
    "INSERT INTO portfolio.goals (id, user_id, name, target_amount, currency, target_date, "
    "monthly_contribution, notes) VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8)",
    "portfolio.insert_goal"};

constexpr db::Query kUpdateGoal{
    "UPDATE portfolio.goals SET name = $2, target_amount = $3, currency = $4, target_date = $5::date, "
    "monthly_contribution = $6, notes = $7, updated_at = now() WHERE id = $1",
    "portfolio.update_goal"};

constexpr db::Query kDeleteGoal{"DELETE FROM portfolio.goals WHERE id = $1", "portfolio.delete_goal"};

constexpr db::Query kDeleteLinks{"DELETE FROM portfolio.goal_portfolios WHERE goal_id = $1",
                                 "portfolio.delete_goal_links"};

// The foreign key (portfolio_id, user_id) refuses a portfolio that is not the goal owner's.
constexpr db::Query kInsertLinks{
    "INSERT INTO portfolio.goal_portfolios (goal_id, portfolio_id, user_id) "
    "SELECT $1, p, $2 FROM unnest($3::uuid[]) AS p",
    "portfolio.insert_goal_links"};

// --- the milestone watch ---

constexpr db::Query kLinkedGoals{
    "SELECT DISTINCT goal_id FROM portfolio.goal_portfolios WHERE portfolio_id = ANY ($1::uuid[])",
    "portfolio.goal_watch.linked"};

// Raises the high-water mark; the row lock and the guard let one of two concurrent evaluations
// announce a milestone.
constexpr db::Query kRaise{
    "UPDATE portfolio.goals SET last_milestone_pct = $2, "
    "achieved_at = CASE WHEN $2 >= 100 THEN coalesce(achieved_at, now()) ELSE achieved_at END "
    "WHERE id = $1 AND last_milestone_pct < $2 RETURNING user_id, name, last_milestone_pct",
    "portfolio.goal_watch.raise"};

constexpr db::Query kMilestoneOutbox{
    "INSERT INTO portfolio.outbox (user_id, aggregate_type, aggregate_id, event_type, payload) "
    "VALUES ($1, 'goal', $2, 'goal.milestone_reached', $3::jsonb)",
    "portfolio.goal_watch.outbox"};

std::vector<PortfolioId> ParseGoalPortfolioIds(const std::string& text) {
    // ARRAY(uuid)::text: "{a,b}" (uuids never need quoting).
    std::vector<PortfolioId> out;
    std::string current;
    for (std::size_t i = 1; i + 1 < text.size(); ++i) {
        if (text[i] == ',') {
            if (auto id = PortfolioId::Parse(current)) out.push_back(*id);
            current.clear();
        } else {
            current.push_back(text[i]);
        }
    }
    if (auto id = PortfolioId::Parse(current)) out.push_back(*id);
    return out;
}

Goal ReadGoalRow(const db::Row& r) {
    Goal g;
    g.id = r.Get<Uuid>(0);
    g.user_id = r.Get<UserId>(1);
    g.name = r.Get<std::string>(2);
    g.target_amount = r.Get<Decimal>(3);
    g.currency = Currency::FromCode(r.Get<std::string>(4));
    g.target_date = r.Get<Date>(5);
    g.monthly_contribution = r.Get<Decimal>(6);
    g.notes = r.Get<std::optional<std::string>>(7);
    g.achieved_at = r.Get<std::optional<Timestamp>>(8);
    g.created_at = r.Get<Timestamp>(9);
    g.updated_at = r.Get<Timestamp>(10);
    g.portfolio_ids = ParseGoalPortfolioIds(r.Get<std::string>(11));
    return g;
}

}  // namespace

asio::awaitable<std::vector<Goal>> PgGoalRepository::List(db::Transaction& tx) {
    auto res = co_await tx.Execute(kListGoals);
    std::vector<Goal> out;
    for (auto row : res) out.push_back(ReadGoalRow(row));
    co_return out;
}

asio::awaitable<std::optional<Goal>> PgGoalRepository::Find(db::Transaction& tx, Uuid id) {
    auto res = co_await tx.Execute(kSelectGoal, id);
    if (res.Empty()) co_return std::nullopt;
    co_return ReadGoalRow(res[0]);
}

asio::awaitable<std::optional<Goal>> PgGoalRepository::LockWritable(db::Transaction& tx, Uuid id) {
    auto locked = co_await LockIfWritable(tx, kSelectGoalForUpdate, db::MakeParams(id));
    if (!locked) co_return std::nullopt;
    co_return ReadGoalRow((*locked)[0]);
}

asio::awaitable<std::int64_t> PgGoalRepository::LockAndCount(db::Transaction& tx, UserId owner) {
    co_await tx.LockUntilEnd("portfolio.goals", owner.ToString());
    auto res = co_await tx.Execute(kCountGoalsOf, owner);
    co_return res[0].As<std::int64_t>();
}

asio::awaitable<void> PgGoalRepository::Insert(db::Transaction& tx, const Goal& g) {
    co_await tx.Execute(kInsertGoal, g.id, g.user_id, g.name, g.target_amount, std::string(g.currency.Code()),
                        FormatDate(g.target_date), g.monthly_contribution, g.notes);
}

asio::awaitable<void> PgGoalRepository::Update(db::Transaction& tx, const Goal& g) {
    co_await tx.Execute(kUpdateGoal, g.id, g.name, g.target_amount, std::string(g.currency.Code()),
                        FormatDate(g.target_date), g.monthly_contribution, g.notes);
}

asio::awaitable<void> PgGoalRepository::Delete(db::Transaction& tx, Uuid id) {
    co_await tx.Execute(kDeleteGoal, id);
}

asio::awaitable<GoalRepository::Links> PgGoalRepository::ReplaceLinks(db::Transaction& tx, const Goal& g) {
    co_await tx.Execute(kDeleteLinks, g.id);
    if (g.portfolio_ids.empty()) co_return Links::kStored;
    try {
        co_await tx.Execute(kInsertLinks, g.id, g.user_id, db::IdArray(g.portfolio_ids));
    } catch (const db::ForeignKeyViolation&) {
        co_return Links::kForeignPortfolio;
    } catch (const db::UniqueViolation&) {
        co_return Links::kDuplicatePortfolio;
    }
    co_return Links::kStored;
}

asio::awaitable<std::vector<Uuid>> PgGoalRepository::LinkedGoals(db::Transaction& tx,
                                                                 const std::vector<PortfolioId>& portfolios) {
    auto res = co_await tx.Execute(kLinkedGoals, db::IdArray(portfolios));
    std::vector<Uuid> goals;
    for (auto row : res) goals.push_back(row.Get<Uuid>(0));
    co_return goals;
}

asio::awaitable<std::optional<UserId>> PgGoalRepository::RaiseMilestone(db::Transaction& tx,
                                                                        Uuid goal,
                                                                        int pct) {
    auto raised = co_await tx.Execute(kRaise, goal, static_cast<std::int16_t>(pct));
    if (raised.Empty()) co_return std::nullopt;
    co_return raised[0].Get<UserId>(0);
}

asio::awaitable<void> PgGoalRepository::AddMilestoneEvent(db::Transaction& tx,
                                                          UserId owner,
                                                          Uuid goal,
                                                          const std::string& payload) {
    co_await tx.Execute(kMilestoneOutbox, owner, goal.ToString(), payload);
}

}  // namespace nn::portfolio
