#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <utility>

namespace nn::test {

// Runs `op` to its end on an io_context of its own, for unit tests of services without an App
// (a fake repository answers at once); returns its value or rethrows what it threw.
template <class T>
T RunAwaitable(boost::asio::awaitable<T> op) {
    boost::asio::io_context io;
    auto result = boost::asio::co_spawn(io, std::move(op), boost::asio::use_future);
    io.run();
    return result.get();
}

}  // namespace nn::test
