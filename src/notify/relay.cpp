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

// The audit shape of an outbox row. A payload holding "before" and/or "after" keys gives both
// sides; any other payload is the state after the change.
constexpr std::string_view kSelectTemplate =
    "SELECT id, jsonb_build_object("
    "'source_event_id', id, 'time', created_at, 'actor_id', actor_id, 'user_id', user_id, "
    "'entity_type', aggregate_type, 'entity_id', aggregate_id, 'action', event_type, "
    "'before', CASE WHEN payload ? 'before' OR payload ? 'after' THEN payload->'before' END, "
    "'after', CASE WHEN payload ? 'before' OR payload ? 'after' THEN payload->'after' ELSE payload END, "
    "'request_id', request_id, 'ip', host(ip), 'payload', payload)::text "
    "FROM {} WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED";

constexpr std::string_view kRecordColumns =
    "r(source_event_id bigint, time timestamptz, actor_id uuid, user_id uuid, entity_type text, entity_id "
    "text, "
    "action text, before jsonb, after jsonb, request_id text, ip inet, payload jsonb)";

const std::string kInsertSystemSql = fmt::format(
    "INSERT INTO events.system_events (time, source, source_event_id, actor_id, user_id, entity_type, "
    "entity_id, action, before, after, request_id, ip) "
    "SELECT r.time, $2, r.source_event_id, r.actor_id, r.user_id, r.entity_type, r.entity_id, r.action, "
    "r.before, r.after, r.request_id, r.ip FROM jsonb_to_recordset($1::jsonb) AS {} "
    "ON CONFLICT DO NOTHING",
    kRecordColumns);
const db::Query kInsertSystem{kInsertSystemSql, "notify.relay.insert_system"};

// Transaction events of the portfolio service. A deletion's payload carries no type: it is taken
// from the transaction's earlier trading event (a deletion of one never seen is skipped).
const std::string kInsertTradingSql = fmt::format(
    "INSERT INTO events.trading_events (time, portfolio_id, source_event_id, user_id, actor_id, "
    "transaction_id, event_type, action, symbol, quantity, price, amount, fee, currency, details) "
    "SELECT * FROM (SELECT r.time, (r.payload->>'portfolio_id')::uuid, r.source_event_id, r.user_id, "
    "r.actor_id, (r.payload->>'transaction_id')::uuid AS transaction_id, "
    "coalesce(r.payload->>'type', (SELECT t.event_type FROM events.trading_events t "
    "  WHERE t.transaction_id = (r.payload->>'transaction_id')::uuid ORDER BY t.time DESC LIMIT 1)) "
    "  AS event_type, "
    "upper(split_part(r.action, '.', 2)), r.payload->>'symbol', (r.payload->>'quantity')::numeric, "
    "(r.payload->>'price')::numeric, (r.payload->>'amount')::numeric, (r.payload->>'fee')::numeric, "
    "r.payload->>'currency', r.payload "
    "FROM jsonb_to_recordset($1::jsonb) AS {} "
    "WHERE $2 = 'portfolio' AND r.entity_type = 'transaction' AND r.user_id IS NOT NULL "
    "AND r.action IN ('transaction.created', 'transaction.updated', 'transaction.deleted') "
    "AND r.payload ? 'portfolio_id' AND r.payload ? 'transaction_id') e "
    "WHERE e.event_type IS NOT NULL ORDER BY e.time "
    "ON CONFLICT DO NOTHING",
    kRecordColumns);
const db::Query kInsertTrading{kInsertTradingSql, "notify.relay.insert_trading"};

db::TransactionOptions System() {
    return db::TransactionOptions().ActingAs(Actor::System());
}

db::TextArray IdArray(const std::vector<std::int64_t>& ids) {
    db::TextArray array;
    for (std::int64_t id : ids) array.items.emplace_back(std::to_string(id));
    return array;
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
      source_pool_(source_pool),
      target_(target),
      redis_(redis),
      options_(std::move(options)),
      select_sql_(fmt::format(fmt::runtime(kSelectTemplate), source_.table)),
      select_name_("notify.relay.select." + source_.name),
      mark_sql_(fmt::format("UPDATE {} SET published_at = now(), attempts = attempts + 1, last_error = NULL "
                            "WHERE id = ANY($1::bigint[])",
                            source_.table)),
      mark_name_("notify.relay.mark." + source_.name),
      fail_sql_(fmt::format("UPDATE {} SET attempts = attempts + 1, last_error = left($2, 500) "
                            "WHERE id = ANY($1::bigint[])",
                            source_.table)),
      fail_name_("notify.relay.fail." + source_.name) {}

asio::awaitable<int> OutboxRelay::RunOnce() {
    db::Transaction tx = co_await source_pool_.Begin(System());
    const db::Query select{select_sql_, select_name_};
    auto rows = co_await tx.Execute(select, static_cast<std::int64_t>(options_.batch_size));
    std::vector<std::int64_t> ids;
    std::vector<std::string> events;
    for (db::Row row : rows) {
        ids.push_back(row.Get<std::int64_t>(0));
        events.push_back(row.Get<std::string>(1));
    }
    if (ids.empty()) {
        co_await tx.Commit();
        co_return 0;
    }

    std::string error;
    try {
        std::string batch = fmt::format("[{}]", fmt::join(events, ","));
        db::Transaction out = co_await target_.Begin(System());
        co_await out.Execute(kInsertSystem, batch, source_.name);
        co_await out.Execute(kInsertTrading, batch, source_.name);
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
    } catch (const std::exception& e) {
        error = e.what();
    }
    if (!error.empty()) {
        // The claimed rows are released untouched; the failure is noted in a statement of its own.
        co_await tx.Rollback();
        co_await RecordFailure(ids, error);
        throw Error(
            ErrorKind::kUnavailable, "notify.relay_failed",
            fmt::format("relay of {} left {} event(s) pending: {}", source_.table, ids.size(), error));
    }
    const db::Query mark{mark_sql_, mark_name_};
    co_await tx.Execute(mark, IdArray(ids));
    co_await tx.Commit();
    co_return static_cast<int>(ids.size());
}

asio::awaitable<void> OutboxRelay::RecordFailure(const std::vector<std::int64_t>& ids,
                                                 const std::string& error) {
    std::string reported;
    try {
        const db::Query fail{fail_sql_, fail_name_};
        db::Transaction tx = co_await source_pool_.Begin(System());
        co_await tx.Execute(fail, IdArray(ids), error);
        co_await tx.Commit();
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
