#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infra/redis/connection.hpp"

namespace nn::redis {

struct Message {
    std::string pattern;  // the matching pattern for PSUBSCRIBE deliveries, else empty
    std::string channel;
    std::string payload;
};

struct SubscriberStats {
    std::uint64_t messages = 0;    // delivered to the queue
    std::uint64_t dropped = 0;     // oldest messages dropped because the queue was full
    std::uint64_t reconnects = 0;  // connections re-established (and resubscribed) after a loss
    bool connected = false;
};

// Pub/sub on a connection of its own (once SUBSCRIBE is sent a connection only receives
// pushes). The channel and pattern sets survive reconnects: after a loss the Subscriber
// reconnects with backoff and subscribes to all of them again. Messages published while it
// was disconnected are lost, as pub/sub promises nothing more; a consumer that caches derived
// state should treat a reconnect (the state hook) as "may have missed invalidations".
// With a redis+cluster:// URL it connects to one seed node and moves to the next one when that
// node is unreachable: classic PUBLISH reaches subscribers on every node of a cluster.
// Belongs to one io_context, like Connection.
class Subscriber {
public:
    Subscriber(boost::asio::any_io_executor executor, Options options, std::size_t max_queued = 100000);
    ~Subscriber();  // Close()
    Subscriber(const Subscriber&) = delete;
    Subscriber& operator=(const Subscriber&) = delete;

    // Adds channels (patterns) and waits until the server confirmed each, within
    // Options::command_timeout. While Redis is down they are remembered, subscribed on the next
    // connect, and the call throws kUnavailable (or kTimeout when the deadline passes first).
    boost::asio::awaitable<void> Subscribe(std::vector<std::string> channels);
    boost::asio::awaitable<void> PSubscribe(std::vector<std::string> patterns);
    // Removes them; messages already queued are still delivered.
    void Unsubscribe(const std::vector<std::string>& channels);
    void PUnsubscribe(const std::vector<std::string>& patterns);

    // The next message in arrival order. Throws kUnavailable once the Subscriber is closed.
    boost::asio::awaitable<Message> Next();
    // The same, or nullopt when nothing arrives within `timeout`.
    boost::asio::awaitable<std::optional<Message>> Next(std::chrono::milliseconds timeout);

    boost::asio::awaitable<bool> WaitConnected(std::chrono::milliseconds timeout);
    bool Connected() const noexcept;            // any thread
    SubscriberStats GetStats() const noexcept;  // any thread
    void OnStateChange(StateHook hook);
    void Close();  // any thread: dispatched to the subscriber's executor (at once when on it)

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace nn::redis
