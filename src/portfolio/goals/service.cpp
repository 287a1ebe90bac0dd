#include "portfolio/goals/service.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/error.hpp"
#include "core/money.hpp"
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

constexpr db::Query kCurrentRate{
    "SELECT rate FROM market_data.latest_exchange_rates WHERE base = $1 AND quote = $2 "
    "UNION ALL SELECT round(1 / rate, 12) FROM market_data.latest_exchange_rates WHERE base = $2 AND quote = "
    "$1 "
    "LIMIT 1",
    "portfolio.goal_current_rate"};

Error GoalNotFound() {
    return Error(ErrorKind::kNotFound, "goal.not_found", "no such goal");
}

std::vector<PortfolioId> ParseIds(const std::string& text) {
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

Goal ReadGoal(const db::Row& r) {
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
    g.portfolio_ids = ParseIds(r.Get<std::string>(11));
    return g;
}

db::TextArray IdArray(const std::vector<PortfolioId>& ids) {
    std::vector<std::optional<std::string>> items;
    for (const auto& id : ids) items.push_back(id.ToString());
    return db::TextArray(items);
}

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

asio::awaitable<Goal> LockWritableGoal(db::Transaction& tx, Uuid id) {
    std::optional<Goal> g;
    try {
        auto res = co_await tx.Execute(kSelectGoalForUpdate, id);
        if (!res.Empty()) g = ReadGoal(res[0]);
    } catch (const db::InsufficientPrivilege&) {
        throw GoalNotFound();
    }
    if (!g) throw GoalNotFound();
    co_return *g;
}

asio::awaitable<void> WriteLinks(db::Transaction& tx, const Goal& g) {
    co_await tx.Execute(kDeleteLinks, g.id);
    if (g.portfolio_ids.empty()) co_return;
    try {
        co_await tx.Execute(kInsertLinks, g.id, g.user_id, IdArray(g.portfolio_ids));
    } catch (const db::ForeignKeyViolation&) {
        throw Error(ErrorKind::kUnprocessable, "goal.portfolio_not_found",
                    "a linked portfolio does not exist or belongs to someone else");
    } catch (const db::UniqueViolation&) {
        throw Error(ErrorKind::kUnprocessable, "goal.duplicate_portfolio", "a portfolio is linked twice");
    }
}

}  // namespace

asio::awaitable<std::vector<Goal>> GoalService::List(const Actor& actor, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_return co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                                 [&](db::Transaction& tx) -> asio::awaitable<std::vector<Goal>> {
                                     auto res = co_await tx.Execute(kListGoals);
                                     std::vector<Goal> out;
                                     for (auto row : res) out.push_back(ReadGoal(row));
                                     co_return out;
                                 });
}

asio::awaitable<std::optional<Decimal>> GoalService::CurrentRate(const std::string& from,
                                                                 const std::string& to,
                                                                 std::size_t shard) {
    if (from == to) co_return Decimal::FromInt(1);
    try {
        auto& ts = app_.Db(ServiceRole::kPortfolio, Database::kTimescale, shard);
        auto res = co_await ts.Execute(kCurrentRate, from, to);
        if (!res.Empty()) co_return Decimal::Div(res[0].Get<Decimal>(0), Decimal::FromInt(1), 12);
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
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    GoalView view;
    view.goal = co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                                   [&](db::Transaction& tx) -> asio::awaitable<Goal> {
                                       auto res = co_await tx.Execute(kSelectGoal, id);
                                       if (res.Empty()) throw GoalNotFound();
                                       co_return ReadGoal(res[0]);
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

asio::awaitable<Goal> GoalService::Create(const Actor& actor,
                                          Goal draft,
                                          const std::string& request_id,
                                          std::size_t shard) {
    draft.id = Uuid::GenerateV7();
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    Goal created = co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<Goal> {
        co_await tx.Execute(kInsertGoal, draft.id, draft.user_id, draft.name, draft.target_amount,
                            std::string(draft.currency.Code()), FormatDate(draft.target_date),
                            draft.monthly_contribution, draft.notes);
        co_await WriteLinks(tx, draft);
        auto res = co_await tx.Execute(kSelectGoal, draft.id);
        Goal stored = ReadGoal(res[0]);
        co_await PgRepository::InsertOutbox(tx, actor, stored.user_id, "goal", stored.id.ToString(),
                                            "goal.created", GoalPayload(stored), request_id);
        co_return stored;
    });
    co_await GoalChanged(created.id, shard);
    co_return created;
}

asio::awaitable<Goal> GoalService::Update(
    const Actor& actor, Uuid id, GoalChange change, const std::string& request_id, std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    Goal updated = co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<Goal> {
        Goal g = co_await LockWritableGoal(tx, id);
        if (change.name) g.name = *change.name;
        if (change.target_amount) g.target_amount = *change.target_amount;
        if (change.currency) g.currency = *change.currency;
        if (change.target_date) g.target_date = *change.target_date;
        if (change.monthly_contribution) g.monthly_contribution = *change.monthly_contribution;
        if (change.notes) g.notes = *change.notes;
        co_await tx.Execute(kUpdateGoal, id, g.name, g.target_amount, std::string(g.currency.Code()),
                            FormatDate(g.target_date), g.monthly_contribution, g.notes);
        if (change.portfolio_ids) {
            g.portfolio_ids = *change.portfolio_ids;
            co_await WriteLinks(tx, g);
        }
        auto res = co_await tx.Execute(kSelectGoal, id);
        Goal stored = ReadGoal(res[0]);
        co_await PgRepository::InsertOutbox(tx, actor, stored.user_id, "goal", stored.id.ToString(),
                                            "goal.updated", GoalPayload(stored), request_id);
        co_return stored;
    });
    co_await GoalChanged(id, shard);
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

asio::awaitable<void> GoalService::Delete(const Actor& actor,
                                          Uuid id,
                                          const std::string& request_id,
                                          std::size_t shard) {
    auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
    co_await db::RunAs(pool, actor, [&](db::Transaction& tx) -> asio::awaitable<void> {
        Goal g = co_await LockWritableGoal(tx, id);
        co_await tx.Execute(kDeleteGoal, id);
        co_await PgRepository::InsertOutbox(tx, actor, g.user_id, "goal", id.ToString(), "goal.deleted",
                                            GoalPayload(g), request_id);
    });
}

}  // namespace nn::portfolio
