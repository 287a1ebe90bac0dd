#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "infra/redis/client.hpp"

namespace boost::asio {
class io_context;
}

namespace nn::redis {

// Where a consumer-group reader reads. The views must outlive the call (option strings).
struct StreamSpec {
    std::string_view stream;
    std::string_view group;
    std::string_view consumer;
    std::int64_t batch = 100;
    std::chrono::milliseconds block{2000};
    std::chrono::milliseconds claim_idle{60000};
};

// The spec of an options struct with fields of the same names (the consumers' options).
template <class ConsumerOptions>
StreamSpec SpecOf(const ConsumerOptions& o) {
    return StreamSpec{.stream = o.stream,
                      .group = o.group,
                      .consumer = o.consumer,
                      .batch = o.batch,
                      .block = o.block,
                      .claim_idle = o.claim_idle};
}

using StreamHandler = std::function<boost::asio::awaitable<void>(const std::vector<StreamEntry>&)>;

// The one consumer-group reader of the code base (notify's audit producer and price alerts,
// portfolio's price consumer). One round of a consumer group: creates the group once (from the stream's
// start), reclaims entries another consumer left pending longer than claim_idle, then reads new ones
// (blocking up to `block`), handing each batch to `handle`, which acknowledges what it processed. Returns how
// many entries it handled.
boost::asio::awaitable<std::size_t> ConsumeRound(Client& redis,
                                                 const StreamSpec& spec,
                                                 bool& group_ready,
                                                 const StreamHandler& handle);

// Runs `round` again and again on `io` until *stop is set; a failed round is logged as
// "<what> round failed: <why>" and retried after a second.
void StartRoundLoop(boost::asio::io_context& io,
                    std::shared_ptr<std::atomic<bool>> stop,
                    std::string what,
                    std::function<boost::asio::awaitable<std::size_t>()> round);

}  // namespace nn::redis
