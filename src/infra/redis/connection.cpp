#include "infra/redis/connection.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>
#include <deque>
#include <type_traits>

#include "infra/redis/dial.hpp"
#include "infra/redis/resp.hpp"

namespace nn::redis {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 64 * 1024;

nn::Error Unavailable(const std::string& why) {
    return nn::Error(ErrorKind::kUnavailable, "redis.unavailable", "Redis unavailable: " + why);
}

// A call waiting for its replies. Its timer is both the deadline and the wake-up: the reader
// (or a failure) cancels it when the call is complete.
struct Pending {
    Pending(const asio::any_io_executor& ex, std::string p, std::size_t n)
        : timer(ex), payload(std::move(p)), expected(n) {}

    asio::steady_timer timer;
    std::string payload;
    std::size_t expected;
    std::vector<Reply> replies;
    std::optional<nn::Error> error;
    bool done = false;
    bool abandoned = false;  // the caller went away: skip it if unwritten, drop its replies
};

}  // namespace

struct Connection::Impl {
    Impl(asio::any_io_executor executor, Options o)
        : ex(std::move(executor)),
          opts(std::move(o)),
          socket(ex),
          write_signal(ex, Clock::time_point::max()),
          state_signal(ex, Clock::time_point::max()),
          backoff_timer(ex) {}

    asio::awaitable<void> Run(std::shared_ptr<Impl> self);
    asio::awaitable<void> Reader();
    asio::awaitable<void> Writer();
    // One coroutine frame per call on the hot path: Execute and ExecuteOne share it.
    template <bool kOne>
    asio::awaitable<std::conditional_t<kOne, Reply, std::vector<Reply>>> Call(
        std::shared_ptr<Impl> self, Pipeline pipeline, std::chrono::milliseconds timeout);
    asio::awaitable<bool> WaitConnected(std::shared_ptr<Impl> self, std::chrono::milliseconds timeout);

    void SetState(State next, const std::string& reason);
    void EndSession(const std::string& reason);
    void Complete(Pending& p, std::optional<nn::Error> error);
    void FailWritten(const nn::Error& error);
    void FailAll(const nn::Error& error);
    void Close();

    asio::any_io_executor ex;
    Options opts;
    tcp::socket socket;
    asio::steady_timer write_signal;  // cancelled to wake the writer
    asio::steady_timer state_signal;  // cancelled on every state change
    asio::steady_timer backoff_timer;
    std::deque<std::shared_ptr<Pending>> to_write;
    std::deque<std::shared_ptr<Pending>> awaiting;  // written, in reply order
    State state = State::kConnecting;
    bool session_over = false;
    std::string end_reason;
    std::string last_error;
    Clock::time_point last_attempt{};
    StateHook hook;

    std::atomic<bool> connected{false};
    // Set by the first Close from any thread: later calls (a destructor after a module stopped)
    // never touch the executor again, whose io_context may be gone by then.
    std::atomic<bool> close_requested{false};
    std::atomic<std::uint64_t> commands{0}, errors{0}, timeouts{0}, unavailable{0}, reconnects{0};
};

void Connection::Impl::SetState(State next, const std::string& reason) {
    if (state == next) return;
    bool was_connected = state == State::kConnected;
    state = next;
    connected.store(next == State::kConnected, std::memory_order_relaxed);
    state_signal.cancel();
    bool is_connected = next == State::kConnected;
    if (hook && was_connected != is_connected) {
        try {
            hook(is_connected, reason);
        } catch (...) {
            // a failing observer must not take the connection down with it
        }
    }
}

void Connection::Impl::Complete(Pending& p, std::optional<nn::Error> error) {
    if (p.done) return;
    p.done = true;
    p.error = std::move(error);
    p.timer.cancel();
}

void Connection::Impl::FailWritten(const nn::Error& error) {
    for (auto& p : awaiting) {
        if (!p->abandoned) unavailable.fetch_add(1, std::memory_order_relaxed);
        Complete(*p, error);
    }
    awaiting.clear();
}

void Connection::Impl::FailAll(const nn::Error& error) {
    FailWritten(error);
    for (auto& p : to_write) {
        if (!p->abandoned) unavailable.fetch_add(1, std::memory_order_relaxed);
        Complete(*p, error);
    }
    to_write.clear();
}

