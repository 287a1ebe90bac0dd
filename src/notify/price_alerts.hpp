#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "infra/redis/client.hpp"
#include "market/price_directory.hpp"
#include "notify/notifier.hpp"
#include "portfolio/notify_directory.hpp"

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
    // Entries (or elements of one) that cannot be evaluated — a malformed payload — are copied
    // here with the reason, acknowledged, logged and counted (DeadLetters()).
    std::string dead_letter_stream = "nn:events:prices:dead";
    std::int64_t dead_letter_max_len = 10000;
};

// Why a price event entry cannot be evaluated as a whole or in part ("" when it can): a missing
// or unknown kind, prices that are not a JSON array, or elements without a valid symbol (1-32 of
// A-Z a-z 0-9 ^.=_:-), a positive decimal price string and an RFC 3339 time (named by index).
// `valid` receives the evaluable (symbol, price, time) elements.
struct PriceTick {
    std::string symbol, price, time;
};
std::string CheckPriceEntry(const redis::FieldValues& fields, std::vector<PriceTick>& valid);

// Watchlist price alerts (docs/notify.md "Price alerts"): reads the market's price stream in a
// consumer group (shard 0), has the portfolio domain evaluate the watchlist items of each symbol
// (portfolio::NotifyDirectory::EvaluateAlerts) and notifies PRICE_ALERT when an armed condition
// is crossed. Firing disarms the condition in the same transaction that evaluated it; the
// notification is written before that transaction commits and the entry acknowledged after.
// Without `portfolios` nothing is evaluated; without `prices` (market::PriceDirectory, the previous
// close) the daily-change condition is not.
class PriceAlertProducer : public std::enable_shared_from_this<PriceAlertProducer> {
public:
    PriceAlertProducer(App& app,
                       std::shared_ptr<Notifier> notifier,
                       std::shared_ptr<portfolio::NotifyDirectory> portfolios,
                       std::shared_ptr<market::PriceDirectory> prices,
                       PriceAlertOptions options = {});

    // One round: entries pending too long (XAUTOCLAIM), then new ones (XREADGROUP, blocking up to
    // `block`). Returns how many entries were handled.
    boost::asio::awaitable<std::size_t> RunOnce();
    // Evaluates one price tick (`time` RFC 3339); returns how many notifications it fired. By
    // value: a coroutine must own its arguments.
    boost::asio::awaitable<int> Evaluate(std::string symbol, std::string price, std::string time);
    void Start();
    void Stop();
    // Entries moved to the dead-letter stream since start (read from any thread, /metrics).
    std::uint64_t DeadLetters() const noexcept { return dead_letters_->load(); }
    const PriceAlertOptions& Options() const noexcept { return options_; }

private:
    boost::asio::awaitable<void> DeadLetter(const redis::StreamEntry& entry, std::string reason);
    // The symbols of `ticks` with an alert on some watchlist item (one query per entry).
    boost::asio::awaitable<std::set<std::string>> WithAlerts(const std::vector<PriceTick>& ticks);
    boost::asio::awaitable<void> Handle(const std::vector<redis::StreamEntry>& entries);

    App& app_;
    std::shared_ptr<Notifier> notifier_;
    std::shared_ptr<portfolio::NotifyDirectory> portfolios_;
    std::shared_ptr<market::PriceDirectory> prices_;
    PriceAlertOptions options_;
    bool group_ready_ = false;
    std::shared_ptr<std::atomic<bool>> stop_;
    std::shared_ptr<std::atomic<std::uint64_t>> dead_letters_ =
        std::make_shared<std::atomic<std::uint64_t>>(0);
};

}  // namespace nn::notify
