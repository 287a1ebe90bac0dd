#include "portfolio/notify_directory.hpp"

#include "infra/app/app.hpp"
#include "infra/db/pool.hpp"
#include "infra/db/transaction.hpp"
#include "portfolio/repository.hpp"

namespace nn::portfolio {
namespace asio = boost::asio;

namespace {

class RepositoryNotifyDirectory final : public NotifyDirectory {
public:
    RepositoryNotifyDirectory(App& app, std::shared_ptr<Repository> repo)
        : app_(app), repo_(std::move(repo)) {}

    asio::awaitable<bool> Visible(Actor actor, PortfolioId id, std::size_t shard) override {
        auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
        co_return co_await db::RunAs(pool, actor, db::TransactionOptions().ReadOnly(),
                                     [&](db::Transaction& tx) -> asio::awaitable<bool> {
                                         co_return co_await repo_->PortfolioVisible(tx, id);
                                     });
    }

    asio::awaitable<std::set<std::string>> InterestOf(UserId user, std::size_t shard) override {
        auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
        auto tx = co_await pool.Begin(db::TransactionOptions().ActingAs(Actor(user, Role::kUser)).ReadOnly());
        std::set<std::string> symbols = co_await repo_->InterestOf(tx, user);
        co_await tx.Commit();
        co_return symbols;
    }

    asio::awaitable<std::set<std::string>> SymbolsWithAlerts(std::vector<std::string> symbols,
                                                             std::size_t shard) override {
        if (symbols.empty()) co_return std::set<std::string>();
        auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
        db::Transaction tx =
            co_await pool.Begin(db::TransactionOptions().ActingAs(Actor::System()).ReadOnly());
        std::set<std::string> out = co_await repo_->SymbolsWithAlerts(tx, symbols);
        co_await tx.Commit();
        co_return out;
    }

    asio::awaitable<void> EvaluateAlerts(AlertTick tick, OnFired on_fired, std::size_t shard) override {
        auto& pool = app_.Db(ServiceRole::kPortfolio, Database::kPortfolio, shard);
        db::Transaction tx = co_await pool.Begin(db::TransactionOptions().ActingAs(Actor::System()));
        const std::size_t candidates = co_await repo_->RearmAlerts(tx, tick);
        if (candidates == 0) {
            co_await tx.Commit();
            co_return;
        }
        const FiredAlerts fired = co_await repo_->FireAlerts(tx, tick);
        co_await repo_->MarkAlertsEvaluated(tx, tick);
        co_await on_fired(fired);
        co_await tx.Commit();
    }

private:
    App& app_;
    std::shared_ptr<Repository> repo_;
};

}  // namespace

std::shared_ptr<NotifyDirectory> MakeNotifyDirectory(App& app, std::shared_ptr<Repository> repo) {
    // Pools are made on first use, which must happen here, before the shards serve requests.
    app.Db(ServiceRole::kPortfolio, Database::kPortfolio, 0);
    return std::make_shared<RepositoryNotifyDirectory>(app, std::move(repo));
}

}  // namespace nn::portfolio
