#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "infra/redis/pipeline.hpp"
#include "infra/redis/reply.hpp"
#include "infra/redis/url.hpp"

namespace nn::redis {

struct Options {
    Url url;
    // Deadline of one command (or pipeline) from the call to its last reply.
    std::chrono::milliseconds command_timeout{2000};
    // Deadline of one connection attempt: resolve, connect, AUTH, SELECT.
    std::chrono::milliseconds connect_timeout{2000};
    // Delay between failed attempts: starts here, doubles up to backoff_max, with jitter.
    std::chrono::milliseconds backoff_initial{100};
    std::chrono::milliseconds backoff_max{2000};
    // Sent as CLIENT SETNAME on every connect (no spaces); empty sends nothing.
    std::string client_name;
};

enum class State {
    kConnecting,  // an attempt is running: commands queue (within their deadline)
    kConnected,
    kDown,  // the last attempt failed: commands fail fast with kUnavailable
    kClosed,
};

// Counters for /metrics; readable from any thread.
struct Stats {
    std::uint64_t commands = 0;     // commands written (a pipeline of n counts n)
    std::uint64_t errors = 0;       // error replies (WRONGTYPE, NOSCRIPT, ...)
    std::uint64_t timeouts = 0;     // calls that passed their deadline
    std::uint64_t unavailable = 0;  // calls failed because the connection was down or lost
    std::uint64_t reconnects = 0;   // connections re-established after a loss
    bool connected = false;
};

// Called on the connection's executor whenever it gains or loses its server; `reason` says
// why it was lost (empty when connected).
using StateHook = std::function<void(bool connected, const std::string& reason)>;

// One Redis connection, owned by one io_context (every call from that context's thread).
// Any number of coroutines may call Execute at once: their commands are queued, written by
// one writer coroutine that coalesces everything queued into a single write, and answered by
// one reader that hands replies back in FIFO order.
//
// Failures:
//   - an error reply is a Reply of type kError (Execute) and leaves the connection usable;
//   - a call past its deadline throws nn::Error(kTimeout, "redis.timeout") and drops the
//     connection, since later replies could no longer be matched to their callers;
//   - while the server is unreachable calls throw nn::Error(kUnavailable, "redis.unavailable")
//     at once, so callers fall back (to PostgreSQL) instead of waiting;
//   - a lost connection is re-established in the background with exponential backoff. A call
//     made while the server is down also triggers an early attempt (at most one per
//     backoff_initial), so the first calls after the server returns succeed.
// Commands already written when the connection is lost fail with kUnavailable (they may or
// may not have run); commands not yet written wait for the next connection.
//
// Blocking commands (XREADGROUP BLOCK, BLPOP, ...) stall every command behind them: give them
// their own Connection (Client does this).
class Connection {
public:
    Connection(boost::asio::any_io_executor executor, Options options);
    ~Connection();  // Close()
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Sends every command of the pipeline in one piece and returns their replies in order.
    // `timeout` overrides Options::command_timeout for this call.
    boost::asio::awaitable<std::vector<Reply>> Execute(
        Pipeline pipeline, std::optional<std::chrono::milliseconds> timeout = std::nullopt);
    // The same for one command; returns its reply (an error reply is returned, not thrown).
    boost::asio::awaitable<Reply> ExecuteOne(Pipeline command,
                                             std::optional<std::chrono::milliseconds> timeout = std::nullopt);

    // Waits until connected; false if `timeout` passes first or the connection is closed.
    boost::asio::awaitable<bool> WaitConnected(std::chrono::milliseconds timeout);

    State GetState() const noexcept;  // on the connection's thread
    bool Connected() const noexcept;  // any thread
    Stats GetStats() const noexcept;  // any thread
    const Options& GetOptions() const noexcept;
    boost::asio::any_io_executor GetExecutor() const noexcept;

    // Replaces the hook; it is called for every later change (not for the current state).
    void OnStateChange(StateHook hook);

    // Fails every pending call with kUnavailable and stops reconnecting. Idempotent. Any thread:
    // on the connection's executor it takes effect at once, from elsewhere it is dispatched there.
    void Close();

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace nn::redis
