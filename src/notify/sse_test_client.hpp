#pragma once

// The notify tests' SSE client: a blocking reader of GET /api/v1/stream on a plain socket, as the
// test user of tests/support/app_fixture.hpp (X-Test-User). Keeps every event that has an id or
// a type (notifications carry both; price and value updates only a type); heartbeats are
// comments and are dropped.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace nn::notify::testing {

class SseClient {
public:
    SseClient(std::uint16_t port, const std::string& user, const std::string& last_event_id = "") {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(fd_);
            throw std::runtime_error("connect");
        }
        timeval tv{0, 50000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        std::string req =
            "GET /api/v1/stream HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\nX-Test-User: " +
            user + "\r\n";
        if (!last_event_id.empty()) req += "Last-Event-ID: " + last_event_id + "\r\n";
        req += "\r\n";
        ::send(fd_, req.data(), req.size(), 0);
    }
    ~SseClient() { ::close(fd_); }
    SseClient(const SseClient&) = delete;
    SseClient& operator=(const SseClient&) = delete;

    struct Event {
        std::string id, type, data;
        boost::json::value Json() const { return boost::json::parse(data); }
    };

    // The events with an id (the resumable ones: notifications) until `count` of them arrived
    // or `timeout` passed.
    std::vector<Event> Read(std::size_t count, std::chrono::milliseconds timeout) {
        ReadFor(timeout, [&](const std::vector<Event>&) { return WithId().size() >= count; });
        return WithId();
    }

    // Every event read for `duration`, or until `until` holds for the events so far.
    std::vector<Event> ReadFor(std::chrono::milliseconds duration,
                               const std::function<bool(const std::vector<Event>&)>& until = nullptr) {
        auto deadline = std::chrono::steady_clock::now() + duration;
        while (std::chrono::steady_clock::now() < deadline) {
            if (until && until(events_)) break;
            char buf[8192];
            auto n = ::recv(fd_, buf, sizeof buf, 0);
            if (n > 0) {
                raw_.append(buf, static_cast<std::size_t>(n));
                Parse();
            } else if (n == 0) {
                break;
            }
        }
        return events_;
    }

    std::vector<Event> Of(const std::string& type) const {
        std::vector<Event> out;
        for (const auto& e : events_) {
            if (e.type == type) out.push_back(e);
        }
        return out;
    }

    // Whether the stream was accepted (reads for 300 ms first).
    bool Open() {
        ReadFor(std::chrono::milliseconds(300));
        return raw_.rfind("HTTP/1.1 200", 0) == 0;
    }

    const std::string& Raw() const { return raw_; }
    int Status() const {
        if (raw_.rfind("HTTP/1.1 ", 0) != 0) return 0;
        return std::stoi(raw_.substr(9, 3));
    }

private:
    std::vector<Event> WithId() const {
        std::vector<Event> out;
        for (const auto& e : events_) {
            if (!e.id.empty()) out.push_back(e);
        }
        return out;
    }

    void Parse() {
        if (!header_done_) {
            auto end = raw_.find("\r\n\r\n");
            if (end == std::string::npos) return;
            header_done_ = true;
            pos_ = end + 4;
        }
        // Chunk-size lines are not SSE fields; dropping lines of hex digits is enough here.
        for (;;) {
            auto end = raw_.find("\n\n", pos_);
            if (end == std::string::npos) return;
            std::string block = raw_.substr(pos_, end - pos_);
            pos_ = end + 2;
            Event e;
            std::size_t start = 0;
            while (start <= block.size()) {
                auto nl = block.find('\n', start);
                std::string line =
                    block.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
                if (!line.empty() && line.back() == '\r') line.pop_back();
                if (line.rfind("id: ", 0) == 0) e.id = line.substr(4);
                if (line.rfind("event: ", 0) == 0) e.type = line.substr(7);
                if (line.rfind("data: ", 0) == 0) e.data += line.substr(6);
                if (nl == std::string::npos) break;
                start = nl + 1;
            }
            if (!e.id.empty() || !e.type.empty()) events_.push_back(e);
        }
    }

    int fd_ = -1;
    std::string raw_;
    std::size_t pos_ = 0;
    bool header_done_ = false;
    std::vector<Event> events_;
};

}  // namespace nn::notify::testing