void Connection::Impl::EndSession(const std::string& reason) {
    if (end_reason.empty()) end_reason = reason;
    session_over = true;
    boost::system::error_code ignored;
    socket.close(ignored);
    write_signal.cancel();
}

asio::awaitable<void> Connection::Impl::Reader() {
    detail::RespReader parser;
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
                if (awaiting.empty()) {
                    EndSession("a reply arrived that no command asked for");
                    co_return;
                }
                Pending& p = *awaiting.front();
                if (reply.IsError()) errors.fetch_add(1, std::memory_order_relaxed);
                p.replies.push_back(std::move(reply));
                if (p.replies.size() == p.expected) {
                    Complete(p, std::nullopt);
                    awaiting.pop_front();
                }
            }
        } catch (const std::exception& e) {
            EndSession(e.what());
            co_return;
        }
    }
}

asio::awaitable<void> Connection::Impl::Writer() {
    std::vector<std::shared_ptr<Pending>> batch;
    std::vector<asio::const_buffer> buffers;
    while (!session_over) {
        if (to_write.empty()) {
            co_await write_signal.async_wait(kNoThrow);
            continue;
        }
        batch.clear();
        buffers.clear();
        std::size_t count = 0;
        while (!to_write.empty()) {
            std::shared_ptr<Pending> p = std::move(to_write.front());
            to_write.pop_front();
            if (p->abandoned) continue;
            buffers.push_back(asio::buffer(p->payload));
            count += p->expected;
            awaiting.push_back(p);
            batch.push_back(std::move(p));
        }
        if (batch.empty()) continue;
        commands.fetch_add(count, std::memory_order_relaxed);
        auto [ec, n] = co_await asio::async_write(socket, buffers, kNoThrow);
        if (ec) {
            EndSession(ec.message());
            co_return;
        }
        // The bytes are on their way: large values need not stay in memory until the reply.
        for (auto& p : batch) std::string().swap(p->payload);
    }
}

asio::awaitable<void> Connection::Impl::Run(std::shared_ptr<Impl> self) {
    using namespace asio::experimental::awaitable_operators;
    auto backoff = opts.backoff_initial;
    bool ever_connected = false;
    while (state != State::kClosed) {
        SetState(State::kConnecting, end_reason);
        last_attempt = Clock::now();
        socket = tcp::socket(ex);
        std::string error = co_await detail::Dial(socket, opts.url, opts.client_name, opts.connect_timeout);
        if (state == State::kClosed) break;
        if (!error.empty()) {
            last_error = error;
            SetState(State::kDown, error);
            FailAll(Unavailable(error));
            backoff_timer.expires_after(detail::Jitter(backoff));
            co_await backoff_timer.async_wait(kNoThrow);
            backoff = std::min(backoff * 2, opts.backoff_max);
            continue;
        }
        backoff = opts.backoff_initial;
        if (ever_connected) reconnects.fetch_add(1, std::memory_order_relaxed);
        ever_connected = true;
        session_over = false;
        end_reason.clear();
        SetState(State::kConnected, {});
        co_await (Reader() || Writer());
        EndSession("closed");
        last_error = end_reason;
        FailWritten(Unavailable("connection lost: " + end_reason));
    }
    (void)self;
}

template <bool kOne>
asio::awaitable<std::conditional_t<kOne, Reply, std::vector<Reply>>> Connection::Impl::Call(
    std::shared_ptr<Impl> self, Pipeline pipeline, std::chrono::milliseconds timeout) {
    if (pipeline.Empty()) co_return std::conditional_t<kOne, Reply, std::vector<Reply>>{};
    if (state == State::kClosed) {
        unavailable.fetch_add(1, std::memory_order_relaxed);
        throw Unavailable("the connection is closed");
    }
    if (state == State::kDown) {
        unavailable.fetch_add(1, std::memory_order_relaxed);
        // Demand is a reason to look again sooner than the backoff would.
        if (Clock::now() - last_attempt >= opts.backoff_initial) backoff_timer.cancel();
        throw Unavailable(last_error);
    }
    std::size_t expected = pipeline.Size();
    auto p = std::make_shared<Pending>(ex, std::move(pipeline).TakePayload(), expected);
    p->timer.expires_after(timeout);
    to_write.push_back(p);
    write_signal.cancel();
    auto [ec] = co_await p->timer.async_wait(kNoThrow);
    if (!p->done) {
        p->abandoned = true;
        p->done = true;
        if (ec == asio::error::operation_aborted) {
            // The caller's coroutine was cancelled; its replies will be skipped in order.
            throw boost::system::system_error(asio::error::operation_aborted);
        }
        timeouts.fetch_add(1, std::memory_order_relaxed);
        if (state == State::kConnected) EndSession("a command timed out");
        throw nn::Error(ErrorKind::kTimeout, "redis.timeout",
                        "Redis command timed out after " + std::to_string(timeout.count()) + " ms");
    }
    if (p->error) throw *p->error;
    (void)self;
    if constexpr (kOne) {
        co_return std::move(p->replies.front());
    } else {
        co_return std::move(p->replies);
    }
}

