#include "infra/redis/session.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <vector>

#include "infra/redis/dial.hpp"
#include "infra/redis/resp.hpp"

namespace nn::redis::detail {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 64 * 1024;

}  // namespace

nn::Error Unavailable(const std::string& why) {
    return nn::Error(ErrorKind::kUnavailable, "redis.unavailable", "Redis unavailable: " + why);
}

Session::Session(asio::any_io_executor executor, Options options)
    : ex(std::move(executor)),
      opts(std::move(options)),
      socket(ex),
      write_signal(ex, Clock::time_point::max()),
      state_signal(ex, Clock::time_point::max()),
      backoff_timer(ex) {}

void Session::SetState(State next, const std::string& reason) {
    if (state == next) return;
    bool was_connected = state == State::kConnected;
    state = next;
    connected.store(next == State::kConnected, std::memory_order_relaxed);
    state_signal.cancel();
    OnStateChanged();
    bool is_connected = next == State::kConnected;
    if (hook && was_connected != is_connected) {
        try {
            hook(is_connected, reason);
        } catch (...) {
            // a failing observer must not take the connection down with it
        }
    }
}

void Session::EndSession(const std::string& reason) {
    if (end_reason.empty()) end_reason = reason;
    session_over = true;
    boost::system::error_code ignored;
    socket.close(ignored);
    write_signal.cancel();
}

void Session::RetrySoon() {
    if (state == State::kDown && Clock::now() - last_attempt >= opts.backoff_initial) backoff_timer.cancel();
}

asio::awaitable<void> Session::Reader() {
    RespReader parser;
    std::vector<char> buf(kReadChunk);
    Reply reply;
    while (!session_over) {
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(buf), kNoThrow);
        if (ec) {
            EndSession(ec == asio::error::eof ? "the server closed the connection" : ec.message());
            co_return;
        }
        try {
            parser.Feed(buf.data(), n);
            while (parser.Next(reply)) {
                OnReply(std::move(reply));
                if (session_over) co_return;
            }
        } catch (const std::exception& e) {
            EndSession(e.what());
            co_return;
        }
    }
}

asio::awaitable<void> Session::Run(std::shared_ptr<Session> self) {
    using namespace asio::experimental::awaitable_operators;
    auto backoff = opts.backoff_initial;
    bool ever_connected = false;
    while (state != State::kClosed) {
        SetState(State::kConnecting, end_reason);
        last_attempt = Clock::now();
        socket = asio::ip::tcp::socket(ex);
        std::string error = co_await Dial(socket, opts.url, opts.client_name, opts.connect_timeout);
        if (state == State::kClosed) break;
        if (!error.empty()) {
            last_error = error;
            SetState(State::kDown, error);
            OnDialFailed(error);
            backoff_timer.expires_after(Jitter(backoff));
            co_await backoff_timer.async_wait(kNoThrow);
            backoff = std::min(backoff * 2, opts.backoff_max);
            continue;
        }
        backoff = opts.backoff_initial;
        if (ever_connected) reconnects.fetch_add(1, std::memory_order_relaxed);
        ever_connected = true;
        session_over = false;
        end_reason.clear();
        OnConnected();
        SetState(State::kConnected, {});
        co_await (Reader() || Writer());
        EndSession("closed");
        last_error = end_reason;
        OnSessionEnded();
    }
    (void)self;
}

asio::awaitable<bool> Session::WaitConnected(std::shared_ptr<Session> self,
                                             std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    asio::steady_timer timer(ex);
    while (state != State::kConnected) {
        if (state == State::kClosed || Clock::now() >= deadline) co_return false;
        RetrySoon();
        // Woken by the next state change or by the deadline, whichever comes first.
        using namespace asio::experimental::awaitable_operators;
        timer.expires_at(deadline);
        co_await (state_signal.async_wait(kNoThrow) || timer.async_wait(kNoThrow));
    }
    (void)self;
    co_return true;
}

void Session::CloseNow() {
    if (state == State::kClosed) return;
    hook = nullptr;
    SetState(State::kClosed, "closed");
    EndSession("closed");
    backoff_timer.cancel();
    OnClosed();
}

void Session::RequestClose(std::shared_ptr<Session> self) {
    // The session belongs to its executor: on that thread this closes at once; from another (a
    // module stopping, a destructor) it runs there next, the session kept alive until then, so
    // it never races the coroutines of pending calls.
    if (close_requested.exchange(true)) return;
    asio::dispatch(ex, [self = std::move(self)] { self->CloseNow(); });
}

}  // namespace nn::redis::detail
