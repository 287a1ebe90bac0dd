#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/error.hpp"

namespace nn::runtime {

// A bounded pool of threads for CPU-heavy work (argon2id, analytics) so that it never runs on
// an event loop. `co_await pool.Run(fn)` runs fn on a pool thread and resumes the caller on its
// own executor. At most `max_queued` calls wait or run at once; beyond that Run fails at once
// with kUnavailable ("cpu.overloaded"), which bounds memory under a flood (each argon2id call
// holds 19-64 MiB).
//
// Its threads run `nice` steps below the event loops (setpriority per thread; 10 in the app,
// NEXANEST_CPU_NICE): a flood of logins keeps the pool busy but the scheduler hands the cores
// to an event loop as soon as one has a request, so reads do not queue behind argon2id.
class CpuPool {
public:
    CpuPool(std::size_t threads, std::size_t max_queued, int nice = 0)
        : io_(static_cast<int>(threads)), work_(io_.get_executor()), max_queued_(max_queued) {
        for (std::size_t i = 0; i < threads; ++i) {
            threads_.emplace_back([this, nice] {
                if (nice > 0) setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), Clamp(nice));
                io_.run();
            });
        }
    }
    ~CpuPool() { Stop(); }
    CpuPool(const CpuPool&) = delete;
    CpuPool& operator=(const CpuPool&) = delete;

    template <typename F>
    boost::asio::awaitable<std::invoke_result_t<F>> Run(F fn) {
        using R = std::invoke_result_t<F>;
        if (queued_.fetch_add(1) >= max_queued_) {
            queued_.fetch_sub(1);
            throw Error(ErrorKind::kUnavailable, "cpu.overloaded", "the server is busy; retry shortly");
        }
        struct Release {
            std::atomic<std::size_t>& n;
            ~Release() { n.fetch_sub(1); }
        } release{queued_};
        co_return co_await boost::asio::co_spawn(
            io_.get_executor(), [f = std::move(fn)]() mutable -> boost::asio::awaitable<R> { co_return f(); },
            boost::asio::use_awaitable);
    }

    std::size_t Queued() const noexcept { return queued_.load(); }

    void Stop() {
        work_.reset();
        io_.stop();
        for (auto& t : threads_) {
            if (t.joinable()) t.join();
        }
    }

private:
    // The thread's nice value `by` steps above the process's, at most 19.
    static int Clamp(int by) {
        const int base = getpriority(PRIO_PROCESS, 0);
        return std::min(19, base + by);
    }

    boost::asio::io_context io_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::vector<std::thread> threads_;
    std::size_t max_queued_;
    std::atomic<std::size_t> queued_{0};
};

}  // namespace nn::runtime
