#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/actor.hpp"
#include "core/ids.hpp"
#include "portfolio/model.hpp"

namespace nn {
class App;
}

namespace nn::portfolio {

class Repository;

// What the notify domain may read and change of portfolios and watchlists (holdings and
// watchlist items stay the portfolio domain's tables): an abstract class as auth::UserDirectory,
// implemented by the portfolio domain (MakeNotifyDirectory) and passed in by
// apps/nexanest/modules.cpp. `shard` is the caller's shard (the implementation uses its pool).
class NotifyDirectory {
public:
    virtual ~NotifyDirectory() = default;

    // Whether `actor` may see portfolio `id`: the portfolio database's row-level security decides
    // (the owner, an advisor with a grant in the actor's client lists, administrators).
    virtual boost::asio::awaitable<bool> Visible(Actor actor, PortfolioId id, std::size_t shard) = 0;

    // The symbols `user` holds (open positions of active portfolios) or watches, read as the user.
    virtual boost::asio::awaitable<std::set<std::string>> InterestOf(UserId user, std::size_t shard) = 0;

    // Of `symbols`, those with an alert on some watchlist item.
    virtual boost::asio::awaitable<std::set<std::string>> SymbolsWithAlerts(std::vector<std::string> symbols,
                                                                            std::size_t shard) = 0;

    // Evaluates the alerts on `tick.symbol` in one transaction: re-arms by hysteresis and trading
    // date, fires (and disarms) every armed condition the tick crosses, records the tick as
    // evaluated. Ticks not newer than an item's last evaluation change nothing, and the row locks
    // make a concurrent evaluation of the same symbol wait and then find its tick stale, so a
    // crossing fires once. `on_fired` runs with what fired before the transaction commits (not
    // at all when no item of the symbol has an alert); if it throws, nothing is committed and the
    // tick may be evaluated again.
    using OnFired = std::function<boost::asio::awaitable<void>(const FiredAlerts&)>;
    virtual boost::asio::awaitable<void> EvaluateAlerts(AlertTick tick,
                                                        OnFired on_fired,
                                                        std::size_t shard) = 0;
};

// The implementation over the domain's repository (`repo`: MakeServices', its statements; portfolio
// role; SYSTEM context for the alerts, the user's for InterestOf, the actor's for Visible). Makes
// its pools at once: call it during registration.
std::shared_ptr<NotifyDirectory> MakeNotifyDirectory(App& app, std::shared_ptr<Repository> repo);

}  // namespace nn::portfolio
