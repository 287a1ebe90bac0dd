#pragma once

#include <optional>
#include <string>

#include "portfolio/subdomain_rows.hpp"
#include "portfolio/watchlists/model.hpp"

namespace nn::portfolio {

// Every SQL statement of the watchlists (portfolio.watchlists, watchlist_items; their outbox rows
// go through the Subdomain). List and Find return the watchlists with their items, LockWritable
// without them (subdomain_rows.hpp).
class WatchlistRepository : public SubdomainRows<Watchlist, WatchlistId> {
public:
    // Inserts the watchlist alone (its items go through InsertItem).
    virtual boost::asio::awaitable<Watchlist> Insert(db::Transaction& tx, const Watchlist& draft) = 0;
    // Stores name and description; returns the watchlist with its items.
    virtual boost::asio::awaitable<Watchlist> Update(db::Transaction& tx,
                                                     WatchlistId id,
                                                     const std::string& name,
                                                     const std::optional<std::string>& description) = 0;
    // How many watchlists and items (over all its lists) `owner` has, with the owner's watchlists
    // locked for this transaction (one writer of a user's lists at a time, so a limit holds).
    virtual boost::asio::awaitable<WatchlistCounts> LockAndCount(db::Transaction& tx, UserId owner) = 0;
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
};

}  // namespace nn::portfolio
