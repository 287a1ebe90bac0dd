#pragma once

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

namespace nn::notify {

// Where a consumer-group reader reads. The views must outlive the call (option strings).
struct StreamSpec {
    std::string_view stream;
    std::string_view group;
    std::string_view consumer;
    std::int64_t batch = 100;
    std::chrono::milliseconds block{2000};
    std::chrono::milliseconds claim_idle{60000};
};

using StreamHandler = std::function<boost::asio::awaitable<void>(const std::vector<redis::StreamEntry>&)>;

// One round of a consumer group: creates the group once (from the stream's start), reclaims
// entries another consumer left pending longer than claim_idle, then reads new ones (blocking up
// to `block`), handing each batch to `handle`, which acknowledges what it processed. Returns how
// many entries it handled.
boost::asio::awaitable<std::size_t> ConsumeRound(redis::Client& redis,
                                                 const StreamSpec& spec,
                                                 bool& group_ready,
                                                 const StreamHandler& handle);

// Runs `round` again and again on `io` until *stop is set; a failed round is logged with `what`
// and retried after a second.
void StartRoundLoop(boost::asio::io_context& io,
                    std::shared_ptr<bool> stop,
                    std::string what,
                    std::function<boost::asio::awaitable<std::size_t>()> round);

}  // namespace nn::notify
