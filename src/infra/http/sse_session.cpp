#include "infra/http/sse_session.hpp"

#include <array>
#include <cstdio>
#include <exception>

#include <spdlog/spdlog.h>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/write.hpp>

#include "infra/http/server_state.hpp"

namespace nn::http::detail {
namespace {

// What the client sends on an event stream is read into this and dropped.
constexpr std::size_t kWatchBufferBytes = 512;

std::string ChunkHeader(std::size_t size) {
    char buf[24];
    const int n = std::snprintf(buf, sizeof buf, "%zx\r\n", size);
    return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

SseSession::SseSession(beast::tcp_stream& stream, std::chrono::milliseconds write_timeout, SseOptions options)
    : stream_(stream), wake_(stream.get_executor()), write_timeout_(write_timeout), options_(options) {}

bool SseSession::Send(const SseEvent& event) {
    return Enqueue(FormatSseEvent(event));
}

bool SseSession::Comment(std::string_view text) {
    std::string line = ": ";
    for (char c : text) {
        if (c != '\r' && c != '\n') line += c;
    }
    line += "\n\n";
    return Enqueue(std::move(line));
}

void SseSession::Close() noexcept {
    if (!open_) return;
    open_ = false;
    stream_.close();
    wake_.cancel();
}

asio::awaitable<void> SseSession::Run(const SseProducer& producer) {
    using namespace asio::experimental::awaitable_operators;
    co_await ((Produce(producer) && Writer()) || WatchClient());
    Close();
}

bool SseSession::Enqueue(std::string text) {
    if (!open_ || finished_) return false;
    if (pending_.size() + text.size() > options_.max_buffered_bytes) {
        spdlog::warn("sse client fell {} bytes behind; disconnecting it", pending_.size());
        Close();
        return false;
    }
    pending_ += text;
    wake_.cancel();
    return true;
}

asio::awaitable<void> SseSession::Produce(const SseProducer& producer) {
    try {
        co_await producer(*this);
    } catch (const std::exception& e) {
        if (open_) spdlog::warn("sse producer failed: {}", e.what());
    }
    finished_ = true;
    wake_.cancel();
}

asio::awaitable<void> SseSession::Writer() {
    while (open_) {
        if (!pending_.empty()) {
            std::string chunk = ChunkHeader(pending_.size());
            chunk += pending_;
            chunk += "\r\n";
            pending_.clear();
            stream_.expires_after(write_timeout_);
            auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(chunk), kTuple);
            if (ec) {
                Close();
                co_return;
            }
            continue;
        }
        if (finished_) {
            stream_.expires_after(write_timeout_);
            co_await asio::async_write(stream_, asio::buffer(std::string_view("0\r\n\r\n")), kTuple);
            co_return;
        }
        wake_.expires_after(options_.heartbeat);
        auto [ec] = co_await wake_.async_wait(kTuple);
        if (!ec && pending_.empty() && !finished_) pending_ = ": ping\n\n";
    }
}

// The client sends nothing on an event stream; a read that ends means it went away.
asio::awaitable<void> SseSession::WatchClient() {
    std::array<char, kWatchBufferBytes> sink;
    for (;;) {
        stream_.expires_never();
        auto [ec, n] = co_await stream_.async_read_some(asio::buffer(sink), kTuple);
        if (ec) break;
    }
    Close();
}

}  // namespace nn::http::detail
