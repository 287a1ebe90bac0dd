#pragma once

// Test helpers for nn_http's own tests (header-only, included only by *_test.cpp): shards on
// threads, an in-process server on 127.0.0.1:0, and a blocking HTTP/1.1 client with timeouts.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "infra/http/server.hpp"

namespace nn::http::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

// N io_contexts, each run by its own thread until Stop().
class Shards {
public:
    explicit Shards(std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            contexts_.push_back(std::make_unique<asio::io_context>(1));
            guards_.emplace_back(contexts_.back()->get_executor());
        }
        for (auto& c : contexts_) threads_.emplace_back([ctx = c.get()] { ctx->run(); });
    }
    ~Shards() { Stop(); }

    std::vector<asio::io_context*> Pointers() const {
        std::vector<asio::io_context*> out;
        for (const auto& c : contexts_) out.push_back(c.get());
        return out;
    }

    void Stop() {
        guards_.clear();
        for (auto& c : contexts_) c->stop();
        for (auto& t : threads_) {
            if (t.joinable()) t.join();
        }
    }

private:
    std::vector<std::unique_ptr<asio::io_context>> contexts_;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
    std::vector<std::thread> threads_;
};

// A server on a free loopback port. Register routes through server(), then Start().
class TestServer {
public:
    explicit TestServer(ServerOptions options = {}, std::size_t shards = 2) : shards_(shards) {
        options.host = "127.0.0.1";
        options.port = 0;
        server_ = std::make_unique<Server>(shards_.Pointers(), std::move(options));
    }
    ~TestServer() {
        server_->Stop(std::chrono::milliseconds(2000));
        shards_.Stop();
        server_.reset();
    }

    Server& server() { return *server_; }
    Router& routes() { return server_->Routes(); }
    std::uint16_t Start() { return port_ = server_->Start(); }
    std::uint16_t port() const { return port_; }

private:
    Shards shards_;
    std::unique_ptr<Server> server_;
    std::uint16_t port_ = 0;
};

struct ClientResponse {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names; last value wins
    std::string body;
    bool keep_alive = false;

    std::string Header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string() : it->second;
    }
};

// A blocking client whose every operation has a deadline, so a broken server fails the test
// instead of hanging it. A deadline cancels the operation but keeps the connection open.
class Client {
public:
    explicit Client(std::uint16_t port) : socket_(io_) {
        beast::error_code ec;
        socket_.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
        connected_ = !ec;
    }
    // From another loopback address (127.0.0.2, ...): a second client address for per-source limits.
    Client(std::uint16_t port, const std::string& local_address) : socket_(io_) {
        beast::error_code ec;
        socket_.open(asio::ip::tcp::v4(), ec);
        if (!ec) socket_.bind({asio::ip::make_address(local_address), 0}, ec);
        if (!ec) socket_.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
        connected_ = !ec;
    }

    bool Connected() const { return connected_; }

    bool Send(std::string_view raw, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        return !RunOp(timeout, [&](auto done) { asio::async_write(socket_, asio::buffer(raw), done); });
    }

    std::optional<ClientResponse> Read(std::chrono::milliseconds timeout = std::chrono::seconds(5),
                                       bool head = false) {
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(64 << 20);
        parser.skip(head);
        last_error_ = RunOp(timeout, [&](auto done) { bhttp::async_read(socket_, buffer_, parser, done); });
        if (last_error_) return std::nullopt;
        ClientResponse response;
        const auto& m = parser.get();
        response.status = m.result_int();
        for (const auto& field : m) {
            std::string name(field.name_string());
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            response.headers[name] = std::string(field.value());
        }
        response.body = m.body();
        response.keep_alive = m.keep_alive();
        return response;
    }

    // `timeout` bounds the wait for the response: a deadline for a hung server, not a latency check.
    std::optional<ClientResponse> Request(const std::string& method,
                                          const std::string& target,
                                          const std::string& body = "",
                                          const std::map<std::string, std::string>& headers = {},
                                          std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        std::string raw = method + " " + target + " HTTP/1.1\r\nHost: test\r\n";
        for (const auto& [k, v] : headers) raw += k + ": " + v + "\r\n";
        if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
            raw += "Content-Length: " + std::to_string(body.size()) + "\r\n";
        }
        raw += "\r\n" + body;
        if (!Send(raw)) return std::nullopt;
        return Read(timeout, method == "HEAD");
    }

    // Raw bytes as they arrive, until `until` appears in what was read or the time is up.
    std::string ReadUntil(std::string_view until, std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::string seen(static_cast<const char*>(buffer_.data().data()), buffer_.size());
        buffer_.consume(buffer_.size());
        while (seen.find(until) == std::string::npos) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left <= std::chrono::milliseconds(0)) break;
            char chunk[4096];
            std::size_t got = 0;
            const auto ec = RunOp(left, [&](auto done) {
                socket_.async_read_some(asio::buffer(chunk),
                                        [&got, done](beast::error_code e, std::size_t n) mutable {
                                            got = n;
                                            done(e, n);
                                        });
            });
            seen.append(chunk, got);
            if (ec) break;
        }
        return seen;
    }

    // Whether the server closes the connection (EOF or reset) within the time; data is skipped.
    bool ClosedWithin(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left <= std::chrono::milliseconds(0)) return false;
            char chunk[4096];
            const auto ec =
                RunOp(left, [&](auto done) { socket_.async_read_some(asio::buffer(chunk), done); });
            if (ec == asio::error::timed_out) return false;
            if (ec) return true;
        }
    }

    beast::error_code LastError() const { return last_error_; }
    void Close() {
        beast::error_code ignored;
        socket_.close(ignored);
    }

private:
    // Runs one operation on the private io_context; asio::error::timed_out when the deadline
    // passed first (the operation is cancelled, the connection stays usable).
    template <typename Start>
    beast::error_code RunOp(std::chrono::milliseconds timeout, Start start) {
        beast::error_code result = asio::error::would_block;
        bool timed_out = false;
        asio::steady_timer timer(io_, timeout);
        timer.async_wait([&](beast::error_code ec) {
            if (!ec) {
                timed_out = true;
                beast::error_code ignored;
                socket_.cancel(ignored);
            }
        });
        start([&](beast::error_code ec, std::size_t) {
            result = ec;
            timer.cancel();
        });
        io_.restart();
        io_.run();
        return timed_out && result == asio::error::operation_aborted
                   ? beast::error_code(asio::error::timed_out)
                   : result;
    }

    asio::io_context io_;
    asio::ip::tcp::socket socket_;
    beast::flat_buffer buffer_;
    bool connected_ = false;
    beast::error_code last_error_;
};

}  // namespace nn::http::testing
