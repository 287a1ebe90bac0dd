#pragma once

// The one way a test runs a coroutine to its end on the calling thread (the App's shards run on
// threads of their own: AppHost::Run in app_fixture.hpp). Header-only, Boost.Asio alone, so the
// infra tests below the domains use it as well as the domains' service tests.
#include <chrono>
#include <concepts>
#include <future>
#include <stdexcept>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace nn::test {

// Runs `op` on an io_context of its own until no work is left there (the op and whatever it
// started); returns its value or rethrows what it threw. For services without an App (a fake
// repository answers at once) and for infra objects made inside `op`.
template <class T>
T RunAwaitable(boost::asio::awaitable<T> op) {
    boost::asio::io_context io;
    auto result = boost::asio::co_spawn(io, std::move(op), boost::asio::use_future);
    io.run();
    if (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
        throw std::runtime_error("test coroutine did not finish");
    return result.get();
}

// Runs `op` on `io` until `op` is done, not until `io` runs out of work: objects made on `io` (a
// Redis connection, an SMTP session) keep coroutines of their own alive. Throws when `limit`
// passes first.
template <class T>
T RunAwaitable(boost::asio::io_context& io,
               boost::asio::awaitable<T> op,
               std::chrono::seconds limit = std::chrono::seconds(120)) {
    auto result = boost::asio::co_spawn(io, std::move(op), boost::asio::use_future);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("test coroutine did not finish in time");
        if (io.stopped()) io.restart();
        io.run_one_for(std::chrono::milliseconds(50));
    }
    return result.get();
}

// The same for a function that makes the coroutine, typically a lambda coroutine: it outlives
// the run, so the coroutine may use what the lambda captured.
template <class Make>
requires std::invocable<Make&>
auto RunAwaitable(Make make) {
    return RunAwaitable(make());
}

}  // namespace nn::test
