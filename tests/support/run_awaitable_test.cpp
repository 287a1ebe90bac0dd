// test::RunAwaitable, the one run-to-completion helper of the tests: on a context of its own it
// waits for what the op started; on a shared context it returns when the op is done, gives up at
// its limit, and runs a context that was stopped.
#include "tests/support/run_awaitable.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <stdexcept>

namespace nn::test {
namespace {
namespace asio = boost::asio;

asio::awaitable<void> RunTestPause(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

asio::awaitable<int> RunTestAnswer() {
    co_await RunTestPause(std::chrono::milliseconds(1));
    co_return 42;
}

asio::awaitable<int> RunTestFailure() {
    co_await RunTestPause(std::chrono::milliseconds(1));
    throw std::runtime_error("refused");
}

// Sets `done` a little later, after the op that started it has ended.
asio::awaitable<void> RunTestSetLater(bool& done) {
    co_await RunTestPause(std::chrono::milliseconds(50));
    done = true;
}

TEST(RunAwaitable, ReturnsTheValueOrRethrows) {
    EXPECT_EQ(RunAwaitable(RunTestAnswer()), 42);
    EXPECT_THROW(RunAwaitable(RunTestFailure()), std::runtime_error);
    asio::io_context io;
    EXPECT_EQ(RunAwaitable(io, RunTestAnswer()), 42);
    EXPECT_THROW(RunAwaitable(io, RunTestFailure()), std::runtime_error);
}

TEST(RunAwaitable, ALambdaCoroutineKeepsItsCapturesForTheRun) {
    int base = 40;
    EXPECT_EQ(RunAwaitable([&]() -> asio::awaitable<int> {
                  co_await RunTestPause(std::chrono::milliseconds(5));
                  co_return base + 2;
              }),
              42);
}

TEST(RunAwaitable, OnAContextOfItsOwnItWaitsForWhatTheOpStarted) {
    bool later_done = false;
    RunAwaitable([&]() -> asio::awaitable<void> {
        auto executor = co_await asio::this_coro::executor;
        asio::co_spawn(executor, RunTestSetLater(later_done), asio::detached);
    });
    EXPECT_TRUE(later_done);
}

TEST(RunAwaitable, OnASharedContextItReturnsWhenTheOpIsDone) {
    asio::io_context io;
    std::atomic<bool> stop{false};
    // A reader that never ends on its own, as a connection's.
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            while (!stop) co_await RunTestPause(std::chrono::milliseconds(10));
        },
        asio::detached);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(RunAwaitable(io, RunTestAnswer(), std::chrono::seconds(5)), 42);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
    stop = true;
    io.run();
}

TEST(RunAwaitable, OnASharedContextItGivesUpAtTheLimit) {
    asio::io_context io;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(RunAwaitable(io, RunTestPause(std::chrono::hours(1)), std::chrono::seconds(1)),
                 std::runtime_error);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(RunAwaitable, AStoppedSharedContextIsRunAgain) {
    asio::io_context io;
    io.stop();
    EXPECT_EQ(RunAwaitable(io, RunTestAnswer(), std::chrono::seconds(3)), 42);
}

}  // namespace
}  // namespace nn::test
