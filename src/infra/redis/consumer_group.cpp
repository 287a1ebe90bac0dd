#include "infra/redis/consumer_group.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace nn::redis {
namespace asio = boost::asio;

asio::awaitable<std::size_t> ConsumeRound(Client& redis,
                                          const StreamSpec& spec,
                                          bool& group_ready,
                                          const StreamHandler& handle) {
    if (!group_ready) {
        co_await redis.XGroupCreate(spec.stream, spec.group, "0");
        group_ready = true;
    }
    auto claimed =
        co_await redis.XAutoClaim(spec.stream, spec.group, spec.consumer, spec.claim_idle, "0-0", spec.batch);
    co_await handle(claimed.entries);
    XReadGroupArgs args;
    args.group = spec.group;
    args.consumer = spec.consumer;
    args.stream = spec.stream;
    args.count = spec.batch;
    args.block = spec.block;
    auto fresh = co_await redis.XReadGroup(args);
    co_await handle(fresh);
    co_return claimed.entries.size() + fresh.size();
}

void StartRoundLoop(asio::io_context& io,
                    std::shared_ptr<std::atomic<bool>> stop,
                    std::string what,
                    std::function<asio::awaitable<std::size_t>()> round) {
    asio::co_spawn(
        io,
        [stop = std::move(stop), what = std::move(what),
         round = std::move(round)]() -> asio::awaitable<void> {
            asio::steady_timer pause(co_await asio::this_coro::executor);
            while (!*stop) {
                bool failed = false;
                try {
                    co_await round();
                } catch (const std::exception& e) {
                    spdlog::warn("{} round failed: {}", what, e.what());
                    failed = true;
                }
                if (failed) {
                    pause.expires_after(std::chrono::seconds(1));
                    co_await pause.async_wait(asio::use_awaitable);
                }
            }
        },
        asio::detached);
}

}  // namespace nn::redis
