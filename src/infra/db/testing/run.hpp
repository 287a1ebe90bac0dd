#pragma once

// Test helper (not part of nn_db): runs a coroutine to completion on a fresh io_context and
// rethrows what it threw.

#include <exception>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace nn::db::testkit {

// `make` is called with the io_context and returns awaitable<void>.
template <class Make>
void RunCoroOn(boost::asio::io_context& io, Make make) {
    std::exception_ptr error;
    bool done = false;
    boost::asio::co_spawn(io, make(), [&](std::exception_ptr e) {
        error = e;
        done = true;
    });
    io.run();
    io.restart();
    if (error) std::rethrow_exception(error);
    if (!done) throw std::runtime_error("coroutine did not finish");
}

template <class Make>
void RunCoro(Make make) {
    boost::asio::io_context io;
    RunCoroOn(io, std::move(make));
}

}  // namespace nn::db::testkit