asio::awaitable<bool> Connection::Impl::WaitConnected(std::shared_ptr<Impl> self,
                                                      std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    asio::steady_timer timer(ex);
    while (state != State::kConnected) {
        if (state == State::kClosed || Clock::now() >= deadline) co_return false;
        if (state == State::kDown && Clock::now() - last_attempt >= opts.backoff_initial)
            backoff_timer.cancel();
        // Woken by the next state change or by the deadline, whichever comes first.
        using namespace asio::experimental::awaitable_operators;
        timer.expires_at(deadline);
        co_await (state_signal.async_wait(kNoThrow) || timer.async_wait(kNoThrow));
    }
    (void)self;
    co_return true;
}

void Connection::Impl::Close() {
    if (state == State::kClosed) return;
    hook = nullptr;
    SetState(State::kClosed, "closed");
    EndSession("closed");
    backoff_timer.cancel();
    FailAll(Unavailable("the connection is closed"));
}

Connection::Connection(asio::any_io_executor executor, Options options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {
    asio::co_spawn(impl_->ex, impl_->Run(impl_), asio::detached);
}

Connection::~Connection() {
    Close();
}

asio::awaitable<std::vector<Reply>> Connection::Execute(Pipeline pipeline,
                                                        std::optional<std::chrono::milliseconds> timeout) {
    return impl_->Call<false>(impl_, std::move(pipeline), timeout.value_or(impl_->opts.command_timeout));
}

asio::awaitable<Reply> Connection::ExecuteOne(Pipeline command,
                                              std::optional<std::chrono::milliseconds> timeout) {
    if (command.Size() != 1) {
        throw nn::Error(ErrorKind::kInternal, "redis.bad_command", "ExecuteOne takes exactly one command");
    }
    return impl_->Call<true>(impl_, std::move(command), timeout.value_or(impl_->opts.command_timeout));
}

asio::awaitable<bool> Connection::WaitConnected(std::chrono::milliseconds timeout) {
    return impl_->WaitConnected(impl_, timeout);
}

State Connection::GetState() const noexcept {
    return impl_->state;
}
bool Connection::Connected() const noexcept {
    return impl_->connected.load(std::memory_order_relaxed);
}

Stats Connection::GetStats() const noexcept {
    Stats s;
    s.commands = impl_->commands.load(std::memory_order_relaxed);
    s.errors = impl_->errors.load(std::memory_order_relaxed);
    s.timeouts = impl_->timeouts.load(std::memory_order_relaxed);
    s.unavailable = impl_->unavailable.load(std::memory_order_relaxed);
    s.reconnects = impl_->reconnects.load(std::memory_order_relaxed);
    s.connected = Connected();
    return s;
}

const Options& Connection::GetOptions() const noexcept {
    return impl_->opts;
}
asio::any_io_executor Connection::GetExecutor() const noexcept {
    return impl_->ex;
}
void Connection::OnStateChange(StateHook hook) {
    impl_->hook = std::move(hook);
}
void Connection::Close() {
    // The Impl belongs to its executor: on that thread this closes at once; from another (a
    // module stopping, a destructor) it runs there next, the Impl kept alive until then, so it
    // never races the coroutines of pending calls.
    if (impl_->close_requested.exchange(true)) return;
    asio::dispatch(impl_->ex, [impl = impl_] { impl->Close(); });
}

}  // namespace nn::redis
