#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "infra/http/http_error.hpp"

namespace nn::http {

class SseStream;

// Produces the events of one SSE response; it runs on the request's shard after the response
// header has gone out and ends the stream by returning. When the client disconnects or the
// server shuts down, the operation it awaits is cancelled (it sees an exception) and
// SseStream::Send returns false, so it must await only cancellable operations (timers,
// channels, sockets).
using SseProducer = std::function<boost::asio::awaitable<void>(SseStream&)>;

struct SseOptions {
    std::chrono::milliseconds heartbeat{15'000};  // a ": ping" comment this often
    std::size_t max_buffered_bytes = 1 << 20;     // a client this far behind is disconnected
};

// What a handler answers. A plain value: status, headers, body; or an SSE stream (Sse()).
class Response {
public:
    Response() = default;
    Response(int status, std::string body, std::string content_type);

    static Response Text(int status, std::string body);  // text/plain; charset=utf-8
    static Response NoContent();                         // 204
    static Response Sse(SseProducer producer, SseOptions options = {});

    // Replaces every field of that name (case-insensitive); AddHeader appends another one.
    void SetHeader(std::string_view name, std::string value);
    void AddHeader(std::string name, std::string value);
    std::string_view Header(std::string_view name) const;  // "" when absent

    bool IsStream() const noexcept { return static_cast<bool>(sse_producer); }

    int status = 200;
    HeaderList headers;
    std::string body;
    SseProducer sse_producer;  // set: the body is an event stream (text/event-stream)
    SseOptions sse_options;
};

}  // namespace nn::http
