#pragma once

#include <atomic>
#include <cstddef>
#include <type_traits>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/error.hpp"

namespace nn::runtime {

// A bounded pool of threads for CPU-heavy work (argon2id, analytics) so that it never runs on
// an event loop. `co_await pool.Run(fn)` runs fn on a pool thread and resumes the caller on its
// own executor. At most `max_queued` calls wait or run at once; beyond that Run fails at once
// with kUnavailable ("cpu.overloaded"), which bounds memory under a flood (each argon2id call
// holds 19-64 MiB).
class CpuPool {
public:
    CpuPool(std::size_t threads, std::size_t max_queued) : pool_(threads), max_queued_(max_queued) {}
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
            pool_.get_executor(),
            [f = std::move(fn)]() mutable -> boost::asio::awaitable<R> { co_return f(); },
            boost::asio::use_awaitable);
    }

    std::size_t Queued() const noexcept { return queued_.load(); }

    void Stop() {
        pool_.stop();
        pool_.join();
    }

private:
    boost::asio::thread_pool pool_;
    std::size_t max_queued_;
    std::atomic<std::size_t> queued_{0};
};

}  // namespace nn::runtime
