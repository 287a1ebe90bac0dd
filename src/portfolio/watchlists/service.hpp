#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/decimal.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "portfolio/pg_repository.hpp"

namespace nn {
class App;
}

// Watchlists and their alert conditions (portfolio.watchlists / watchlist_items). Storage and
// API only: evaluating the conditions belongs to the notifications service, which reads the
// armed flags. Every call runs as the acting user under RLS; every write adds one outbox row in
// the same transaction.
namespace nn::portfolio {

struct WatchlistItem {
    Uuid id;
    std::string symbol;
    std::optional<Decimal> alert_above;       // price above
    std::optional<Decimal> alert_below;       // price below
    std::optional<Decimal> alert_change_pct;  // |daily change| beyond this percentage
    bool above_armed = true;
    bool below_armed = true;
    bool change_armed = true;
    std::optional<Decimal> last_price;
    std::optional<Timestamp> last_triggered_at;
    std::optional<std::string> notes;
    Timestamp created_at{};
    Timestamp updated_at{};
};

struct Watchlist {
    WatchlistId id;
    UserId user_id;
    std::string name;
    std::optional<std::string> description;
    Timestamp created_at{};
    Timestamp updated_at{};
    std::vector<WatchlistItem> items;
};

// A partial change of an item: a condition with set_* false keeps the stored value; set_* with
// no value clears it; notes likewise (outer optional = sent).
struct WatchlistItemChange {
    std::optional<Decimal> alert_above, alert_below, alert_change_pct;
    bool set_above = false, set_below = false, set_change = false;
    std::optional<std::optional<std::string>> notes;
};

class WatchlistService {
public:
    explicit WatchlistService(App& app) : app_(app) {}

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
    App& app_;
};

// Below must stay under above when both are set; returns the problem or nullopt.
std::optional<std::string> CheckAlertBounds(const std::optional<Decimal>& above,
                                            const std::optional<Decimal>& below);

}  // namespace nn::portfolio
