#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/ids.hpp"
#include "portfolio/live_presence.hpp"
#include "portfolio/model.hpp"

namespace nn {
class App;
}
namespace nn::market {
class RateDirectory;
}

// Portfolio values for live push (docs/notify.md "Live push"): after the price consumer moved
// holdings (and after transaction writes) the values of the affected portfolios are appended,
// as one entry, to a Redis stream every instance's notify live feed reads, so an SSE connection
// on any instance sees the change. The values are those of value_totals.hpp (docs/portfolio.md
// "Value"): holdings at current price x current rate plus all cash, foreign cash at the current
// rate; a value that needs a missing price or rate is null with `value_status` saying which.
// Only portfolios whose owner has a live stream open somewhere are read and published
// (live_presence.hpp): the others' values would reach nobody.
namespace nn::portfolio {

class Repository;

struct ValueFeedOptions {
    std::string stream = "nn:events:portfolio_values";
    std::int64_t max_len = 10000;  // approximate MAXLEN: only the newest values matter
    LivePresenceOptions presence;  // the same as the live streams' (notify ModuleOptions)
};

class ValueFeed {
public:
    // `repo`: the domain's repository (MakeServices', Service::Repo()); `rates`: the market's
    // current rates (the portfolio service's, Service::Rates()).
    ValueFeed(App& app,
              std::shared_ptr<Repository> repo,
              std::shared_ptr<market::RateDirectory> rates,
              ValueFeedOptions options = {})
        : app_(app),
          repo_(std::move(repo)),
          rates_(std::move(rates)),
          options_(std::move(options)),
          presence_(options_.presence) {}

    // One XADD with field `values` = [{portfolio_id, user_id, name, currency, total_value,
    // holdings_value, cash_value, value_status, time}] for the portfolios whose owner is watched;
    // returns the entry id ("" when none is both watched and active: then nothing is read). By
    // value: a coroutine must own its arguments.
    boost::asio::awaitable<std::string> Publish(std::vector<ChangedPortfolio> changed, std::size_t shard);

    const ValueFeedOptions& Options() const noexcept { return options_; }

private:
    App& app_;
    std::shared_ptr<Repository> repo_;
    std::shared_ptr<market::RateDirectory> rates_;
    ValueFeedOptions options_;
    LivePresence presence_;
};

}  // namespace nn::portfolio
