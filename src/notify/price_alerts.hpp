#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "infra/redis/client.hpp"
#include "notify/notifier.hpp"

namespace nn {
class App;
}

namespace nn::notify {

struct PriceAlertOptions {
    std::string stream = "nn:events:prices";
    std::string group = "notify.alerts";
    std::string consumer = "notify";
    std::int64_t batch = 100;
    std::chrono::milliseconds block{2000};
    std::chrono::milliseconds claim_idle{60000};  // entries a dead consumer left pending
    // Above re-arms once the price is below alert_above × (1 − hysteresis), below once it is above
    // alert_below × (1 + hysteresis); a decimal string (numeric in SQL).
    std::string hysteresis = "0.005";
};

// Watchlist price alerts (docs/notify.md "Price alerts"): reads the market's price stream in a
// consumer group (shard 0), evaluates the watchlist items of each symbol in the portfolio
// database (portfolio role, SYSTEM context) and notifies PRICE_ALERT when an armed condition is
// crossed. Firing disarms the condition in the same transaction that evaluated it; the entry is
// acknowledged after that transaction commits.
class PriceAlertProducer : public std::enable_shared_from_this<PriceAlertProducer> {
public:
    PriceAlertProducer(App& app, std::shared_ptr<Notifier> notifier, PriceAlertOptions options = {});

    // One round: entries pending too long (XAUTOCLAIM), then new ones (XREADGROUP, blocking up to
    // `block`). Returns how many entries were handled.
    boost::asio::awaitable<std::size_t> RunOnce();
    // Evaluates one price tick (`time` RFC 3339); returns how many notifications it fired. By
    // value: a coroutine must own its arguments.
    boost::asio::awaitable<int> Evaluate(std::string symbol, std::string price, std::string time);
    void Start();
    void Stop();

private:
    boost::asio::awaitable<void> Handle(const std::vector<redis::StreamEntry>& entries);

    App& app_;
    std::shared_ptr<Notifier> notifier_;
    PriceAlertOptions options_;
    bool group_ready_ = false;
    std::shared_ptr<bool> stop_;
};

}  // namespace nn::notify
