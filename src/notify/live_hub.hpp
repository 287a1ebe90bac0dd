#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <string>

#include "infra/redis/subscriber.hpp"

namespace nn::notify {

// Wakes the SSE connections of one shard when their user's live stream grows. One pub/sub
// connection per shard (PSUBSCRIBE <wake_prefix>*) serves every connection on it, whichever
// instance appended the entry. The stream itself (Redis) is the source of truth: a wake-up only
// says "read again", so a missed one (Redis reconnecting) costs latency up to the connection's
// poll interval, never an event.
class LiveHub : public std::enable_shared_from_this<LiveHub> {
public:
    struct Waiter {
        explicit Waiter(boost::asio::any_io_executor ex) : timer(ex) {}
        boost::asio::steady_timer timer;
        bool pending = false;  // woken since the connection last read the stream
    };

    LiveHub(boost::asio::any_io_executor executor, redis::Options options, std::string wake_prefix);
    ~LiveHub();

    void Start();
    void Stop();

    // Only from the hub's shard.
    std::shared_ptr<Waiter> Watch(const std::string& user);
    void Unwatch(const std::string& user, const std::shared_ptr<Waiter>& waiter);

private:
    void Wake(const std::string& user);

    boost::asio::any_io_executor executor_;
    std::string wake_prefix_;
    redis::Subscriber subscriber_;
    std::multimap<std::string, std::shared_ptr<Waiter>> waiters_;
    bool started_ = false;
};

}  // namespace nn::notify
