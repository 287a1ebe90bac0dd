#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "infra/redis/client.hpp"
#include "notify/live_hub.hpp"

namespace nn::notify {

struct LiveFeedOptions {
    std::string prices_stream = "nn:events:prices";            // the market's price events
    std::string values_stream = "nn:events:portfolio_values";  // portfolio::ValueFeed
    std::chrono::milliseconds block{2000};
    std::int64_t batch = 200;
};

// Every instance reads the price and portfolio-value streams itself (plain XREAD from their
// newest entry on, no consumer group: each instance needs every entry) and hands each update to
// the hubs of its shards, which pass it to the SSE connections interested in it. A connection
// on this instance therefore sees updates whichever instance produced them. Updates are state:
// when the feed (re)starts it begins at the streams' newest entries, and nothing is replayed.
class LiveFeed : public std::enable_shared_from_this<LiveFeed> {
public:
    LiveFeed(boost::asio::any_io_executor executor,
             redis::Options redis,
             std::vector<std::shared_ptr<LiveHub>> hubs,
             LiveFeedOptions options = {});
    ~LiveFeed();

    void Start();
    void Stop();

    // Entries read since start (for tests and /metrics).
    std::uint64_t Entries() const noexcept { return entries_->load(); }

private:
    boost::asio::awaitable<void> Run();
    void Dispatch(const std::string& stream, const redis::FieldValues& fields);

    boost::asio::any_io_executor executor_;
    redis::Client redis_;  // its own connection: XREAD BLOCK would stall a shared one
    std::vector<std::shared_ptr<LiveHub>> hubs_;
    LiveFeedOptions options_;
    std::shared_ptr<std::atomic<bool>> stop_ = std::make_shared<std::atomic<bool>>(false);
    std::shared_ptr<std::atomic<std::uint64_t>> entries_ = std::make_shared<std::atomic<std::uint64_t>>(0);
    bool started_ = false;
};

}  // namespace nn::notify
