#include "portfolio/goals/service.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/error.hpp"
#include "core/money.hpp"
#include "infra/app/app.hpp"
#include "infra/db/errors.hpp"
#include "infra/db/transaction.hpp"
#include "market/rate_directory.hpp"
#include "portfolio/service.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string GoalPayload(const Goal& g) {
    json::object o;
    o["name"] = g.name;
    o["target_amount"] = g.target_amount.Normalized().ToString();
    o["currency"] = g.currency.Code();
    o["target_date"] = FormatDate(g.target_date);
    o["monthly_contribution"] = g.monthly_contribution.Normalized().ToString();
    json::array ids;
    for (const auto& id : g.portfolio_ids) ids.push_back(json::value(id.ToString()));
    o["portfolio_ids"] = std::move(ids);
    return json::serialize(o);
}

}  // namespace

GoalService::GoalService(App& app,
                         std::shared_ptr<Service> portfolios,
                         std::shared_ptr<GoalRepository> repository)
    : portfolios_(std::move(portfolios)),
      subdomain_(app, portfolios_->Repo(), "goal"),
      repository_(std::move(repository)) {}

asio::awaitable<void> GoalService::ReplaceLinks(db::Transaction& tx, const Goal& goal) {
    const GoalRepository::Links links = co_await repository_->ReplaceLinks(tx, goal);
    if (links == GoalRepository::Links::kForeignPortfolio) {
        throw Error(ErrorKind::kUnprocessable, "goal.portfolio_not_found",
                    "a linked portfolio does not exist or belongs to someone else");
    }
    if (links == GoalRepository::Links::kDuplicatePortfolio) {
        throw Error(ErrorKind::kUnprocessable, "goal.duplicate_portfolio", "a portfolio is linked twice");
    }
}

asio::awaitable<std::vector<Goal>> GoalService::List(const Actor& actor, std::size_t shard) {
    co_return co_await subdomain_.Read(actor, shard,
                                       [&](db::Transaction& tx) { return repository_->List(tx); });
}

asio::awaitable<std::optional<Decimal>> GoalService::CurrentRate(const std::string& from,
                                                                 const std::string& to,
                                                                 std::size_t shard) {
    if (from == to) co_return Decimal::FromInt(1);
    try {
        std::vector<std::string> currencies;
        currencies.push_back(from);
        const auto rates = co_await portfolios_->Rates()->LatestRates(std::move(currencies), to, shard);
        if (rates.empty()) co_return std::nullopt;
        co_return Decimal::Div(rates.front().second, Decimal::FromInt(1), 12);
    } catch (const db::DbError& e) {
        // Unknown stays unknown: the goal reports missing_rate instead of guessing.
        spdlog::warn("portfolio: rate {}/{} unavailable: {}", from, to, e.what());
    }
    co_return std::nullopt;
}

asio::awaitable<LinkedValue> GoalService::ValueIn(const Actor& actor,
                                                  PortfolioId portfolio,
                                                  Currency currency,
                                                  std::size_t shard) {
    LinkedValue out;
    out.id = portfolio;
    HoldingsView view = co_await portfolios_->Holdings(actor, portfolio, shard);
    const std::string goal_ccy(currency.Code());
    const std::string base(view.portfolio.currency.Code());
    std::optional<Decimal> total = Decimal();
    if (!view.totals.holdings) {
        total.reset();
        out.status = "missing_rate";
        for (const auto& h : view.holdings) {
            if (!h.row.quantity.IsZero() && h.value.fx_status == "missing_price")
                out.status = "missing_price";
            if (!h.row.quantity.IsZero() && h.value.fx_status == "missing_rate")
                out.missing_rates.push_back(h.row.currency + "/" + base);
        }
    } else {
        auto rate = co_await CurrentRate(base, goal_ccy, shard);
        if (rate) {
            *total += Decimal::Mul(*view.totals.holdings, *rate, kMoneyScale);
        } else {
            total.reset();
            out.status = "missing_rate";
            out.missing_rates.push_back(base + "/" + goal_ccy);
        }
    }
    for (const auto& [cash_ccy, balance] : view.cash) {
        auto rate = co_await CurrentRate(cash_ccy, goal_ccy, shard);
        if (!rate) {
            if (out.status == "ok") out.status = "missing_rate";
            out.missing_rates.push_back(cash_ccy + "/" + goal_ccy);
            total.reset();
        } else if (total) {
            *total += Decimal::Mul(balance, *rate, kMoneyScale);
        }
    }
    if (total) out.value = total->Rescale(std::min(total->Scale(), 10)).Normalized();
    co_return out;
}

