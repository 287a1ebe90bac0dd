#pragma once

// Private to nn_http: the writing side of one Server-Sent Events response (session.cpp starts it,
// server.cpp closes it at shutdown).

#include <chrono>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "infra/http/response.hpp"
#include "infra/http/sse.hpp"

namespace nn::http::detail {

// The stream of one SSE response, once its header is written. A single writer coroutine owns the
// socket's writes (Beast allows one write in flight) and sends a heartbeat comment when nothing
// was written for a heartbeat interval; Send only queues and wakes it.
class SseSession final : public SseStream {
public:
    SseSession(boost::beast::tcp_stream& stream, std::chrono::milliseconds write_timeout, SseOptions options);

    bool Send(const SseEvent& event) override;
    bool Comment(std::string_view text) override;
    bool IsOpen() const noexcept override { return open_ && !finished_; }

    // Closes the socket and wakes the writer; the coroutines of Run then end.
    void Close() noexcept;

    // Runs the producer, the writer and the client watcher until the producer is done and its
    // events are written, or the client leaves, or Close.
    boost::asio::awaitable<void> Run(const SseProducer& producer);

private:
    bool Enqueue(std::string text);
    boost::asio::awaitable<void> Produce(const SseProducer& producer);
    boost::asio::awaitable<void> Writer();
    boost::asio::awaitable<void> WatchClient();

    boost::beast::tcp_stream& stream_;
    boost::asio::steady_timer wake_;
    std::chrono::milliseconds write_timeout_;
    SseOptions options_;
    std::string pending_;
    bool open_ = true;
    bool finished_ = false;
};

}  // namespace nn::http::detail
