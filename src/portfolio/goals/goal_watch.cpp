#include "portfolio/goals/goal_watch.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/error.hpp"
#include "infra/app/app.hpp"
#include "infra/db/transaction.hpp"
#include "portfolio/goals/service.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::array<int, 4> kMilestones{100, 75, 50, 25};

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

}  // namespace

std::optional<int> MilestoneOf(const Decimal& percent) {
    for (int m : kMilestones) {
        if (percent >= Decimal::FromInt(m)) return m;
    }
    return std::nullopt;
}

asio::awaitable<int> GoalWatch::CheckPortfolios(std::vector<PortfolioId> portfolios, std::size_t shard) {
    if (portfolios.empty()) co_return 0;
    std::vector<std::optional<std::string>> ids;
    for (const auto& p : portfolios) ids.push_back(p.ToString());
    const db::TextArray id_list(ids);
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    std::vector<Uuid> goals;
    {
        // goal_portfolios is under row-level security: read it as SYSTEM.
        auto tx = co_await pool.Begin(db::TransactionOptions().ActingAs(Actor::System()).ReadOnly());
        auto res = co_await tx.Execute(kLinkedGoals, id_list);
        co_await tx.Commit();
        for (auto row : res) goals.push_back(row.Get<Uuid>(0));
    }
    int announced = 0;
    for (const auto& goal : goals) {
        bool fired = co_await CheckGoal(goal, shard);
        if (fired) ++announced;
    }
    co_return announced;
}

asio::awaitable<bool> GoalWatch::CheckGoal(Uuid goal, std::size_t shard) {
    auto goals = goals_.lock();
    if (!goals) co_return false;
    const Actor system = Actor::System();
    std::optional<GoalView> view;
    try {
        view = co_await goals->Get(system, goal, ToDate(Now()), shard);
    } catch (const Error& e) {
        if (e.Kind() != ErrorKind::kNotFound) throw;  // deleted meanwhile: nothing to announce
    }
    if (!view || !view->progress) co_return false;
    auto milestone = MilestoneOf(view->progress->percent_of_target);
    if (!milestone) co_return false;
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    const int pct = *milestone;
    co_return co_await db::RunInTransaction(
        pool, db::TransactionOptions().ActingAs(Actor::System()),
        [&](db::Transaction& tx) -> asio::awaitable<bool> {
            auto raised = co_await tx.Execute(kRaise, goal, static_cast<std::int16_t>(pct));
            if (raised.Empty()) co_return false;
            const UserId owner = raised[0].Get<UserId>(0);
            json::object payload{
                {"goal_id", goal.ToString()},
                {"name", view->goal.name},
                {"milestone_pct", pct},
                {"percent_of_target", view->progress->percent_of_target.Normalized().ToString()},
                {"current_value", view->current_value ? view->current_value->Normalized().ToString() : ""},
                {"target_amount", view->goal.target_amount.Normalized().ToString()},
                {"currency", std::string(view->goal.currency.Code())}};
            co_await tx.Execute(kMilestoneOutbox, owner, goal.ToString(), json::serialize(payload));
            co_return true;
        });
}

}  // namespace nn::portfolio
