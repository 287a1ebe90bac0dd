#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/decimal.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"

// Watchlists and their alert conditions (portfolio.watchlists / watchlist_items): the values and
// their pure rules. Evaluating the conditions belongs to the notifications service, which reads
// the armed flags through portfolio::NotifyDirectory.
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
// What one user holds, against kMaxWatchlists and kMaxWatchlistItems.
struct WatchlistCounts {
    std::int64_t lists = 0;
    std::int64_t items = 0;
};

// A user's watchlists are one answer (GET /watchlists, items inline): at most 50 lists and 1 000
// symbols over all of them, so the answer stays under about 9 MB with every note at its 2 000
// characters (unbounded, 300 lists of 200 items once made a 133 MB answer and 628 MB of RSS).
inline constexpr std::int64_t kMaxWatchlists = 50;
inline constexpr std::int64_t kMaxWatchlistItems = 1000;

struct WatchlistItemChange {
    std::optional<Decimal> alert_above, alert_below, alert_change_pct;
    bool set_above = false, set_below = false, set_change = false;
    std::optional<std::optional<std::string>> notes;
};

// Below must stay under above when both are set; returns the problem or nullopt.
std::optional<std::string> CheckAlertBounds(const std::optional<Decimal>& above,
                                            const std::optional<Decimal>& below);

}  // namespace nn::portfolio
