#pragma once

#include "portfolio/watchlists/repository.hpp"

namespace nn::portfolio {

// The watchlist statements on the portfolio database (portfolio.watchlists, watchlist_items).
class PgWatchlistRepository final : public WatchlistRepository {
public:
    boost::asio::awaitable<std::vector<Watchlist>> List(db::Transaction& tx) override;
    boost::asio::awaitable<std::optional<Watchlist>> Find(db::Transaction& tx, WatchlistId id) override;
    boost::asio::awaitable<std::optional<Watchlist>> LockWritable(db::Transaction& tx,
                                                                  WatchlistId id) override;
    boost::asio::awaitable<Watchlist> Insert(db::Transaction& tx, const Watchlist& draft) override;
    boost::asio::awaitable<Watchlist> Update(db::Transaction& tx,
                                             WatchlistId id,
                                             const std::string& name,
                                             const std::optional<std::string>& description) override;
    boost::asio::awaitable<void> Delete(db::Transaction& tx, WatchlistId id) override;
    boost::asio::awaitable<void> Touch(db::Transaction& tx, WatchlistId id) override;
    boost::asio::awaitable<WatchlistCounts> LockAndCount(db::Transaction& tx, UserId owner) override;
    boost::asio::awaitable<std::optional<WatchlistItem>> InsertItem(db::Transaction& tx,
                                                                    WatchlistId list,
                                                                    UserId owner,
                                                                    const WatchlistItem& item) override;
    boost::asio::awaitable<std::optional<WatchlistItem>> LockItem(db::Transaction& tx,
                                                                  WatchlistId list,
                                                                  Uuid item_id) override;
    boost::asio::awaitable<WatchlistItem> UpdateItem(db::Transaction& tx,
                                                     WatchlistId list,
                                                     Uuid item_id,
                                                     const WatchlistItem& values) override;
    boost::asio::awaitable<bool> DeleteItem(db::Transaction& tx, WatchlistId list, Uuid item_id) override;
};

}  // namespace nn::portfolio
