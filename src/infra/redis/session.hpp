#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "infra/redis/connection.hpp"
#include "infra/redis/reply.hpp"

namespace nn::redis::detail {

nn::Error Unavailable(const std::string& why);

// What Connection and Subscriber share: one socket owned by one executor, dialled (resolve,
// connect, AUTH, SELECT, CLIENT SETNAME) and re-dialled with jittered exponential backoff until
// Close; the state machine with its hook and signal; a reader that parses RESP from the socket
// and a writer, run together for as long as a connection lasts. The derived class says what a
// reply means (OnReply), what to write (Writer) and what to do at each step of the loop.
class Session {
public:
    Session(boost::asio::any_io_executor executor, Options options);
    virtual ~Session() = default;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // The connect loop; `self` keeps the session alive until it is closed.
    boost::asio::awaitable<void> Run(std::shared_ptr<Session> self);
    // Waits until connected; false if `timeout` passes first or the session is closed.
    boost::asio::awaitable<bool> WaitConnected(std::shared_ptr<Session> self,
                                               std::chrono::milliseconds timeout);
    // On the executor: ends the connection for good (no more attempts) and calls OnClosed.
    void CloseNow();
    // Any thread: CloseNow on the executor, once; later calls never touch the executor again,
    // whose io_context may be gone by then (a destructor after a module stopped).
    void RequestClose(std::shared_ptr<Session> self);

    void SetState(State next, const std::string& reason);
    // Ends the current connection (the loop dials again); the first reason is kept.
    void EndSession(const std::string& reason);
    // Demand while the server is down is a reason to look again sooner than the backoff would.
    void RetrySoon();

    boost::asio::any_io_executor ex;
    Options opts;
    boost::asio::ip::tcp::socket socket;
    boost::asio::steady_timer write_signal;  // cancelled to wake the writer
    boost::asio::steady_timer state_signal;  // cancelled on every state change
    boost::asio::steady_timer backoff_timer;
    State state = State::kConnecting;
    bool session_over = false;
    std::string end_reason;
    std::string last_error;
    std::chrono::steady_clock::time_point last_attempt{};
    StateHook hook;

    std::atomic<bool> connected{false};
    std::atomic<bool> close_requested{false};
    std::atomic<std::uint64_t> reconnects{0};

protected:
    // One reply read from the server; EndSession ends the connection.
    virtual void OnReply(Reply reply) = 0;
    // Writes what is queued until the session is over (woken by write_signal).
    virtual boost::asio::awaitable<void> Writer() = 0;
    virtual void OnStateChanged() {}
    virtual void OnDialFailed(const std::string& /*error*/) {}
    virtual void OnConnected() {}  // before the state turns kConnected
    virtual void OnSessionEnded() {}
    virtual void OnClosed() {}

private:
    boost::asio::awaitable<void> Reader();
};

}  // namespace nn::redis::detail
