#include "notify/live_feed.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "notify/price_alerts.hpp"

namespace nn::notify {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::chrono::milliseconds kClusterPoll{100};

// The newest id of a stream, "0-0" when it is empty or missing.
asio::awaitable<std::string> NewestId(redis::Client& redis, std::string stream) {
    std::vector<std::string> argv{"XREVRANGE", std::move(stream), "+", "-", "COUNT", "1"};
    auto reply = co_await redis.Command(std::move(argv));
    const auto& arr = reply.AsArray();
    co_return arr.empty() ? std::string("0-0") : arr.front().AsArray().at(0).AsString();
}

}  // namespace

LiveFeed::LiveFeed(asio::any_io_executor executor,
                   redis::Options redis,
                   std::vector<std::shared_ptr<LiveHub>> hubs,
                   LiveFeedOptions options)
    : executor_(executor),
      redis_(executor, std::move(redis)),
      hubs_(std::move(hubs)),
      options_(std::move(options)) {}

LiveFeed::~LiveFeed() {
    redis_.Close();
}

void LiveFeed::Start() {
    if (started_) return;
    started_ = true;
    asio::co_spawn(
        executor_, [self = shared_from_this()]() { return self->Run(); }, asio::detached);
}

void LiveFeed::Stop() {
    *stop_ = true;
    redis_.Close();
}

asio::awaitable<void> LiveFeed::Run() {
    auto stop = stop_;
    asio::steady_timer pause(executor_);
    std::string prices_id, values_id;
    while (!*stop) {
        std::string error;
        try {
            if (prices_id.empty()) prices_id = co_await NewestId(redis_, options_.prices_stream);
            if (values_id.empty()) values_id = co_await NewestId(redis_, options_.values_stream);
            std::vector<redis::Reply> replies;
            if (redis_.IsCluster() &&
                redis::KeySlot(options_.prices_stream) != redis::KeySlot(options_.values_stream)) {
                // One XREAD cannot name streams of two cluster slots: read each without BLOCK
                // (one pipeline, split per node) and poll, at most options_.block apart.
                const std::string count = std::to_string(options_.batch);
                const std::vector<std::string_view> prices{
                    "XREAD", "COUNT", count, "STREAMS", options_.prices_stream, prices_id},
                    values{"XREAD", "COUNT", count, "STREAMS", options_.values_stream, values_id};
                redis::Pipeline p;
                p.Add(prices).Add(values);
                replies = co_await redis_.Execute(std::move(p));
                for (const auto& r : replies) r.ThrowIfError();
                if (replies[0].IsNil() && replies[1].IsNil()) {
                    pause.expires_after(std::min(options_.block, kClusterPoll));
                    co_await pause.async_wait(asio::use_awaitable);
                }
            } else {
                std::vector<std::string> argv{"XREAD",
                                              "COUNT",
                                              std::to_string(options_.batch),
                                              "BLOCK",
                                              std::to_string(options_.block.count()),
                                              "STREAMS",
                                              options_.prices_stream,
                                              options_.values_stream,
                                              prices_id,
                                              values_id};
                const auto timeout = options_.block + std::chrono::milliseconds(2000);
                replies.push_back(co_await redis_.Command(std::move(argv), timeout));
            }
            for (const auto& reply : replies) {
                for (const auto& stream : reply.AsArray()) {
                    const auto& name = stream.AsArray().at(0).AsString();
                    for (const auto& entry : stream.AsArray().at(1).AsArray()) {
                        const auto& parts = entry.AsArray();
                        const std::string& id = parts.at(0).AsString();
                        redis::FieldValues fields;
                        const auto& flat = parts.at(1).AsArray();
                        for (std::size_t i = 0; i + 1 < flat.size(); i += 2)
                            fields.emplace_back(flat[i].AsString(), flat[i + 1].AsString());
                        if (name == options_.prices_stream) {
                            prices_id = id;
                        } else {
                            values_id = id;
                        }
                        entries_->fetch_add(1);
                        Dispatch(name, fields);
                    }
                }
            }
        } catch (const std::exception& e) {
            error = e.what();
        }
        if (!error.empty() && !*stop) {
            spdlog::debug("notify: live feed read failed: {}", error);
            pause.expires_after(std::chrono::seconds(1));
            co_await pause.async_wait(asio::use_awaitable);
        }
    }
}

void LiveFeed::Dispatch(const std::string& stream, const redis::FieldValues& fields) {
    // No connection on this instance: nothing to parse (a connection opening meanwhile starts
    // with the next update).
    bool anyone = false;
    for (const auto& hub : hubs_) anyone = anyone || hub->Watching() > 0;
    if (!anyone) return;
    if (stream == options_.prices_stream) {
        std::vector<PriceTick> ticks;
        CheckPriceEntry(fields, ticks);  // malformed elements are the alert producer's dead letters
        if (ticks.empty()) return;
        auto updates = std::make_shared<std::vector<LiveHub::PriceUpdate>>();
        for (auto& t : ticks)
            updates->push_back({std::move(t.symbol), std::move(t.price), std::move(t.time)});
        for (const auto& hub : hubs_) asio::post(hub->Executor(), [hub, updates] { hub->Prices(*updates); });
        return;
    }
    std::string values;
    for (const auto& [k, v] : fields) {
        if (k == "values") values = v;
    }
    std::error_code ec;
    auto parsed = json::parse(values, ec);
    if (ec || !parsed.is_array()) return;
    auto updates = std::make_shared<std::vector<LiveHub::ValueUpdate>>();
    for (const auto& item : parsed.as_array()) {
        const auto* o = item.if_object();
        if (!o) continue;
        const auto* user = o->if_contains("user_id");
        const auto* portfolio = o->if_contains("portfolio_id");
        if (!user || !portfolio || !user->is_string() || !portfolio->is_string()) continue;
        json::object data = *o;
        data.erase("user_id");
        updates->push_back(
            {std::string(user->as_string()), std::string(portfolio->as_string()), json::serialize(data)});
    }
    if (updates->empty()) return;
    for (const auto& hub : hubs_) asio::post(hub->Executor(), [hub, updates] { hub->Values(*updates); });
}

}  // namespace nn::notify
