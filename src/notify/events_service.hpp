#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "core/actor.hpp"
#include "notify/model.hpp"
#include "notify/repository.hpp"
#include "portfolio/notify_directory.hpp"

namespace nn::db {
class Pool;
}

namespace nn::notify {

// The recorded events (the timescale database the outbox relay fills): the audit trail for
// administrators and a portfolio's trading events for whoever may see the portfolio. Every read
// is one read-only transaction acting as the caller (db::RunAs), so row-level security applies
// on top of the checks here.
class EventsService {
public:
    // The shard's pool of the timescale database as nexanest_notify.
    using EventsPool = std::function<db::Pool&(std::size_t shard)>;

    EventsService(std::shared_ptr<Repository> repository,
                  EventsPool events,
                  std::shared_ptr<portfolio::NotifyDirectory> portfolios);

    // nn::Error kForbidden "auth.forbidden" unless `actor` is an administrator (ADMIN or
    // SUPERUSER). Audit checks it too; the handler calls it before reading its parameters, so a
    // non-administrator learns nothing about them.
    static void RequireAuditor(const Actor& actor);

    // Up to `limit` entries matching `filter`, newest first.
    boost::asio::awaitable<std::vector<AuditEntry>> Audit(Actor actor,
                                                          AuditFilter filter,
                                                          std::size_t limit,
                                                          std::size_t shard);

    // Up to `limit` trading events of `portfolio` after `after`, newest first. The portfolio
    // domain decides who sees the portfolio (owner, advisors with a grant, administrators);
    // without its directory nothing is visible. nn::Error kNotFound "portfolio.not_found" when
    // `actor` may not see it.
    boost::asio::awaitable<std::vector<TradingEvent>> PortfolioEvents(
        Actor actor,
        PortfolioId portfolio,
        std::optional<std::pair<Timestamp, std::int64_t>> after,
        std::size_t limit,
        std::size_t shard);

private:
    std::shared_ptr<Repository> repo_;
    EventsPool events_;
    std::shared_ptr<portfolio::NotifyDirectory> portfolios_;
};

}  // namespace nn::notify
