#include "infra/http/response.hpp"

#include <algorithm>
#include <cctype>

#include "infra/http/sse.hpp"

namespace nn::http {
namespace {

bool NameEquals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

void AppendSingleLine(std::string& out, std::string_view field, std::string_view value) {
    out += field;
    out += ": ";
    for (char c : value) {
        if (c != '\r' && c != '\n') out += c;
    }
    out += '\n';
}

}  // namespace

Response::Response(int status_code, std::string body_text, std::string content_type)
    : status(status_code), body(std::move(body_text)) {
    headers.emplace_back("Content-Type", std::move(content_type));
}

Response Response::Text(int status, std::string body) {
    return Response(status, std::move(body), "text/plain; charset=utf-8");
}

Response Response::NoContent() {
    Response response;
    response.status = 204;
    return response;
}

Response Response::Sse(SseProducer producer, SseOptions options) {
    Response response;
    response.status = 200;
    response.headers.emplace_back("Content-Type", "text/event-stream");
    response.headers.emplace_back("Cache-Control", "no-cache");
    response.headers.emplace_back("X-Accel-Buffering", "no");
    response.sse_producer = std::move(producer);
    response.sse_options = options;
    return response;
}

void Response::SetHeader(std::string_view name, std::string value) {
    std::erase_if(headers, [&](const auto& h) { return NameEquals(h.first, name); });
    headers.emplace_back(std::string(name), std::move(value));
}

void Response::AddHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
}

std::string_view Response::Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (NameEquals(k, name)) return v;
    }
    return {};
}

std::string FormatSseEvent(const SseEvent& event) {
    std::string out;
    out.reserve(event.data.size() + event.event.size() + event.id.size() + 32);
    if (!event.id.empty()) AppendSingleLine(out, "id", event.id);
    if (!event.event.empty()) AppendSingleLine(out, "event", event.event);
    if (event.retry) {
        out += "retry: ";
        out += std::to_string(event.retry->count());
        out += '\n';
    }
    // Each line of the payload is its own data: line (CRLF, CR and LF all end a line in SSE).
    std::string_view data = event.data;
    for (;;) {
        const auto end = data.find_first_of("\r\n");
        out += "data: ";
        out += data.substr(0, end);
        out += '\n';
        if (end == std::string_view::npos) break;
        const std::size_t skip =
            (data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n') ? 2 : 1;
        data.remove_prefix(end + skip);
    }
    out += '\n';
    return out;
}

}  // namespace nn::http
