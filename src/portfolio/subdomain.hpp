#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "core/actor.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "infra/db/transaction.hpp"
#include "portfolio/model.hpp"

namespace nn {
class App;
}

// What the portfolio sub-domains (watchlists, goals, allocation) share, written once
// (docs/architecture.md "Rooms of a domain"). Their services hold a Subdomain; their
// repositories keep only their own tables' statements (subdomain_rows.hpp).
namespace nn::portfolio {

class Repository;

// A sub-domain write as its handler hands it over: who acts, the request id its outbox row
// carries, and the shard whose pool it runs on. Constructors, not an aggregate (GCC 12 and
// aggregate temporaries in co_await expressions, core/actor.hpp).
struct ActingRequest {
    ActingRequest(Actor a, std::string id, std::size_t s)
        : actor(std::move(a)), request_id(std::move(id)), shard(s) {}

    Actor actor;
    std::string request_id;
    std::size_t shard = 0;
};

// A sub-domain's "no such row" (404): a row that is absent, that the actor cannot see, or that
// the actor may read but not write. The handlers say the same for an id that does not parse.
struct RowNotFound {
    std::string_view code;     // "watchlist.not_found"
    std::string_view message;  // "no such watchlist"

    Error ToError() const;
};

inline constexpr RowNotFound kPortfolioNotFound{"portfolio.not_found", "no such portfolio"};

// The row, or `not_found` thrown when there is none.
template <class Row>
Row FoundOr(std::optional<Row> row, const RowNotFound& not_found) {
    if (!row) throw not_found.ToError();
    return std::move(*row);
}

// The transactions, the portfolio lookup and the outbox row of one sub-domain.
class Subdomain {
public:
    // `core`: the portfolio repository (portfolio lookup, outbox statement); `aggregate_type`: the
    // outbox aggregate of the sub-domain's rows ("watchlist", "goal", "allocation_rule").
    Subdomain(App& app, std::shared_ptr<Repository> core, std::string aggregate_type);

    // The shard's pool of the portfolio database, as the portfolio role.
    db::Pool& Pool(std::size_t shard) const;

    // `fn(db::Transaction&)` as `actor` in a read-only transaction on the shard's pool.
    template <class Fn>
    auto Read(const Actor& actor, std::size_t shard, Fn fn) const {
        return db::RunAs(Pool(shard), actor, db::TransactionOptions().ReadOnly(), std::move(fn));
    }
    // `fn(db::Transaction&)` as the request's actor in a read-write transaction.
    template <class Fn>
    auto Write(const ActingRequest& request, Fn fn) const {
        return db::RunAs(Pool(request.shard), request.actor, std::move(fn));
    }
    // The same as SYSTEM, for the watches (rows of every user, under row-level security).
    template <class Fn>
    auto ReadAsSystem(std::size_t shard, Fn fn) const {
        return db::RunAs(Pool(shard), Actor::System(), db::TransactionOptions().ReadOnly(), std::move(fn));
    }
    template <class Fn>
    auto WriteAsSystem(std::size_t shard, Fn fn) const {
        return db::RunAs(Pool(shard), Actor::System(), std::move(fn));
    }

    // The portfolio as the transaction's actor sees it; 404 portfolio.not_found otherwise.
    boost::asio::awaitable<Portfolio> VisiblePortfolio(db::Transaction& tx, PortfolioId id) const;
    // The portfolio locked for a write (FOR UPDATE serialises the writers of its rows); 404
    // portfolio.not_found when absent or when the actor may read but not write it (a READ
    // advisor: the write policy refuses the lock).
    boost::asio::awaitable<Portfolio> WritablePortfolio(db::Transaction& tx, PortfolioId id) const;

    // One portfolio.outbox row of this sub-domain's aggregate `id`, owned by `owner`, in the same
    // transaction (write-behind: Repository::InsertOutbox).
    boost::asio::awaitable<void> AddEvent(db::Transaction& tx,
                                          const ActingRequest& request,
                                          UserId owner,
                                          const Uuid& id,
                                          std::string_view event,
                                          const std::string& payload) const;

private:
    App& app_;
    std::shared_ptr<Repository> core_;
    std::string aggregate_type_;
};

}  // namespace nn::portfolio