asio::awaitable<GoalView> GoalService::Get(const Actor& actor, Uuid id, Date today, std::size_t shard) {
    GoalView view;
    view.goal = co_await subdomain_.Read(actor, shard, [&](db::Transaction& tx) -> asio::awaitable<Goal> {
        auto g = co_await repository_->Find(tx, id);
        co_return FoundOr(std::move(g), kGoalNotFound);
    });
    std::optional<Decimal> total = Decimal();
    for (const auto& pid : view.goal.portfolio_ids) {
        LinkedValue v = co_await ValueIn(actor, pid, view.goal.currency, shard);
        if (v.value && total) {
            *total += *v.value;
        } else {
            total.reset();
            if (view.value_status == "ok" || v.status == "missing_price") view.value_status = v.status;
        }
        view.portfolios.push_back(std::move(v));
    }
    view.current_value = total;
    if (total) {
        view.progress = ComputeGoalProgress(
            {*total, view.goal.target_amount, view.goal.monthly_contribution, today, view.goal.target_date});
    }
    co_return view;
}

asio::awaitable<Goal> GoalService::Create(const ActingRequest& request, Goal draft) {
    draft.id = Uuid::GenerateV7();
    Goal created = co_await subdomain_.Write(request, [&](db::Transaction& tx) -> asio::awaitable<Goal> {
        if (co_await repository_->LockAndCount(tx, draft.user_id) >= kMaxGoals) {
            throw Error(ErrorKind::kConflict, "goal.limit_reached",
                        "at most " + std::to_string(kMaxGoals) + " goals: delete one first");
        }
        co_await repository_->Insert(tx, draft);
        co_await ReplaceLinks(tx, draft);
        auto found = co_await repository_->Find(tx, draft.id);
        Goal stored = std::move(*found);
        co_await subdomain_.AddEvent(tx, request, stored.user_id, stored.id, "goal.created",
                                     GoalPayload(stored));
        co_return stored;
    });
    co_await GoalChanged(created.id, request.shard);
    co_return created;
}

asio::awaitable<Goal> GoalService::Update(const ActingRequest& request, Uuid id, GoalChange change) {
    Goal updated = co_await subdomain_.Write(request, [&](db::Transaction& tx) -> asio::awaitable<Goal> {
        auto locked = co_await repository_->LockWritable(tx, id);
        Goal g = FoundOr(std::move(locked), kGoalNotFound);
        if (change.name) g.name = *change.name;
        if (change.target_amount) g.target_amount = *change.target_amount;
        if (change.currency) g.currency = *change.currency;
        if (change.target_date) g.target_date = *change.target_date;
        if (change.monthly_contribution) g.monthly_contribution = *change.monthly_contribution;
        if (change.notes) g.notes = *change.notes;
        co_await repository_->Update(tx, g);
        if (change.portfolio_ids) {
            g.portfolio_ids = *change.portfolio_ids;
            co_await ReplaceLinks(tx, g);
        }
        auto found = co_await repository_->Find(tx, id);
        Goal stored = std::move(*found);
        co_await subdomain_.AddEvent(tx, request, stored.user_id, stored.id, "goal.updated",
                                     GoalPayload(stored));
        co_return stored;
    });
    co_await GoalChanged(id, request.shard);
    co_return updated;
}

asio::awaitable<void> GoalService::GoalChanged(Uuid goal, std::size_t shard) {
    if (!goal_hook_) co_return;
    std::string error;
    try {
        co_await goal_hook_(goal, shard);
    } catch (const std::exception& e) {
        error = e.what();
    }
    if (!error.empty()) spdlog::warn("portfolio: after-goal hook for {} failed: {}", goal.ToString(), error);
}

asio::awaitable<void> GoalService::Delete(const ActingRequest& request, Uuid id) {
    co_await subdomain_.Write(request, [&](db::Transaction& tx) -> asio::awaitable<void> {
        auto locked = co_await repository_->LockWritable(tx, id);
        Goal g = FoundOr(std::move(locked), kGoalNotFound);
        co_await repository_->Delete(tx, id);
        co_await subdomain_.AddEvent(tx, request, g.user_id, id, "goal.deleted", GoalPayload(g));
    });
}

asio::awaitable<std::vector<Uuid>> GoalService::GoalsLinkedTo(std::vector<PortfolioId> portfolios,
                                                              std::size_t shard) {
    if (portfolios.empty()) co_return std::vector<Uuid>{};
    // goal_portfolios is under row-level security: read it as SYSTEM.
    co_return co_await subdomain_.ReadAsSystem(
        shard, [&](db::Transaction& tx) { return repository_->LinkedGoals(tx, portfolios); });
}

asio::awaitable<bool> GoalService::RaiseMilestone(Uuid goal,
                                                  int pct,
                                                  std::string payload,
                                                  std::size_t shard) {
    co_return co_await subdomain_.WriteAsSystem(shard, [&](db::Transaction& tx) -> asio::awaitable<bool> {
        auto owner = co_await repository_->RaiseMilestone(tx, goal, pct);
        if (!owner) co_return false;
        co_await repository_->AddMilestoneEvent(tx, *owner, goal, payload);
        co_return true;
    });
}

}  // namespace nn::portfolio
