#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/actor.hpp"
#include "portfolio/watchlists/model.hpp"
#include "portfolio/watchlists/repository.hpp"

namespace nn {
class App;
}

// The watchlist use cases. Storage and API only: evaluating the conditions belongs to the
// notifications service, which reads the armed flags. Every call runs as the acting user under
// RLS; every write adds one outbox row in the same transaction.
namespace nn::portfolio {

class WatchlistService {
public:
    WatchlistService(App& app, std::shared_ptr<WatchlistRepository> repository)
        : app_(app), repository_(std::move(repository)) {}

    boost::asio::awaitable<std::vector<Watchlist>> List(const Actor& actor, std::size_t shard);
    boost::asio::awaitable<Watchlist> Get(const Actor& actor, WatchlistId id, std::size_t shard);
    // Creates the watchlist with its initial items; a duplicate symbol is 409.
    boost::asio::awaitable<Watchlist> Create(const Actor& actor,
                                             Watchlist draft,
                                             const std::string& request_id,
                                             std::size_t shard);
    boost::asio::awaitable<Watchlist> Update(const Actor& actor,
                                             WatchlistId id,
                                             std::optional<std::string> name,
                                             std::optional<std::optional<std::string>> description,
                                             const std::string& request_id,
                                             std::size_t shard);
    boost::asio::awaitable<void> Delete(const Actor& actor,
                                        WatchlistId id,
                                        const std::string& request_id,
                                        std::size_t shard);
    boost::asio::awaitable<WatchlistItem> AddItem(const Actor& actor,
                                                  WatchlistId id,
                                                  WatchlistItem item,
                                                  const std::string& request_id,
                                                  std::size_t shard);
    // Changing a condition re-arms it (a new threshold starts from a clean state).
    boost::asio::awaitable<WatchlistItem> UpdateItem(const Actor& actor,
                                                     WatchlistId id,
                                                     Uuid item_id,
                                                     WatchlistItemChange change,
                                                     const std::string& request_id,
                                                     std::size_t shard);
    boost::asio::awaitable<void> RemoveItem(
        const Actor& actor, WatchlistId id, Uuid item_id, const std::string& request_id, std::size_t shard);

private:
    boost::asio::awaitable<Watchlist> LockWritable(db::Transaction& tx, WatchlistId id);

    App& app_;
    std::shared_ptr<WatchlistRepository> repository_;
};

}  // namespace nn::portfolio
