#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace nn::http {

// One Server-Sent Event (WHATWG HTML §9.2). `data` may hold newlines: each line becomes a
// `data:` line. CR and LF are removed from `id` and `event`, which must be single lines.
struct SseEvent {
    std::string data;
    std::string event;  // "" → the client's default "message"
    std::string id;     // "" → no id line; the client echoes the last one as Last-Event-ID
    std::optional<std::chrono::milliseconds> retry;
};

// The open event stream handed to an SseProducer. Only the producer's shard touches it.
class SseStream {
public:
    virtual ~SseStream() = default;

    // Queues the event for the stream's writer and returns at once; false once the stream is
    // closed (client gone, shutdown, or the client fell max_buffered_bytes behind). Not a
    // coroutine on purpose: nothing to await, and GCC 12 miscompiles braced temporaries inside
    // co_await expressions, which `co_await Send(SseEvent{...})` would invite.
    virtual bool Send(const SseEvent& event) = 0;
    // A comment line (": text"), ignored by clients; keeps proxies from timing out.
    virtual bool Comment(std::string_view text) = 0;
    virtual bool IsOpen() const noexcept = 0;
};

// The wire form of one event, ending with the blank line.
std::string FormatSseEvent(const SseEvent& event);

}  // namespace nn::http
