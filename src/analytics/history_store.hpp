#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "analytics/history.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "infra/db/pool.hpp"
#include "portfolio/model.hpp"
#include "portfolio/repository.hpp"

// The rebuilt daily history stored in analytics.portfolio_history (docs/analytics.md §14), as
// the acting user under RLS. A build is valid for the ledger it was built from: the fingerprint
// names the ledger's version, which every added, edited or deleted transaction moves (issue 16:
// naming the transactions themselves meant reading all of them on every request).
namespace nn::analytics {

// The version of the reconstruction's conventions (docs/analytics.md §10), part of every
// fingerprint: changing a convention makes every stored history stale.
inline constexpr std::string_view kHistoryConvention = "history-v2";

// SHA-256 (hex) of the convention version, the ledger's version (portfolio::LedgerHead) and the
// portfolio currency.
std::string LedgerFingerprint(std::int64_t ledger_version, Currency base);

struct HistoryBuild {
    Date first_day;
    Date last_day;
    std::string fingerprint;
};

// The stored period [first, last] (its opening value is the row of first - 1) when the build
// matches `fingerprint` and covers it; nullopt otherwise.
boost::asio::awaitable<std::optional<History>> LoadStoredHistory(
    db::Pool& pool, Actor actor, PortfolioId id, std::string fingerprint, Date first, Date last);

// Stores `history` (the period starting at `first`): with the same fingerprint and a range that
// overlaps or touches the stored one, the days are replaced and the build's range extended;
// otherwise every stored day is replaced. Throws db::InsufficientPrivilege when the actor may
// not write (a READ advisor).
boost::asio::awaitable<HistoryBuild> StoreHistory(db::Pool& pool,
                                                  Actor actor,
                                                  PortfolioId id,
                                                  UserId owner,
                                                  std::string currency,
                                                  std::string fingerprint,
                                                  History history);

}  // namespace nn::analytics
