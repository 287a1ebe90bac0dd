#include "infra/redis/subscriber.hpp"

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
#include <deque>
#include <set>

#include "infra/redis/dial.hpp"
#include "infra/redis/resp.hpp"

namespace nn::redis {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

nn::Error Unavailable(const std::string& why) {
    return nn::Error(ErrorKind::kUnavailable, "redis.unavailable", "Redis unavailable: " + why);
}

void AppendCommand(std::string& out, std::string_view verb, const std::vector<std::string>& names) {
    if (names.empty()) return;
    std::vector<std::string_view> argv{verb};
    argv.insert(argv.end(), names.begin(), names.end());
    Pipeline p;
    p.Add(argv);
    out += p.Payload();
}

}  // namespace

struct Subscriber::Impl {
    Impl(asio::any_io_executor executor, Options o, std::size_t max)
        : ex(std::move(executor)),
          opts(std::move(o)),
          max_queued(std::max<std::size_t>(max, 1)),
          socket(ex),
          write_signal(ex, Clock::time_point::max()),
          state_signal(ex, Clock::time_point::max()),
          message_signal(ex, Clock::time_point::max()),
          backoff_timer(ex) {}

    asio::awaitable<void> Run(std::shared_ptr<Impl> self);
    asio::awaitable<void> Reader();
    asio::awaitable<void> Writer();
    asio::awaitable<void> Add(std::shared_ptr<Impl> self, bool patterns, std::vector<std::string> names);
    void Remove(bool patterns, const std::vector<std::string>& names);
    asio::awaitable<std::optional<Message>> Next(std::shared_ptr<Impl> self,
                                                 std::optional<Clock::time_point> deadline);
    asio::awaitable<bool> WaitConnected(std::shared_ptr<Impl> self, std::chrono::milliseconds timeout);
    void Handle(Reply reply);
    void SetState(State next, const std::string& reason);
    void EndSession(const std::string& reason);
    void Send(std::string_view verb, const std::vector<std::string>& names);
    void Close();

    asio::any_io_executor ex;
    Options opts;
    std::size_t next_seed = 0;  // the seed dialled (redis+cluster:// URLs list several)
    std::size_t max_queued;
    tcp::socket socket;
    asio::steady_timer write_signal;
    asio::steady_timer state_signal;  // state changes and subscription confirmations
    asio::steady_timer message_signal;
    asio::steady_timer backoff_timer;
    std::set<std::string> channels, patterns;                      // wanted
    std::set<std::string> confirmed_channels, confirmed_patterns;  // confirmed on this connection
    std::string outbox;
    std::deque<Message> queue;
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
    std::atomic<std::uint64_t> messages{0}, dropped{0}, reconnects{0};
};

void Subscriber::Impl::SetState(State next, const std::string& reason) {
    if (state == next) return;
    bool was_connected = state == State::kConnected;
    state = next;
    connected.store(next == State::kConnected, std::memory_order_relaxed);
    state_signal.cancel();
    message_signal.cancel();
    bool is_connected = next == State::kConnected;
    if (hook && was_connected != is_connected) {
        try {
            hook(is_connected, reason);
        } catch (...) {
            // a failing observer must not take the subscription down with it
        }
    }
}

void Subscriber::Impl::EndSession(const std::string& reason) {
    if (end_reason.empty()) end_reason = reason;
    session_over = true;
    boost::system::error_code ignored;
    socket.close(ignored);
    write_signal.cancel();
}

void Subscriber::Impl::Send(std::string_view verb, const std::vector<std::string>& names) {
    if (state != State::kConnected) return;  // the next connect subscribes to the whole set
    AppendCommand(outbox, verb, names);
    write_signal.cancel();
}

