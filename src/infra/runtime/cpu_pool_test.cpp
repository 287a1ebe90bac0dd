#include "infra/runtime/cpu_pool.hpp"

#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <thread>

namespace nn::runtime {
namespace {

namespace asio = boost::asio;

TEST(CpuPoolTest, RunsOffTheLoopAndResumesOnIt) {
    asio::io_context io;
    CpuPool pool(2, 16);
    std::thread::id loop_thread = std::this_thread::get_id();
    std::thread::id work_thread;
    std::thread::id resumed_thread;
    int result = 0;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            result = co_await pool.Run([&] {
                work_thread = std::this_thread::get_id();
                return 42;
            });
            resumed_thread = std::this_thread::get_id();
        },
        asio::detached);
    io.run();
    EXPECT_EQ(result, 42);
    EXPECT_NE(work_thread, loop_thread);
    EXPECT_EQ(resumed_thread, loop_thread);
}

// Login floods must not take the cores from the event loops (issue 16): pool threads run at a
// lower priority than the thread that made the pool.
TEST(CpuPoolTest, ThreadsRunBelowTheEventLoops) {
    asio::io_context io;
    CpuPool pool(2, 16, 10);
    const int loop_nice = getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
    int work_nice = loop_nice;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            work_nice =
                co_await pool.Run([] { return getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid())); });
        },
        asio::detached);
    io.run();
    EXPECT_EQ(work_nice, std::min(19, loop_nice + 10));
    EXPECT_GT(work_nice, loop_nice);
}

TEST(CpuPoolTest, RefusesBeyondTheQueueBound) {
    asio::io_context io;
    CpuPool pool(1, 2);
    std::atomic<bool> release{false};
    int done = 0;
    int refused = 0;
    for (int i = 0; i < 5; ++i) {
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                try {
                    co_await pool.Run([&] {
                        while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                    });
                    ++done;
                } catch (const Error& e) {
                    EXPECT_EQ(e.Code(), "cpu.overloaded");
                    ++refused;
                }
            },
            asio::detached);
    }
    asio::steady_timer t(io, std::chrono::milliseconds(50));
    t.async_wait([&](auto) { release = true; });
    io.run();
    EXPECT_EQ(done, 2);
    EXPECT_EQ(refused, 3);
    EXPECT_EQ(pool.Queued(), 0u);
}

TEST(CpuPoolTest, PropagatesExceptions) {
    asio::io_context io;
    CpuPool pool(1, 4);
    bool caught = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            try {
                co_await pool.Run([]() -> int { throw std::runtime_error("boom"); });
            } catch (const std::runtime_error& e) {
                caught = std::string(e.what()) == "boom";
            }
        },
        asio::detached);
    io.run();
    EXPECT_TRUE(caught);
}

}  // namespace
}  // namespace nn::runtime
