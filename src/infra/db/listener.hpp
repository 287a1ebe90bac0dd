#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "infra/db/connection.hpp"

namespace nn::db {

struct Notification {
    std::string channel;
    std::string payload;
    int backend_pid = 0;
};

// LISTEN on a connection of its own (a pooled connection must not keep subscriptions).
// When the connection is lost it reconnects with backoff and LISTENs again to every channel.
// NOTIFY is not durable: what is sent while the listener is disconnected is lost, so use it to
// wake consumers up and keep the truth in tables (an outbox); Reconnects() tells a consumer
// when to re-read.
//
//   db::Listener listener(executor, {.url = url});
//   co_await listener.Listen("price_updates");
//   while (auto n = co_await listener.Next(std::chrono::seconds(30))) { ... n->payload ... }
class Listener {
public:
    Listener(boost::asio::any_io_executor executor, ConnectOptions options);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    // Subscribes, connecting first if needed (throws ConnectionError when that fails).
    boost::asio::awaitable<void> Listen(std::string channel);
    boost::asio::awaitable<void> Unlisten(std::string channel);

    // The next notification, or nullopt when `timeout` passes first (including while the
    // server is unreachable).
    boost::asio::awaitable<std::optional<Notification>> Next(std::chrono::milliseconds timeout);

    std::uint64_t Reconnects() const noexcept { return reconnects_; }
    bool Connected() const noexcept;

private:
    boost::asio::awaitable<void> Connect(std::chrono::steady_clock::time_point deadline);
    boost::asio::awaitable<bool> Reconnect(std::chrono::steady_clock::time_point deadline);
    void TakeNotifications();

    boost::asio::any_io_executor executor_;
    ConnectOptions options_;
    std::unique_ptr<Connection> conn_;
    std::vector<std::string> channels_;
    std::deque<Notification> queue_;
    std::uint64_t reconnects_ = 0;
    bool ever_connected_ = false;
    std::chrono::milliseconds backoff_{0};
};

}  // namespace nn::db