void Subscriber::Impl::Handle(Reply reply) {
    if (!reply.IsArray() || reply.AsArray().size() < 2) return;
    std::vector<Reply> parts = std::move(reply).TakeArray();
    if (!parts[0].IsString()) return;
    const std::string& kind = parts[0].AsString();
    if (kind == "message" && parts.size() >= 3) {
        queue.push_back(Message{{}, parts[1].AsString(), parts[2].AsString()});
    } else if (kind == "pmessage" && parts.size() >= 4) {
        queue.push_back(Message{parts[1].AsString(), parts[2].AsString(), parts[3].AsString()});
    } else {
        if (!parts[1].IsString()) return;
        const std::string& name = parts[1].AsString();
        if (kind == "subscribe") confirmed_channels.insert(name);
        if (kind == "psubscribe") confirmed_patterns.insert(name);
        if (kind == "unsubscribe") confirmed_channels.erase(name);
        if (kind == "punsubscribe") confirmed_patterns.erase(name);
        state_signal.cancel();
        return;
    }
    messages.fetch_add(1, std::memory_order_relaxed);
    if (queue.size() > max_queued) {
        queue.pop_front();
        dropped.fetch_add(1, std::memory_order_relaxed);
    }
    message_signal.cancel();
}

asio::awaitable<void> Subscriber::Impl::Reader() {
    detail::RespReader parser;
    std::vector<char> buf(64 * 1024);
    Reply reply;
    while (!session_over) {
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(buf), kNoThrow);
        if (ec) {
            EndSession(ec == asio::error::eof ? "the server closed the connection" : ec.message());
            co_return;
        }
        try {
            parser.Feed(buf.data(), n);
            while (parser.Next(reply)) Handle(std::move(reply));
        } catch (const std::exception& e) {
            EndSession(e.what());
            co_return;
        }
    }
}

asio::awaitable<void> Subscriber::Impl::Writer() {
    std::string sending;
    while (!session_over) {
        if (outbox.empty()) {
            co_await write_signal.async_wait(kNoThrow);
            continue;
        }
        sending.clear();
        sending.swap(outbox);
        auto [ec, n] = co_await asio::async_write(socket, asio::buffer(sending), kNoThrow);
        if (ec) {
            EndSession(ec.message());
            co_return;
        }
    }
}

asio::awaitable<void> Subscriber::Impl::Run(std::shared_ptr<Impl> self) {
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
            // A cluster's nodes all carry every PUBLISH (Redis 7 broadcasts classic pub/sub on
            // the cluster bus): when one is down, try the next seed.
            if (opts.url.seeds.size() > 1) {
                next_seed = (next_seed + 1) % opts.url.seeds.size();
                opts.url = WithHost(opts.url, opts.url.seeds[next_seed]);
            }
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
        confirmed_channels.clear();
        confirmed_patterns.clear();
        outbox.clear();
        AppendCommand(outbox, "SUBSCRIBE", {channels.begin(), channels.end()});
        AppendCommand(outbox, "PSUBSCRIBE", {patterns.begin(), patterns.end()});
        SetState(State::kConnected, {});
        co_await (Reader() || Writer());
        EndSession("closed");
        last_error = end_reason;
        confirmed_channels.clear();
        confirmed_patterns.clear();
    }
    (void)self;
}

asio::awaitable<void> Subscriber::Impl::Add(std::shared_ptr<Impl> self,
                                            bool pattern,
                                            std::vector<std::string> names) {
    auto& wanted = pattern ? patterns : channels;
    auto& confirmed = pattern ? confirmed_patterns : confirmed_channels;
    if (state == State::kClosed) throw Unavailable("the subscriber is closed");
    std::vector<std::string> fresh;
    for (auto& n : names) {
        if (wanted.insert(n).second) fresh.push_back(n);
    }
    Send(pattern ? "PSUBSCRIBE" : "SUBSCRIBE", fresh);
    auto deadline = Clock::now() + opts.command_timeout;
    asio::steady_timer timer(ex);
    for (;;) {
        bool all = true;
        for (const auto& n : names) all = all && confirmed.count(n) > 0;
        if (all && state == State::kConnected) co_return;
        if (state == State::kClosed) throw Unavailable("the subscriber is closed");
        if (state == State::kDown) {
            if (Clock::now() - last_attempt >= opts.backoff_initial) backoff_timer.cancel();
            throw Unavailable(last_error);
        }
        if (Clock::now() >= deadline) {
            throw nn::Error(ErrorKind::kTimeout, "redis.timeout",
                            "Redis did not confirm the subscription in time");
        }
        using namespace asio::experimental::awaitable_operators;
        timer.expires_at(deadline);
        co_await (state_signal.async_wait(kNoThrow) || timer.async_wait(kNoThrow));
    }
    (void)self;
}

