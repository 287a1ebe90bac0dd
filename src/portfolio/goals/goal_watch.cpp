#include "portfolio/goals/goal_watch.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/error.hpp"
#include "portfolio/goals/service.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::array<int, 4> kMilestones{100, 75, 50, 25};

}  // namespace

std::optional<int> MilestoneOf(const Decimal& percent) {
    for (int m : kMilestones) {
        if (percent >= Decimal::FromInt(m)) return m;
    }
    return std::nullopt;
}

asio::awaitable<int> GoalWatch::CheckPortfolios(std::vector<PortfolioId> portfolios, std::size_t shard) {
    if (portfolios.empty()) co_return 0;
    auto service = goals_.lock();
    if (!service) co_return 0;
    const std::vector<Uuid> goals = co_await service->GoalsLinkedTo(std::move(portfolios), shard);
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
    const int pct = *milestone;
    json::object payload{
        {"goal_id", goal.ToString()},
        {"name", view->goal.name},
        {"milestone_pct", pct},
        {"percent_of_target", view->progress->percent_of_target.Normalized().ToString()},
        {"current_value", view->current_value ? view->current_value->Normalized().ToString() : ""},
        {"target_amount", view->goal.target_amount.Normalized().ToString()},
        {"currency", std::string(view->goal.currency.Code())}};
    co_return co_await goals->RaiseMilestone(goal, pct, json::serialize(payload), shard);
}

}  // namespace nn::portfolio
