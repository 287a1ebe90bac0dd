#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/actor.hpp"
#include "portfolio/watchlists/model.hpp"

namespace nn::db {
class Transaction;
}

namespace nn::portfolio {

// Every SQL statement of the watchlists (portfolio.watchlists, watchlist_items and their outbox
// rows). Each runs inside the transaction the service opened as the acting user, so RLS decides
// what a call sees; the service decides what a missing row means.
class WatchlistRepository {
public:
    virtual ~WatchlistRepository() = default;

    // The actor's watchlists (at most 500) with their items.
    virtual boost::asio::awaitable<std::vector<Watchlist>> List(db::Transaction& tx) = 0;
    // One watchlist with its items; nullopt when the actor cannot see it.
    virtual boost::asio::awaitable<std::optional<Watchlist>> Find(db::Transaction& tx, WatchlistId id) = 0;
    // The watchlist locked for a write (without items); nullopt when it is absent or the actor
    // may read but not write it.
    virtual boost::asio::awaitable<std::optional<Watchlist>> LockWritable(db::Transaction& tx,
                                                                          WatchlistId id) = 0;
    // Inserts the watchlist alone (its items go through InsertItem).
    virtual boost::asio::awaitable<Watchlist> Insert(db::Transaction& tx, const Watchlist& draft) = 0;
    // Stores name and description; returns the watchlist with its items.
    virtual boost::asio::awaitable<Watchlist> Update(db::Transaction& tx,
                                                     WatchlistId id,
                                                     const std::string& name,
                                                     const std::optional<std::string>& description) = 0;
    virtual boost::asio::awaitable<void> Delete(db::Transaction& tx, WatchlistId id) = 0;
    // Marks the watchlist changed (updated_at) after a change of its items.
    virtual boost::asio::awaitable<void> Touch(db::Transaction& tx, WatchlistId id) = 0;

    // nullopt when the watchlist already holds the symbol (the transaction is then aborted).
    virtual boost::asio::awaitable<std::optional<WatchlistItem>> InsertItem(db::Transaction& tx,
                                                                            WatchlistId list,
                                                                            UserId owner,
                                                                            const WatchlistItem& item) = 0;
    // The item locked for a write; nullopt when the watchlist has no such item.
    virtual boost::asio::awaitable<std::optional<WatchlistItem>> LockItem(db::Transaction& tx,
                                                                          WatchlistId list,
                                                                          Uuid item_id) = 0;
    // Stores the conditions and notes; a changed condition is re-armed.
    virtual boost::asio::awaitable<WatchlistItem> UpdateItem(db::Transaction& tx,
                                                             WatchlistId list,
                                                             Uuid item_id,
                                                             const WatchlistItem& values) = 0;
    // False when the watchlist has no such item.
    virtual boost::asio::awaitable<bool> DeleteItem(db::Transaction& tx, WatchlistId list, Uuid item_id) = 0;

    // One portfolio.outbox row (aggregate "watchlist") in the same transaction.
    virtual boost::asio::awaitable<void> AddEvent(db::Transaction& tx,
                                                  const Actor& actor,
                                                  UserId owner,
                                                  WatchlistId list,
                                                  std::string_view event,
                                                  const std::string& payload,
                                                  const std::string& request_id) = 0;
};

}  // namespace nn::portfolio
