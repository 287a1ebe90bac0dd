#include "infra/redis/dial.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <random>

#include "infra/redis/pipeline.hpp"
#include "infra/redis/resp.hpp"

namespace nn::redis::detail {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

asio::awaitable<std::string> Steps(tcp::socket& socket, const Url& url, const std::string& client_name) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(url.host, ec);
    if (!ec) {
        auto [cec] = co_await socket.async_connect(tcp::endpoint(address, url.port), kNoThrow);
        if (cec) co_return "connect to " + url.host + ":" + std::to_string(url.port) + ": " + cec.message();
    } else {
        tcp::resolver resolver(co_await asio::this_coro::executor);
        auto [rec, endpoints] = co_await resolver.async_resolve(url.host, std::to_string(url.port), kNoThrow);
        if (rec) co_return "resolve " + url.host + ": " + rec.message();
        auto [cec, ep] = co_await asio::async_connect(socket, endpoints, kNoThrow);
        if (cec) co_return "connect to " + url.host + ":" + std::to_string(url.port) + ": " + cec.message();
    }
    // Pipelined small commands must not wait for Nagle's delayed ACK.
    socket.set_option(tcp::no_delay(true), ec);
    socket.set_option(asio::socket_base::keep_alive(true), ec);

    Pipeline hello;
    std::array<const char*, 3> steps{};
    std::size_t n = 0;
    if (!url.password.Empty()) {
        if (url.user.empty()) {
            hello.Add({"AUTH", url.password.Reveal()});
        } else {
            hello.Add({"AUTH", url.user, url.password.Reveal()});
        }
        steps[n++] = "AUTH";
    }
    if (url.db != 0) {
        hello.Add({"SELECT", std::to_string(url.db)});
        steps[n++] = "SELECT";
    }
    if (!client_name.empty()) {
        hello.Add({"CLIENT", "SETNAME", client_name});
        steps[n++] = "CLIENT SETNAME";
    }
    if (n == 0) co_return std::string();

    auto [wec, written] = co_await asio::async_write(socket, asio::buffer(hello.Payload()), kNoThrow);
    if (wec) co_return "handshake: " + wec.message();
    RespReader reader;
    std::array<char, 4096> buf;
    std::size_t done = 0;
    Reply reply;
    std::string failure;
    while (done < n) {
        auto [rec, got] = co_await socket.async_read_some(asio::buffer(buf), kNoThrow);
        if (rec) co_return "handshake: " + rec.message();
        try {
            reader.Feed(buf.data(), got);
            while (done < n && reader.Next(reply)) {
                if (reply.IsError() && failure.empty())
                    failure = std::string(steps[done]) + ": " + reply.ErrorMessage();
                ++done;
            }
        } catch (const std::exception& e) {
            co_return std::string("handshake: ") + e.what();
        }
    }
    co_return failure;
}

}  // namespace

std::chrono::milliseconds Jitter(std::chrono::milliseconds base) {
    static thread_local std::minstd_rand rng{std::random_device{}()};
    auto half = std::max<std::int64_t>(base.count() / 2, 1);
    return std::chrono::milliseconds(half +
                                     static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(half + 1)));
}

asio::awaitable<std::string> Dial(tcp::socket& socket,
                                  const Url& url,
                                  const std::string& client_name,
                                  std::chrono::milliseconds timeout) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
    auto result = co_await (Steps(socket, url, client_name) || timer.async_wait(asio::use_awaitable));
    std::string error;
    if (result.index() == 1) {
        error = "connect to " + url.host + ":" + std::to_string(url.port) + " timed out after " +
                std::to_string(timeout.count()) + " ms";
    } else {
        error = std::get<0>(std::move(result));
    }
    if (!error.empty()) {
        boost::system::error_code ignored;
        socket.close(ignored);
    }
    co_return error;
}

}  // namespace nn::redis::detail
