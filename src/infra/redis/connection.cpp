#include "infra/redis/connection.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>
#include <deque>
#include <type_traits>

#include "infra/redis/session.hpp"

namespace nn::redis {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
using detail::Unavailable;

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

// The session (dial, reconnect, state) with a queue of calls answered in FIFO order.
struct Connection::Impl : detail::Session {
    Impl(asio::any_io_executor executor, Options o) : Session(std::move(executor), std::move(o)) {}

    // One coroutine frame per call on the hot path: Execute and ExecuteOne share it.
    template <bool kOne>
    asio::awaitable<std::conditional_t<kOne, Reply, std::vector<Reply>>> Call(
        std::shared_ptr<Impl> self, Pipeline pipeline, std::chrono::milliseconds timeout);

    void Complete(Pending& p, std::optional<nn::Error> error);
    void FailWritten(const nn::Error& error);
    void FailAll(const nn::Error& error);

    void OnReply(Reply reply) override;
    asio::awaitable<void> Writer() override;
    void OnDialFailed(const std::string& error) override { FailAll(Unavailable(error)); }
    void OnSessionEnded() override { FailWritten(Unavailable("connection lost: " + end_reason)); }
    void OnClosed() override { FailAll(Unavailable("the connection is closed")); }

    std::deque<std::shared_ptr<Pending>> to_write;
    std::deque<std::shared_ptr<Pending>> awaiting;  // written, in reply order
    std::atomic<std::uint64_t> commands{0}, errors{0}, timeouts{0}, unavailable{0};
};

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

void Connection::Impl::OnReply(Reply reply) {
    if (awaiting.empty()) {
        EndSession("a reply arrived that no command asked for");
        return;
    }
    Pending& p = *awaiting.front();
    if (reply.IsError()) errors.fetch_add(1, std::memory_order_relaxed);
    p.replies.push_back(std::move(reply));
    if (p.replies.size() == p.expected) {
        Complete(p, std::nullopt);
        awaiting.pop_front();
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
        RetrySoon();
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
    impl_->RequestClose(impl_);
}

}  // namespace nn::redis
