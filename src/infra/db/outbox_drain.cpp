#include "infra/db/outbox_drain.hpp"

#include <fmt/format.h>

#include <utility>

#include "core/actor.hpp"
#include "infra/db/pool.hpp"
#include "infra/db/text_array.hpp"

namespace nn::db {
namespace asio = boost::asio;

namespace {

// The event record of an outbox row (OutboxDrain).
constexpr std::string_view kOutboxSelectTemplate =
    "SELECT id, jsonb_build_object("
    "'source_event_id', id, 'time', created_at, 'actor_id', actor_id, 'user_id', user_id, "
    "'entity_type', aggregate_type, 'entity_id', aggregate_id, 'action', event_type, "
    "'before', CASE WHEN payload ? 'before' OR payload ? 'after' THEN payload->'before' END, "
    "'after', CASE WHEN payload ? 'before' OR payload ? 'after' THEN payload->'after' ELSE payload END, "
    "'request_id', request_id, 'ip', host(ip), 'payload', payload)::text "
    "FROM {} WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED";

// The outbox_relay policy of every outbox admits the SYSTEM context only.
TransactionOptions OutboxSystem() {
    return TransactionOptions().ActingAs(Actor::System());
}

TextArray OutboxIds(const std::vector<std::int64_t>& ids) {
    TextArray array;
    for (std::int64_t id : ids) array.items.emplace_back(std::to_string(id));
    return array;
}

}  // namespace

OutboxBatch::OutboxBatch(Transaction tx,
                         Query mark,
                         std::vector<std::int64_t> ids,
                         std::vector<std::string> events)
    : tx_(std::move(tx)), mark_(mark), ids_(std::move(ids)), events_(std::move(events)) {}

asio::awaitable<void> OutboxBatch::MarkPublished() {
    if (!ids_.empty()) co_await tx_.Execute(mark_, OutboxIds(ids_));
    co_await tx_.Commit();
}

asio::awaitable<void> OutboxBatch::Release() {
    co_await tx_.Rollback();
}

OutboxDrain::OutboxDrain(Pool& pool, std::string table, const std::string& prefix, const std::string& key)
    : pool_(pool),
      table_(std::move(table)),
      select_sql_(fmt::format(fmt::runtime(kOutboxSelectTemplate), table_)),
      select_name_(prefix + ".select." + key),
      mark_sql_(fmt::format("UPDATE {} SET published_at = now(), attempts = attempts + 1, last_error = NULL "
                            "WHERE id = ANY($1::bigint[])",
                            table_)),
      mark_name_(prefix + ".mark." + key),
      fail_sql_(fmt::format("UPDATE {} SET attempts = attempts + 1, last_error = left($2, 500) "
                            "WHERE id = ANY($1::bigint[])",
                            table_)),
      fail_name_(prefix + ".fail." + key) {}

asio::awaitable<OutboxBatch> OutboxDrain::Claim(int limit) {
    Transaction tx = co_await pool_.Begin(OutboxSystem());
    const Query select{select_sql_, select_name_};
    auto rows = co_await tx.Execute(select, static_cast<std::int64_t>(limit));
    std::vector<std::int64_t> ids;
    std::vector<std::string> events;
    for (Row row : rows) {
        ids.push_back(row.Get<std::int64_t>(0));
        events.push_back(row.Get<std::string>(1));
    }
    co_return OutboxBatch(std::move(tx), Query{mark_sql_, mark_name_}, std::move(ids), std::move(events));
}

asio::awaitable<void> OutboxDrain::MarkFailed(const std::vector<std::int64_t>& ids,
                                              const std::string& error) {
    const Query fail{fail_sql_, fail_name_};
    Transaction tx = co_await pool_.Begin(OutboxSystem());
    co_await tx.Execute(fail, OutboxIds(ids), error);
    co_await tx.Commit();
}

}  // namespace nn::db
