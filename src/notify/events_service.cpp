#include "notify/events_service.hpp"

#include "core/error.hpp"
#include "infra/db/transaction.hpp"

namespace nn::notify {
namespace asio = boost::asio;

EventsService::EventsService(std::shared_ptr<Repository> repository,
                             EventsPool events,
                             std::shared_ptr<portfolio::NotifyDirectory> portfolios)
    : repo_(std::move(repository)), events_(std::move(events)), portfolios_(std::move(portfolios)) {}

void EventsService::RequireAuditor(const Actor& actor) {
    if (actor.role != Role::kAdmin && actor.role != Role::kSuperuser) {
        throw Error(ErrorKind::kForbidden, "auth.forbidden", "the audit trail is for administrators");
    }
}

asio::awaitable<std::vector<AuditEntry>> EventsService::Audit(Actor actor,
                                                              AuditFilter filter,
                                                              std::size_t limit,
                                                              std::size_t shard) {
    RequireAuditor(actor);
    std::vector<AuditEntry> entries;
    co_await db::RunAs(events_(shard), actor, db::TransactionOptions().ReadOnly(),
                       [&](db::Transaction& tx) -> asio::awaitable<void> {
                           entries = co_await repo_->Audit(tx, filter, limit);
                       });
    co_return entries;
}

asio::awaitable<std::vector<TradingEvent>> EventsService::PortfolioEvents(
    Actor actor,
    PortfolioId portfolio,
    std::optional<std::pair<Timestamp, std::int64_t>> after,
    std::size_t limit,
    std::size_t shard) {
    bool visible = false;
    if (portfolios_) visible = co_await portfolios_->Visible(actor, portfolio, shard);
    if (!visible) throw Error(ErrorKind::kNotFound, "portfolio.not_found", "no such portfolio");
    auto acting = db::TransactionOptions().ActingAs(actor).ReadOnly();
    std::vector<TradingEvent> events;
    co_await db::RunInTransaction(events_(shard), acting, [&](db::Transaction& tx) -> asio::awaitable<void> {
        events = co_await repo_->TradingEvents(tx, portfolio, after, limit);
    });
    co_return events;
}

}  // namespace nn::notify
