#include "infra/redis/subscriber.hpp"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <set>

#include "infra/redis/session.hpp"

namespace nn::redis {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
using detail::Unavailable;

void AppendCommand(std::string& out, std::string_view verb, const std::vector<std::string>& names) {
    if (names.empty()) return;
    std::vector<std::string_view> argv{verb};
    argv.insert(argv.end(), names.begin(), names.end());
    Pipeline p;
    p.Add(argv);
    out += p.Payload();
}

}  // namespace

// The session (dial, reconnect, state) with the wanted channel and pattern sets, subscribed
// again on every connect, and the queue of messages.
struct Subscriber::Impl : detail::Session {
    Impl(asio::any_io_executor executor, Options o, std::size_t max)
        : Session(std::move(executor), std::move(o)),
          max_queued(std::max<std::size_t>(max, 1)),
          message_signal(ex, Clock::time_point::max()) {}

    asio::awaitable<void> Add(std::shared_ptr<Impl> self, bool patterns, std::vector<std::string> names);
    void Remove(bool patterns, const std::vector<std::string>& names);
    asio::awaitable<std::optional<Message>> Next(std::shared_ptr<Impl> self,
                                                 std::optional<Clock::time_point> deadline);
    void Send(std::string_view verb, const std::vector<std::string>& names);

    void OnReply(Reply reply) override;
    asio::awaitable<void> Writer() override;
    void OnStateChanged() override { message_signal.cancel(); }
    void OnDialFailed(const std::string& error) override;
    void OnConnected() override;
    void OnSessionEnded() override {
        confirmed_channels.clear();
        confirmed_patterns.clear();
    }

    std::size_t next_seed = 0;  // the seed dialled (redis+cluster:// URLs list several)
    std::size_t max_queued;
    asio::steady_timer message_signal;
    std::set<std::string> channels, patterns;                      // wanted
    std::set<std::string> confirmed_channels, confirmed_patterns;  // confirmed on this connection
    std::string outbox;
    std::deque<Message> queue;
    std::atomic<std::uint64_t> messages{0}, dropped{0};
};

void Subscriber::Impl::Send(std::string_view verb, const std::vector<std::string>& names) {
    if (state != State::kConnected) return;  // the next connect subscribes to the whole set
    AppendCommand(outbox, verb, names);
    write_signal.cancel();
}

void Subscriber::Impl::OnReply(Reply reply) {
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

void Subscriber::Impl::OnDialFailed(const std::string& /*error*/) {
    // A cluster's nodes all carry every PUBLISH (Redis 7 broadcasts classic pub/sub on the
    // cluster bus): when one is down, try the next seed.
    if (opts.url.seeds.size() > 1) {
        next_seed = (next_seed + 1) % opts.url.seeds.size();
        opts.url = WithHost(opts.url, opts.url.seeds[next_seed]);
    }
}

void Subscriber::Impl::OnConnected() {
    confirmed_channels.clear();
    confirmed_patterns.clear();
    outbox.clear();
    AppendCommand(outbox, "SUBSCRIBE", {channels.begin(), channels.end()});
    AppendCommand(outbox, "PSUBSCRIBE", {patterns.begin(), patterns.end()});
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
            RetrySoon();
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
    impl_->RequestClose(impl_);
}

}  // namespace nn::redis