void Subscriber::Impl::Remove(bool pattern, const std::vector<std::string>& names) {
    auto& wanted = pattern ? patterns : channels;
    std::vector<std::string> gone;
    for (const auto& n : names) {
        if (wanted.erase(n) > 0) gone.push_back(n);
    }
    Send(pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", gone);
}

asio::awaitable<std::optional<Message>> Subscriber::Impl::Next(std::shared_ptr<Impl> self,
                                                               std::optional<Clock::time_point> deadline) {
    asio::steady_timer timer(ex, deadline.value_or(Clock::time_point::max()));
    while (queue.empty()) {
        if (state == State::kClosed) throw Unavailable("the subscriber is closed");
        if (deadline && Clock::now() >= *deadline) co_return std::nullopt;
        using namespace asio::experimental::awaitable_operators;
        co_await (message_signal.async_wait(kNoThrow) || timer.async_wait(kNoThrow));
    }
    Message m = std::move(queue.front());
    queue.pop_front();
    (void)self;
    co_return m;
}

asio::awaitable<bool> Subscriber::Impl::WaitConnected(std::shared_ptr<Impl> self,
                                                      std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    asio::steady_timer timer(ex);
    while (state != State::kConnected) {
        if (state == State::kClosed || Clock::now() >= deadline) co_return false;
        if (state == State::kDown && Clock::now() - last_attempt >= opts.backoff_initial)
            backoff_timer.cancel();
        using namespace asio::experimental::awaitable_operators;
        timer.expires_at(deadline);
        co_await (state_signal.async_wait(kNoThrow) || timer.async_wait(kNoThrow));
    }
    (void)self;
    co_return true;
}

void Subscriber::Impl::Close() {
    if (state == State::kClosed) return;
    hook = nullptr;
    SetState(State::kClosed, "closed");
    EndSession("closed");
    backoff_timer.cancel();
}

Subscriber::Subscriber(asio::any_io_executor executor, Options options, std::size_t max_queued)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options), max_queued)) {
    asio::co_spawn(impl_->ex, impl_->Run(impl_), asio::detached);
}

Subscriber::~Subscriber() {
    Close();
}

asio::awaitable<void> Subscriber::Subscribe(std::vector<std::string> channels) {
    return impl_->Add(impl_, false, std::move(channels));
}

asio::awaitable<void> Subscriber::PSubscribe(std::vector<std::string> patterns) {
    return impl_->Add(impl_, true, std::move(patterns));
}

void Subscriber::Unsubscribe(const std::vector<std::string>& channels) {
    impl_->Remove(false, channels);
}
void Subscriber::PUnsubscribe(const std::vector<std::string>& patterns) {
    impl_->Remove(true, patterns);
}

asio::awaitable<Message> Subscriber::Next() {
    auto impl = impl_;
    std::optional<Message> m = co_await impl->Next(impl, std::nullopt);
    co_return std::move(*m);
}

asio::awaitable<std::optional<Message>> Subscriber::Next(std::chrono::milliseconds timeout) {
    return impl_->Next(impl_, Clock::now() + timeout);
}

asio::awaitable<bool> Subscriber::WaitConnected(std::chrono::milliseconds timeout) {
    return impl_->WaitConnected(impl_, timeout);
}

bool Subscriber::Connected() const noexcept {
    return impl_->connected.load(std::memory_order_relaxed);
}

SubscriberStats Subscriber::GetStats() const noexcept {
    SubscriberStats s;
    s.messages = impl_->messages.load(std::memory_order_relaxed);
    s.dropped = impl_->dropped.load(std::memory_order_relaxed);
    s.reconnects = impl_->reconnects.load(std::memory_order_relaxed);
    s.connected = Connected();
    return s;
}

void Subscriber::OnStateChange(StateHook hook) {
    impl_->hook = std::move(hook);
}
void Subscriber::Close() {
    // The Impl belongs to its executor: on that thread this closes at once; from another (a
    // module stopping, a destructor) it runs there next, the Impl kept alive until then, so it
    // never races the coroutines of pending calls.
    if (impl_->close_requested.exchange(true)) return;
    asio::dispatch(impl_->ex, [impl = impl_] { impl->Close(); });
}

}  // namespace nn::redis
