#include "notify/relay.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "infra/db/pool.hpp"
#include "infra/db/transaction.hpp"
#include "infra/redis/client.hpp"

namespace nn::notify {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

db::TransactionOptions RelayTarget() {
    return db::TransactionOptions().ActingAs(Actor::System());
}

std::string Field(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return "";
    if (it->value().is_string()) return std::string(it->value().as_string());
    return json::serialize(it->value());
}

}  // namespace

std::vector<OutboxSource> DefaultSources() {
    using migrate::Database;
    using migrate::ServiceRole;
    return {
        {"auth", ServiceRole::kAuth, Database::kAuth, "auth.outbox"},
        {"portfolio", ServiceRole::kPortfolio, Database::kPortfolio, "portfolio.outbox"},
        {"analytics", ServiceRole::kAnalytics, Database::kAnalytics, "analytics.outbox"},
        {"notifications", ServiceRole::kNotify, Database::kNotifications, "notifications.outbox"},
    };
}

OutboxRelay::OutboxRelay(
    OutboxSource source, db::Pool& source_pool, db::Pool& target, redis::Client& redis, RelayOptions options)
    : source_(std::move(source)),
      drain_(source_pool, source_.table, "notify.relay", source_.name),
      target_(target),
      redis_(redis),
      options_(std::move(options)) {}

asio::awaitable<int> OutboxRelay::RunOnce() {
    db::OutboxBatch batch = co_await drain_.Claim(options_.batch_size);
    if (batch.Empty()) {
        co_await batch.MarkPublished();
        co_return 0;
    }
    std::string error;
    try {
        co_await Deliver(batch);
    } catch (const std::exception& e) {
        error = e.what();
    }
    if (!error.empty()) {
        // The claimed rows are released untouched; the failure is noted in a statement of its own.
        co_await batch.Release();
        co_await RecordFailure(batch.Ids(), error);
        throw Error(ErrorKind::kUnavailable, "notify.relay_failed",
                    fmt::format("relay of {} left {} event(s) pending: {}", source_.table, batch.Ids().size(),
                                error));
    }
    co_await batch.MarkPublished();
    co_return static_cast<int>(batch.Ids().size());
}

asio::awaitable<void> OutboxRelay::Deliver(const db::OutboxBatch& batch) {
    const auto& ids = batch.Ids();
    const auto& events = batch.Events();
    const std::string array = fmt::format("[{}]", fmt::join(events, ","));
    db::Transaction out = co_await target_.Begin(RelayTarget());
    co_await events_.RecordEvents(out, source_.name, array);
    co_await out.Commit();

    redis::XAddOptions xadd;
    xadd.max_len = options_.stream_max_len;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        auto event = json::parse(events[i]).as_object();
        redis::FieldValues fields{
            {"event", fmt::format("{}:{}", source_.name, ids[i])},
            {"source", source_.name},
            {"action", Field(event, "action")},
            {"entity_type", Field(event, "entity_type")},
            {"entity_id", Field(event, "entity_id")},
            {"user_id", Field(event, "user_id")},
            {"data", events[i]},
        };
        co_await redis_.XAdd(options_.stream, fields, xadd);
    }
}

asio::awaitable<void> OutboxRelay::RecordFailure(const std::vector<std::int64_t>& ids,
                                                 const std::string& error) {
    std::string reported;
    try {
        co_await drain_.MarkFailed(ids, error);
    } catch (const std::exception& e) {
        reported = e.what();
    }
    if (!reported.empty())
        spdlog::warn("notify: could not record a relay failure on {}: {}", source_.table, reported);
}

asio::awaitable<int> OutboxRelay::Drain(int max_batches) {
    int total = 0;
    for (int i = 0; i < max_batches; ++i) {
        int n = co_await RunOnce();
        total += n;
        if (n < options_.batch_size) break;
    }
    co_return total;
}

}  // namespace nn::notify
