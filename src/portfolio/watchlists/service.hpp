#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/actor.hpp"
#include "portfolio/subdomain.hpp"
#include "portfolio/watchlists/model.hpp"
#include "portfolio/watchlists/repository.hpp"

// The watchlist use cases. Storage and API only: evaluating the conditions belongs to the
// notifications service, which reads the armed flags. Every call runs as the acting user under
// RLS; every write adds one outbox row in the same transaction.
namespace nn::portfolio {

class Repository;

inline constexpr RowNotFound kWatchlistNotFound{"watchlist.not_found", "no such watchlist"};
inline constexpr RowNotFound kItemNotFound{"watchlist.item_not_found", "no such watchlist item"};

class WatchlistService {
public:
    // `core`: the portfolio repository (the watchlists' outbox rows, through the Subdomain).
    WatchlistService(App& app,
                     std::shared_ptr<Repository> core,
                     std::shared_ptr<WatchlistRepository> repository)
        : subdomain_(app, std::move(core), "watchlist"), repository_(std::move(repository)) {}

    boost::asio::awaitable<std::vector<Watchlist>> List(const Actor& actor, std::size_t shard);
    boost::asio::awaitable<Watchlist> Get(const Actor& actor, WatchlistId id, std::size_t shard);
    // Creates the watchlist with its initial items; a duplicate symbol is 409.
    boost::asio::awaitable<Watchlist> Create(const ActingRequest& request, Watchlist draft);
    boost::asio::awaitable<Watchlist> Update(const ActingRequest& request,
                                             WatchlistId id,
                                             std::optional<std::string> name,
                                             std::optional<std::optional<std::string>> description);
    boost::asio::awaitable<void> Delete(const ActingRequest& request, WatchlistId id);
    boost::asio::awaitable<WatchlistItem> AddItem(const ActingRequest& request,
                                                  WatchlistId id,
                                                  WatchlistItem item);
    // Changing a condition re-arms it (a new threshold starts from a clean state).
    boost::asio::awaitable<WatchlistItem> UpdateItem(const ActingRequest& request,
                                                     WatchlistId id,
                                                     Uuid item_id,
                                                     WatchlistItemChange change);
    boost::asio::awaitable<void> RemoveItem(const ActingRequest& request, WatchlistId id, Uuid item_id);

private:
    Subdomain subdomain_;
    std::shared_ptr<WatchlistRepository> repository_;
};

}  // namespace nn::portfolio
