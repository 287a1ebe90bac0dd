#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "infra/redis/subscriber.hpp"

namespace nn::notify {

// Wakes the SSE connections of one shard when their user's live stream grows, and hands them
// price and portfolio-value updates (LiveFeed). One pub/sub connection per shard (PSUBSCRIBE
// <wake_prefix>*) serves every connection on it, whichever instance appended the entry. The
// stream itself (Redis) is the source of truth: a wake-up only says "read again", so a missed
// one (Redis reconnecting) costs latency up to the connection's poll interval, never an event.
// Price and value updates are state, not events: a connection keeps only the newest per symbol
// and per portfolio until it sends them (coalescing, docs/notify.md "Live push").
class LiveHub : public std::enable_shared_from_this<LiveHub> {
public:
    struct Waiter {
        explicit Waiter(boost::asio::any_io_executor ex) : timer(ex) {}
        boost::asio::steady_timer timer;
        bool pending = false;       // woken since the connection last read the stream
        bool live_pending = false;  // woken for a price or value update
        // The connection sleeps until a rate-limited update is due: new updates need no wake-up.
        bool waiting_for_due = false;
        bool refresh_interest = false;  // the user's holdings may have changed: reload symbols
        bool prices = false;            // wants price updates (LIVE preference)
        bool values = false;            // wants portfolio values (LIVE preference)
        std::set<std::string> symbols;  // held or watched
        std::map<std::string, std::string> pending_prices;  // symbol → newest data (JSON)
        std::map<std::string, std::string> pending_values;  // portfolio id → newest data (JSON)
    };

    // One price tick; the JSON the client receives is built only for a connection that wants it.
    struct PriceUpdate {
        std::string symbol;
        std::string price;
        std::string time;
    };
    struct ValueUpdate {
        std::string user;
        std::string portfolio;
        std::string data;
    };

    LiveHub(boost::asio::any_io_executor executor, redis::Options options, std::string wake_prefix);
    ~LiveHub();

    void Start();
    void Stop();

    // Only from the hub's shard.
    std::shared_ptr<Waiter> Watch(const std::string& user);
    void Unwatch(const std::string& user, const std::shared_ptr<Waiter>& waiter);
    // Replaces the symbols a waiter receives prices for.
    void SetSymbols(const std::shared_ptr<Waiter>& waiter, std::set<std::string> symbols);
    void Prices(const std::vector<PriceUpdate>& updates);
    void Values(const std::vector<ValueUpdate>& updates);

    boost::asio::any_io_executor Executor() const { return executor_; }
    // Open connections on this hub; read from any thread (the feed skips idle hubs).
    std::size_t Watching() const noexcept { return watching_.load(std::memory_order_relaxed); }

private:
    void Wake(const std::string& user);
    static void WakeLive(Waiter& w);

    boost::asio::any_io_executor executor_;
    std::string wake_prefix_;
    redis::Subscriber subscriber_;
    std::multimap<std::string, std::shared_ptr<Waiter>> waiters_;
    std::unordered_map<std::string, std::set<Waiter*>> by_symbol_;
    bool started_ = false;
    std::atomic<std::size_t> watching_{0};
};

}  // namespace nn::notify
